"""CORS: public reads answer any origin without credentials; no cross-origin
write is ever made with the portal's session cookie."""

from __future__ import annotations

import re

import pytest

from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("clean_db")

ORIGIN = "https://hackathon.example"
PASSWORD = "correct123"


def _public(res) -> None:
    assert res.headers.get("Access-Control-Allow-Origin") == "*"
    assert "Access-Control-Allow-Credentials" not in res.headers


@pytest.mark.parametrize(
    "path",
    [
        "/api/3/action/package_search?q=eau",
        "/api/3/action/territoire_territory_autocomplete?q=stras",
        "/api/action/status_show",
        "/api/openapi.json",
        "/catalog.ttl",
    ],
)
def test_public_get_answers_any_origin_without_credentials(app, path, cog):
    res = app.get(path, headers={"Origin": ORIGIN})
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    _public(res)


def test_dcat_dataset_and_dump_urls(app):
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    res = app.get(f"/dataset/{dataset['name']}.ttl", headers={"Origin": ORIGIN})
    assert res.status_code == 200
    _public(res)
    res = app.get("/catalog/dump.ttl", headers={"Origin": ORIGIN})
    _public(res)


def test_preflight(app):
    res = app.options(
        "/api/3/action/package_search",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert res.status_code == 200
    _public(res)
    allowed = res.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "POST" in res.headers["Access-Control-Allow-Methods"]


def test_pages_get_no_cors_headers(app):
    res = app.get("/dataset/", headers={"Origin": ORIGIN})
    assert res.status_code == 200
    assert "Access-Control-Allow-Origin" not in res.headers


def _log_in(app, user) -> str:
    page = app.get("/user/login").get_data(as_text=True)
    token = re.search(r'<meta name="_csrf_token" content="([^"]+)"', page).group(1)
    res = app.post(
        "/user/login",
        data={"login": user["name"], "password": PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    assert res.status_code == 302
    page = app.get("/dataset/").get_data(as_text=True)
    return re.search(r'<meta name="_csrf_token" content="([^"]+)"', page).group(1)


@pytest.fixture
def editor():
    user = factories.UserWithToken(password=PASSWORD)
    org = factories.Organization(
        title="Ville", users=[{"name": user["name"], "capacity": "admin"}]
    )
    return user, org


def _cross_origin_cookie_write_refused(app, editor):
    user, org = editor
    token = _log_in(app, user)
    res = app.post(
        "/api/3/action/organization_patch",
        json={"id": org["id"], "title": "PWNED"},
        # even with the page's CSRF token (leaked, or checks off)
        headers={"Origin": ORIGIN, "X-CSRFToken": token},
    )
    assert res.status_code == 403, res.get_data(as_text=True)[:300]
    assert res.json["success"] is False
    assert res.json["error"]["__type"] == "Authorization Error"
    assert ORIGIN in res.json["error"]["message"]
    assert "Access-Control-Allow-Credentials" not in res.headers
    assert call_action("organization_show", id=org["id"])["title"] == "Ville"


def test_cross_origin_write_with_the_cookie_is_refused(app, editor):
    _cross_origin_cookie_write_refused(app, editor)


@pytest.mark.ckan_config("WTF_CSRF_ENABLED", True)
def test_cross_origin_write_with_cookie_and_csrf_token_is_refused(app, editor):
    _cross_origin_cookie_write_refused(app, editor)


def test_same_origin_write_with_the_cookie_is_applied(app, editor):
    user, org = editor
    token = _log_in(app, user)
    res = app.post(
        "/api/3/action/organization_patch",
        json={"id": org["id"], "title": "Ville renommée"},
        headers={"Origin": "http://test.ckan.net", "X-CSRFToken": token},
    )
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    assert call_action("organization_show", id=org["id"])["title"] == "Ville renommée"


def test_cross_origin_write_with_an_api_token_is_applied(app, editor):
    user, org = editor
    res = app.test_client().post(
        "/api/3/action/organization_patch",
        json={"id": org["id"], "title": "Par jeton"},
        headers={"Origin": ORIGIN, "Authorization": user["token"]},
    )
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    _public(res)
    assert call_action("organization_show", id=org["id"])["title"] == "Par jeton"
