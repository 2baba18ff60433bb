"""Harvesting our own catalogue with ckanext-dcat's ``dcat_rdf`` harvester.

The portal is served by a real HTTP server on 127.0.0.1; a ``dcat_rdf``
harvest source of another organisation points at its ``/catalog.ttl`` and the
gather, fetch and import stages run in-process. Each harvested copy must
carry the original's title, description, territories, themes, licence,
frequency, contact and resources.
"""

from __future__ import annotations

import pytest

from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.harvest.tests.factories import HarvestJobObj, HarvestSourceObj
from ckanext.harvest.tests.lib import run_harvest_job

from ckanext.territoire.harvesters.dcat import TerritoireDCATRDFHarvester

pytestmark = pytest.mark.usefixtures("clean_db", "cog")

COMPARED = (
    "title",
    "notes",
    "territories",
    "spatial_bbox",
    "themes",
    "license_id",
    "frequency",
    "contact_name",
    "contact_email",
    "temporal_start",
    "temporal_end",
)


def _resources(dataset: dict) -> list[tuple]:
    return sorted(
        (
            r["url"],
            r.get("name") or "",
            r.get("format") or "",
            r.get("size"),
            r.get("schema"),
            r.get("schema_version"),
        )
        for r in dataset["resources"]
    )


def test_harvesting_our_catalogue_reproduces_each_dataset(live_portal, dcat_catalogue):
    target = factories.Organization(name="copie", kind="agence")
    sysadmin = factories.Sysadmin()
    source = HarvestSourceObj(
        url=f"{live_portal}/catalog.ttl",
        source_type="territoire_dcat_rdf",
        owner_org=target["id"],
        user=sysadmin["name"],
    )
    job = HarvestJobObj(source=source, run=False)
    results = run_harvest_job(job, TerritoireDCATRDFHarvester())

    errors = {
        guid: r["errors"] for guid, r in results.items() if r["state"] != "COMPLETE"
    }
    assert errors == {}
    assert len(results) == len(dcat_catalogue)

    copies = {
        r["dataset"]["provenance_identifier"]: r["dataset"] for r in results.values()
    }
    for original in dcat_catalogue.values():
        original = call_action("package_show", id=original["id"])
        key = (
            original.get("provenance_identifier")
            or f"{live_portal}/dataset/{original['id']}"
        )
        copy = copies[key]
        assert copy["owner_org"] == target["id"]
        for field in COMPARED:
            expected, got = original.get(field), copy.get(field)
            if isinstance(expected, list):
                expected, got = sorted(expected), sorted(got or [])
            assert got == expected, (original["name"], field)
        assert sorted(t["name"] for t in copy["tags"]) == sorted(
            t["name"] for t in original["tags"]
        )
        assert _resources(copy) == _resources(original), original["name"]
