"""End to end: a partner's CSV, harvested, then loaded into the DataStore.

A partner CKAN is played by a real HTTP server on 127.0.0.1: its action API
(``package_search``, the public envelope) lists a dataset whose resource is
a French CSV (``;``, Windows-1252, decimal commas) served by the same
server. The harvest runs through ckanext-harvest's queues (gather, fetch,
import, as ``runner.run_source`` drains them), the load through CKAN's jobs
worker; the rows are read back with ``datastore_search`` over the API, as a
developer would. The source's ``datastore_load`` option decides.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.harvest.model import HarvestObject

from ckanext.territoire.harvesters import records
from ckanext.territoire.harvesters.runner import run_source

from ..harvesters.conftest import Answer, PartnerServer, read_data
from .conftest import status

SEARCH = "/api/3/action/package_search"
FILE = "/fichiers/equipements-sportifs.csv"
ROWS = [
    ["Commune", "Équipement", "Surface (m²)", "Tarif (€)", "Ouvert le"],
    ["Colmar", "Piscine « Aqualia »", "1250,5", "4,20", "15/06/1998"],
    ["Sélestat", "Médiathèque intercommunale", "3400,75", "0", "01/09/2014"],
    ["Guebwiller", "Gymnase Théodore-Deck", "980", "2,5", "25/11/2005"],
    ["Munster", "Patinoire de la vallée", "2000,25", "6,50", "03/12/2019"],
]
CSV = ("\r\n".join(";".join(row) for row in ROWS) + "\r\n").encode("cp1252")

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_datastore", "cog"),
    # the partner is on 127.0.0.1: let loopback in, as the harvester tests do
    # (config/test.ini); the DataStore load goes through the same guard
    pytest.mark.ckan_config(
        "ckanext.territoire.harvest.allowed_networks", "127.0.0.1/32"
    ),
]


@pytest.fixture
def partner() -> Iterator[PartnerServer]:
    from ckanext.harvest.queue import purge_queues

    purge_queues()
    server = PartnerServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        purge_queues()


def _serve(
    partner: PartnerServer,
    size: int | None = len(CSV),
    title: str = "Équipements sportifs et culturels",
) -> None:
    """The partner's catalogue: one dataset, its CSV on the same server."""
    (dataset,) = [
        d
        for d in json.loads(read_data("ckan", "package_search.json"))["result"][
            "results"
        ]
        if d["name"] == "arbres-remarquables"
    ]
    dataset.update(
        name="equipements-sportifs",
        title=title,
        notes="Équipements publics de la ville.",
    )
    (resource,) = dataset["resources"]
    resource.update(
        name="Équipements (CSV)", url=partner.url + FILE, size=size, format="CSV"
    )
    if size is None:
        del resource["size"]
    envelope = {
        "help": "…",
        "success": True,
        "result": {"count": 1, "results": [dataset], "sort": "id asc"},
    }
    partner.route(SEARCH, Answer.json(envelope))
    partner.route(FILE, Answer(body=CSV, content_type="text/csv; charset=windows-1252"))


def _harvest(partner: PartnerServer, **config: Any) -> dict[str, Any]:
    """Harvest the partner with this source configuration; the resource."""
    org = factories.Organization(
        name="ville-de-colmar", kind="commune", cog_code="68066"
    )
    source = call_action(
        "harvest_source_create",
        {"user": factories.Sysadmin()["name"]},
        name="colmar-ckan",
        title="Colmar (CKAN)",
        url=partner.url + "/",
        source_type="territoire_ckan",
        owner_org=org["id"],
        config=json.dumps(config),
    )
    job = run_source(source["id"])
    assert job.gather_errors == [] and job.counts == {"added": 1}, job
    (record,) = records.for_source(source["id"]).values()
    dataset = call_action("package_show", id=record.package_id)
    (resource,) = dataset["resources"]
    assert resource["url"] == partner.url + FILE
    return resource


def _object_id(resource: dict[str, Any]) -> str:
    obj = (
        model.Session.query(HarvestObject)
        .filter_by(package_id=resource["package_id"], current=True)
        .one()
    )
    return obj.id


