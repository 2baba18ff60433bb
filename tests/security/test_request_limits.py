"""The action API refuses bodies that are too big or too deep, in its own format.

A body over ``ckanext.territoire.limits.api_body_size`` gets 413 before
anything reads it; a multipart upload is held to ``ckan.max_resource_size``
instead (plus the same margin for its other fields). JSON nested deeper than
``ckanext.territoire.limits.json_depth`` gets 400 (CKAN's JSON parsing and
validators recurse, and crashed at ~1,000 levels).
"""

from __future__ import annotations

import io
import json

import pytest

from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture
def publisher():
    user = factories.UserWithToken()
    org = factories.Organization(users=[{"name": user["name"], "capacity": "editor"}])
    return {"Authorization": user["token"]}, org


def _api_error(res, status):
    assert res.status_code == status, res.get_data(as_text=True)[:500]
    body = res.json
    assert body["success"] is False
    return body["error"]


@pytest.mark.ckan_config("ckanext.territoire.limits.api_body_size", "900")
def test_json_body_over_the_api_limit_is_413_naming_the_limit(app, publisher):
    headers, org = publisher
    dataset = {"name": "gros", "title": "Gros", "owner_org": org["id"]}
    dataset["notes"] = "x" * 1000
    res = app.post("/api/action/package_create", json=dataset, headers=headers)
    error = _api_error(res, 413)
    assert error["__type"] == "Request Entity Too Large"
    assert "900 octets" in error["message"]
    assert call_action("package_search", include_private=True)["count"] == 0


@pytest.mark.ckan_config("ckanext.territoire.limits.api_body_size", "900")
def test_form_encoded_body_over_the_api_limit_is_413(app, publisher):
    headers, org = publisher
    res = app.post(
        "/api/action/package_create",
        data={"name": "gros", "title": "Gros", "notes": "x" * 1000},
        headers=headers,
    )
    assert "900 octets" in _api_error(res, 413)["message"]


@pytest.mark.ckan_config("ckanext.territoire.limits.api_body_size", "900")
def test_chunked_body_over_the_api_limit_is_413(app, publisher):
    headers, org = publisher
    body = json.dumps({"name": "gros", "notes": "x" * 1000}).encode()
    res = app.post(
        "/api/action/package_create",
        input_stream=io.BytesIO(body),
        headers={**headers, "Transfer-Encoding": "chunked"},
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert "900 octets" in _api_error(res, 413)["message"]


@pytest.mark.ckan_config("ckanext.territoire.limits.api_body_size", "900")
@pytest.mark.ckan_config("ckan.max_resource_size", "1")
def test_multipart_upload_is_held_to_the_resource_size_not_the_api_limit(
    app, publisher
):
    headers, org = publisher
    dataset = factories.Dataset(owner_org=org["id"])
    # 200 kB: over the API body limit, under ckan.max_resource_size (1 MB)
    res = app.post(
        "/api/action/resource_create",
        data={
            "package_id": dataset["id"],
            "name": "Fichier",
            "upload": (io.BytesIO(b"a;b\n" * 50_000), "fichier.csv"),
        },
        headers=headers,
    )
    assert res.status_code == 200, res.get_data(as_text=True)[:500]
    assert res.json["result"]["url_type"] == "upload"

    # over ckan.max_resource_size plus the API margin: refused before reading
    res = app.post(
        "/api/action/resource_create",
        data={
            "package_id": dataset["id"],
            "upload": (io.BytesIO(b"x" * 1_100_000), "gros.csv"),
        },
        headers=headers,
    )
    error = _api_error(res, 413)
    assert "1 Mo" in error["message"]
    assert len(call_action("package_show", id=dataset["id"])["resources"]) == 1


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deeply_nested_json_body_is_400(app, publisher):
    headers, org = publisher
    body = '{"name": "profond", "extras": ' + _deep(3000) + "}"
    res = app.post(
        "/api/action/package_create",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    error = _api_error(res, 400)
    assert "32" in error["message"]


def test_deeply_nested_json_in_a_form_key_is_400(app, publisher):
    # CKAN's API reads a lone form key as a JSON document (ckanapi's form)
    headers, org = publisher
    res = app.post(
        "/api/action/package_create",
        data={'{"extras": ' + _deep(3000) + "}": "1"},
        headers=headers,
    )
    _api_error(res, 400)


def test_deeply_nested_json_in_a_query_parameter_is_400(app):
    res = app.get("/api/action/package_search", query_string={"fq": "x"})
    assert res.status_code == 200
    res = app.get(
        "/api/action/package_search", query_string={"facet.field": _deep(3000)}
    )
    _api_error(res, 400)


def test_ordinary_nesting_is_accepted(app, publisher):
    headers, org = publisher
    res = app.post(
        "/api/action/package_create",
        json={
            "name": "ordinaire",
            "title": "Ordinaire",
            "notes": "Des [crochets] et des {accolades} dans le texte : [[[[[[[[",
            "owner_org": org["id"],
            "resources": [{"url": "https://example.org/a.csv", "name": "A"}],
            "extras": [{"key": "k", "value": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}],
        },
        headers=headers,
    )
    assert res.status_code == 200, res.get_data(as_text=True)[:500]
