"""Regression tests of the 5xx the fuzzer found (tests/api/test_fuzz.py):
each is now a 409 naming the field, in CKAN's format, before upstream code."""

from __future__ import annotations

import pytest

from ckan.tests import factories

pytestmark = pytest.mark.usefixtures("clean_db")

POSTS = [
    ("group_member_create", {}, "id"),
    ("organization_member_delete", {"id": "x"}, "username"),
    ("organization_member_delete", {"id": ["x"], "username": 3}, "id"),
    ("harvest_job_create", {}, "source_id"),
    ("harvest_source_clear", {}, "id"),
    ("task_status_update_many", {}, "data"),
    ("task_status_update_many", {"data": {"a": 1}}, "data"),
    ("user_invite", {}, "email"),
    ("datastore_run_triggers", {}, "resource_id"),
    ("package_collaborator_delete", {"id": "x"}, "user_id"),
    ("package_resource_reorder", {"id": "x", "order": "abc"}, "order"),
    ("resource_view_reorder", {"id": "x"}, "order"),
    ("resource_create_default_resource_views", {"resource": []}, "resource"),
    ("group_delete", {"id": True}, "id"),
    ("organization_patch", {"id": ["x"]}, "id"),
]

GETS = [
    ("harvest_source_show_status", {}, "id"),
    ("harvest_job_list", {"source_id": ["a", "b"]}, "source_id"),
    ("datastore_search_sql", {}, "sql"),
    ("group_autocomplete", {"q": "a", "limit": "-5"}, "limit"),
    ("organization_autocomplete", {"q": "a", "limit": ["1", "2"]}, "limit"),
    ("group_package_show", {"id": "x", "limit": ["1", "2"]}, "limit"),
    ("tag_show", {"id": ["a", "b"]}, "id"),
    ("tag_show", {"id": "a", "include_datasets": "maybe"}, "include_datasets"),
    ("recently_changed_packages_activity_list", {"limit": ["1", "2"]}, "limit"),
]


def _named(res, field: str) -> None:
    assert res.status_code == 409, (res.status_code, res.get_data(as_text=True)[:300])
    body = res.json
    assert body["success"] is False
    assert body["error"]["__type"] == "Validation Error"
    assert field in body["error"]


@pytest.mark.parametrize(("action", "body", "field"), POSTS)
def test_writes(app, action, body, field):
    _named(app.post(f"/api/3/action/{action}", json=body), field)


@pytest.mark.parametrize(("action", "params", "field"), GETS)
def test_reads(app, action, params, field):
    _named(app.get(f"/api/3/action/{action}", query_string=params), field)


def test_the_guarded_reads_still_answer(app):
    org = factories.Organization(name="ville-test", title="Ville test")
    res = app.get(
        "/api/3/action/organization_autocomplete", query_string={"q": "ville"}
    )
    assert res.status_code == 200
    assert [o["name"] for o in res.json["result"]] == [org["name"]]
    res = app.get(
        "/api/3/action/organization_autocomplete",
        query_string={"q": "ville", "limit": "0"},
    )
    assert res.status_code == 200


def test_sysadmins_list_every_harvest_job(app):
    admin = factories.SysadminWithToken()
    res = app.get(
        "/api/3/action/harvest_job_list", headers={"Authorization": admin["token"]}
    )
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    assert res.json["result"] == []


def test_the_description_marks_them(app):
    spec = app.get("/api/openapi.json").json
    op = spec["paths"]["/api/3/action/group_member_create"]["post"]
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert {"id", "username", "role"} <= set(body["required"])
    op = spec["paths"]["/api/3/action/group_autocomplete"]["get"]
    limit = next(p for p in op["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 0}


def test_an_unreadable_body_is_answered_in_the_envelope(app):
    res = app.post(
        "/api/3/action/package_search",
        data=b"\x08not json",
        headers={"Content-Type": "application/json"},
    )
    assert res.status_code == 400
    assert res.json["success"] is False
    assert res.json["error"]["__type"] == "Bad Request"
    res = app.post(
        "/api/3/action/package_search",
        data="null",
        headers={"Content-Type": "application/json"},
    )
    assert res.status_code == 400
    assert res.json["error"]["__type"] == "Bad Request"
