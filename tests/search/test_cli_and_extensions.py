"""`ckan search-index …` and the extensions' behaviours that depend on search."""

from __future__ import annotations

import pytest

import ckan.logic as logic
from ckan.cli.cli import ckan
from ckan.tests import factories, helpers

pytestmark = pytest.mark.usefixtures("clean_db")


def count(q="*:*") -> int:
    return logic.get_action("package_search")({"user": ""}, {"q": q})["count"]


def test_search_index_commands(cli):
    org = factories.Organization()
    dataset = factories.Dataset(
        name="parkings", title="Parkings relais", owner_org=org["id"]
    )

    result = cli.invoke(ckan, ["search-index", "clear"])
    assert result.exit_code == 0, result.output
    assert count() == 0

    result = cli.invoke(ckan, ["search-index", "check"])
    assert result.exit_code == 0, result.output
    assert "Packages not indexed = 1" in result.output

    result = cli.invoke(ckan, ["search-index", "rebuild", "-o"])
    assert result.exit_code == 0, result.output
    assert count() == 1

    result = cli.invoke(ckan, ["search-index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert count("parkings") == 1

    result = cli.invoke(ckan, ["search-index", "show", dataset["id"]])
    assert result.exit_code == 0, result.output
    assert "parkings" in result.output

    result = cli.invoke(ckan, ["search-index", "list-orphans"])
    assert result.exit_code == 0, result.output

    result = cli.invoke(ckan, ["search-index", "clear", dataset["name"]])
    assert result.exit_code == 0, result.output
    assert count() == 0


def test_harvest_source_listing_reindex_and_clear(app):
    sysadmin = factories.Sysadmin()
    org = factories.Organization()
    context = {"user": sysadmin["name"]}
    source = helpers.call_action(
        "harvest_source_create",
        context=context,
        name="partenaire-ckan",
        title="Portail partenaire",
        url="http://127.0.0.1:9/api/3",
        source_type="territoire_ckan",
        owner_org=org["id"],
    )
    listed = helpers.call_action("harvest_source_list", context=context)
    assert [s["id"] for s in listed] == [source["id"]]
    assert app.get("/harvest").status_code == 200

    # a dataset "harvested" from that source
    factories.Dataset(
        name="harvested",
        owner_org=org["id"],
        extras=[{"key": "harvest_source_id", "value": source["id"]}],
    )
    helpers.call_action("harvest_source_reindex", context=context, id=source["id"])
    listed = helpers.call_action("harvest_source_list", context=context)
    assert [s["id"] for s in listed] == [source["id"]]

    # dataset_type:harvest documents are listed on /harvest, datasets on /dataset
    assert "Portail partenaire" in app.get("/harvest").body
    helpers.call_action("harvest_source_clear", context=context, id=source["id"])


def test_dataset_pages_list_datasets_through_scheming(app):
    org = factories.Organization(title="Ville de Colmar")
    factories.Dataset(title="Arbres remarquables", owner_org=org["id"])
    body = app.get("/dataset/").body
    assert "Arbres remarquables" in body
    assert app.get(f"/organization/{org['name']}").status_code == 200
    assert app.get("/dataset/?q=arbre").status_code == 200
