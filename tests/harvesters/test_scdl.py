"""The SCDL catalogue harvester, against CSV files served on 127.0.0.1.

The files in ``tests/data/scdl/`` follow ``scdl/catalogue`` 0.1.3; some rows
break it on purpose. The published schema itself is read from the shared
reference files (``../shared/scdl/catalogue.json`` or
``$TERRITOIRE_SHARED/scdl/catalogue.json``), never copied into the project:
the first test checks the constraints that ``scdl.py`` encodes against it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.territoire.harvesters import records, scdl
from ckanext.territoire.harvesters.base import RecordError, RemoteDataset, Source
from ckanext.territoire.harvesters.http import SafeHTTP
from ckanext.territoire.harvesters.messages import HarvestMessage
from ckanext.territoire.harvesters.runner import run_source
from ckanext.territoire.harvesters.scdl import (
    COLUMNS,
    SCHEMA_VERSION,
    ScdlCatalogueHarvester,
    coverage,
    read_catalogue,
    siret_ok,
)
from ckanext.territoire.vocabularies import partners
from ckanext.territoire.vocabularies.free_text import theme_codes_in_text

from ..conftest import shared_path
from .conftest import Answer, PartnerServer, read_data


@pytest.fixture(scope="module")
def published_schema() -> dict[str, Any]:
    path = shared_path("scdl", "catalogue.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _serve(partner: PartnerServer, name: str, content_type: str = "text/csv") -> None:
    partner.route(
        "/catalogue.csv",
        Answer(body=read_data("scdl", name), content_type=content_type),
    )


def _source(partner: PartnerServer, **config: Any) -> Source:
    return Source(
        id="s", url=f"{partner.url}/catalogue.csv", owner_org=None, config=config
    )


def _gather(source: Source) -> list[RemoteDataset]:
    http = SafeHTTP()
    try:
        return list(ScdlCatalogueHarvester().gather_remote(source, http))
    finally:
        http.close()


def _map(payload: dict[str, Any], owner_org: str | None = None):
    warnings: list[str] = []
    source = Source(id="s", url="https://x.fr/c.csv", owner_org=owner_org, config={})
    return ScdlCatalogueHarvester().to_package(payload, source, warnings), warnings


# --------------------------------------------------------------------------
# The constraints encoded in scdl.py are the published schema's
# --------------------------------------------------------------------------


def test_encoded_constraints_match_the_published_schema(published_schema):
    schema = published_schema
    assert schema["name"] == "catalogue"
    assert schema["version"] == SCHEMA_VERSION
    fields = schema["fields"]
    assert [f["name"] for f in fields] == [c.name for c in COLUMNS]
    known_constraints = {"required", "enum", "pattern", "minimum"}
    for f, column in zip(fields, COLUMNS, strict=True):
        constraints = f.get("constraints", {})
        assert set(constraints) <= known_constraints, (f["name"], constraints)
        assert column.type == f.get("type", "string"), f["name"]
        assert column.format == (
            None if f.get("format", "default") == "default" else f["format"]
        ), f["name"]
        assert column.required == constraints.get("required", False), f["name"]
        assert list(column.enum) == constraints.get("enum", []), f["name"]
        assert column.pattern == constraints.get("pattern"), f["name"]
        assert column.minimum == constraints.get("minimum"), f["name"]
    assert {
        (check["name"], check["params"]["column"])
        for check in schema.get("custom_checks", [])
    } == {(check, c.name) for c in COLUMNS for check in c.checks}


def test_every_listed_value_has_a_mapping(published_schema):
    enums = {
        f["name"]: f["constraints"]["enum"]
        for f in published_schema["fields"]
        if "enum" in f.get("constraints", {})
    }
    assert sorted(enums["COUV_SPAT_MAILLE"]) == sorted(partners.SCDL_GRANULARITIES)
    assert sorted(enums["FREQ_MAJ"]) == sorted(partners.SCDL_FREQUENCIES)
    assert sorted(enums["LICENCE"]) == sorted(partners.SCDL_LICENCES)


def test_schema_examples_pass_the_row_checks(published_schema):
    examples = {f["name"]: str(f["example"]) for f in published_schema["fields"]}
    examples["ID"] = "prenoms-des-nouveaux-nes-a-rennes-en-2017"
    assert scdl.check_row(examples) == []


# --------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------


def test_semicolons_bom_crlf_and_quoted_line_breaks(partner):
    _serve(partner, "catalogue-point-virgule.csv", "text/csv; charset=utf-8")
    remotes = _gather(_source(partner))
    assert [r.remote_id for r in remotes] == [
        "piscines-strasbourg",
        "stationnement-ems",
        "budget-2023",
        "arbres",
    ]
    piscines, stationnement, budget, arbres = (r.payload for r in remotes)
    assert piscines["COLL_NOM"] == "Ville de Strasbourg"  # the BOM is not in the name
    assert piscines["MOTS_CLES"] == "piscines;sport;frequentation"
    assert stationnement["DESCRIPTION"] == (
        "Places de stationnement publiques, payantes et gratuites.\n"
        "Mise à jour chaque semaine."
    )
    # listed values are stored as the schema spells them
    assert stationnement["COUV_SPAT_MAILLE"] == "Intercommunale"
    assert "_problemes" not in piscines and "_problemes" not in stationnement
    # lines of the file: the quoted line break and the blank line count
    assert budget["_ligne"] == 6 and arbres["_ligne"] == 7


def test_row_errors_name_the_line_and_the_columns(partner):
    _serve(partner, "catalogue-point-virgule.csv")
    remotes = {r.remote_id: r.payload for r in _gather(_source(partner))}

    with pytest.raises(RecordError) as e:
        _map(remotes["budget-2023"])
    message = str(e.value)
    assert message.startswith("Ligne 6 du catalogue non conforme au schéma")
    assert "colonne COUV_TEMP_DEBUT : « 31/12/2023 » n'est pas une date AAAA-MM-JJ" in (
        message
    )

    with pytest.raises(RecordError) as e:
        _map(remotes["arbres"])
    message = str(e.value)
    assert message.startswith("Ligne 7 ")
    assert "colonne COUV_SPAT_MAILLE : « Cantonnale » n'est pas une valeur permise" in (
        message
    )
    assert "colonne PRODUCTEUR_SIRET : SIRET « 21670482500018 » invalide" in message


def test_commas_columns_in_any_order_and_case(partner):
    _serve(partner, "catalogue-virgule.csv", "text/plain; charset=utf-8")
    remotes = _gather(_source(partner))
    assert [r.remote_id for r in remotes] == ["prenoms-2023", "qualite-air"]
    prenoms = remotes[0].payload
    assert sorted(prenoms) == sorted(c.name for c in COLUMNS)  # no extra column
    assert prenoms["COLL_NOM"] == "Ville de Strasbourg"
    assert prenoms["URL"] == "https://data.strasbourg.eu/files/prenoms-2023.csv"
    assert prenoms["MOTS_CLES"] == "prenoms;etat-civil;scdl"


def test_the_delimiter_option_overrides_the_header(partner):
    _serve(partner, "catalogue-point-virgule.csv")
    assert len(_gather(_source(partner, delimiter=";"))) == 4
    _serve(partner, "catalogue-virgule.csv")
    with pytest.raises(HarvestMessage, match="Aucune colonne du schéma"):
        _gather(_source(partner, delimiter=";"))


def test_missing_columns_are_a_gather_error(partner):
    _serve(partner, "catalogue-colonnes-manquantes.csv")
    with pytest.raises(HarvestMessage) as e:
        _gather(_source(partner))
    assert "absente(s) de" in str(e.value)
    assert ": LICENCE, URL." in str(e.value)


def test_a_file_not_in_utf8_is_refused_clearly(partner):
    _serve(partner, "catalogue-windows-1252.csv")
    with pytest.raises(HarvestMessage) as e:
        _gather(_source(partner))
    message = str(e.value)
    assert "n'est pas encodé en UTF-8 (octet invalide à la ligne 2)" in message
    assert "Windows-1252" in message


def test_rows_of_another_width_and_empty_rows():
    header = ";".join(c.name for c in COLUMNS)
    good = read_data("scdl", "catalogue-point-virgule.csv").decode("utf-8-sig")
    row = good.splitlines()[1]
    text = "\n".join([header, ";;;;", row + ";en trop", "a;b"]) + "\n"
    [too_long, too_short] = read_catalogue(text, "https://x.fr/c.csv")
    assert too_long.remote_id == "piscines-strasbourg"
    assert too_long.payload["_ligne"] == 3
    assert too_long.payload["_problemes"][0][1] == {"found": 21, "expected": 20}
    assert too_short.remote_id == "(ligne 4)"  # no ID: named by its line
    with pytest.raises(RecordError, match="Ligne 4 .*colonne ID vide"):
        _map(too_short.payload)


@pytest.mark.parametrize(
    "siret, ok",
    [
        ("21670482500019", True),
        ("24670048800017", True),
        ("21670482500018", False),
        ("35600000049837", True),  # La Poste: sum of digits divisible by 5
        ("2167048250001", False),
    ],
)
def test_siret_check_digit(siret, ok):
    assert siret_ok(siret) is ok


@pytest.mark.parametrize(
    "theme, codes",
    [
        ("Administration locale", ["GOVE"]),
        ("Sport", ["EDUC"]),
        ("Mobilité et transports", ["TRAN"]),
        ("Environnement, santé", ["ENVI", "HEAL"]),
        ("Finances", ["ECON"]),
        ("Population, état civil", ["SOCI"]),
        ("Urbanisme", ["REGI"]),
        ("Eaubonne", []),
        ("Divers", []),
    ],
)
def test_themes(theme, codes):
    assert theme_codes_in_text(theme) == codes


# --------------------------------------------------------------------------
# Mapping (territories need the COG)
# --------------------------------------------------------------------------


@pytest.fixture
def rows(partner) -> dict[str, dict[str, Any]]:
    out = {}
    for name in ("catalogue-point-virgule.csv", "catalogue-virgule.csv"):
        _serve(partner, name)
        out.update({r.remote_id: r.payload for r in _gather(_source(partner))})
    return out


@pytest.mark.usefixtures("clean_db", "cog")
def test_rows_mapped_to_our_schema(rows):
    pkg, warnings = _map(rows["piscines-strasbourg"])
    assert warnings == []
    assert pkg == {
        "title": "Fréquentation des piscines de Strasbourg",
        "notes": "Nombre d'entrées par piscine et par mois.",
        "tags": ["piscines", "sport", "frequentation"],
        "themes": ["EDUC"],
        "granularity": "commune",
        "territories": ["commune:67482"],
        "temporal_start": "2023-01-01",
        "temporal_end": "2023-12-31",
        "issued": "2024-02-15",
        "modified": "2024-02-15",
        "frequency": "ANNUAL",
        "license_id": "etalab-2.0",
        "contact_name": "Ville de Strasbourg",
        "provenance_url": "https://data.strasbourg.eu/files/piscines-2023.csv",
        "resources": [
            {
                "url": "https://data.strasbourg.eu/files/piscines-2023.csv",
                "name": "Fréquentation des piscines de Strasbourg",
                "format": "CSV",
            }
        ],
    }

    pkg, warnings = _map(rows["stationnement-ems"])
    assert warnings == []
    assert pkg == {
        "title": "Places de stationnement",
        "notes": "Places de stationnement publiques, payantes et gratuites.\n"
        "Mise à jour chaque semaine.",
        "tags": ["stationnement", "parkings"],
        "themes": ["TRAN"],
        "granularity": "epci",
        "territories": ["epci:246700488"],
        "temporal_start": "2020-01-01",
        "temporal_end": "2024-12-31",
        "issued": "2020-03-01",
        "modified": "2024-11-30",
        "frequency": "WEEKLY",
        "license_id": "odc-odbl",
        "contact_name": "Eurométropole de Strasbourg",
        "provenance_url": "https://data.strasbourg.eu/explore/dataset/stationnement/",
        "resources": [
            {
                "url": "https://data.strasbourg.eu/explore/dataset/stationnement/",
                "name": "Page du jeu de données",
                "description": "3 ressource(s) annoncée(s) par le producteur, "
                "au(x) format(s) : CSV, JSON, GeoJSON.",
            }
        ],
    }

    pkg, warnings = _map(rows["qualite-air"])
    assert (pkg["territories"], pkg["granularity"]) == (
        ["departement:67"],
        "departement",
    )
    assert (pkg["themes"], pkg["frequency"], pkg["license_id"]) == (
        ["ENVI", "HEAL"],
        "DAILY",
        "other",
    )
    [warning] = warnings
    assert "« Creative Commons-CC »" in warning


@pytest.mark.usefixtures("clean_db", "cog")
def test_lossy_values_are_warned(rows):
    row = dict(rows["piscines-strasbourg"])
    row.update(
        FREQ_MAJ="Triennale",
        THEME="Divers",
        COUV_TEMP_FIN="2022-12-31",
        COUV_SPAT_NOM="Atlantide",
    )
    pkg, warnings = _map(row)
    assert pkg["frequency"] == "UNKNOWN"
    assert "themes" not in pkg and "temporal_end" not in pkg
    assert pkg["territories"] == []  # the base then gives the organisation's
    assert len(warnings) == 4


@pytest.mark.usefixtures("clean_db", "cog")
@pytest.mark.parametrize(
    "name, level, anchors, expected, warned",
    [
        ("Strasbourg", "commune", [], ["commune:67482"], None),
        ("strasbourg", None, [], ["commune:67482"], None),
        ("Eurométropole de Strasbourg", "commune", [], ["epci:246700488"], None),
        ("Bas-Rhin", "region", [], ["departement:67"], None),
        ("Grand Est", "region", [], ["region:44"], None),
        ("67482", None, [], ["commune:67482"], None),
        ("France entière", None, [], ["pays:fr"], None),
        ("Saint-Denis (974)", "commune", [], ["commune:97411"], None),
        ("Saint-Denis", "commune", ["commune:93066"], ["commune:93066"], None),
        ("Saint-Denis", "commune", ["departement:30"], ["commune:30247"], None),
        ("Saint-Denis", "commune", [], [], "ambiguë"),
        (
            "Strasbourg, Schiltigheim",
            "commune",
            [],
            ["commune:67482", "commune:67447"],
            None,
        ),
        ("Eurometropole Strasbourg", "epci", [], ["epci:246700488"], "comprise comme"),
        ("Atlantide", "commune", [], [], "introuvable"),
    ],
)
def test_coverage_names(name, level, anchors, expected, warned):
    warnings: list[str] = []
    assert coverage(name, level, anchors, warnings) == expected
    if warned:
        [warning] = warnings
        assert warned in warning
    else:
        assert warnings == []


@pytest.mark.usefixtures("clean_db", "cog")
def test_the_publisher_settles_a_name_shared_by_several_places(rows):
    org = factories.Organization(
        name="ville-saint-denis", kind="commune", cog_code="93066"
    )
    row = dict(rows["piscines-strasbourg"], COUV_SPAT_NOM="Saint-Denis")
    pkg, warnings = _map(row, owner_org=org["id"])
    assert pkg["territories"] == ["commune:93066"] and warnings == []
    # the catalogue's COLL_SIRET names an EPCI: it settles it too
    assert scdl.anchors(Source("s", "u", None), "24670048800017") == ["epci:246700488"]


# --------------------------------------------------------------------------
# Whole jobs
# --------------------------------------------------------------------------


def _create_source(partner: PartnerServer, **config: Any) -> dict[str, Any]:
    org = factories.Organization(
        name="ville-strasbourg", kind="commune", cog_code="67482"
    )
    return call_action(
        "harvest_source_create",
        {"user": factories.Sysadmin()["name"]},
        name="strasbourg-catalogue",
        title="Catalogue de Strasbourg",
        url=f"{partner.url}/catalogue.csv",
        source_type="territoire_scdl",
        owner_org=org["id"],
        config=json.dumps(config) if config else "",
    )


def _show(source_id: str, remote_id: str) -> dict[str, Any]:
    record = records.get(source_id, remote_id)
    assert record is not None, remote_id
    return call_action("package_show", {"ignore_auth": True}, id=record.package_id)


@pytest.mark.usefixtures("clean_db", "cog")
def test_harvest_rows_errors_then_unchanged_rerun(partner):
    _serve(partner, "catalogue-point-virgule.csv")
    source = _create_source(partner)
    status = run_source(source["id"])
    assert status.done and status.gather_errors == []
    assert status.counts == {"added": 2, "errored": 2}
    errors = dict(status.object_errors)
    assert sorted(errors) == ["arbres", "budget-2023"]
    assert (
        "Ligne 6" in errors["budget-2023"]
        and "COUV_TEMP_DEBUT" in errors["budget-2023"]
    )
    assert "Ligne 7" in errors["arbres"] and "COUV_SPAT_MAILLE" in errors["arbres"]

    piscines = _show(source["id"], "piscines-strasbourg")
    assert piscines["title"] == "Fréquentation des piscines de Strasbourg"
    assert piscines["territories"] == ["commune:67482"]
    assert piscines["themes"] == ["EDUC"]
    assert piscines["frequency"] == "ANNUAL"
    assert piscines["provenance_identifier"] == "piscines-strasbourg"
    assert [(r["url"], r["format"]) for r in piscines["resources"]] == [
        ("https://data.strasbourg.eu/files/piscines-2023.csv", "CSV")
    ]
    stationnement = _show(source["id"], "stationnement-ems")
    assert stationnement["notes"] == (
        "Places de stationnement publiques, payantes et gratuites.\n"
        "Mise à jour chaque semaine."
    )
    assert stationnement["territories"] == ["epci:246700488"]

    status = run_source(source["id"])
    assert status.counts == {"not modified": 2, "errored": 2}


@pytest.mark.usefixtures("clean_db", "cog")
def test_rows_moved_in_the_file_are_not_imported_again(partner):
    _serve(partner, "catalogue-virgule.csv")
    source = _create_source(partner)
    assert run_source(source["id"]).counts == {"added": 2}
    lines = read_data("scdl", "catalogue-virgule.csv").decode("utf-8").splitlines()
    moved = "\n".join([lines[0], lines[2], "", lines[1]]) + "\n"
    partner.route("/catalogue.csv", Answer(body=moved, content_type="text/csv"))
    assert run_source(source["id"]).counts == {"not modified": 2}


@pytest.mark.usefixtures("clean_db", "cog")
@pytest.mark.parametrize(
    "name, expected",
    [
        ("catalogue-colonnes-manquantes.csv", "LICENCE, URL"),
        ("catalogue-windows-1252.csv", "UTF-8"),
    ],
)
def test_unreadable_catalogue_is_a_gather_error(partner, name, expected):
    _serve(partner, name)
    source = _create_source(partner)
    status = run_source(source["id"])
    [message] = status.gather_errors
    assert expected in message
    assert status.counts == {}
