"""The Opendatasoft harvester (``territoire_opendatasoft``).

Gather tests run ``gather_remote`` against a partner portal played by a real
HTTP server on 127.0.0.1 (``partner``), through ``SafeHTTP``; mapping tests
call ``to_package`` on the payloads of ``tests/data/opendatasoft/`` (ODS's
public v2.1 and v2.0 formats); end-to-end tests run whole jobs through
ckanext-harvest's queues (``runner.run_source``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.territoire.harvesters import opendatasoft as ods
from ckanext.territoire.harvesters.base import RecordError, RemoteDataset, Source
from ckanext.territoire.harvesters.html import to_markdown
from ckanext.territoire.harvesters.http import SafeHTTP
from ckanext.territoire.harvesters.messages import HarvestMessage
from ckanext.territoire.vocabularies import free_text

from .conftest import Answer, PartnerServer, Request, read_data

V21 = "/api/explore/v2.1/catalog/datasets"
V21_EXPORT = "/api/explore/v2.1/catalog/exports/json"
V20 = "/api/explore/v2.0/catalog/datasets"
V20_EXPORT = "/api/explore/v2.0/catalog/exports/json"
PORTAL = "https://data.strasbourg.eu"
API = PORTAL + "/api/explore/v2.1"


def _json(name: str) -> Any:
    return json.loads(read_data("opendatasoft", name))


def _catalogue() -> list[dict[str, Any]]:
    """The four datasets of the v2.1 fixture, in its order."""
    return _json("catalog_v21.json")["results"]


def _by_id(dataset_id: str) -> dict[str, Any]:
    return next(d for d in _catalogue() if d["dataset_id"] == dataset_id)


def _source(url: str, **config: Any) -> Source:
    return Source(id="ods-test", url=url, owner_org=None, config=config)


def _gather(partner: PartnerServer, url: str | None = None, **config: Any):
    http = SafeHTTP()
    try:
        harvester = ods.OpendatasoftHarvester()
        return list(
            harvester.gather_remote(_source(url or partner.url, **config), http)
        )
    finally:
        http.close()


def _arg_int(request: Request, name: str, default: int) -> int:
    return int(request.arg(name, str(default)) or default)


def _v21_handler(datasets: list[dict[str, Any]], total: int | None = None):
    """A v2.1 listing: ``limit``/``offset`` slices of ``datasets``."""

    def handler(request: Request) -> Answer:
        limit = _arg_int(request, "limit", 10)
        offset = _arg_int(request, "offset", 0)
        if limit > 100 or offset + limit > ods.CEILING:
            return Answer.json(
                {
                    "message": "Invalid value for limit+offset: it must be lower "
                    "than or equal to 10000",
                    "error_code": "InvalidRESTParameterError",
                },
                status=400,
            )
        page = datasets[offset : offset + limit]
        count = len(datasets) if total is None else total
        return Answer.json({"total_count": count, "results": page})

    return handler


def _serve_v21(partner: PartnerServer, datasets: list[dict[str, Any]] | None = None):
    partner.route(V21, _v21_handler(_catalogue() if datasets is None else datasets))


def _template(i: int) -> dict[str, Any]:
    """A small dataset of a big generated catalogue."""
    return {
        "dataset_id": f"jeu-{i:05d}",
        "dataset_uid": f"da_{i:06x}",
        "attachments": [],
        "has_records": True,
        "data_visible": True,
        "fields": [{"name": "valeur", "label": "Valeur", "type": "int"}],
        "metas": {
            "default": {
                "title": f"Jeu {i}",
                "description": None,
                "modified": "2024-01-01T00:00:00+00:00",
                "records_count": i,
            }
        },
        "features": ["analyze"],
    }


# --------------------------------------------------------------------------
# Source addresses
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, config, portal, api",
    [
        ("https://data.strasbourg.eu", {}, PORTAL, API),
        ("https://data.strasbourg.eu/", {}, PORTAL, API),
        ("https://data.strasbourg.eu/explore/", {}, PORTAL, API),
        (
            "https://data.strasbourg.eu/explore/dataset/budget-primitif-2024/"
            "information/?sort=modified",
            {},
            PORTAL,
            API,
        ),
        ("https://data.strasbourg.eu/api/explore/v2.1/", {}, PORTAL, API),
        (
            "https://data.strasbourg.eu/api/explore/v2.1/catalog/datasets",
            {},
            PORTAL,
            API,
        ),
        (
            "https://data.strasbourg.eu/api/explore/v2.0",
            {},
            PORTAL,
            PORTAL + "/api/explore/v2.0",
        ),
        ("https://data.strasbourg.eu/api/v2", {}, PORTAL, PORTAL + "/api/explore/v2.0"),
        (
            "https://data.strasbourg.eu",
            {"api_version": "2.0"},
            PORTAL,
            PORTAL + "/api/explore/v2.0",
        ),
        # the configuration wins over the address
        ("https://data.strasbourg.eu/api/v2", {"api_version": "2.1"}, PORTAL, API),
    ],
)
def test_source_address_forms(url, config, portal, api):
    ep = ods.Endpoints.of(_source(url, **config))
    assert (ep.portal, ep.api) == (portal, api)


def test_config_options_are_validated():
    harvester = ods.OpendatasoftHarvester()
    good = {
        "api_version": "2.0",
        "where": "publisher = 'Ville de Strasbourg'",
        "refine": ["theme:Environnement", "keyword:vélo"],
        "exclude": "publisher:Test",
        "page_size": 50,
        "lang": "en",
        "exports": ["csv", "parquet"],
        "withdraw_after_days": 3,
    }
    assert harvester.validate_config(json.dumps(good)) == json.dumps(good)
    for bad in (
        {"api_version": "1.0"},
        {"page_size": 500},
        {"refine": ["sans-deux-points"]},
        {"exports": ["pdf"]},
        {"lang": "français"},
    ):
        with pytest.raises(ValueError, match="Configuration de la source invalide"):
            harvester.validate_config(json.dumps(bad))


# --------------------------------------------------------------------------
# Gather: v2.1
# --------------------------------------------------------------------------


def test_v21_reads_every_page(partner):
    _serve_v21(partner)
    remotes = _gather(partner, page_size=2)

    assert [r.remote_id for r in remotes] == [
        "da_8k2pqz",
        "da_3fj9x1",
        "da_0bq7mv",
        "da_v61nbe",
    ]
    hits = partner.hits(V21)
    assert [(h.arg("offset"), h.arg("limit")) for h in hits] == [("0", "2"), ("2", "2")]
    for hit in hits:
        assert hit.arg("order_by") == "dataset_id"
        assert hit.arg("lang") == "fr"
        assert hit.arg("timezone") == "UTC"
        assert "where" not in hit.query and "refine" not in hit.query
    first = remotes[0].payload
    assert first["portal"] == partner.url
    assert first["api"] == partner.url + "/api/explore/v2.1"
    assert first["dataset"]["dataset_id"] == "equipements-sportifs"


def test_v21_default_page_is_one_request_of_100(partner):
    _serve_v21(partner)
    assert len(_gather(partner)) == 4
    [hit] = partner.hits(V21)
    assert (hit.arg("offset"), hit.arg("limit")) == ("0", "100")


def test_v21_sends_the_configured_filters(partner):
    _serve_v21(partner)
    _gather(
        partner,
        where="modified >= date'2024-01-01'",
        refine=["theme:Environnement", "publisher:Eurométropole de Strasbourg"],
        exclude="keyword:test",
        lang="en",
    )
    [hit] = partner.hits(V21)
    assert hit.query["where"] == ["modified >= date'2024-01-01'"]
    assert hit.query["refine"] == [
        "theme:Environnement",
        "publisher:Eurométropole de Strasbourg",
    ]
    assert hit.query["exclude"] == ["keyword:test"]
    assert hit.arg("lang") == "en"


def test_payload_leaves_out_what_ods_rewrites_at_every_run(partner):
    datasets = _catalogue()
    _serve_v21(partner, datasets)
    before = _gather(partner)
    datasets[0]["metas"]["default"]["metadata_processed"] = "2030-01-01T00:00:00+00:00"
    datasets[0]["metas"]["default"]["data_processed"] = "2030-01-01T00:00:00+00:00"
    datasets[0]["metas"]["default"]["records_count"] = 999
    datasets[0]["fields"][0]["label"] = "Nouvel intitulé"
    after = _gather(partner)
    assert after[0].payload == before[0].payload
    default = after[0].payload["dataset"]["metas"]["default"]
    assert not set(ods.VOLATILE_METAS) & set(default)
    assert after[0].payload["dataset"]["fields"][0] == {
        "name": "identifiant",
        "type": "text",
    }

    datasets[0]["metas"]["default"]["title"] = "Nouveau titre"
    assert _gather(partner)[0].payload != before[0].payload


def test_remote_id_is_the_uid_else_the_slug(partner):
    datasets = _catalogue()[:2]
    del datasets[1]["dataset_uid"]
    _serve_v21(partner, datasets)
    assert [r.remote_id for r in _gather(partner)] == [
        "da_8k2pqz",
        "budget-primitif-2024",
    ]


# --------------------------------------------------------------------------
# Gather: the 10 000 ceiling
# --------------------------------------------------------------------------


def _no_request_past_the_ceiling(partner: PartnerServer) -> None:
    for hit in partner.requests:
        if "offset" in hit.query:
            offset, limit = _arg_int(hit, "offset", 0), _arg_int(hit, "limit", 10)
            assert offset + limit <= ods.CEILING, hit


def test_v21_catalogue_past_the_ceiling_is_read_once_from_the_export(partner):
    big = [_template(i) for i in range(ods.CEILING + 50)]
    _serve_v21(partner, big)
    partner.route(V21_EXPORT, Answer.json(big))

    remotes = _gather(partner)

    assert len(remotes) == len(big)
    assert len({r.remote_id for r in remotes}) == len(big)
    assert len(partner.hits(V21)) == 1  # only to learn total_count
    [export] = partner.hits(V21_EXPORT)
    assert export.arg("limit") == "-1"
    assert export.arg("lang") == "fr"
    _no_request_past_the_ceiling(partner)


def test_v21_export_carries_the_filters(partner):
    big = [_template(i) for i in range(ods.CEILING + 1)]
    _serve_v21(partner, big)
    partner.route(V21_EXPORT, Answer.json(big[:3]))
    _gather(partner, where="title like 'Jeu'", refine="publisher:Ville")
    [export] = partner.hits(V21_EXPORT)
    assert export.query["where"] == ["title like 'Jeu'"]
    assert export.query["refine"] == ["publisher:Ville"]


def test_v21_exactly_at_the_ceiling_pages_without_passing_it(partner):
    big = [_template(i) for i in range(ods.CEILING)]
    _serve_v21(partner, big)
    remotes = _gather(partner, page_size=99)
    assert len(remotes) == ods.CEILING
    assert len({r.remote_id for r in remotes}) == ods.CEILING
    assert not partner.hits(V21_EXPORT)
    last = partner.hits(V21)[-1]
    assert (last.arg("offset"), last.arg("limit")) == ("9999", "1")
    _no_request_past_the_ceiling(partner)


def test_v21_catalogue_growing_past_the_ceiling_while_paging(partner):
    big = [_template(i) for i in range(ods.CEILING + 5)]
    handler = _v21_handler(big)

    def growing(request: Request) -> Answer:
        if request.arg("offset") == "0":
            return Answer.json({"total_count": 150, "results": big[:100]})
        return handler(request)

    partner.route(V21, growing)
    partner.route(V21_EXPORT, Answer.json(big))
    remotes = _gather(partner)
    assert len(remotes) == len(big)  # the export alone, nothing counted twice
    assert len(partner.hits(V21)) == 2
    assert len(partner.hits(V21_EXPORT)) == 1


def test_v21_empty_export_of_a_big_catalogue_is_an_error(partner):
    _serve_v21(partner, [_template(i) for i in range(ods.CEILING + 1)])
    partner.route(V21_EXPORT, Answer.json([]))
    with pytest.raises(HarvestMessage, match="export du catalogue .* est vide"):
        _gather(partner)


# --------------------------------------------------------------------------
# Gather: v2.0
# --------------------------------------------------------------------------


def _serve_v20(partner: PartnerServer) -> None:
    pages = {
        "0": _json("catalog_v20_page1.json"),
        "2": _json("catalog_v20_page2.json"),
    }
    partner.route(V20, lambda r: Answer.json(pages[r.arg("offset", "0") or "0"]))


def test_v20_follows_the_next_links_on_the_source_host(partner):
    _serve_v20(partner)
    remotes = _gather(partner, api_version="2.0", page_size=2)

    assert [r.remote_id for r in remotes] == [
        "da_8k2pqz",
        "da_3fj9x1",
        "da_0bq7mv",
        "da_v61nbe",
    ]
    first, second = partner.hits(V20)
    assert (first.arg("offset"), first.arg("limit")) == ("0", "2")
    assert first.arg("order_by") == "dataset_id"
    # the link names data.strasbourg.eu: followed on the source's own host
    assert (second.arg("offset"), second.arg("limit")) == ("2", "2")
    assert second.arg("include_app_metas") == "False"
    assert remotes[0].payload["api"] == partner.url + "/api/explore/v2.0"


def test_v20_and_v21_give_the_same_payloads(partner):
    _serve_v20(partner)
    _serve_v21(partner)
    v20 = _gather(partner, api_version="2.0")
    v21 = _gather(partner)
    assert [r.payload["dataset"] for r in v20] == [r.payload["dataset"] for r in v21]


def test_v20_next_link_back_to_a_read_page_is_an_error(partner):
    page = _json("catalog_v20_page1.json")
    for link in page["links"]:
        if link["rel"] == "next":
            link["href"] = link["href"].replace("offset=2", "offset=0")
    partner.route(V20, Answer.json(page))
    with pytest.raises(HarvestMessage, match="déjà lue"):
        _gather(partner, url=partner.url + "/api/v2", page_size=2)
    assert len(partner.hits(V20)) == 1


def test_v20_catalogue_past_the_ceiling_is_read_from_the_export(partner):
    big = [_template(i) for i in range(ods.CEILING + 1)]
    first = {"total_count": len(big), "links": [], "datasets": []}
    partner.route(V20, Answer.json(first))
    partner.route(V20_EXPORT, Answer.json([{"dataset": d} for d in big]))
    remotes = _gather(partner, api_version="2.0")
    assert len(remotes) == len(big)
    assert len(partner.hits(V20)) == 1
    _no_request_past_the_ceiling(partner)


def test_v20_next_link_past_the_ceiling_is_shortened(partner):
    big = [_template(i) for i in range(ods.CEILING)]

    def handler(request: Request) -> Answer:
        offset = _arg_int(request, "offset", 0)
        limit = _arg_int(request, "limit", 10)
        assert offset + limit <= ods.CEILING
        links = []
        if offset + limit < len(big):
            href = f"{PORTAL}{V20}?limit={limit}&offset={offset + limit}"
            links.append({"rel": "next", "href": href})
        page = [{"links": [], "dataset": d} for d in big[offset : offset + limit]]
        return Answer.json({"total_count": len(big), "links": links, "datasets": page})

    partner.route(V20, handler)
    remotes = _gather(partner, api_version="2.0", page_size=99)
    assert len(remotes) == ods.CEILING
    last = partner.hits(V20)[-1]
    assert (last.arg("offset"), last.arg("limit")) == ("9999", "1")
    assert not partner.hits(V20_EXPORT)


# --------------------------------------------------------------------------
# Gather failures
# --------------------------------------------------------------------------


def _v20_page_at_v21() -> Answer:
    return Answer.json(_json("catalog_v20_page1.json"))


@pytest.mark.parametrize(
    "answer, expected",
    [
        (Answer(body="{not json"), "n'est pas du JSON valide"),
        (
            Answer(body="<html>Maintenance</html>", content_type="text/html"),
            "text/html",
        ),
        (Answer(status=500, body='{"message": "Internal error"}'), "500"),
        (Answer(status=502, body="Bad Gateway", content_type="text/plain"), "502"),
        (_v20_page_at_v21(), "« results »"),
        (Answer.json([]), "« (racine) »"),
        (Answer.json({"results": []}), "« total_count »"),
        (Answer.json({"total_count": "4", "results": []}), "« total_count »"),
        (Answer.json({"total_count": 1, "results": ["x"]}), "« results[0] »"),
        (Answer.json({"total_count": 1, "results": None}), "« results »"),
        (
            Answer(status=404, body='{"error": "Unknown resource."}'),
            "ne mène pas à un portail Opendatasoft",
        ),
    ],
    ids=[
        "malformed-json",
        "html",
        "http-500",
        "http-502",
        "v2.0-shape",
        "list",
        "no-total",
        "total-not-int",
        "item-not-object",
        "results-null",
        "not-ods",
    ],
)
def test_v21_bad_answers_fail_the_gather(partner, answer, expected):
    partner.route(V21, answer)
    with pytest.raises(HarvestMessage) as e:
        _gather(partner)
    assert expected in str(e.value)


@pytest.mark.parametrize(
    "page, expected",
    [
        ({"total_count": 4, "results": []}, "« datasets »"),
        ({"total_count": 4, "datasets": [{"links": []}]}, "« datasets[0].dataset »"),
        (
            {"total_count": 4, "datasets": [], "links": [{"rel": "next", "href": ""}]},
            "« links[rel=next].href »",
        ),
        (
            {
                "total_count": 4,
                "datasets": [],
                "links": [{"rel": "next", "href": "https://evil.example/steal"}],
            },
            "« links[rel=next].href »",
        ),
    ],
    ids=["v2.1-shape", "no-dataset", "empty-next", "next-elsewhere"],
)
def test_v20_bad_answers_fail_the_gather(partner, page, expected):
    partner.route(V20, Answer.json(page))
    with pytest.raises(HarvestMessage) as e:
        _gather(partner, api_version="2.0")
    assert expected in str(e.value)
    assert "API 2.0" in str(e.value)


def test_bad_export_fails_the_gather(partner):
    _serve_v21(partner, [_template(i) for i in range(ods.CEILING + 1)])
    partner.route(V21_EXPORT, Answer.json({"results": []}))
    with pytest.raises(HarvestMessage, match="« \\(racine\\) »"):
        _gather(partner)


def test_odsql_error_names_the_options_to_fix(partner):
    partner.route(
        V21, Answer(status=400, body=read_data("opendatasoft", "error_400_odsql.json"))
    )
    with pytest.raises(HarvestMessage) as e:
        _gather(partner, where="themes = 'Environnement'")
    french = str(e.value).split("\n")[0]
    assert "ODSQL query is malformed: unknown field 'themes'" in french
    assert "where" in french and "Aucun jeu de données n'a été modifié" in french
    assert ".." not in french


def test_quota_error_says_it_will_retry(partner):
    partner.route(
        V21, Answer(status=429, body=read_data("opendatasoft", "error_429_quota.json"))
    )
    with pytest.raises(HarvestMessage) as e:
        _gather(partner)
    message = str(e.value)
    assert "quota atteint (Too many requests on the domain" in message
    assert "réessaiera" in message
    assert ".." not in message


# --------------------------------------------------------------------------
# Mapping
# --------------------------------------------------------------------------


def _record(item: dict[str, Any], portal: str = PORTAL) -> RemoteDataset:
    ep = ods.Endpoints.of(_source(portal))
    return ods._remote(copy.deepcopy(item), ep)


def _map(item: dict[str, Any], **config: Any) -> tuple[dict[str, Any], list[str]]:
    warnings: list[str] = []
    pkg = ods.OpendatasoftHarvester().to_package(
        _record(item).payload, _source(PORTAL, **config), warnings
    )
    return pkg, warnings


def _exports(dataset_id: str, *fmts: str) -> list[dict[str, Any]]:
    return [
        {
            "url": f"{API}/catalog/datasets/{dataset_id}/exports/{fmt}",
            "name": ods.EXPORTS[fmt].name,
            "description": ods.EXPORTS[fmt].description,
            "format": ods.EXPORTS[fmt].format,
        }
        for fmt in fmts
    ]


def test_mapping_of_a_complete_dataset():
    item = _by_id("equipements-sportifs")
    pkg, warnings = _map(item)
    assert warnings == []
    assert pkg == {
        "name": "equipements-sportifs",
        "title": "Équipements sportifs de l'Eurométropole",
        "notes": item["metas"]["default"]["description"],  # HTML, for the base
        "territories": ["commune:67482"],
        "granularity": "infra-commune",
        "temporal_start": "2016-01-01",
        "temporal_end": "2024-12-31",
        "frequency": "ANNUAL",
        "themes": ["EDUC"],
        "tags": [
            {"name": "sport"},
            {"name": "équipements sportifs"},
            {"name": "piscine"},
            {"name": "gymnase"},
        ],
        "license_id": "etalab-2.0",
        "contact_name": "Service SIG et open data",
        "contact_email": "opendata@strasbourg.eu",
        "issued": "2016-05-10",
        # 23:30 UTC on the 12th is the 13th in Paris
        "modified": "2024-03-13",
        "provenance_identifier": "equipements-sportifs",
        "provenance_url": f"{PORTAL}/explore/dataset/equipements-sportifs/",
        "resources": _exports("equipements-sportifs", "csv", "xlsx", "json", "geojson")
        + [
            {
                "url": f"{API}/catalog/datasets/equipements-sportifs/attachments/"
                "guide_des_equipements_2024_pdf",
                "name": "Guide des équipements 2024.pdf",
                "format": "PDF",
            }
        ],
    }


def test_description_html_is_left_safe_by_the_base():
    pkg, _w = _map(_by_id("equipements-sportifs"))
    notes = to_markdown(pkg["notes"])
    assert "script" not in notes and "evil.example" not in notes
    assert "javascript" not in notes
    assert (
        "[la page des sports](https://www.strasbourg.eu/equipements-sportifs)" in notes
    )
    assert "la carte interactive" in notes
    assert "- mise à jour chaque année en mars ;" in notes


def test_mapping_of_a_dataset_with_null_metas_and_no_dcat():
    pkg, warnings = _map(_by_id("budget-primitif-2024"))
    assert warnings == []
    assert pkg == {
        "name": "budget-primitif-2024",
        "title": "Budget primitif 2024",
        "territories": ["pays:fr"],
        "frequency": "ANNUAL",  # metas.default.update_frequency
        "themes": ["GOVE"],
        "license_id": "odc-odbl",
        "contact_name": "Ville de Strasbourg",  # the publisher
        "modified": "2024-01-30",
        "provenance_identifier": "budget-primitif-2024",
        "provenance_url": f"{PORTAL}/explore/dataset/budget-primitif-2024/",
        "resources": _exports("budget-primitif-2024", "csv", "xlsx", "json"),
    }


def test_mapping_of_a_dataset_without_records():
    pkg, warnings = _map(_by_id("plan-velo-2030"))
    assert warnings == []
    base = f"{API}/catalog/datasets/plan-velo-2030/attachments"
    assert pkg == {
        "name": "plan-velo-2030",
        "title": "Plan vélo 2030",
        "notes": "<h2>Objectifs</h2><p>Le plan vélo fixe les itinéraires cyclables "
        "à créer d'ici <em>2030</em>.</p><ol><li>Réseau express vélo</li>"
        "<li>Stationnement sécurisé</li></ol>",
        "territories": ["commune:67482", "commune:67447"],
        "temporal_start": "2023-01-01",
        "temporal_end": "2030-12-31",
        "frequency": "NEVER",
        "themes": ["TRAN", "ENVI"],
        "tags": [{"name": "vélo"}, {"name": "mobilité"}, {"name": "pistes cyclables"}],
        "license_id": "cc-by-4.0",
        "contact_name": "Eurométropole de Strasbourg",
        "contact_email": "velo@strasbourg.eu",
        "issued": "2023-06-01",  # metas.dcat.created
        "modified": "2023-07-01",
        "provenance_identifier": "plan-velo-2030",
        "provenance_url": f"{PORTAL}/explore/dataset/plan-velo-2030/",
        # no exports: only the attachments
        "resources": [
            {
                "url": f"{base}/plan_velo_2030_pdf",
                "name": "Plan vélo 2030.pdf",
                "format": "PDF",
            },
            {
                "url": f"{base}/itineraires_cyclables_zip",
                "name": "Itinéraires cyclables (Shapefile).zip",
                "format": "ZIP",
            },
        ],
    }


def test_mapping_of_unknown_values_warns_and_keeps_what_it_can():
    pkg, warnings = _map(_by_id("frequentation-hoteliere"))
    assert pkg == {
        "name": "frequentation-hoteliere",
        "title": "Fréquentation hôtelière mensuelle",
        "notes": "<p>Nuitées et arrivées dans les hôtels du Bas-Rhin, par mois.</p>"
        '<p>Licence : <a href="http://www.nationalarchives.gov.uk/doc/'
        'open-government-licence/version/3/">Open Government Licence v3.0</a></p>',
        "temporal_start": "2015-01-01",  # "depuis 2015": no end
        "themes": ["ECON"],
        "tags": [{"name": "tourisme"}, {"name": "hôtels"}],
        "license_id": "other",
        "contact_name": "Agence d'attractivité de l'Alsace",
        "issued": "2019-02-05",
        "modified": "2024-02-05",
        "provenance_identifier": "frequentation-hoteliere",
        "provenance_url": f"{PORTAL}/explore/dataset/frequentation-hoteliere/",
        "resources": _exports("frequentation-hoteliere", "csv", "xlsx", "json"),
    }
    # each warning in French, then its English translation
    assert [w.split("\n")[0] for w in warnings] == [
        "Avertissement : licence « Open Government Licence v3.0 » absente de la "
        "liste du portail : le jeu de données est publié sous « autre licence », "
        "nommée dans sa description.",
        "Avertissement : adresse de contact « tourisme[at]alsace.eu » invalide, "
        "ignorée.",
        "Avertissement : zone géographique Opendatasoft non reconnue (fr_20_67) : "
        "le territoire par défaut de la source ou de l'organisation s'applique.",
        "Avertissement : fréquence de mise à jour « Toutes les six semaines » non "
        "reconnue, ignorée.",
        "Avertissement : thème « Vie nocturne » sans équivalent dans les thèmes "
        "européens (data-theme), ignoré.",
    ]


def test_mapping_is_deterministic_and_the_same_from_v20():
    harvester = ods.OpendatasoftHarvester()
    source = _source(PORTAL)
    for item in _catalogue():
        payload = _record(item).payload
        first = harvester.to_package(copy.deepcopy(payload), source, [])
        again = harvester.to_package(copy.deepcopy(payload), source, [])
        assert json.dumps(first, sort_keys=False) == json.dumps(again, sort_keys=False)
    for wrapped in _json("catalog_v20_page1.json")["datasets"]:
        ep = ods.Endpoints.of(_source(PORTAL, api_version="2.0"))
        v20 = harvester.to_package(
            ods._remote(wrapped["dataset"], ep).payload, source, []
        )
        v21 = harvester.to_package(_record(wrapped["dataset"]).payload, source, [])
        for res in v20["resources"]:
            res["url"] = res["url"].replace("/v2.0/", "/v2.1/")
        assert v20 == v21


def test_configured_exports_and_restricted_data():
    item = _by_id("equipements-sportifs")
    item["attachments"] = []
    pkg, _w = _map(item, exports=["parquet", "csv", "shp"])
    assert pkg["resources"] == _exports("equipements-sportifs", "parquet", "csv", "shp")
    item["data_visible"] = False  # records restricted: exports would be refused
    assert _map(item)[0]["resources"] == []
    # geo-only exports need a geographic field
    pkg, _w = _map(_by_id("budget-primitif-2024"), exports=["geojson", "kml"])
    assert pkg["resources"] == []


def test_attachment_urls():
    item = _by_id("plan-velo-2030")
    item["attachments"] = [
        {
            "href": "https://data.strasbourg.eu/api/v2/catalog/datasets/plan-velo-2030/"
            "attachments/carte_pdf",
            "metas": {},
            "id": "carte_pdf",
            "title": "Carte",
            "mimetype": "application/pdf",
        },
        {"url": "https://www.strasbourg.eu/documents/velo.odt", "title": "Annexe.odt"},
        {"title": "sans adresse"},
    ]
    pkg, warnings = _map(item)
    assert pkg["resources"] == [
        {
            "url": "https://data.strasbourg.eu/api/v2/catalog/datasets/plan-velo-2030/"
            "attachments/carte_pdf",
            "name": "Carte",
            "format": "PDF",
        },
        {
            "url": "https://www.strasbourg.eu/documents/velo.odt",
            "name": "Annexe.odt",
            "format": "ODT",
        },
    ]
    assert len(warnings) == 1 and "pièce jointe" in warnings[0]


def test_federated_dataset_ids_are_quoted_in_urls():
    item = _by_id("budget-primitif-2024")
    item["dataset_id"] = "budget primitif@ville-exemple"
    payload = _record(item).payload
    assert ods.OpendatasoftHarvester().original_url(payload) == (
        f"{PORTAL}/explore/dataset/budget%20primitif@ville-exemple/"
    )


def test_records_that_cannot_be_mapped_are_record_errors():
    harvester = ods.OpendatasoftHarvester()
    source = _source(PORTAL)
    item = _by_id("budget-primitif-2024")
    no_title = copy.deepcopy(item)
    no_title["metas"]["default"]["title"] = None
    no_metas = copy.deepcopy(item)
    no_metas["metas"] = None
    for broken, expected in ((no_title, "pas de titre"), (no_metas, "métadonnées")):
        with pytest.raises(RecordError, match=expected):
            harvester.to_package(_record(broken).payload, source, [])
    with pytest.raises(RecordError):
        harvester.to_package({"portal": PORTAL}, source, [])


def test_missing_licence_is_left_to_the_default_with_a_warning():
    item = _by_id("budget-primitif-2024")
    item["metas"]["default"]["license"] = None
    item["metas"]["default"]["license_url"] = None
    pkg, warnings = _map(item)
    assert "license_id" not in pkg
    assert warnings and "pas de licence" in warnings[0]


@pytest.mark.parametrize(
    "theme, codes",
    [
        ("Environnement", ["ENVI"]),
        ("Transports, Déplacements", ["TRAN"]),
        ("Administration, Gouvernement, Finances publiques, Citoyenneté", ["GOVE"]),
        ("Culture, Patrimoine", ["EDUC"]),
        (
            "Aménagement du territoire, Urbanisme, Bâtiments, Equipements, Logement",
            ["REGI"],
        ),
        ("Economie, Business, PME, Développement économique, Emploi", ["ECON"]),
        ("Education, Formation, Recherche, Enseignement", ["EDUC"]),
        ("Santé", ["HEAL"]),
        ("Sports, Loisirs", ["EDUC"]),
        ("Services, Social", ["SOCI"]),
        ("Justice, Sécurité, Police, Criminalité", ["JUST"]),
        ("Patrimoine culturel", ["EDUC"]),
        ("Hébergement, industrie hôtelière", ["ECON"]),
        ("Administration, Government, Public finances, Citizenship", ["GOVE"]),
        ("ECONOMIE", ["ECON"]),
        ("Énergie et climat", ["ENER", "ENVI"]),
        ("Transports urbains", ["TRAN"]),
        ("Qualité de l'air", ["ENVI"]),
        ("ENVI", ["ENVI"]),
        ("http://publications.europa.eu/resource/authority/data-theme/AGRI", ["AGRI"]),
        ("Vie nocturne", []),
        ("Divers", []),
    ],
)
def test_theme_table(theme, codes):
    assert free_text.theme_codes(theme) == codes


@pytest.mark.parametrize(
    "name, url, expected",
    [
        (
            "Licence Ouverte v2.0 (Etalab)",
            "https://www.etalab.gouv.fr/wp-content/uploads/2017/04/"
            "ETALAB-Licence-Ouverte-v2.0.pdf",
            "etalab-2.0",
        ),
        ("Licence Ouverte / Open Licence version 2.0", None, "etalab-2.0"),
        (None, "https://www.etalab.gouv.fr/licence-ouverte-open-licence", "etalab-2.0"),
        ("Licence Ouverte (Etalab)", None, "etalab-2.0"),
        ("Licence Ouverte v1.0", None, "other"),
        ("fr-lo", None, "other"),
        ("Open Database License (ODbL)", None, "odc-odbl"),
        ("ODC-ODbL", None, "odc-odbl"),
        (None, "http://opendatacommons.org/licenses/odbl/", "odc-odbl"),
        ("CC BY 4.0", None, "cc-by-4.0"),
        ("Creative Commons Attribution 4.0 International", None, "cc-by-4.0"),
        (None, "https://creativecommons.org/licenses/by/4.0/deed.fr", "cc-by-4.0"),
        ("CC BY-SA 4.0", None, "cc-by-sa-4.0"),
        (None, "https://creativecommons.org/licenses/by-sa/4.0/", "cc-by-sa-4.0"),
        ("CC0 1.0", None, "cc-zero"),
        (None, "https://creativecommons.org/publicdomain/zero/1.0/", "cc-zero"),
        ("CC BY 3.0 FR", None, "other"),
        ("CC BY-NC 4.0", None, "other"),
        ("CC BY-ND 4.0", None, "other"),
        ("Open Government Licence v3.0", None, "other"),
        ("Licence propriétaire", "https://exemple.fr/cgu", "other"),
    ],
)
def test_licence_table(name, url, expected):
    warnings: list[str] = []
    code, _other = ods.map_license(name, url, warnings)
    assert code == expected
    assert bool(warnings) == (expected == "other")


@pytest.mark.parametrize(
    "text, code",
    [
        ("Annuelle", "ANNUAL"),
        ("Mensuelle", "MONTHLY"),
        ("En continu", "CONT"),
        ("Temps réel", "CONT"),
        ("Quotidienne", "DAILY"),
        ("Hebdomadaire", "WEEKLY"),
        ("Bimensuelle", "BIWEEKLY"),
        ("Trimestrielle", "QUARTERLY"),
        ("Semestrielle", "ANNUAL_2"),
        ("Irrégulière", "IRREG"),
        ("Ponctuelle", "NEVER"),
        ("Tous les deux ans", "BIENNIAL"),
        ("ANNUAL", "ANNUAL"),
        ("annual_2", "ANNUAL_2"),
        (
            "http://publications.europa.eu/resource/authority/frequency/QUARTERLY",
            "QUARTERLY",
        ),
        ("http://purl.org/cld/freq/monthly", "MONTHLY"),
        ("R/P1Y", "ANNUAL"),
        ("P1W", "WEEKLY"),
        ("Toutes les six semaines", None),
    ],
)
def test_frequency_table(text, code):
    assert free_text.frequency_code(text) == code


@pytest.mark.parametrize(
    "text, period",
    [
        ("2016 - 2024", ("2016-01-01", "2024-12-31")),
        ("de 2023 à 2030", ("2023-01-01", "2030-12-31")),
        ("2020", ("2020-01-01", "2020-12-31")),
        ("Données mensuelles depuis 2015", ("2015-01-01", None)),
        ("2019-01-01/2019-06-30", ("2019-01-01", "2019-06-30")),
        ("du 01/03/2019 au 31/12/2021", ("2019-03-01", "2021-12-31")),
        ("à partir du 15/09/2020", ("2020-09-15", None)),
        ("Données historiques", (None, None)),
    ],
)
def test_temporal_text(text, period):
    assert ods.parse_temporal(text) == period


@pytest.mark.parametrize(
    "value, date",
    [
        ("2024-03-12T23:30:00+00:00", "2024-03-13"),
        ("2024-07-12T21:59:59Z", "2024-07-12"),
        ("2022-11-04T09:03:03.268000+00:00", "2022-11-04"),
        ("2024-03-12", "2024-03-12"),
        ("2024-03", "2024-03-01"),
        ("2024", "2024-01-01"),
        ("05/02/2019", "2019-02-05"),
        ("hier", None),
        (None, None),
    ],
)
def test_dates(value, date):
    assert ods.parse_date(value) == date


@pytest.mark.parametrize(
    "reference, code",
    [
        ("world_fr", "pays:fr"),
        ("fr_40_67482", "commune:67482"),
        ("fr_40_2A004", "commune:2A004"),
        ("fr_30_246700488", "epci:246700488"),
        ("fr_20_2B", "departement:2B"),
        ("fr_20_974", "departement:974"),
        ("fr_20_67", None),  # département or région: not guessed
        ("world", None),
        ("world_de", None),
    ],
)
def test_geographic_references(reference, code):
    assert ods.territory_code(reference) == code


# --------------------------------------------------------------------------
# End to end: jobs through ckanext-harvest's queues
# --------------------------------------------------------------------------


@pytest.fixture
def harvest_source(partner) -> Iterator[dict[str, Any]]:
    org = factories.Organization(
        name="ville-strasbourg", kind="commune", cog_code="67482"
    )
    yield call_action(
        "harvest_source_create",
        {"user": factories.Sysadmin()["name"]},
        name="strasbourg-ods",
        title="data.strasbourg.eu",
        url=partner.url,
        source_type="territoire_opendatasoft",
        owner_org=org["id"],
    )


def _run(source: dict[str, Any]):
    from ckanext.territoire.harvesters.runner import run_source

    return run_source(source["id"])


def _packages(source: dict[str, Any]) -> dict[str, model.Package]:
    from ckanext.territoire.harvesters import records

    model.Session.expire_all()
    return {
        remote_id: model.Package.get(record.package_id)
        for remote_id, record in records.for_source(source["id"]).items()
    }


def _show(package_id: str) -> dict[str, Any]:
    return call_action("package_show", {"ignore_auth": True}, id=package_id)


@pytest.mark.usefixtures("clean_db", "cog")
def test_each_new_dataset_is_indexed_once_and_gets_its_activity(
    partner, harvest_source, monkeypatch
):
    """Indexed inside package_create, so the activity reads the index's copy."""
    import ckan.logic

    indexed: list[str] = []
    original = ckan.logic.index_update_package

    def counting(context, package_id, *args, **kwargs):
        indexed.append(package_id)
        return original(context, package_id, *args, **kwargs)

    monkeypatch.setattr(ckan.logic, "index_update_package", counting)
    from ckan.lib.dictization import model_dictize

    dictized: list[str] = []
    original_dictize = model_dictize.package_dictize

    def dictize(pkg, *args, **kwargs):
        dictized.append(pkg.id)
        return original_dictize(pkg, *args, **kwargs)

    monkeypatch.setattr(model_dictize, "package_dictize", dictize)
    _serve_v21(partner, _catalogue())
    assert _run(harvest_source).counts == {"added": 4}
    monkeypatch.undo()
    packages = _packages(harvest_source)
    assert sorted(indexed) == sorted(p.id for p in packages.values())
    # read from the database once each, for the index; the activity's
    # package_show found the dataset there
    assert sorted(d for d in dictized if d != harvest_source["id"]) == sorted(indexed)
    for package in packages.values():
        activities = _activities(package.id)
        assert [a["activity_type"] for a in activities] == ["new package"]
        recorded = _activity_package(activities[0])
        shown = _show(package.id)
        for key in ("title", "territories", "themes", "metadata_modified"):
            assert recorded[key] == shown[key]
        assert [r["url"] for r in recorded["resources"]] == [
            r["url"] for r in shown["resources"]
        ]

    # searchable once committed, with ckanext-harvest's fields (the source's
    # page searches on harvest_source_id) naming the current harvest object
    def indexed_objects() -> dict[str, str]:
        found = call_action(
            "package_search",
            {},
            fq=f'+harvest_source_id:"{harvest_source["id"]}"',
            rows=10,
        )
        return {d["id"]: _extra(d, "harvest_object_id") for d in found["results"]}

    def current_objects() -> dict[str, str]:
        from ckanext.harvest.model import HarvestObject

        model.Session.expire_all()
        rows = model.Session.query(HarvestObject).filter_by(current=True).all()
        return {o.package_id: o.id for o in rows}

    assert indexed_objects() == current_objects()
    assert len(current_objects()) == 4
    datasets = _catalogue()
    datasets[1]["metas"]["default"]["title"] = "Budget primitif 2024 (voté)"
    _serve_v21(partner, datasets)
    assert _run(harvest_source).counts == {"updated": 1, "not modified": 3}
    assert indexed_objects() == current_objects()
    # the update has its activity too, with the new title
    for remote_id, package in _packages(harvest_source).items():
        activities = _activities(package.id)
        kinds = [a["activity_type"] for a in activities]
        if remote_id == "da_3fj9x1":
            assert kinds == ["changed package", "new package"]
            changed = _activity_package(activities[0])
            assert changed["title"] == "Budget primitif 2024 (voté)"
        else:
            assert kinds == ["new package"]


