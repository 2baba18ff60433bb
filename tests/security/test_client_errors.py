"""Requests a client can send that CKAN answered with a 500 now get a 4xx.

Each case was a stock 500 (an exception out of CKAN's code: ``BuildError``,
a SQL error on a list, ``TypeError``, ``ValueError``); each now gets an error
in CKAN's format that says what is wrong. (The deeply nested JSON body is in
``test_request_limits.py``.)
"""

from __future__ import annotations

import pytest

import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture
def publisher():
    user = factories.UserWithToken()
    org = factories.Organization(users=[{"name": user["name"], "capacity": "editor"}])
    return {"Authorization": user["token"]}, org


def _dataset(org, **fields):
    data = {"name": "jeu", "title": "Jeu", "notes": "Description.", "owner_org": org}
    data.update(fields)
    return data


def _api_error(res, status):
    assert res.status_code == status, res.get_data(as_text=True)[:500]
    assert res.json["success"] is False
    return res.json["error"]


# --------------------------------------------------------------------------
# Resource URLs


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "mailto:someone@example.org",
    ],
)
def test_resource_url_other_than_http_https_ftp_is_a_field_error(app, publisher, url):
    headers, org = publisher
    res = app.post(
        "/api/action/package_create",
        json=_dataset(org["id"], resources=[{"url": url, "name": "R"}]),
        headers=headers,
    )
    error = _api_error(res, 409)
    assert error["__type"] == "Validation Error"
    [message] = error["resources"][0]["url"]
    assert "http, https ou ftp" in message
    assert call_action("package_search", include_private=True)["count"] == 0


def test_resource_create_with_a_javascript_url_is_a_field_error(app, publisher):
    headers, org = publisher
    dataset = factories.Dataset(owner_org=org["id"])
    res = app.post(
        "/api/action/resource_create",
        json={"package_id": dataset["id"], "url": "javascript:alert(1)"},
        headers=headers,
    )
    assert "http, https ou ftp" in _api_error(res, 409)["url"][0]


@pytest.mark.parametrize(
    "url",
    ["https://example.org/a.csv", "http://example.org/a", "ftp://example.org/a", ""],
)
def test_ordinary_resource_urls_are_accepted(app, publisher, url):
    headers, org = publisher
    res = app.post(
        "/api/action/package_create",
        json=_dataset(org["id"], resources=[{"url": url, "name": "R"}]),
        headers=headers,
    )
    assert res.status_code == 200, res.get_data(as_text=True)[:500]


def _stored_url(resource_id: str, url: str) -> None:
    """Set a resource's URL in the database, as an older version stored it."""
    model.Session.query(model.Resource).filter_by(id=resource_id).update({"url": url})
    model.Session.commit()


@pytest.mark.parametrize("url", ["javascript:alert(1)", ""])
def test_download_of_a_stored_url_that_is_no_link_is_404(app, url):
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    resource = factories.Resource(package_id=dataset["id"], url="https://a.example")
    _stored_url(resource["id"], url)
    res = app.get(
        f"/dataset/{dataset['id']}/resource/{resource['id']}/download",
        follow_redirects=False,
    )
    assert res.status_code == 404
    assert "Aucun téléchargement" in res.get_data(as_text=True)


def test_download_of_a_link_still_redirects(app):
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    resource = factories.Resource(
        package_id=dataset["id"], url="https://example.org/a.csv"
    )
    res = app.get(
        f"/dataset/{dataset['id']}/resource/{resource['id']}/download",
        follow_redirects=False,
    )
    assert res.status_code == 302
    assert res.headers["Location"] == "https://example.org/a.csv"


# --------------------------------------------------------------------------
# Values of the wrong type


def test_owner_org_given_as_a_list_is_a_field_error(app, publisher):
    headers, org = publisher
    res = app.post(
        "/api/action/package_create",
        json=_dataset([org["id"]]),
        headers=headers,
    )
    [message] = _api_error(res, 409)["owner_org"]
    assert "Une seule valeur" in message


def test_title_given_as_a_list_is_a_field_error(app, publisher):
    # accepted before, and stored as the text "['Jeu']"
    headers, org = publisher
    res = app.post(
        "/api/action/package_create",
        json=_dataset(org["id"], title=["Jeu"]),
        headers=headers,
    )
    assert "Une seule valeur" in _api_error(res, 409)["title"][0]


@pytest.mark.parametrize("key", [{}, [], None, 3])
def test_extra_whose_key_is_not_text_is_a_field_error(app, publisher, key):
    headers, org = publisher
    res = app.post(
        "/api/action/package_create",
        json=_dataset(org["id"], extras=[{"key": key, "value": "x"}]),
        headers=headers,
    )
    [message] = _api_error(res, 409)["extras"]
    assert "clé" in message


def test_package_show_with_a_list_of_ids_is_a_field_error(app):
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    res = app.get(
        "/api/action/package_show",
        query_string=[("id", dataset["id"]), ("id", dataset["name"])],
    )
    [message] = _api_error(res, 409)["id"]
    assert "Une seule valeur" in message
    res = app.post("/api/action/package_show", json={"id": [dataset["id"]]})
    assert _api_error(res, 409)["id"]


@pytest.mark.parametrize(
    ("action", "param"),
    [
        ("package_search", "include_private"),
        ("package_search", "include_drafts"),
        ("package_search", "include_deleted"),
        ("package_search", "use_default_schema"),
        ("package_show", "use_default_schema"),
        ("package_show", "include_plugin_data"),
    ],
)
def test_boolean_parameter_that_is_no_boolean_is_a_field_error(app, action, param):
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    res = app.get(
        f"/api/action/{action}", query_string={"id": dataset["id"], param: "maybe"}
    )
    [message] = _api_error(res, 409)[param]
    assert "« maybe »" in message and "true" in message


@pytest.mark.parametrize("value", ["true", "false", "True", "0", "1", "yes"])
def test_boolean_parameters_keep_ckan_s_spellings(app, value):
    res = app.get("/api/action/package_search", query_string={"include_private": value})
    assert res.status_code == 200
