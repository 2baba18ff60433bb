"""The batched, parallel rebuild builds the same documents as CKAN's own path."""

from __future__ import annotations

import json
import os

import pytest

import ckan.logic as logic
import ckan.model as model
from ckan.lib import search
from ckan.lib.dictization import model_dictize
from ckan.tests import factories

from ckanext.territoire import compat
from ckanext.territoire.compat import dictize
from ckanext.territoire.search import rebuild as rebuild_mod

pytestmark = [
    pytest.mark.usefixtures("clean_db"),
    pytest.mark.skipif(
        bool(os.environ.get("TEST_SOLR_URL")),
        reason="the PostgreSQL backend's own rebuild",
    ),
]


def _varied_catalogue(relationship: bool = True) -> list[dict]:
    org = factories.Organization(title="Ville de Schiltigheim")
    other_org = factories.Organization()
    group = factories.Group(title="Mobilités")
    vocab = logic.get_action("vocabulary_create")(
        {"ignore_auth": True, "user": factories.Sysadmin()["name"]},
        {"name": "genres", "tags": [{"name": "jazz"}]},
    )
    datasets = [
        factories.Dataset(
            owner_org=org["id"],
            title="  Arrêts de tram  ",
            notes="Réseau CTS",
            tags=[
                {"name": "tram"},
                {"name": "mobilité"},
                {"name": "jazz", "vocabulary_id": vocab["id"]},
            ],
            extras=[{"key": "couverture", "value": "67447"}],
            groups=[{"id": group["id"]}],
            resources=[
                {"url": "https://example.org/a.csv", "format": "CSV"},
                {"url": "https://example.org/b.json", "format": "JSON", "name": "B"},
            ],
        ),
        factories.Dataset(owner_org=org["id"], private=True, license_id="odc-odbl"),
        factories.Dataset(owner_org=other_org["id"]),
        factories.Dataset(owner_org=other_org["id"], resources=[]),
    ]
    # a licence the register does not know (written before a list change)
    model.Session.query(model.Package).filter_by(id=datasets[2]["id"]).update(
        {"license_id": "not-a-known-licence"}
    )
    # a deleted resource and a relationship are part of what package_dictize reads
    res = factories.Resource(
        package_id=datasets[3]["id"], url="https://example.org/c.csv"
    )
    model.Session.query(model.Resource).filter_by(id=res["id"]).update(
        {"state": "deleted"}
    )
    model.Session.commit()
    if not relationship:
        # (CKAN 2.12's own index_package fails on a dataset that is the
        # subject of a relationship: its show schema drops object_package_id)
        return datasets
    logic.get_action("package_relationship_create")(
        {"ignore_auth": True, "user": factories.Sysadmin()["name"]},
        {
            "subject": datasets[0]["id"],
            "object": datasets[2]["id"],
            "type": "depends_on",
        },
    )
    return datasets


def _norm(value: dict) -> dict:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def test_bulk_dictize_is_package_dictize():
    datasets = _varied_catalogue()
    ids = [d["id"] for d in datasets]
    pkgs = model.Session.query(model.Package).filter(model.Package.id.in_(ids)).all()
    bulk = dictize.bulk_package_dictize(pkgs, {"session": model.Session})
    for pkg in pkgs:
        one = model_dictize.package_dictize(pkg, {"session": model.Session})
        assert _norm(bulk[pkg.id]) == _norm(one), pkg.name
    assert bulk[datasets[0]["id"]]["title"] == "Arrêts de tram"
    assert len(bulk[datasets[0]["id"]]["relationships_as_subject"]) == 1
    assert bulk[datasets[3]["id"]]["num_resources"] == 0


def _stored_docs(ids: list[str]) -> dict[str, tuple]:
    out = {}
    for pkg_id in ids:
        doc = search.show(pkg_id)
        out[pkg_id] = (
            json.loads(doc["data_dict"]),
            json.loads(doc["validated_data_dict"]),
        )
    return out


