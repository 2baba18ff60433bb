"""Field lengths and the number of tags and resources of a dataset are bounded.

Each refusal is a 409 field error that names the field and the limit, and
comes before CKAN's per-tag and per-resource work: 10,000 tags took 12-21 s
of a worker's time (create, patch) before being accepted.
"""

from __future__ import annotations

import time

import pytest

from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture
def publisher():
    user = factories.UserWithToken()
    org = factories.Organization(users=[{"name": user["name"], "capacity": "editor"}])
    return {"Authorization": user["token"]}, org


def _dataset(org, **fields):
    data = {
        "name": "jeu",
        "title": "Jeu",
        "notes": "Description.",
        "owner_org": org["id"],
    }
    data.update(fields)
    return data


def _field_errors(res):
    assert res.status_code == 409, res.get_data(as_text=True)[:500]
    body = res.json
    assert body["success"] is False
    assert body["error"]["__type"] == "Validation Error"
    return body["error"]


def _plain(message: str) -> str:
    """``message`` with the narrow spaces that group French digits made plain."""
    return message.replace("\u202f", " ").replace("\xa0", " ")


def _nothing_saved():
    return call_action("package_search", include_private=True)["count"] == 0


def test_ten_thousand_tags_are_refused_fast_naming_the_limit(app, publisher):
    headers, org = publisher
    tags = [{"name": f"mot-cle-{i}"} for i in range(10_000)]
    started = time.monotonic()
    res = app.post(
        "/api/action/package_create",
        json=_dataset(org, tags=tags),
        headers=headers,
    )
    elapsed = time.monotonic() - started
    error = _field_errors(res)
    assert [_plain(m) for m in error["tags"]] == [
        "Trop de mots-clés : 10 000, au plus 100."
    ]
    assert _nothing_saved()
    # before the limit: 12 s (create) of one of two gunicorn workers
    assert elapsed < 3, elapsed


def test_ten_thousand_tags_are_refused_fast_on_patch(app, publisher):
    headers, org = publisher
    factories.Dataset(name="jeu", owner_org=org["id"], tags=[{"name": "eau"}])
    started = time.monotonic()
    res = app.post(
        "/api/action/package_patch",
        json={"id": "jeu", "tags": [{"name": f"m{i:05}"} for i in range(10_000)]},
        headers=headers,
    )
    elapsed = time.monotonic() - started
    assert "100" in _field_errors(res)["tags"][0]
    assert [t["name"] for t in call_action("package_show", id="jeu")["tags"]] == ["eau"]
    assert elapsed < 3, elapsed


def test_tags_given_as_a_tag_string_are_counted_too(app, publisher):
    headers, org = publisher
    tag_string = ",".join(f"mot{i}" for i in range(101))
    res = app.post(
        "/api/action/package_create",
        json=_dataset(org, tag_string=tag_string),
        headers=headers,
    )
    assert _field_errors(res)["tag_string"] == ["Trop de mots-clés : 101, au plus 100."]


def test_the_tag_limit_itself_is_accepted(app, publisher):
    headers, org = publisher
    res = app.post(
        "/api/action/package_create",
        json=_dataset(org, tags=[{"name": f"mot{i}"} for i in range(100)]),
        headers=headers,
    )
    assert res.status_code == 200, res.get_data(as_text=True)[:500]
    assert len(res.json["result"]["tags"]) == 100


@pytest.mark.ckan_config("ckanext.territoire.limits.resources", "3")
def test_too_many_resources_are_refused_naming_the_limit(app, publisher):
    headers, org = publisher
    resources = [{"url": f"https://example.org/{i}.csv"} for i in range(4)]
    res = app.post(
        "/api/action/package_create",
        json=_dataset(org, resources=resources),
        headers=headers,
    )
    assert _field_errors(res)["resources"] == ["Trop de ressources : 4, au plus 3."]
    assert _nothing_saved()


@pytest.mark.ckan_config("ckanext.territoire.limits.resources", "2")
def test_resource_create_past_the_limit_is_refused(app, publisher):
    headers, org = publisher
    dataset = factories.Dataset(owner_org=org["id"])
    for i in range(2):
        res = app.post(
            "/api/action/resource_create",
            json={"package_id": dataset["id"], "url": f"https://example.org/{i}"},
            headers=headers,
        )
        assert res.status_code == 200, res.get_data(as_text=True)[:500]
    res = app.post(
        "/api/action/resource_create",
        json={"package_id": dataset["id"], "url": "https://example.org/3"},
        headers=headers,
    )
    assert _field_errors(res)["resources"] == ["Trop de ressources : 3, au plus 2."]
    assert len(call_action("package_show", id=dataset["id"])["resources"]) == 2


@pytest.mark.parametrize(
    ("field", "limit"),
    [("title", 500), ("notes", 100_000), ("contact_name", 500)],
)
def test_dataset_text_fields_have_a_length_limit(app, publisher, field, limit):
    headers, org = publisher
    res = app.post(
        "/api/action/package_create",
        json=_dataset(org, **{field: "é" * limit}),
        headers=headers,
    )
    assert res.status_code == 200, res.get_data(as_text=True)[:500]
    call_action("dataset_purge", id="jeu")

    res = app.post(
        "/api/action/package_create",
        json=_dataset(org, **{field: "é" * (limit + 1)}),
        headers=headers,
    )
    [message] = _field_errors(res)[field]
    expected = f"Texte trop long : {limit:,} caractères au plus ({limit + 1:,} reçus)."
    assert _plain(message) == expected.replace(",", " ")
    assert _nothing_saved()


def test_ten_megabyte_notes_are_refused(app, publisher):
    # the body limit (5 MiB) answers first; under it, the field's own limit
    headers, org = publisher
    res = app.post(
        "/api/action/package_create",
        json=_dataset(org, notes="x" * 10_000_000),
        headers=headers,
    )
    assert res.status_code == 413
    res = app.post(
        "/api/action/package_create",
        json=_dataset(org, notes="x" * 1_000_000),
        headers=headers,
    )
    assert "100 000 caractères" in _plain(_field_errors(res)["notes"][0])
    assert _nothing_saved()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * 501),
        ("description", "x" * 100_001),
        ("url", "https://example.org/" + "x" * 4100),
        ("format", "x" * 501),
        ("schema", "scdl/" + "x" * 500),
    ],
)
def test_resource_fields_have_a_length_limit(app, publisher, field, value):
    headers, org = publisher
    resource = {"url": "https://example.org/a.csv", field: value}
    res = app.post(
        "/api/action/package_create",
        json=_dataset(org, resources=[resource]),
        headers=headers,
    )
    errors = _field_errors(res)["resources"]
    assert "caractères au plus" in errors[0][field][0], errors
    assert _nothing_saved()


def test_tag_names_keep_ckan_s_own_limit(app, publisher):
    headers, org = publisher
    res = app.post(
        "/api/action/package_create",
        json=_dataset(org, tags=[{"name": "x" * 101}]),
        headers=headers,
    )
    assert "100" in _field_errors(res)["tags"][0]
