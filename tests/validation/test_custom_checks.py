"""The schemas' custom checks (Validata's), applied by the validation job.

Small files built here, validated against the real SCDL schemas of
../shared/scdl (the local catalogue), through the job queue: one file that
passes and one that fails per check.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..conftest import shared_path
from .conftest import Answer, PartnerServer, run_jobs

pytestmark = pytest.mark.usefixtures("clean_validation", "schemas_dir")

DELIBERATION = {
    "COLL_NOM": "Commune de Sélestat",
    "COLL_SIRET": "21670462700019",
    "DELIB_ID": "2024-001",
    "DELIB_DATE": "2024-03-15",
    "DELIB_MATIERE_CODE": "7.1",
    "DELIB_MATIERE_NOM": "Finances locales/Décisions budgétaires",
    "DELIB_OBJET": "Vote du budget primitif « élan »",
    "BUDGET_ANNEE": "2024",
    "BUDGET_NOM": "Budget principal",
    "PREF_ID": "",
    "PREF_DATE": "2024-03-18",
    "VOTE_EFFECTIF": "33",
    "VOTE_REEL": "29",
    "VOTE_POUR": "25",
    "VOTE_CONTRE": "2",
    "VOTE_ABSTENTION": "2",
    "DELIB_URL": "",
}

SUBVENTION = {
    "nomAttribuant": "Région Grand Est",
    "idAttribuant": "20005226400013",
    "dateConvention": "2024-06-27",
    "referenceDecision": "2024-03-103",
    "nomBeneficiaire": "Association Les Petits Débrouillards",
    "idBeneficiaire": "21670462700019",
    "rnaBeneficiaire": "W380475558",
    "objet": "Animations climat-énergie dans les lycées",
    "montant": "47800.20",
    "nature": "aide en numéraire",
    "conditionsVersement": "échelonné",
    "datesPeriodeVersement": "2024-03-14/2025-03-14",
    "idRAE": "",
    "notificationUE": "non",
    "pourcentageSubvention": "1",
    "dispositifAide": "",
}

SCHEMAS = {"deliberations": DELIBERATION, "subventions": SUBVENTION}

_FILES = itertools.count()


def _csv(schema: str, *changes: dict[str, str], drop: tuple[str, ...] = ()) -> bytes:
    """A Windows-1252, ;-separated file: one row per ``changes`` (each row
    the valid row of ``schema`` with these cells changed)."""
    base = SCHEMAS[schema]
    header = [c for c in base if c not in drop]
    lines = [";".join(header)]
    lines += [";".join({**base, **change}[c] for c in header) for change in changes]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _validate(server: PartnerServer, schema: str, body: bytes) -> dict[str, Any]:
    """The readable report of ``body`` as a resource declaring ``scdl/<schema>``."""
    admin = {"user": factories.Sysadmin()["name"]}
    path = f"/{schema}-{next(_FILES)}.csv"
    server.route(path, Answer(body=body, content_type="text/csv"))
    pkg = factories.Dataset(owner_org=factories.Organization()["id"])
    res = call_action(
        "resource_create",
        admin,
        package_id=pkg["id"],
        url=f"{server.url}{path}",
        name=f"Fichier {schema}",
        format="CSV",
        schema=f"scdl/{schema}",
    )
    assert run_jobs() == 1
    result = call_action("resource_validation_show", id=res["id"])
    result["resource"] = res
    result["dataset"] = pkg
    return result


def _errors(result: dict[str, Any]) -> list[tuple[int, str | None, str]]:
    return [(e["row"], e["column"], e["code"]) for e in result["report"]["errors"]]


CASES = [
    pytest.param(
        "deliberations",
        [{"BUDGET_ANNEE": "2024/2025"}, {"BUDGET_ANNEE": "2024"}],
        {"BUDGET_ANNEE": "2025/2024"},
        ("BUDGET_ANNEE", "year-interval-value"),
        "seconde année est postérieure à la première (sans doute 2024/2025)",
        id="year-interval-value",
    ),
    pytest.param(
        "deliberations",
        [{"BUDGET_ANNEE": "", "BUDGET_NOM": ""}],
        {"BUDGET_NOM": ""},
        ("BUDGET_ANNEE", "cohesive-columns-value"),
        "toutes remplies ou toutes vides sur une même ligne (remplies : "
        "BUDGET_ANNEE ; vides : BUDGET_NOM)",
        id="cohesive-columns-value",
    ),
    pytest.param(
        "deliberations",
        # the same day; an unreadable date is the type check's error alone
        [{"PREF_DATE": "2024-03-15"}, {"PREF_DATE": ""}],
        {"PREF_DATE": "2024-03-01"},
        ("PREF_DATE", "compare-columns-value"),
        "une valeur supérieure ou égale à celle de la colonne DELIB_DATE "
        "(« 2024-03-15 »)",
        id="compare-columns-value-dates",
    ),
    pytest.param(
        "deliberations",
        [{"VOTE_EFFECTIF": "29"}],
        # 9 < 29 as numbers (as text, "9" > "29")
        {"VOTE_EFFECTIF": "9"},
        ("VOTE_EFFECTIF", "compare-columns-value"),
        "supérieure ou égale à celle de la colonne VOTE_REEL (« 29 »)",
        id="compare-columns-value-numbers",
    ),
    pytest.param(
        "deliberations",
        [{"VOTE_REEL": "30", "VOTE_ABSTENTION": "3"}],
        {"VOTE_ABSTENTION": "3"},
        ("VOTE_REEL", "sum-columns-value"),
        "la somme des colonnes VOTE_POUR, VOTE_CONTRE, VOTE_ABSTENTION : "
        "25 + 2 + 3 = 30",
        id="sum-columns-value",
    ),
    pytest.param(
        "deliberations",
        # case and accents do not matter, the words after "/" are free
        [
            {"DELIB_MATIERE_NOM": "DOMAINES DE COMPETENCES PAR THEMES/Voirie"},
            {"DELIB_MATIERE_NOM": "Commande publique/Marchés publics"},
        ],
        {"DELIB_MATIERE_NOM": "Budget/Décisions budgétaires"},
        ("DELIB_MATIERE_NOM", "nomenclature-actes-value"),
        "(« Budget » n'en est pas un)",
        id="nomenclature-actes-value",
    ),
    pytest.param(
        "subventions",
        [{"idBeneficiaire": ""}, {"rnaBeneficiaire": ""}],
        {"idBeneficiaire": "", "rnaBeneficiaire": ""},
        ("idBeneficiaire", "one-of-required"),
        "une valeur dans la colonne idBeneficiaire ou dans la colonne "
        "rnaBeneficiaire : au moins l'une des deux doit être remplie",
        id="one-of-required",
    ),
]


@pytest.mark.parametrize(("schema", "passing", "failing", "where", "words"), CASES)
def test_custom_check(server, schema, passing, failing, where, words):
    ok = _validate(server, schema, _csv(schema, {}, *passing))
    assert ok["status"] == "success", ok["report"]["errors"]
    assert ok["report"]["not_applied"] == []
    shown = call_action("resource_show", id=ok["resource"]["id"])
    assert shown["validation_status"] == "success"

    bad = _validate(server, schema, _csv(schema, {}, failing, {}))
    assert bad["status"] == "failure"
    assert _errors(bad) == [(3, *where)]
    (error,) = bad["report"]["errors"]
    column = where[0]
    value = {**SCHEMAS[schema], **failing}[column]
    assert error["value"] == value
    assert words in error["expected"]
    if value:
        assert error["message"].startswith(f"Ligne 3, colonne {column} : « {value} »")
    else:
        assert error["message"].startswith(
            f"Ligne 3, colonne {column} : cellule vide ; attendu : "
        )


def test_nomenclature_without_a_slash(server):
    result = _validate(
        server, "deliberations", _csv("deliberations", {"DELIB_MATIERE_NOM": "Voirie"})
    )
    (error,) = result["report"]["errors"]
    assert (error["row"], error["column"]) == (2, "DELIB_MATIERE_NOM")
    assert "le signe « / » manque" in error["expected"]
    assert "Finances locales ; Domaines de compétences par thèmes" in error["expected"]


def test_a_year_twice_is_not_an_interval(server):
    result = _validate(
        server, "deliberations", _csv("deliberations", {"BUDGET_ANNEE": "2024/2024"})
    )
    (error,) = result["report"]["errors"]
    assert error["code"] == "year-interval-value"
    assert "pour la seule année 2024, écrivez 2024" in error["expected"]


def test_unreadable_cells_are_the_type_checks_alone(server):
    """A date or count the type check refuses is not compared or summed."""
    result = _validate(
        server,
        "deliberations",
        _csv("deliberations", {"PREF_DATE": "18/03/2024", "VOTE_POUR": "vingt"}),
    )
    assert sorted(_errors(result)) == [
        (2, "PREF_DATE", "type-error"),
        (2, "VOTE_POUR", "type-error"),
    ]


def test_columns_the_checks_need_in_the_header(server):
    # VOTE_ABSTENTION absent: the vote columns are not all there
    result = _validate(
        server,
        "deliberations",
        _csv("deliberations", {}, drop=("VOTE_ABSTENTION",)),
    )
    (error,) = result["report"]["errors"]
    assert (error["row"], error["column"], error["code"]) == (
        1,
        None,
        "cohesive-columns-value",
    )
    assert error["message"] == (
        "Ligne 1 : attendu : les colonnes VOTE_EFFECTIF, VOTE_REEL, VOTE_POUR, "
        "VOTE_CONTRE, VOTE_ABSTENTION toutes présentes ou toutes absentes de la "
        "ligne d'en-tête (absentes : VOTE_ABSTENTION)."
    )
    # neither identifier of the beneficiary
    result = _validate(
        server,
        "subventions",
        _csv("subventions", {}, drop=("idBeneficiaire", "rnaBeneficiaire")),
    )
    (error,) = result["report"]["errors"]
    assert (error["row"], error["column"], error["code"]) == (
        1,
        None,
        "one-of-required",
    )
    assert "idBeneficiaire ou rnaBeneficiaire" in error["message"]


@pytest.fixture
def schema_with_unknown_checks(schemas_dir, ckan_config, monkeypatch, tmp_path):
    """The real deliberations schema with a check the portal does not know
    and one whose parameters it cannot read (built here, not copied)."""
    schema = json.loads(shared_path("scdl", "deliberations.json").read_text("utf-8"))
    schema["custom_checks"] += [
        {"name": "opening-hours-value", "params": {"column": "DELIB_OBJET"}},
        {"name": "compare-columns-value", "params": {"column": "VOTE_REEL"}},
    ]
    (tmp_path / "scdl").mkdir()
    (tmp_path / "scdl" / "deliberations.json").write_text(json.dumps(schema), "utf-8")
    monkeypatch.setitem(
        ckan_config, "ckanext.territoire.schemas.directory", str(tmp_path)
    )


@pytest.mark.usefixtures("schema_with_unknown_checks")
def test_unknown_custom_checks_are_listed_as_not_applied(server, app):
    result = _validate(server, "deliberations", _csv("deliberations", {}))
    assert result["status"] == "success"
    report = result["report"]
    assert report["not_applied"] == ["compare-columns-value", "opening-hours-value"]
    (warning,) = [w for w in report["warnings"] if w["code"] == "custom-checks-skipped"]
    assert warning["message"] == (
        "Contrôles propres au schéma non appliqués par le portail : "
        "compare-columns-value, opening-hours-value."
    )
    page = app.get(
        f"/dataset/{result['dataset']['name']}/resource/"
        f"{result['resource']['id']}/validation"
    ).get_data(as_text=True)
    assert "non appliqués par le portail" in page and "opening-hours-value" in page


def test_the_readable_report_in_french_and_english(server, app):
    result = _validate(
        server,
        "deliberations",
        _csv(
            "deliberations",
            {"BUDGET_ANNEE": "2025/2024", "PREF_DATE": "2024-03-01"},
            {"DELIB_MATIERE_NOM": "Budget/Décisions", "VOTE_ABSTENTION": "3"},
        ),
    )
    assert sorted(_errors(result)) == [
        (2, "BUDGET_ANNEE", "year-interval-value"),
        (2, "PREF_DATE", "compare-columns-value"),
        (3, "DELIB_MATIERE_NOM", "nomenclature-actes-value"),
        (3, "VOTE_REEL", "sum-columns-value"),
    ]
    url = (
        f"/dataset/{result['dataset']['name']}/resource/"
        f"{result['resource']['id']}/validation"
    )
    html = app.get(url).get_data(as_text=True)
    assert "4 erreurs" in html
    assert "sans doute 2024/2025" in html
    assert "supérieure ou égale à celle de la colonne DELIB_DATE" in html
    assert "nomenclature ACTES" in html
    assert "25 + 2 + 3 = 30" in html
    english = app.get("/en" + url).get_data(as_text=True)
    assert "4 errors found" in english
    assert "the second year after the first (probably 2024/2025)" in english
    assert "greater than or equal to the one in column DELIB_DATE" in english
    assert "ACTES nomenclature" in english
    assert "the sum of columns VOTE_POUR, VOTE_CONTRE, VOTE_ABSTENTION" in english
