"""What a careless client or an attacker sends answers 4xx, in CKAN's format.

Every request the audit (issue 16, findings 4, 5 and 8) saw answer a 5xx,
kept as a 4xx expectation: a client error names what is wrong, the API
answers ``{"success": false, "error": {…}}``, and nothing is written.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .conftest import Site

pytestmark = pytest.mark.usefixtures("cog")


def _post(app, site: Site, action: str, body: Any, role: str = "gestionnaire"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return app.post(
        f"/api/3/action/{action}",
        data=data,
        headers={**site.people[role].headers, "Content-Type": "application/json"},
    )


def _is_client_error(response, *statuses: int) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (
        response.status_code,
        response.get_data(as_text=True)[:500],
    )
    if statuses:
        assert response.status_code in statuses, response.status_code
    body = response.json
    assert body["success"] is False
    assert body["error"]
    return body["error"]


def _unchanged(site: Site) -> None:
    model.Session.expire_all()
    pkg = model.Package.get(site.public["id"])
    assert pkg.title == site.public["title"]
    assert pkg.notes == site.public["notes"]


@pytest.mark.parametrize(
    "params",
    [
        {"id": ["budget-public", "projet-prive"]},
        {"id": {"name": "budget-public"}},
    ],
    ids=["list", "object"],
)
def test_package_show_with_a_non_text_id(app, site, params):
    response = app.get(
        "/api/3/action/package_show",
        query_string={"id": json.dumps(params["id"])},
    )
    assert response.status_code < 500
    _is_client_error(_post(app, site, "package_show", params))


def test_package_search_include_private_not_a_boolean(app, site):
    response = app.get(
        "/api/3/action/package_search", query_string={"include_private": "maybe"}
    )
    _is_client_error(response, 400, 409)


@pytest.mark.parametrize(
    "changes",
    [
        {"owner_org": [("ville")]},
        {"extras": [{"key": {}, "value": "x"}]},
    ],
    ids=["owner_org-list", "extras-key-object"],
)
def test_dataset_fields_of_the_wrong_type(app, site, changes):
    body = {"id": site.public["id"], **changes}
    _is_client_error(_post(app, site, "package_patch", body), 409)
    _unchanged(site)


def test_a_non_text_dataset_id_in_a_write(app, site):
    _is_client_error(_post(app, site, "package_patch", {"id": 5, "notes": "x"}))
    _unchanged(site)


def test_a_deeply_nested_json_body(app, site):
    body = '{"id": "budget-public", "notes": ' + "[" * 3000 + "]" * 3000 + "}"
    _is_client_error(_post(app, site, "package_patch", body), 400)
    _unchanged(site)


def test_a_javascript_resource_url_is_refused_when_written(app, site):
    body = {"package_id": site.public["id"], "url": "javascript:alert(1)"}
    error = _is_client_error(_post(app, site, "resource_create", body), 409)
    assert "url" in error
    model.Session.expire_all()
    assert len(model.Package.get(site.public["id"]).resources) == 1


def test_the_download_of_a_javascript_url_stored_before(app, site):
    # as if stored before the check existed
    resource = model.Resource.get(site.public["resources"][0]["id"])
    resource.url = "javascript:alert(1)"
    model.Session.commit()
    response = app.get(
        f"/dataset/{site.public['id']}/resource/{resource.id}/download",
        follow_redirects=False,
    )
    assert 400 <= response.status_code < 500
    assert "javascript:" not in response.headers.get("Location", "")


def test_a_huge_description_is_refused(app, site):
    body = {"id": site.public["id"], "notes": "x" * 10_000_000}
    response = _post(app, site, "package_patch", body)
    _is_client_error(response, 409, 413)
    _unchanged(site)


def test_ten_thousand_tags_are_refused_quickly(app, site):
    import time

    body = {
        "id": site.public["id"],
        "tags": [{"name": f"mot-{n}"} for n in range(10_000)],
    }
    started = time.monotonic()
    response = _post(app, site, "package_patch", body)
    _is_client_error(response, 409, 413)
    assert time.monotonic() - started < 3
    _unchanged(site)


def test_a_second_harvest_job_for_a_source(app, site):
    source = call_action(
        "harvest_source_create",
        {"user": "gestionnaire"},
        name="source-ville",
        title="Portail de la ville",
        url="http://127.0.0.1:9/",
        source_type="territoire_opendatasoft",
        owner_org=site.org["id"],
    )
    first = _post(app, site, "harvest_job_create", {"source_id": source["id"]})
    assert first.status_code == 200
    _is_client_error(
        _post(app, site, "harvest_job_create", {"source_id": source["id"]}), 409
    )


@pytest.mark.parametrize("action", ["harvest_source_patch", "package_patch"])
def test_a_harvest_source_cannot_be_pointed_inside_our_network(
    app, site, action, ckan_config, monkeypatch
):
    source = call_action(
        "harvest_source_create",
        {"user": "gestionnaire"},
        name="source-ville",
        title="Portail de la ville",
        url="http://127.0.0.1:9/",
        source_type="territoire_opendatasoft",
        owner_org=site.org["id"],
    )
    # loopback is allowed for the tests' partner portals: not here
    monkeypatch.setitem(ckan_config, "ckanext.territoire.harvest.allowed_networks", "")
    body = {"id": source["id"], "url": "http://10.0.0.1/"}
    error = _is_client_error(_post(app, site, action, body), 409)
    assert "url" in error
    model.Session.expire_all()
    assert model.Package.get(source["id"]).url == "http://127.0.0.1:9/"


def test_a_user_without_role_gets_403_not_500_on_a_write(app, site):
    factories.Dataset(owner_org=site.other_org["id"])
    response = _post(
        app, site, "package_patch", {"id": site.public["id"], "notes": "x"}, "inscrit"
    )
    _is_client_error(response, 403)


@pytest.mark.parametrize("value", [5, 1.5, True, ["a"], {"id": "a"}], ids=repr)
@pytest.mark.parametrize(
    ("action", "key"),
    [
        ("package_show", "id"),
        ("package_patch", "id"),
        ("package_update", "id"),
        ("package_delete", "id"),
        ("resource_show", "id"),
        ("resource_create", "package_id"),
        ("resource_patch", "id"),
        ("resource_delete", "id"),
        ("organization_show", "id"),
        ("group_show", "id"),
        ("user_show", "id"),
    ],
)
def test_an_identifier_that_is_not_text(app, site, action, key, value):
    """As a sysadmin too, whose calls skip the authorisation that looked the
    id up first for other users."""
    body = {key: value, "url": "https://example.org/x.csv"}
    _is_client_error(_post(app, site, action, body), 403, 404, 409)
    _unchanged(site)
