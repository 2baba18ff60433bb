"""Writes authenticated by the session cookie carry a CSRF token, on every request.

CKAN 2.12 exempts a view from CSRF checks for the rest of the worker's life
as soon as one request to it comes with an API token, or from an anonymous
user (``ckan_before_request`` → ``csrf.exempt``): after one anonymous API
call, a cross-site form POST to the action API was applied with the victim's
cookie. Requests authenticated by an API token need no CSRF token; GETs are
not affected.
"""

from __future__ import annotations

import re

import pytest

from ckan.common import config
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = [
    pytest.mark.usefixtures("clean_db"),
    pytest.mark.ckan_config("WTF_CSRF_ENABLED", True),
]

PASSWORD = "correct123"
EVIL = {"Origin": "http://evil.example", "Referer": "http://evil.example/"}


def _csrf_token(app) -> str:
    page = app.get("/dataset/").get_data(as_text=True)
    return re.search(r'<meta name="_csrf_token" content="([^"]+)"', page).group(1)


def log_in(app, user) -> str:
    """Log ``user`` in through the login form (session and remember cookies)."""
    token = _csrf_token(app)
    res = app.post(
        "/user/login",
        data={
            "login": user["name"],
            "password": PASSWORD,
            "remember": "63072000",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert res.status_code == 302, res.get_data(as_text=True)[:500]
    return _csrf_token(app)


@pytest.fixture
def victim():
    user = factories.UserWithToken(password=PASSWORD)
    org = factories.Organization(
        title="Ville", users=[{"name": user["name"], "capacity": "admin"}]
    )
    return user, org


def _anonymous_api_call(app) -> None:
    # what made CKAN exempt the action API from CSRF checks, for every user
    res = app.test_client().post("/api/action/package_search", json={})
    assert res.status_code == 200


def _refused(res) -> None:
    assert res.status_code == 403, res.get_data(as_text=True)[:500]
    assert res.json["success"] is False
    error = res.json["error"]
    assert error["__type"] == "Authorization Error"
    assert "jeton CSRF" in error["message"]


def _title(org) -> str:
    return call_action("organization_show", id=org["id"])["title"]


def test_cross_site_form_post_with_the_cookie_is_refused(app, victim):
    user, org = victim
    _anonymous_api_call(app)
    log_in(app, user)
    res = app.post(
        "/api/action/organization_patch",
        data={"id": org["id"], "title": "PWNED"},
        headers=EVIL,
    )
    _refused(res)
    assert _title(org) == "Ville"


def test_cross_site_json_post_with_the_cookie_is_refused(app, victim):
    user, org = victim
    _anonymous_api_call(app)
    log_in(app, user)
    res = app.post(
        "/api/action/organization_patch",
        json={"id": org["id"], "title": "PWNED"},
        headers=EVIL,
    )
    _refused(res)
    assert _title(org) == "Ville"


def test_a_wrong_token_is_refused(app, victim):
    user, org = victim
    log_in(app, user)
    res = app.post(
        "/api/action/organization_patch",
        json={"id": org["id"], "title": "PWNED"},
        headers={"X-CSRFToken": "faux"},
    )
    _refused(res)
    assert _title(org) == "Ville"


def test_cookie_post_with_the_page_s_token_in_the_header_is_applied(app, victim):
    # what CKAN's own JavaScript sends (client.call, htmx-ckan.js)
    user, org = victim
    _anonymous_api_call(app)
    token = log_in(app, user)
    res = app.post(
        "/api/action/organization_patch",
        json={"id": org["id"], "title": "Ville renommée"},
        headers={"X-CSRFToken": token},
    )
    assert res.status_code == 200, res.get_data(as_text=True)[:500]
    assert _title(org) == "Ville renommée"


def test_cookie_post_with_the_token_as_a_form_field_is_applied(app, victim):
    user, org = victim
    token = log_in(app, user)
    res = app.post(
        "/api/action/organization_patch",
        data={"id": org["id"], "title": "Ville renommée", "_csrf_token": token},
    )
    assert res.status_code == 200, res.get_data(as_text=True)[:500]
    assert _title(org) == "Ville renommée"


def test_api_token_requests_need_no_csrf_token(app, victim):
    user, org = victim
    res = app.test_client().post(
        "/api/action/organization_patch",
        json={"id": org["id"], "title": "Par jeton"},
        headers={"Authorization": user["token"], **EVIL},
    )
    assert res.status_code == 200, res.get_data(as_text=True)[:500]
    assert _title(org) == "Par jeton"


def test_gets_with_the_cookie_need_no_csrf_token(app, victim):
    user, org = victim
    log_in(app, user)
    res = app.get(
        "/api/action/organization_show", query_string={"id": org["id"]}, headers=EVIL
    )
    assert res.status_code == 200


def test_html_forms_are_protected_on_every_request_too(app, victim):
    # the same exemption hit CKAN's own pages: one request to the follow
    # view with an API token exempted it for everybody
    user, org = victim
    dataset = factories.Dataset(owner_org=org["id"])
    other = factories.UserWithToken()
    res = app.test_client().post(
        f"/dataset/follow/{dataset['id']}", headers={"Authorization": other["token"]}
    )
    assert res.status_code == 200
    log_in(app, user)
    res = app.post(f"/dataset/follow/{dataset['id']}", headers=EVIL)
    assert res.status_code == 403
    assert "jeton CSRF" in res.get_data(as_text=True)
    assert call_action("dataset_follower_count", id=dataset["id"]) == 1


# --------------------------------------------------------------------------
# Cookies


def _cookies(res) -> dict[str, str]:
    return {
        header.split("=", 1)[0]: header for header in res.headers.getlist("Set-Cookie")
    }


def _login_response(app, user):
    # on https, Flask-WTF also wants a same-site Referer
    return app.post(
        "/user/login",
        data={
            "login": user["name"],
            "password": PASSWORD,
            "remember": "63072000",
            "_csrf_token": _csrf_token(app),
        },
        headers={"Referer": config["ckan.site_url"] + "/user/login"},
        follow_redirects=False,
    )


@pytest.mark.ckan_config("ckan.site_url", "https://donnees.example.fr")
def test_on_an_https_site_the_login_cookies_are_secure_and_lax(app, victim):
    user, org = victim
    cookies = _cookies(_login_response(app, user))
    for name in ("ckan", "remember_token"):
        assert "; Secure" in cookies[name], cookies
        assert "SameSite=Lax" in cookies[name], cookies


def test_on_an_http_site_the_login_cookies_are_lax(app, victim):
    user, org = victim
    cookies = _cookies(_login_response(app, user))
    for name in ("ckan", "remember_token"):
        assert "SameSite=Lax" in cookies[name], cookies
        assert "; Secure" not in cookies[name], cookies