@pytest.mark.ckan_config("ckanext.territoire.search.rebuild_workers", "2")
@pytest.mark.ckan_config("ckanext.territoire.search.rebuild_batch_size", "2")
def test_parallel_rebuild_stores_what_ckan_stores(monkeypatch):
    datasets = _varied_catalogue(relationship=False)
    org = factories.Organization()
    datasets += [
        factories.Dataset(title=f"Jeu {n}", owner_org=org["id"]) for n in range(5)
    ]
    ids = [d["id"] for d in datasets]

    search.clear_all()
    # as from the command line: objects read from the database, not the ones
    # the factories left in the session (whose extras keep insertion order)
    model.Session.remove()
    compat.original("ckan.lib.search", "rebuild")(quiet=True)  # CKAN's own loop
    reference = _stored_docs(ids)

    search.clear_all()
    assert (
        logic.get_action("package_search")({"ignore_auth": True}, {"q": "*:*"})["count"]
        == 0
    )
    monkeypatch.setattr(rebuild_mod, "_MIN_PARALLEL", 0)
    search.rebuild(quiet=True)  # ours: 5 batches over 2 forked workers
    ours = _stored_docs(ids)
    for pkg_id in ids:
        for part in (0, 1):
            diff = {
                k: (ours[pkg_id][part].get(k), reference[pkg_id][part].get(k))
                for k in set(ours[pkg_id][part]) | set(reference[pkg_id][part])
                if ours[pkg_id][part].get(k) != reference[pkg_id][part].get(k)
            }
            assert not diff, (pkg_id, part, diff)

    found = logic.get_action("package_search")(
        {"ignore_auth": True}, {"q": "*:*", "include_private": True, "rows": 100}
    )
    assert {d["id"] for d in found["results"]} == set(ids)


def test_rebuild_only_missing_and_single_dataset_use_ckan_path(monkeypatch):
    org = factories.Organization()
    a = factories.Dataset(title="Piscines", owner_org=org["id"])
    b = factories.Dataset(title="Bibliothèques", owner_org=org["id"])
    search.index_for(model.Package).clear()
    calls = []
    monkeypatch.setattr(
        rebuild_mod,
        "index_ids",
        lambda ids, **kw: calls.append(sorted(ids)) or len(ids),
    )
    search.rebuild(only_missing=True, quiet=True)
    assert calls == [sorted([a["id"], b["id"]])]
    # one dataset: CKAN's own code, which indexes it for real
    search.rebuild(package_id=a["id"])
    assert len(calls) == 1
    assert (
        logic.get_action("package_search")({"ignore_auth": True}, {"q": "piscines"})[
            "count"
        ]
        == 1
    )


@pytest.mark.ckan_config("ckanext.territoire.search.rebuild_workers", "2")
def test_parallel_rebuild_reports_a_failing_dataset(monkeypatch):
    org = factories.Organization()
    good = factories.Dataset(title="Parkings relais", owner_org=org["id"])
    bad = factories.Dataset(title="Défibrillateurs", owner_org=org["id"])
    search.clear_all()
    monkeypatch.setattr(rebuild_mod, "_MIN_PARALLEL", 0)
    monkeypatch.setattr(rebuild_mod, "batch_size", lambda: 1)

    original = rebuild_mod.show_default_and_custom

    def failing(context, pkg, dictized):
        if pkg.id == bad["id"]:
            raise ValueError("métadonnées cassées")
        return original(context, pkg, dictized)

    monkeypatch.setattr(rebuild_mod, "show_default_and_custom", failing)
    with pytest.raises(ValueError, match="métadonnées cassées"):
        search.rebuild(quiet=True)
    search.clear_all()
    search.rebuild(quiet=True, force=True)  # force: logged, the others indexed
    ids = {
        d["id"]
        for d in logic.get_action("package_search")(
            {"ignore_auth": True}, {"q": "*:*"}
        )["results"]
    }
    assert ids == {good["id"]}
