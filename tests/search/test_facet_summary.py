"""The facet summary answers exactly what counting the index live answers."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.territoire.search import summary, tables

pytestmark = [
    pytest.mark.usefixtures("clean_db"),
    pytest.mark.skipif(
        bool(os.environ.get("TEST_SOLR_URL")),
        reason="the PostgreSQL backend's own summary",
    ),
]

FACETS = '["organization", "tags", "res_format", "license_id", "groups", "vocab_producer_kind"]'


def _stored() -> dict:
    rows = model.Session.execute(sa.text(f"SELECT * FROM {tables.FACETS}")).fetchall()
    return {(*r[:5], tuple(r[5]), r[6], r[7]): r[8] for r in rows}


def _recomputed() -> dict:
    sql = summary._contributions_sql(summary.configured_fields(), "TRUE")
    rows = model.Session.execute(sa.text(sql)).fetchall()
    return {(*r[:5], tuple(r[5]), r[6], r[7]): r[8] for r in rows}


def _search(monkeypatch, live: bool, user: str | None, **params) -> dict:
    with monkeypatch.context() as m:
        if live:
            m.setattr(summary, "is_current", lambda _s: False)
        result = call_action(
            "package_search",
            {"user": user or ""},
            rows=0,
            **{"facet.field": FACETS, "facet.limit": -1},
            **params,
        )
    return {
        "count": result["count"],
        "facets": {
            k: sorted((i["name"], i["count"]) for i in v["items"])
            for k, v in result["search_facets"].items()
        },
    }


def _check(monkeypatch, users, **params):
    model.Session.remove()  # read what is committed, as a new request would
    assert _stored() == _recomputed()
    for user in users:
        fast = _search(monkeypatch, False, user, **params)
        assert fast == _search(monkeypatch, True, user, **params), (user, params)


def test_summary_follows_every_write(monkeypatch):
    admin = factories.Sysadmin()
    member = factories.User()
    outsider = factories.User()
    org_a = factories.Organization(
        kind="commune",
        cog_code="67482",
        users=[{"name": member["name"], "capacity": "editor"}],
    )
    org_b = factories.Organization(kind="agence")
    group = factories.Group()
    users = [None, member["name"], outsider["name"], admin["name"]]
    ctx = {"user": admin["name"]}

    a1 = factories.Dataset(
        owner_org=org_a["id"],
        tags=[{"name": "vélo"}, {"name": "sport"}],
        resources=[{"url": "https://e.org/a.csv", "format": "CSV"}],
        groups=[{"id": group["id"]}],
    )
    a2 = factories.Dataset(
        owner_org=org_a["id"],
        private=True,
        tags=[{"name": "vélo"}],
        license_id="odc-odbl",
    )
    b1 = factories.Dataset(
        owner_org=org_b["id"],
        tags=[{"name": "air"}],
        resources=[
            {"url": "https://e.org/b.json", "format": "JSON"},
            {"url": "https://e.org/c.csv", "format": "CSV"},
        ],
    )
    _check(monkeypatch, users)
    _check(monkeypatch, users, fq=f'owner_org:"{org_a["id"]}"')

    # update: tags change, a dataset goes private, another changes organisation
    call_action("package_patch", dict(ctx), id=a1["id"], tags=[{"name": "sport"}])
    call_action("package_patch", dict(ctx), id=b1["id"], private=True)
    call_action("package_patch", dict(ctx), id=a2["id"], owner_org=org_b["id"])
    _check(monkeypatch, users)
    _check(monkeypatch, users, include_private=True)

    # draft, delete, purge
    factories.Dataset(owner_org=org_b["id"], state="draft")
    call_action("package_delete", dict(ctx), id=a1["id"])
    _check(monkeypatch, users, include_drafts=True, include_private=True)
    _check(monkeypatch, [admin["name"]], include_deleted=True, include_private=True)
    call_action("dataset_purge", dict(ctx), id=a1["id"])
    _check(monkeypatch, users)


def test_filters_beyond_base_fields_count_live(monkeypatch):
    org = factories.Organization()
    factories.Dataset(owner_org=org["id"], tags=[{"name": "tram"}])
    factories.Dataset(owner_org=org["id"], tags=[{"name": "bus"}])
    calls = []
    original = summary.read
    monkeypatch.setattr(
        summary, "read", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    call_action("package_search", q="*:*", **{"facet.field": '["tags"]'})
    assert calls  # *:* with CKAN's own filters: the summary
    calls.clear()
    result = call_action(
        "package_search", fq="tags:tram", **{"facet.field": '["tags"]'}
    )
    assert not calls and result["count"] == 1
    result = call_action("package_search", q="tram", **{"facet.field": '["tags"]'})
    assert not calls and result["count"] == 1


@pytest.mark.ckan_config("ckanext.territoire.search.facet_summary_fields", "tags")
def test_changed_field_list_rebuilds_the_summary(monkeypatch):
    org = factories.Organization()
    factories.Dataset(
        owner_org=org["id"],
        tags=[{"name": "tram"}],
        resources=[{"url": "https://e.org/a.csv", "format": "CSV"}],
    )
    model.Session.remove()
    assert {k[6] for k in _stored()} == {"", "tags"}
    monkeypatch.setitem(
        tk.config, "ckanext.territoire.search.facet_summary_fields", "tags res_format"
    )
    # searches count live until a write brings the summary up to date
    result = call_action("package_search", **{"facet.field": '["res_format"]'})
    assert result["search_facets"]["res_format"]["items"][0]["name"] == "CSV"
    factories.Dataset(owner_org=org["id"])
    model.Session.remove()
    assert {k[6] for k in _stored()} == {"", "tags", "res_format"}
    _check(monkeypatch, [None])


def test_counts_computed_in_python_equal_the_sql_recount():
    """A write counts its documents' contributions itself; a rebuild counts
    them in SQL: both agree, awkward values included."""
    from ckanext.territoire.search.backend import ENGINE, PgSearchConnection

    names = ("organization", "license_id", "tags", "res_format", "vocab_x", "extras_t")
    base = {
        "site_id": tk.config["ckan.site_id"],
        "entity_type": "package",
        "dataset_type": "dataset",
        "state": "active",
    }
    docs = [
        dict(
            base,
            index_id="i1",
            id="p1",
            name="p1",
            capacity="public",
            organization="ville",
            owner_org="o1",
            permission_labels=["public"],
            tags=["vélo", "vélo", "tram"],  # a repeated value counts twice
            res_format=["CSV"],
            license_id="etalab-2.0",
            vocab_x=["a:b", "c"],  # a colon inside a value
            extras_t="x:y:z",
        ),
        dict(
            base,
            index_id="i2",
            id="p2",
            name="p2",
            capacity="private",
            permission_labels=["member-o1", "creator-u"],
            tags=[],
        ),  # no organisation, licence or formats
        dict(base, index_id="i3", id="p3", name="p3"),  # no capacity, no labels
    ]
    PgSearchConnection().add(docs)
    with ENGINE.get().connect() as conn:
        cur = conn.connection.dbapi_connection.cursor()
        ids = ["i1", "i2", "i3"]
        computed = summary.contributions(summary._stored(cur, names, ids), names)
        cur.execute(
            summary._contributions_sql(names, "d.index_id = ANY(%(ids)s)"),
            {"ids": ids},
        )
        recounted = {(*r[:5], tuple(r[5]), r[6], r[7]): r[8] for r in cur.fetchall()}
    assert dict(computed) == recounted
    public = (base["site_id"], "dataset", "active", "public", "o1", ("public",))
    assert computed[(*public, "tags", "vélo")] == 2
    assert computed[(*public, "vocab_x", "a:b")] == 1
    assert computed[(*public, "extras_t", "x:y:z")] == 1