def _activities(package_id: str) -> list[dict[str, Any]]:
    return call_action(
        "package_activity_list",
        {"ignore_auth": True},
        id=package_id,
        include_hidden_activity=True,  # the site user's, as the harvest's
    )


def _activity_package(activity: dict[str, Any]) -> dict[str, Any]:
    """The dataset as the activity recorded it."""
    return call_action(
        "activity_show", {"ignore_auth": True}, id=activity["id"], include_data=True
    )["data"]["package"]


def _extra(dataset: dict[str, Any], key: str) -> str | None:
    if key in dataset:
        return dataset[key]
    return next(
        (e["value"] for e in dataset.get("extras", []) if e["key"] == key), None
    )


@pytest.mark.usefixtures("clean_db", "cog")
def test_harvest_then_unchanged_rerun_then_remote_changes(partner, harvest_source):
    datasets = _catalogue()
    _serve_v21(partner, datasets)

    status = _run(harvest_source)
    assert status.done and status.gather_errors == []
    assert status.counts == {"added": 4}
    # the warnings of the fourth dataset are kept on its harvest object
    assert {guid for guid, _m in status.object_errors} == {"da_v61nbe"}

    packages = _packages(harvest_source)
    assert sorted(packages) == ["da_0bq7mv", "da_3fj9x1", "da_8k2pqz", "da_v61nbe"]
    equipements = _show(packages["da_8k2pqz"].id)
    assert equipements["name"] == "equipements-sportifs"
    assert equipements["owner_org"] == harvest_source["owner_org"]
    assert equipements["territories"] == ["commune:67482"]
    assert equipements["themes"] == ["EDUC"]
    assert equipements["frequency"] == "ANNUAL"
    assert equipements["license_id"] == "etalab-2.0"
    assert equipements["modified"] == "2024-03-13"
    assert equipements["provenance_identifier"] == "equipements-sportifs"
    assert equipements["provenance_url"] == (
        f"{partner.url}/explore/dataset/equipements-sportifs/"
    )
    assert "<" not in equipements["notes"] and "javascript" not in equipements["notes"]
    assert "evil.example" not in equipements["notes"]
    assert [r["format"] for r in equipements["resources"]] == [
        "CSV",
        "XLSX",
        "JSON",
        "GeoJSON",
        "PDF",
    ]
    assert equipements["resources"][0]["url"] == (
        f"{partner.url}/api/explore/v2.1/catalog/datasets/equipements-sportifs/"
        "exports/csv"
    )
    budget = _show(packages["da_3fj9x1"].id)
    assert budget["notes"] == "Budget primitif 2024"  # no description: the title
    assert budget["territories"] == ["pays:fr"]
    hotels = _show(packages["da_v61nbe"].id)
    # no usable coverage at the source: the organisation's commune
    assert hotels["territories"] == ["commune:67482"]
    assert hotels["license_id"] == "other"
    assert "Open Government Licence v3.0" in hotels["notes"]
    velo = _show(packages["da_0bq7mv"].id)
    assert [r["format"] for r in velo["resources"]] == ["PDF", "ZIP"]
    modified = {k: p.metadata_modified for k, p in packages.items()}

    # nothing changed but what ODS rewrites on each processing run
    for ds in datasets:
        ds["metas"]["default"]["metadata_processed"] = "2030-01-01T00:00:00+00:00"
    status = _run(harvest_source)
    assert status.counts == {"not modified": 4}
    assert {k: p.metadata_modified for k, p in _packages(harvest_source).items()} == (
        modified
    )

    # a new title, and a renamed slug: the same datasets are updated
    datasets[1]["metas"]["default"]["title"] = "Budget primitif 2024 (voté)"
    datasets[2]["dataset_id"] = "plan-velo-2030-2035"
    status = _run(harvest_source)
    assert status.counts == {"updated": 2, "not modified": 2}
    after = _packages(harvest_source)
    assert {k: p.id for k, p in after.items()} == {k: p.id for k, p in packages.items()}
    budget = _show(after["da_3fj9x1"].id)
    assert budget["title"] == "Budget primitif 2024 (voté)"
    assert budget["name"] == "budget-primitif-2024"
    velo = _show(after["da_0bq7mv"].id)
    assert velo["name"] == "plan-velo-2030"  # our URL does not move
    assert velo["provenance_identifier"] == "plan-velo-2030-2035"
    assert velo["resources"][0]["url"].endswith(
        "/catalog/datasets/plan-velo-2030-2035/attachments/plan_velo_2030_pdf"
    )
    assert after["da_8k2pqz"].metadata_modified == modified["da_8k2pqz"]
    assert call_action("package_search", {}, q="*:*")["count"] == 4


