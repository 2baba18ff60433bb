"""The index follows the database: writes, rollbacks, paths that never commit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import ckan.logic as logic
import ckan.model as model
from ckan.lib import search
from ckan.lib.search import PackageSearchIndex, clear_all
from ckan.lib.search import rebuild as search_rebuild
from ckan.tests import factories, helpers

from ckanext.territoire.search import plugin as pgsearch
from ckanext.territoire.search import query


def found(q: str) -> list[str]:
    result = logic.get_action("package_search")({"user": ""}, {"q": q, "rows": 100})
    return [d["name"] for d in result["results"]]


def index_rows(name: str) -> int:
    return model.Session.execute(
        sa.text("SELECT count(*) FROM territoire_search_doc WHERE name = :n"),
        {"n": name},
    ).scalar()


pytestmark = pytest.mark.usefixtures("clean_db")


def test_create_update_delete_are_visible_when_the_action_returns():
    org = factories.Organization()
    dataset = factories.Dataset(
        name="stations-1", title="Stations de vélos", owner_org=org["id"]
    )
    assert found("vélos") == ["stations-1"]

    sysadmin = factories.Sysadmin()
    context = {"user": sysadmin["name"]}
    helpers.call_action(
        "package_patch",
        context=dict(context),
        id=dataset["id"],
        title="Parcs à trottinettes",
    )
    assert found("vélos") == []
    assert found("trottinette") == ["stations-1"]

    helpers.call_action("package_delete", context=dict(context), id=dataset["id"])
    assert found("trottinette") == []


@pytest.mark.skipif(
    not pgsearch.active(), reason="Solr commits index writes on its own"
)
def test_failed_commit_leaves_no_index_row():
    """A commit that fails after indexing rolls the index row back with the data."""
    org = factories.Organization()

    def fail(session):
        raise RuntimeError("simulated failure at commit time")

    sa.event.listen(model.Session, "before_commit", fail)
    try:
        with pytest.raises(RuntimeError):
            helpers.call_action(
                "package_create",
                context={"user": factories.Sysadmin()["name"]},
                name="rollback-me",
                title="Jamais enregistré",
                owner_org=org["id"],
            )
    finally:
        sa.event.remove(model.Session, "before_commit", fail)
        model.Session.rollback()
    assert model.Package.get("rollback-me") is None
    assert index_rows("rollback-me") == 0
    assert found("enregistre") == []


def test_deferred_index_writes_persist_without_a_session_commit():
    """harvest_source_reindex's path: index_package(defer_commit) + commit(), no DB commit."""
    org = factories.Organization()
    dataset = factories.Dataset(
        name="bornes", title="Bornes de recharge", owner_org=org["id"]
    )
    clear_all()
    assert found("bornes") == []

    pkg_dict = logic.get_action("package_show")(
        {"ignore_auth": True, "use_cache": False, "for_indexing": True},
        {"id": dataset["id"]},
    )
    pkg_dict["with_custom_schema"] = dict(pkg_dict)
    index = PackageSearchIndex()
    index.index_package(pkg_dict, defer_commit=True)
    index.commit()
    model.Session.rollback()
    model.Session.remove()
    assert found("bornes") == ["bornes"]


def test_rebuild_restores_a_cleared_index():
    org = factories.Organization()
    for i in range(3):
        factories.Dataset(name=f"jeu-{i}", title=f"Jeu numéro {i}", owner_org=org["id"])
    clear_all()
    assert found("*:*") == []
    search_rebuild()
    assert sorted(found("*:*")) == ["jeu-0", "jeu-1", "jeu-2"]


def test_index_rows_keep_typed_columns():
    org = factories.Organization(name="ville-a")
    factories.Dataset(
        name="typed",
        title="Typé",
        owner_org=org["id"],
        tags=[{"name": "aa"}, {"name": "bb"}],
        resources=[{"url": "https://example.org/x.csv", "format": "CSV"}],
    )
    row = model.Session.execute(
        sa.text(
            "SELECT organization, tags, res_format, capacity, metadata_modified "
            "FROM territoire_search_doc WHERE name = 'typed'"
        )
    ).one()
    assert row.organization == "ville-a"
    assert sorted(row.tags) == ["aa", "bb"]
    assert row.res_format == ["CSV"]
    assert row.capacity == "public"
    assert row.metadata_modified is not None


