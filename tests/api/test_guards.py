"""Regression tests of the 5xx the fuzzer found (tests/api/test_fuzz.py):
each is now a 409 naming the field, in CKAN's format, before upstream code."""

from __future__ import annotations

import json

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
    # a KeyError in ckanext-harvest's auth (harvest_source_clear's rule)
    ("harvest_source_index_clear", {}, "id"),
    ("harvest_source_job_history_clear", {}, "id"),
    # set() of the order: unhashable items
    ("package_resource_reorder", {"id": "x", "order": [{"a": False}]}, "order"),
    ("resource_view_reorder", {"id": "x", "order": [["1"]]}, "order"),
    # the auth function reads resource["id"]
    ("resource_create_default_resource_views", {"resource": {"a": {}}}, "resource"),
    # task_status_update reads each item with .get()
    ("task_status_update_many", {"data": [[-789, {}]]}, "data"),
    # xloader's schema asserts a dict
    ("xloader_hook", {"metadata": [1], "status": "complete"}, "metadata"),
    # ids compared with text in SQL
    (
        "package_relationship_update",
        {"subject": 1, "object": "b", "type": "x"},
        "subject",
    ),
    ("api_token_create", {"user": 1, "name": "jeton"}, "user"),
    ("tag_delete", {"id": ["a"]}, "id"),
    ("tag_delete", {"id": {"a": 1}}, "id"),
    ("task_status_update", {"id": 5}, "id"),
    ("bulk_update_delete", {"org_id": -2.7e-129, "datasets": ["a"]}, "org_id"),
    ("bulk_update_public", {"org_id": "x", "datasets": 4.4e16}, "datasets"),
    ("member_create", {"id": -7712, "object": "x", "object_type": "user"}, "id"),
    ("member_create", {"id": "x", "object": ["", []], "object_type": "user"}, "object"),
    # the auth function reads package["id"]
    ("package_create_default_resource_views", {"package": [{}]}, "package"),
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
    # asbool() on a word or a number written as a float
    ("group_list", {"all_fields": "\x12xx"}, "all_fields"),
    ("organization_list", {"include_extras": "-2.7e+307"}, "include_extras"),
    ("group_show", {"id": "x", "include_datasets": "-4875774"}, "include_datasets"),
    (
        "organization_show",
        {"id": "x", "include_dataset_count": "2e16"},
        "include_dataset_count",
    ),
    ("tag_list", {"all_fields": "-1112912"}, "all_fields"),
    # datetime.fromtimestamp() out of range (OverflowError)
    ("package_activity_list", {"id": "x", "before": "7.67e+82"}, "before"),
    ("dashboard_activity_list", {"after": "nan"}, "after"),
    # a repeated ?type= is a list, used as a dict key by scheming
    ("scheming_dataset_schema_show", {"type": ["a", "b"]}, "type"),
    ("scheming_organization_schema_show", {"type": ["a", "b"]}, "type"),
    # fields.items() on a text; a negative LIMIT
    ("tag_autocomplete", {"query": "abc", "fields": "x"}, "fields"),
    ("tag_search", {"query": "abc", "limit": "-5"}, "limit"),
    ("tag_search", {"query": "abc", "offset": "-1"}, "offset"),
    # an auth function <owner_type>_update that does not exist
    ("file_owner_scan", {"owner_type": "àx", "owner_id": "x"}, "owner_type"),
    # asbool("") is a ValueError
    ("group_list", {"all_fields": ""}, "all_fields"),
    # limits and offsets beyond PostgreSQL's integer overflow in SQL
    ("format_autocomplete", {"q": "a", "limit": "1366508489825399078912"}, "limit"),
    ("package_list", {"offset": "282631939628269731309420544"}, "offset"),
    ("package_list", {"limit": ""}, "limit"),
    (
        "recently_changed_packages_activity_list",
        {"offset": "1104182250353083782175360286720"},
        "offset",
    ),
    # data_dict["q"]
    ("group_autocomplete", {"accepted": ""}, "q"),
    ("organization_autocomplete", {"q": ["a", "b"]}, "q"),
    # extras["ext_…"] = … on a number
    ("package_search", {"extras": "-3.99e+16"}, "extras"),
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


