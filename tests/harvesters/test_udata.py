"""The udata harvester (data.gouv.fr API v1) against a portal played on 127.0.0.1.

The pages in ``tests/data/udata/`` are written in the API's public format
(``/api/1/datasets/`` answers, an ``/api/1/organizations/<slug>/`` answer);
their ``next_page`` links are pointed at the test server when served.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.territoire.harvesters import records
from ckanext.territoire.harvesters.base import RecordError, Source
from ckanext.territoire.harvesters.http import HarvestHTTPError, SafeHTTP
from ckanext.territoire.harvesters.messages import HarvestMessage
from ckanext.territoire.harvesters.runner import run_source
from ckanext.territoire.harvesters.udata import (
    UdataHarvester,
    api_root,
    map_frequency,
    map_granularity,
    map_license,
    markdown,
    trim,
    zone_code,
)

from .conftest import Answer, PartnerServer, read_data

ORG_ID = "534fffa5a3a7292c64a7809e"
ORG_SLUG = "eurometropole-de-strasbourg"
DELIBERATIONS = "5b3c6f1e88ee38124d6a9a01"
EQUIPEMENTS = "5c87bb5b634f4150f1c3e8d2"
AIR = "6141a2a8e2b7c2f0a1b3c4d5"
DATA_GOUV = "https://www.data.gouv.fr"


def _page(n: int, partner: PartnerServer) -> dict[str, Any]:
    body = json.loads(read_data("udata", f"datasets-page-{n}.json"))
    for key in ("next_page", "previous_page"):
        if body.get(key):
            body[key] = body[key].replace(DATA_GOUV, partner.url)
    return body


def _serve(partner: PartnerServer) -> dict[int, dict[str, Any]]:
    """Both pages, served as they are at each request (tests change them)."""
    pages = {1: _page(1, partner), 2: _page(2, partner)}
    partner.route(
        "/api/1/datasets/",
        lambda r: Answer.json(pages[int(r.arg("page") or 1)]),
    )
    partner.route(
        f"/api/1/organizations/{ORG_SLUG}/",
        Answer(body=read_data("udata", "organization.json")),
    )
    return pages


def _source(partner: PartnerServer, **config: Any) -> Source:
    return Source(
        id="source", url=partner.url, owner_org=None, config={"page_size": 3, **config}
    )


def _gather(source: Source) -> list:
    http = SafeHTTP()
    try:
        return list(UdataHarvester().gather_remote(source, http))
    finally:
        http.close()


# --------------------------------------------------------------------------
# Gather
# --------------------------------------------------------------------------


def test_gather_reads_every_page_and_skips_unpublished_datasets(partner):
    _serve(partner)
    remotes = _gather(_source(partner, organization=ORG_ID))

    # page 1: two public datasets and a private one; page 2: page 1's first
    # dataset again (the pages moved), a deleted, an archived, a public one
    assert [r.remote_id for r in remotes] == [DELIBERATIONS, EQUIPEMENTS, AIR]
    first, second = partner.hits("/api/1/datasets/")
    assert first.query == {
        "organization": [ORG_ID],
        "page_size": ["3"],
        "sort": ["created"],
        "page": ["1"],
    }
    assert second.arg("page") == "2" and second.arg("organization") == ORG_ID
    assert first.headers["accept"] == "application/json"
    # an id needs no look-up of the organisation
    assert partner.hits(f"/api/1/organizations/{ORG_SLUG}/") == []


def test_harvested_record_keeps_only_what_the_mapping_reads(partner):
    _serve(partner)
    payload = _gather(_source(partner, organization=ORG_ID))[0].payload
    assert sorted(payload) == [
        "contact_points",
        "created_at",
        "description",
        "frequency",
        "id",
        "last_modified",
        "last_update",
        "license",
        "page",
        "resources",
        "spatial",
        "tags",
        "temporal_coverage",
        "title",
    ]
    # the geometry itself is not kept, only its envelope
    assert payload["spatial"] == {
        "granularity": "fr:epci",
        "zones": ["fr:epci:246700488"],
        "extent": "7.6213,48.4587,7.8931,48.7019",
    }
    assert payload["resources"][0] == {
        "id": "2f6e8a1c-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
        "title": "Délibérations (CSV)",
        "description": "Délibérations depuis 2018.",
        "format": "csv",
        "url": "https://data.strasbourg.eu/api/explore/v2.1/catalog/datasets/"
        "deliberations/exports/csv",
        "filesize": 482113,
        "schema": {"name": "scdl/deliberations", "version": "2.1.5"},
    }
    # metrics, quality and link-checker extras change daily: not hashed
    item = _page(1, partner)["data"][0]
    item["metrics"]["views"] += 100
    item["resources"][0]["extras"]["check:date"] = "2025-01-01T00:00:00+00:00"
    assert trim(item) == payload


def test_gather_turns_a_slug_into_the_organisation_id(partner):
    _serve(partner)
    remotes = _gather(_source(partner, organization=ORG_SLUG))
    assert len(remotes) == 3
    assert len(partner.hits(f"/api/1/organizations/{ORG_SLUG}/")) == 1
    assert {r.arg("organization") for r in partner.hits("/api/1/datasets/")} == {ORG_ID}


def test_unknown_organisation_slug_is_explained(partner):
    _serve(partner)
    with pytest.raises(HarvestMessage) as e:
        _gather(_source(partner, organization="inconnue"))
    assert "« inconnue » n'existe pas" in str(e.value)


def test_missing_organisation_option_is_a_gather_error(partner):
    with pytest.raises(HarvestMessage, match="organization"):
        _gather(Source(id="s", url=partner.url, owner_org=None, config={}))


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://www.data.gouv.fr", "https://www.data.gouv.fr/api/1"),
        ("https://www.data.gouv.fr/", "https://www.data.gouv.fr/api/1"),
        (
            "https://www.data.gouv.fr/fr/organizations/eurometropole-de-strasbourg/",
            "https://www.data.gouv.fr/api/1",
        ),
        ("https://www.data.gouv.fr/api/1/", "https://www.data.gouv.fr/api/1"),
        (
            "https://www.data.gouv.fr/api/1/datasets/?organization=x",
            "https://www.data.gouv.fr/api/1",
        ),
        (
            "https://udata.example.org/portail/",
            "https://udata.example.org/portail/api/1",
        ),
    ],
)
def test_api_root_from_the_source_url(url, expected):
    assert api_root(url) == expected


def _broken_next_page(pages: dict[int, dict[str, Any]], partner: PartnerServer) -> None:
    pages[2]["next_page"] = pages[1]["next_page"]  # page 2 says: read page 2


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda pages, partner: pages.update({1: {"message": "Bad"}}), "« data »"),
        (
            lambda pages, partner: pages[1].update(data={"a": 1}),
            "« data » manque ou n'est pas une liste",
        ),
        (lambda pages, partner: pages.update({1: []}), "pas un objet JSON"),
        (
            lambda pages, partner: pages[1].update(
                next_page="https://autre-portail.example/api/1/datasets/?page=2"
            ),
            "hors du portail",
        ),
        (_broken_next_page, "en boucle"),
        (
            lambda pages, partner: pages[2]["data"][3]["organization"].update(
                id="5a1b2c3d4e5f6a7b8c9d0e1f", slug="autre"
            ),
            "autre organisation (autre)",
        ),
    ],
    ids=[
        "no-data",
        "data-not-a-list",
        "not-an-object",
        "other-host",
        "loop",
        "foreign",
    ],
)
def test_malformed_listing_is_a_gather_error(partner, breakage, expected):
    pages = _serve(partner)
    breakage(pages, partner)
    with pytest.raises(HarvestMessage) as e:
        _gather(_source(partner, organization=ORG_ID))
    assert expected in str(e.value)


def test_invalid_json_is_a_gather_error(partner):
    partner.route("/api/1/datasets/", Answer(body='{"data": [ '))
    with pytest.raises(HarvestHTTPError, match="JSON"):
        _gather(_source(partner, organization=ORG_ID))


# --------------------------------------------------------------------------
# Mapping
# --------------------------------------------------------------------------


def _payload(page: int, index: int) -> dict[str, Any]:
    return trim(
        json.loads(read_data("udata", f"datasets-page-{page}.json"))["data"][index]
    )


def _map(payload: dict[str, Any], **config: Any) -> tuple[dict[str, Any], list[str]]:
    warnings: list[str] = []
    source = Source(id="s", url=DATA_GOUV, owner_org=None, config=config)
    return UdataHarvester().to_package(payload, source, warnings), warnings


def test_dataset_mapped_to_our_schema():
    pkg, warnings = _map(_payload(1, 0))
    assert pkg == {
        "title": "Délibérations du conseil de l'Eurométropole",
        "notes": "Liste des délibérations adoptées par le conseil de l'Eurométropole, "
        "au format **SCDL**.  \nMise à jour chaque mois.\n\n"
        "- une ligne par délibération\n"
        "- voir [le schéma](https://schema.data.gouv.fr/scdl/deliberations/)",
        "tags": ["deliberations", "conseil", "scdl"],
        "license_id": "etalab-2.0",
        "frequency": "MONTHLY",
        "temporal_start": "2018-01-01",
        "temporal_end": "2024-12-31",
        "territories": ["epci:246700488"],
        "granularity": "epci",
        "spatial_bbox": "7.6213,48.4587,7.8931,48.7019",
        "issued": "2018-07-04",
        "modified": "2024-11-04",
        "contact_name": "Service open data",
        "contact_email": "opendata@strasbourg.eu",
        "provenance_url": "https://www.data.gouv.fr/fr/datasets/"
        "deliberations-du-conseil-de-l-eurometropole/",
        "resources": [
            {
                "url": "https://data.strasbourg.eu/api/explore/v2.1/catalog/datasets/"
                "deliberations/exports/csv",
                "name": "Délibérations (CSV)",
                "description": "Délibérations depuis 2018.",
                "format": "CSV",
                "size": 482113,
                "schema": "scdl/deliberations",
                "schema_version": "2.1.5",
            },
            {
                "url": "https://data.strasbourg.eu/docs/deliberations-guide.pdf",
                "name": "Guide de lecture",
                "format": "PDF",
            },
        ],
    }
    [warning] = warnings
    assert "« Lien retiré » sans adresse" in warning


def test_older_payload_forms_and_lossy_values_are_warned():
    pkg, warnings = _map(_payload(2, 3))
    assert pkg == {
        "title": "Indices de qualité de l'air",
        "notes": "Indices de qualité de l'air publiés pour le Bas-Rhin.",
        "tags": ["air", "qualité de l'air"],
        "license_id": "other",
        "frequency": "UNKNOWN",
        "temporal_start": "2021-01-01",
        "temporal_end": "2023-12-31",
        "territories": ["pays:fr", "departement:67", "region:44"],
        "granularity": "departement",
        "issued": "2021-09-15",
        "modified": "2024-01-08",
        "contact_name": "Mission air-climat",
        "contact_email": "air@strasbourg.eu",
        "provenance_url": "https://www.data.gouv.fr/fr/datasets/indices-qualite-air/",
        "resources": [
            {
                "url": "https://data.strasbourg.eu/api/indices-air",
                "name": "API des indices",
                "format": "JSON",
            }
        ],
    }
    text = "\n".join(warnings)
    assert len(warnings) == 5
    # Lambert-93 coordinates where udata wants WGS84: no extent, a warning
    assert "spatial.geom" in text and "spatial_bbox" not in pkg
    assert "licence non précisée" in text
    assert "« triennial »" in text
    assert "« fr:canton:6701 »" in text
    assert "https://example.org/schemas/indices-air.json" in text


def test_licence_not_specified_takes_the_source_default():
    pkg, warnings = _map(_payload(2, 3), default_license="cc-by-4.0")
    assert "license_id" not in pkg  # the base sets the source's default
    assert not any("licence" in w for w in warnings)


def test_a_dataset_without_title_is_an_item_error():
    with pytest.raises(RecordError, match="sans titre"):
        _map({"id": "abc", "title": "  "})


@pytest.mark.parametrize(
    "value, expected, warned",
    [
        ("lov2", "etalab-2.0", False),
        ("fr-lo", "etalab-2.0", False),
        ("odc-odbl", "odc-odbl", False),
        ("cc-by", "cc-by-4.0", False),
        ("cc-by-sa", "cc-by-sa-4.0", False),
        ("cc-zero", "cc-zero", False),
        ("odc-by", "other", True),
        ("odc-pddl", "other", True),
        ("other-at", "other", True),
        ("other-open", "other", True),
        ("notspecified", "other", True),
        (None, "other", True),
    ],
)
def test_licences(value, expected, warned):
    warnings: list[str] = []
    source = Source(id="s", url=DATA_GOUV, owner_org=None, config={})
    assert map_license(value, source, warnings) == expected
    assert bool(warnings) is warned


@pytest.mark.parametrize(
    "value, expected",
    [
        ("unknown", "UNKNOWN"),
        ("punctual", "NEVER"),
        ("as_needed", "IRREG"),
        ("irregular", "IRREG"),
        ("irreg", "IRREG"),
        ("continuous", "CONT"),
        ("update_cont", "CONT"),
        ("hourly", "CONT"),
        ("cont", "DAILY"),
        ("fourTimesADay", "DAILY"),
        ("daily", "DAILY"),
        ("threeTimesAWeek", "WEEKLY"),
        ("weekly_2", "WEEKLY"),
        ("weekly", "WEEKLY"),
        ("biweekly", "BIWEEKLY"),
        ("semimonthly", "BIWEEKLY"),
        ("monthly", "MONTHLY"),
        ("bimonthly", "QUARTERLY"),
        ("quarterly", "QUARTERLY"),
        ("threeTimesAYear", "ANNUAL_2"),
        ("semiannual", "ANNUAL_2"),
        ("annual_2", "ANNUAL_2"),
        ("annual", "ANNUAL"),
        ("biennial", "BIENNIAL"),
        (None, None),
    ],
)
def test_frequencies(value, expected):
    warnings: list[str] = []
    assert map_frequency(value, warnings) == expected
    assert warnings == []


@pytest.mark.parametrize("value", ["triennial", "quinquennial", "decennial", "weird"])
def test_frequencies_without_code_are_unknown_with_a_warning(value):
    warnings: list[str] = []
    assert map_frequency(value, warnings) == "UNKNOWN"
    assert value in warnings[0]


@pytest.mark.parametrize(
    "zone, expected",
    [
        ("fr:commune:67482", "commune:67482"),
        ("fr:commune:67482@1942-01-01", "commune:67482"),
        ("fr:commune:2a004@1943-01-01", "commune:2A004"),
        ("fr:epci:246700488", "epci:246700488"),
        ("fr:departement:67", "departement:67"),
        ("fr:departement:2b@1976-01-01", "departement:2B"),
        ("fr:region:44", "region:44"),
        ("country:fr", "pays:fr"),
        ("country-subset:fr:metro", "pays:fr"),
        ("fr:iris:674820101", "commune:67482"),
        ("fr:canton:6701", None),
        ("fr:arrondissement:671", None),
        ("country:de", None),
        ("country-group:ue", None),
    ],
)
def test_zones(zone, expected):
    assert zone_code(zone) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("fr:iris", "infra-commune"),
        ("poi", "infra-commune"),
        ("fr:commune", "commune"),
        ("fr:epci", "epci"),
        ("fr:departement", "departement"),
        ("fr:region", "region"),
        ("country", "country"),
        ("fr:canton", "other"),
        ("other", "other"),
    ],
)
def test_granularities(value, expected):
    assert map_granularity(value, []) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("**Gras** et *italique*\n\n- liste", "**Gras** et *italique*\n\n- liste"),
        ("Ligne<br/>suivante", "Ligne  \nsuivante"),
        (
            'Voir <a href="https://exemple.fr/doc">la doc</a> et <b>ceci</b>.',
            "Voir [la doc](https://exemple.fr/doc) et **ceci**.",
        ),
        (
            'Avant<script>alert("x")</script> <span class="x">après</span>',
            "Avant après",
        ),
        ('<a href="javascript:alert(1)">piège</a>', "piège"),
        (
            "- un\n- deux\n\nContact : <opendata@strasbourg.eu>, "
            "voir <https://data.strasbourg.eu/>",
            "- un\n- deux\n\nContact : <opendata@strasbourg.eu>, "
            "voir <https://data.strasbourg.eu/>",
        ),
        # a whole HTML document is left as it is (CKAN sanitises it on display)
        ("<p>Un <b>document</b></p>", "<p>Un <b>document</b></p>"),
    ],
)
def test_markdown_keeps_markdown_and_rewrites_inline_html(text, expected):
    assert markdown(text) == expected


# --------------------------------------------------------------------------
# Configuration and whole jobs
# --------------------------------------------------------------------------


def _create_source(partner: PartnerServer, **config: Any) -> dict[str, Any]:
    org = factories.Organization(
        name="eurometropole", kind="epci", cog_code="246700488"
    )
    return call_action(
        "harvest_source_create",
        {"user": factories.Sysadmin()["name"]},
        name="eurometropole-data-gouv",
        title="Eurométropole sur data.gouv.fr",
        url=partner.url,
        source_type="territoire_udata",
        owner_org=org["id"],
        config=json.dumps({"organization": ORG_SLUG, "page_size": 3, **config}),
    )


def _show(source_id: str, remote_id: str) -> dict[str, Any]:
    record = records.get(source_id, remote_id)
    assert record is not None, remote_id
    return call_action("package_show", {"ignore_auth": True}, id=record.package_id)


@pytest.mark.usefixtures("clean_db")
@pytest.mark.parametrize("config", ["", '{"page_size": 3}'])
def test_source_without_organisation_is_refused(partner, config):
    org = factories.Organization()
    with pytest.raises(tk.ValidationError) as e:
        call_action(
            "harvest_source_create",
            {"user": factories.Sysadmin()["name"]},
            name="sans-organisation",
            title="Sans organisation",
            url=partner.url,
            source_type="territoire_udata",
            owner_org=org["id"],
            config=config,
        )
    assert "organization" in str(e.value.error_dict["config"])


@pytest.mark.usefixtures("clean_db", "cog")
def test_harvest_then_unchanged_rerun(partner):
    _serve(partner)
    source = _create_source(partner)
    status = run_source(source["id"])
    assert status.done and status.gather_errors == []
    assert status.counts == {"added": 3}

    deliberations = _show(source["id"], DELIBERATIONS)
    assert deliberations["title"] == "Délibérations du conseil de l'Eurométropole"
    assert deliberations["notes"].startswith(
        "Liste des délibérations adoptées par le conseil de l'Eurométropole, "
        "au format **SCDL**.  \nMise à jour"
    )
    assert deliberations["territories"] == ["epci:246700488"]
    assert deliberations["license_id"] == "etalab-2.0"
    assert deliberations["frequency"] == "MONTHLY"
    assert deliberations["provenance_identifier"] == DELIBERATIONS
    assert deliberations["contact_email"] == "opendata@strasbourg.eu"
    assert sorted(t["name"] for t in deliberations["tags"]) == [
        "conseil",
        "deliberations",
        "scdl",
    ]
    [csv, pdf] = deliberations["resources"]
    assert (csv["format"], csv["size"], csv["schema"], csv["schema_version"]) == (
        "CSV",
        482113,
        "scdl/deliberations",
        "2.1.5",
    )
    assert pdf["name"] == "Guide de lecture"
    assert deliberations["spatial_bbox"] == "7.6213,48.4587,7.8931,48.7019"
    # an older zone id with a validity date
    assert _show(source["id"], EQUIPEMENTS)["territories"] == ["commune:67482"]
    air = _show(source["id"], AIR)
    assert air["territories"] == ["pays:fr", "departement:67", "region:44"]
    assert air["license_id"] == "other"
    assert "spatial_bbox" not in air
    warnings = [m for guid, m in status.object_errors if guid == AIR]
    assert len(warnings) == 5

    status = run_source(source["id"])
    assert status.counts == {"not modified": 3}


@pytest.mark.usefixtures("clean_db", "cog")
def test_new_slug_and_title_update_the_same_dataset(partner):
    pages = _serve(partner)
    source = _create_source(partner)
    run_source(source["id"])
    before = _show(source["id"], EQUIPEMENTS)

    item = pages[1]["data"][1]
    item["title"] = "Équipements sportifs de l'Eurométropole"
    item["slug"] = "equipements-sportifs-de-l-eurometropole"
    item["page"] = (
        "https://www.data.gouv.fr/fr/datasets/equipements-sportifs-de-l-eurometropole/"
    )
    status = run_source(source["id"])
    assert status.counts == {"updated": 1, "not modified": 2}
    after = _show(source["id"], EQUIPEMENTS)
    assert after["id"] == before["id"] and after["name"] == before["name"]
    assert after["title"] == "Équipements sportifs de l'Eurométropole"
    assert after["provenance_url"] == item["page"]
    assert call_action("package_search", {}, q="*:*")["count"] == 3


@pytest.mark.usefixtures("clean_db", "cog")
def test_dataset_archived_upstream_is_withdrawn(partner):
    pages = _serve(partner)
    source = _create_source(partner, withdraw_after_days=0)
    run_source(source["id"])

    pages[1]["data"][1]["archived"] = "2025-01-15T00:00:00+00:00"
    status = run_source(source["id"])
    assert status.counts == {"deleted": 1, "not modified": 2}
    withdrawn = _show(source["id"], EQUIPEMENTS)
    assert withdrawn["private"] and withdrawn["state"] == "active"


@pytest.mark.usefixtures("clean_db", "cog")
def test_malformed_page_changes_nothing(partner):
    pages = _serve(partner)
    source = _create_source(partner, withdraw_after_days=0)
    run_source(source["id"])
    pages[2] = {"message": "Internal error"}
    status = run_source(source["id"])
    [message] = status.gather_errors
    assert "« data » manque" in message
    assert status.counts == {}
    assert not _show(source["id"], EQUIPEMENTS)["private"]


@pytest.mark.usefixtures("clean_db", "cog")
def test_the_organization_option_leaves_the_source_owner_alone(partner, app):
    # "organization" names the partner's organisation on data.gouv.fr; the
    # source still belongs to our organisation, its pages still show
    _serve(partner)
    source = _create_source(partner)
    org_id = source["owner_org"]
    assert call_action("harvest_source_show", id=source["id"])["owner_org"] == org_id
    sysadmin = factories.Sysadmin()
    auth = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
    for url in (
        "/harvest/",
        f"/harvest/{source['name']}",
        "/organization/eurometropole",
    ):
        res = app.get(url, headers=auth)
        assert res.status_code == 200, (url, res.status_code)
    assert "Eurométropole sur data.gouv.fr" in app.get("/harvest/", headers=auth).body
