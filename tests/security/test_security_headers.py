"""Security headers on pages and API answers.

The default Content-Security-Policy is the one the portal's pages pass
(``test_csp_browser.py`` loads them in Chromium under it).
"""

from __future__ import annotations

import pytest

from ckanext.territoire import settings

pytestmark = pytest.mark.usefixtures("clean_db")

URLS = ["/", "/dataset/", "/api/action/status_show", "/api/action/package_show"]


def _policy() -> str:
    return settings.get("ckanext.territoire.headers.content_security_policy")


@pytest.mark.parametrize("url", URLS)
def test_pages_and_api_answers_carry_the_security_headers(app, url):
    res = app.get(url)
    assert res.headers["Content-Security-Policy"] == _policy()
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert res.headers["X-Frame-Options"] == "SAMEORIGIN"
    # the site is http (config/test.ini): no HSTS
    assert "Strict-Transport-Security" not in res.headers


def test_the_default_policy_allows_no_inline_script():
    directives = dict(
        (part.split(" ", 1) + [""])[:2]
        for part in (p.strip() for p in _policy().split(";"))
        if part
    )
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'self'"


@pytest.mark.ckan_config("ckan.site_url", "https://donnees.example.fr")
def test_https_site_sends_hsts(app):
    res = app.get("/")
    assert res.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.ckan_config("ckanext.territoire.headers.enabled", "false")
def test_headers_can_be_left_to_the_front_server(app):
    res = app.get("/")
    for name in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Frame-Options",
    ):
        assert name not in res.headers


@pytest.mark.ckan_config("ckanext.territoire.headers.content_security_policy", "")
@pytest.mark.ckan_config("ckanext.territoire.headers.frame_options", "DENY")
def test_each_header_is_configurable(app):
    res = app.get("/")
    assert "Content-Security-Policy" not in res.headers
    assert res.headers["X-Frame-Options"] == "DENY"
    assert res.headers["X-Content-Type-Options"] == "nosniff"


def test_error_pages_carry_the_headers_too(app):
    res = app.get("/dataset/inexistant")
    assert res.status_code == 404
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["Content-Security-Policy"] == _policy()