def test_fq_list_is_a_list(app):
    # CKAN reads a text fq_list letter by letter (a syntax error about ":")
    res = app.get(
        "/api/3/action/package_search", query_string={"fq_list": "res_format:CSV"}
    )
    _named(res, "fq_list")
    res = app.post(
        "/api/3/action/package_search",
        json={"fq_list": ["res_format:CSV", "license_id:etalab-2.0"]},
    )
    assert res.status_code == 200, res.get_data(as_text=True)[:300]


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
    assert limit["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}


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


def _error(res, status: int, error_type: str) -> str:
    assert res.status_code == status, (
        res.status_code,
        res.get_data(as_text=True)[:300],
    )
    assert res.json["success"] is False
    assert res.json["error"]["__type"] == error_type
    return res.json["error"]["message"]


@pytest.mark.parametrize(
    "action", ["group_member_delete", "organization_member_delete"]
)
def test_a_member_of_an_unknown_group_is_not_found(app, action):
    # upstream asserts the group exists (after an auth function that passes)
    user = factories.UserWithToken()
    for headers in ({}, {"Authorization": user["token"]}):
        res = app.post(
            f"/api/3/action/{action}",
            json={"id": "pas-de-groupe", "username": user["name"]},
            headers=headers,
        )
        assert "introuvable" in _error(res, 404, "Not Found Error")


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("package_collaborator_create", {"user_id": "x", "capacity": "editor"}),
        ("package_collaborator_delete", {"user_id": "x"}),
    ],
)
def test_collaborators_need_a_user_and_a_dataset(app, action, body):
    # the auth functions assert both the dataset and the caller exist
    org = factories.Organization()
    dataset = factories.Dataset(owner_org=org["id"])
    res = app.post(f"/api/3/action/{action}", json={"id": dataset["id"], **body})
    _error(res, 403, "Authorization Error")
    user = factories.UserWithToken()
    res = app.post(
        f"/api/3/action/{action}",
        json={"id": "pas-de-jeu", **body},
        headers={"Authorization": user["token"]},
    )
    _error(res, 404, "Not Found Error")


def test_collaborators_are_listed_for_a_known_dataset(app):
    user = factories.UserWithToken()
    res = app.get(
        "/api/3/action/package_collaborator_list",
        query_string={"id": "pas-de-jeu"},
        headers={"Authorization": user["token"]},
    )
    _error(res, 404, "Not Found Error")


def test_a_token_for_an_unknown_user_is_not_found(app):
    res = app.post(
        "/api/3/action/api_token_create", json={"user": "personne", "name": "jeton"}
    )
    _error(res, 404, "Not Found Error")


@pytest.mark.parametrize(
    "action", ["auth_allow_anonymous_access", "harvest_sources_clear"]
)
def test_what_is_not_an_action_is_an_unknown_action(app, action):
    # ckanext-harvest registers its decorator and an auth function as actions
    for res in (
        app.post(f"/api/3/action/{action}", json={}),
        app.get(f"/api/3/action/{action}"),
    ):
        assert "Action inconnue" in _error(res, 404, "Not Found Error")
    paths = app.get("/api/openapi.json").json["paths"]
    assert f"/api/3/action/{action}" not in paths


def test_an_unknown_action_in_english(app):
    res = app.post(
        "/api/3/action/auth_allow_anonymous_access",
        json={},
        headers={"Accept-Language": "en"},
        query_string={"lang": "en"},
    )
    assert res.status_code == 404


@pytest.mark.parametrize(
    ("method", "action", "params"),
    [
        ("get", "tag_list", {"vocabulary_id": "a\x00b"}),
        ("get", "package_search", {"q": "eau\x00"}),
        ("post", "tag_delete", {"id": "a\x00b"}),
        ("post", "api_token_create", {"user": "x", "name": {"a\x00": 1}}),
        ("post", "task_status_update", {"entity_id": ["\x00"]}),
    ],
)
def test_a_nul_character_is_refused(app, method, action, params):
    # PostgreSQL refuses NUL in any text: a 500 wherever it reaches SQL; a
    # 409 naming the parameter, as tests/security/test_search_errors.py has it
    if method == "get":
        res = app.get(f"/api/3/action/{action}", query_string=params)
    else:
        res = app.post(f"/api/3/action/{action}", json=params)
    assert res.status_code == 409, res.get_data(as_text=True)[:300]
    error = res.json["error"]
    assert error["__type"] == "Validation Error"
    (name,) = [key for key, value in params.items() if "\\u0000" in json.dumps(value)]
    assert "NUL" in error[name][0]
    if method == "get":  # a form body too
        res = app.post(f"/api/3/action/{action}", data=params)
        assert name in res.json["error"]


def test_the_guards_keep_upstream_exemption_from_the_auth_audit():
    # CKAN exempts extensions' actions; a chain must carry the flag, or
    # harvest_source_index_clear (checked as harvest_source_clear) fails
    import ckan.logic as logic

    from ckanext.territoire.api import guards

    actions = guards.get_actions()
    assert actions["harvest_source_index_clear"].auth_audit_exempt is True
    assert actions["harvest_source_job_history_clear"].auth_audit_exempt is True
    assert not getattr(actions["group_member_delete"], "auth_audit_exempt", False)
    logic.get_action("harvest_source_index_clear")  # the registry builds