def _search(app: Any, resource_id: str, **params: Any) -> dict[str, Any]:
    """``datastore_search`` over the API, anonymous."""
    answer = app.get(
        "/api/3/action/datastore_search",
        params={"resource_id": resource_id, **params},
    )
    return answer.json["result"]


def test_a_harvested_french_csv_is_loaded_and_queryable(partner, run_jobs, app):
    _serve(partner)
    resource = _harvest(partner, datastore_load="auto")
    run_jobs()

    assert status(resource["id"])["status"] == "complete", status(resource["id"])
    assert len(partner.hits(FILE)) == 1
    result = _search(app, resource["id"], sort="Commune", limit=100)
    assert result["total"] == len(ROWS) - 1
    assert len(result["records"]) == len(ROWS) - 1
    first = result["records"][0]
    assert first["Commune"] == "Colmar"
    assert first["Équipement"] == "Piscine « Aqualia »"
    # decimal commas read as numbers, French dates as dates
    assert float(first["Tarif (€)"]) == 4.2
    assert float(first["Surface (m²)"]) == 1250.5
    assert first["Ouvert le"].startswith("1998-06-15")
    assert [r["Commune"] for r in result["records"]] == sorted(
        row[0] for row in ROWS[1:]
    )
    # a filter on an accented value
    found = _search(app, resource["id"], filters=json.dumps({"Commune": "Sélestat"}))
    assert found["total"] == 1
    assert found["records"][0]["Équipement"] == "Médiathèque intercommunale"
    shown = call_action("resource_show", id=resource["id"])
    assert shown["datastore_active"] is True


def test_never_loads_nothing(partner, run_jobs, app):
    _serve(partner)
    resource = _harvest(partner, datastore_load="never")
    run_jobs()

    assert partner.hits(FILE) == []
    assert call_action("resource_show", id=resource["id"])["datastore_active"] is False
    app.get(
        "/api/3/action/datastore_search",
        params={"resource_id": resource["id"]},
        status=404,
    )


@pytest.mark.ckan_config("ckanext.territoire.datastore.harvested_max_size", "100")
def test_auto_skips_a_file_over_the_harvested_limit(partner, run_jobs, app):
    _serve(partner)
    resource = _harvest(partner)  # datastore_load: auto, the default
    run_jobs()

    assert partner.hits(FILE) == []
    assert call_action("resource_show", id=resource["id"])["datastore_active"] is False
    app.get(
        "/api/3/action/datastore_search",
        params={"resource_id": resource["id"]},
        status=404,
    )
    # the status says why, in French then English, on the resource's page
    shown = status(resource["id"])
    assert shown["status"] == "skipped"
    message = shown["error"]["message"]
    assert f"taille déclarée ({len(CSV)} octets)" in message
    assert "100 octets" in message and "datastore_load" in message
    assert f"declared size ({len(CSV)} bytes)" in message
    page = app.get(
        f"/dataset/{resource['package_id']}/resource/{resource['id']}"
    ).get_data(as_text=True)
    assert "territoire-datastore-status" in page
    assert "non chargé" in page and f"taille déclarée ({len(CSV)} octets)" in page

    # the source now says always: the next harvest of the dataset loads it
    source = model.Session.get(HarvestObject, _object_id(resource)).source
    source.config = json.dumps({"datastore_load": "always"})
    model.Session.commit()
    partner.routes.clear()
    _serve(partner, title="Équipements sportifs (mis à jour)")
    assert run_source(source.id).counts == {"updated": 1}
    run_jobs()
    assert status(resource["id"])["status"] == "complete", status(resource["id"])
    assert _search(app, resource["id"])["total"] == len(ROWS) - 1


@pytest.mark.ckan_config("ckanext.territoire.datastore.harvested_max_size", "100")
def test_always_loads_a_file_over_the_harvested_limit(partner, run_jobs, app):
    _serve(partner, size=None)
    resource = _harvest(partner, datastore_load="always")
    run_jobs()

    assert status(resource["id"])["status"] == "complete", status(resource["id"])
    assert _search(app, resource["id"])["total"] == len(ROWS) - 1