@pytest.mark.skipif(not pgsearch.active(), reason="the PostgreSQL backend's own rule")
def test_a_transaction_that_wrote_to_the_index_reads_its_own_writes(monkeypatch):
    """package_create with defer_commit: shows in that transaction see the dataset.

    Other connections see nothing until the commit; a failed search inside
    the transaction leaves it usable; committed, everyone sees it.
    """
    org = factories.Organization()
    context = {"user": factories.Sysadmin()["name"], "defer_commit": True}
    created = helpers.call_action(
        "package_create",
        context=context,
        name="en-cours",
        title="Jeu en cours d'écriture",
        notes="Écrit, indexé, pas encore validé en base.",
        owner_org=org["id"],
    )
    logic.index_update_package({"ignore_auth": True}, created["id"])
    # this transaction: the index answers with the validated dataset
    shown = search.show(created["id"])
    assert shown["name"] == "en-cours"
    assert "validated_data_dict" in shown
    cached = logic.get_action("package_show")({"ignore_auth": True}, {"id": "en-cours"})
    assert cached["title"] == "Jeu en cours d'écriture"

    # a search that fails in PostgreSQL does not abort the transaction
    def broken(cur, *args):
        cur.execute("SELECT 1 / 0")

    monkeypatch.setattr(query, "_count_and_facets", broken)
    with pytest.raises(Exception, match="division by zero"):
        logic.get_action("package_search")({"user": ""}, {"q": "écriture", "rows": 1})
    monkeypatch.undo()
    assert found("écriture") == ["en-cours"]
    # another connection: not before the commit
    other = sa.create_engine(model.meta.engine.url.render_as_string(False))
    with other.connect() as conn:
        seen = conn.execute(
            sa.text(
                "SELECT count(*) FROM territoire_search_doc WHERE name = 'en-cours'"
            )
        ).scalar()
    assert seen == 0
    model.Session.commit()
    assert found("écriture") == ["en-cours"]
    other.dispose()


@pytest.mark.skipif(not pgsearch.active(), reason="the PostgreSQL backend's own rule")
@pytest.mark.ckan_config("ckanext.territoire.search.cache_size", "0")
def test_a_page_reads_the_same_in_one_query_or_two(monkeypatch):
    """Few matches: the page's rows in one query; many: ids, then rows."""
    orgs = [factories.Organization(), factories.Organization()]
    for i in range(query.FEW_HITS + 5):
        factories.Dataset(
            name=f"piscine-{i:02d}",
            title=f"Piscine {(i * 7) % 13}",
            notes="Horaires des piscines" if i % 3 else "Bassins",
            owner_org=orgs[i % 2]["id"],
        )
    pages = [
        {"q": "*:*", "sort": "title_string asc", "rows": 7, "start": 3},
        {"q": "*:*", "sort": "organization asc", "rows": 4, "start": 20},
        {"q": "horaires", "rows": 5, "start": 2},
        {"q": "bassins", "sort": "name desc", "rows": 3},
        {"q": "*:*", "fl": "name,title", "rows": 30},
        {"q": "name:piscine-07"},
    ]

    def read() -> list[tuple[int, list[str]]]:
        out = []
        for params in pages:
            result = logic.get_action("package_search")({"user": ""}, dict(params))
            out.append((result["count"], [d["name"] for d in result["results"]]))
        return out

    monkeypatch.setattr(query, "FEW_HITS", 0)
    two_queries = read()
    monkeypatch.setattr(query, "FEW_HITS", 10_000)
    assert read() == two_queries
    assert two_queries[5] == (1, ["piscine-07"])
    assert [n for n, _names in two_queries[:4]] == [25, 25, 16, 9]
