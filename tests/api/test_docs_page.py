"""The developers' page /api: its content, its links, and its try-it console
in headless Chromium (calls package_search, shows the results) with no
request leaving 127.0.0.1 and no CSP violation."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from ckan.tests import factories

from ..web.test_browser import browser  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("clean_db")


def test_page_content(app):
    res = app.get("/api")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    for text in (
        "API pour les développeurs",
        "Authentification",
        "Pagination",
        "Erreurs",
        "Limites de débit",
        "Licences",
        "ext_concerne=67482",
        "ext_territoire",
        "territoire_territory_autocomplete?q=stras",
        "/catalog/dump.ttl",
        "from ckanapi import RemoteCKAN",
        "import requests",
        "await fetch(",
        "600 per minute",
        "/api/openapi.json",
    ):
        assert text in html, text
    assert 'id="swagger-ui"' in html
    # served by the portal itself, no CDN
    assert "api-console.js" in html and "api-console.css" in html
    assert "cdn" not in html.lower()


@pytest.mark.ckan_config("ckanext.territoire.rate_limit.anonymous", "60 per minute")
def test_page_shows_the_configured_limits(app):
    assert "60 per minute" in app.get("/api").get_data(as_text=True)


def test_linked_from_header_and_footer(app):
    html = app.get("/dataset/").get_data(as_text=True)
    assert html.count('href="/api"') >= 2


def test_english_page(app):
    html = app.get("/en/api").get_data(as_text=True)
    assert "API for developers" in html


def test_try_it_console_calls_package_search(live_portal, browser):  # noqa: F811
    org = factories.Organization()
    factories.Dataset(
        owner_org=org["id"], name="piscines", title="Piscines municipales"
    )
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(20000)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    csp: list[str] = []
    page.on(
        "console",
        lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{live_portal}/api")
    # the console opens with its sections closed (docExpansion: none): the
    # operations of a section are drawn when it is opened
    page.click("#operations-tag-jeux")
    page.locator("#operations-jeux-package_search").wait_for()
    page.click("#operations-jeux-package_search .opblock-summary")
    page.click("#operations-jeux-package_search button.try-out__btn")
    page.fill(
        "#operations-jeux-package_search tr[data-param-name='q'] input", "piscines"
    )
    page.click("#operations-jeux-package_search button.execute")
    # the server's answer (not the documented example above it)
    body = page.locator(
        "#operations-jeux-package_search .live-responses-table .highlight-code"
    )
    body.first.wait_for()
    assert "Piscines municipales" in body.first.inner_text()
    assert any("/api/3/action/package_search?q=piscines" in url for url in requested)
    hosts = {urlsplit(url).hostname for url in requested if url.startswith("http")}
    assert hosts == {"127.0.0.1"}, hosts
    assert not csp, csp