@pytest.mark.usefixtures("clean_db", "cog")
@pytest.mark.parametrize(
    "answer, expected",
    [
        (_v20_page_at_v21(), "« results »"),
        (
            Answer(status=429, body=read_data("opendatasoft", "error_429_quota.json")),
            "quota",
        ),
        (Answer(body="{not json"), "JSON"),
    ],
    ids=["wrong-shape", "quota", "malformed-json"],
)
def test_failed_gather_changes_nothing(partner, harvest_source, answer, expected):
    _serve_v21(partner)
    _run(harvest_source)
    before = {k: p.metadata_modified for k, p in _packages(harvest_source).items()}
    assert len(before) == 4

    partner.route(V21, answer)
    status = _run(harvest_source)
    assert status.done
    [message] = status.gather_errors
    assert expected in message
    assert status.counts == {}
    after = {k: p.metadata_modified for k, p in _packages(harvest_source).items()}
    assert after == before


@pytest.mark.usefixtures("clean_db", "cog")
def test_harvest_object_links_to_the_ods_page(partner, harvest_source):
    from ckanext.harvest.model import HarvestObject

    _serve_v21(partner, _catalogue()[:1])
    _run(harvest_source)
    obj = model.Session.query(HarvestObject).filter_by(guid="da_8k2pqz").one()
    harvester = ods.OpendatasoftHarvester()
    assert harvester.get_original_url(obj.id) == (
        f"{partner.url}/explore/dataset/equipements-sportifs/"
    )
