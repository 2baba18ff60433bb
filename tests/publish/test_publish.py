"""« Publier un jeu de données »: choose, download, upload, check, publish
(issue 18, part 3). The schema catalogue is ../shared/scdl; the jobs
(validation, DataStore load) run as the worker runs them."""

from __future__ import annotations

import csv
import datetime
import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..datastore.conftest import clean_datastore  # noqa: F401
from ..validation.conftest import empty_queue, run_jobs, schemas_dir  # noqa: F401

DATA = Path(__file__).resolve().parents[1] / "data" / "validation"

pytestmark = pytest.mark.usefixtures(
    "clean_datastore", "empty_queue", "schemas_dir", "cog"
)
YEAR = datetime.date.today().year


def person(**kwargs: Any) -> dict[str, Any]:
    user = factories.UserWithToken(**kwargs)
    user["headers"] = {"Authorization": user["token"]}
    return user


@pytest.fixture
def commune() -> dict[str, Any]:
    editor = person()
    member = person()
    org = factories.Organization(
        name="commune-selestat",
        title="Commune de Sélestat",
        kind="commune",
        cog_code="67462",
        users=[
            {"name": editor["name"], "capacity": "editor"},
            {"name": member["name"], "capacity": "member"},
        ],
    )
    return {"org": org, "editor": editor, "member": member}


def datasets() -> int:
    return model.Session.query(model.Package).filter_by(type="dataset").count()


def schema_fields(name: str) -> list[str]:
    from ckanext.territoire.validation import catalogue

    return [f["name"] for f in catalogue.resolve(f"scdl/{name}")["fields"]]


def form(**extra: Any) -> dict[str, Any]:
    data = {
        "schema": "scdl/deliberations",
        "organisation": "commune-selestat",
        "annee": str(YEAR),
        "title": f"Délibérations — Commune de Sélestat — {YEAR}",
        "notes": "Les délibérations du conseil municipal.",
        "territories": "commune:67462",
        "themes": ["GOVE"],
        "frequency": "MONTHLY",
        "license_id": "etalab-2.0",
        "tag_string": "délibérations, SCDL",
        "temporal_start": f"{YEAR}-01-01",
        "temporal_end": f"{YEAR}-12-31",
        "granularity": "commune",
    }
    data.update(extra)
    return data


def upload(name: str, body: bytes | None = None) -> tuple[io.BytesIO, str]:
    content = body if body is not None else (DATA / name).read_bytes()
    return (io.BytesIO(content), name)


def publish_post(app: Any, who: dict[str, Any], data: dict[str, Any]) -> Any:
    return app.post(
        "/publier/nouveau",
        headers=who["headers"],
        data=data,
        content_type="multipart/form-data",
        follow_redirects=False,
    )


def test_the_start_page_offers_the_schemas_the_portal_knows(app, commune):
    assert app.get("/publier", follow_redirects=False).status_code == 302
    body = app.get("/publier", headers=commune["editor"]["headers"]).body
    for label in ("Délibérations", "Budget", "Subventions", "Équipements publics"):
        assert label in body
    assert 'value="scdl/deliberations"' in body
    assert 'value="autre"' in body
    assert "Commune de Sélestat" in body
    # someone who publishes for no organisation is told how to join
    body = app.get("/publier", headers=person()["headers"]).body
    assert 'href="/rejoindre"' in body
    # the organisation's page links to it for its editors
    page = app.get(
        "/organization/commune-selestat", headers=commune["editor"]["headers"]
    )
    assert "/publier?organisation=commune-selestat" in page.body


def test_the_templates_have_the_schema_s_columns(app, commune):
    response = app.get("/publier/modele?schema=scdl/deliberations&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "deliberations-modele.csv" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    (header,) = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert header == schema_fields("deliberations")

    response = app.get("/publier/modele?schema=scdl/budget&format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    first, helper = book.worksheets
    assert [c.value for c in first[1]] == schema_fields("budget")
    rows = list(helper.iter_rows(values_only=True))
    assert rows[0] == ("Colonne", "Obligatoire", "Description", "Exemple")
    assert rows[1][0] == "BGT_NATDEC" and rows[1][1] == "oui"

    assert app.get("/publier/modele?schema=scdl/inconnu&format=csv").status_code == 404
    assert app.get("/publier/modele?schema=scdl/budget&format=pdf").status_code == 400


def test_the_form_is_pre_filled_from_the_schema_and_the_organisation(app, commune):
    body = app.get(
        "/publier/nouveau?schema=scdl/deliberations&organisation=commune-selestat",
        headers=commune["editor"]["headers"],
    ).body
    assert f'value="Délibérations — Commune de Sélestat — {YEAR}"' in body
    assert "Liste des délibérations adoptées par Commune de Sélestat" in body
    assert 'value="commune:67462"' in body  # the organisation's territory
    assert 'id="theme-GOVE" value="GOVE" checked' in body
    assert '<option value="MONTHLY" selected>' in body
    assert '<option value="etalab-2.0" selected>' in body
    assert f'value="{YEAR}-01-01"' in body
    assert "/publier/modele?schema=scdl/deliberations&amp;format=csv" in body
    assert "Colonnes obligatoires : COLL_NOM, COLL_SIRET" in body


def test_a_file_is_published_through_the_guide(app, commune):
    editor = commune["editor"]
    response = publish_post(
        app, editor, form(upload=upload("deliberations-utf8-bom.csv"))
    )
    assert response.status_code == 302, response.body
    check = response.headers["Location"]
    (dataset,) = call_action("package_search", include_private=True)["results"]
    assert dataset["private"] is True
    assert dataset["title"] == f"Délibérations — Commune de Sélestat — {YEAR}"
    assert dataset["territories"] == ["commune:67462"]
    assert dataset["themes"] == ["GOVE"]
    assert dataset["frequency"] == "MONTHLY"
    assert dataset["license_id"] == "etalab-2.0"
    assert dataset["organization"]["name"] == "commune-selestat"
    (resource,) = dataset["resources"]
    assert resource["url_type"] == "upload"
    assert resource["schema"] == "scdl/deliberations"
    assert resource["schema_version"] == "2.1.5"
    assert check.endswith(f"/publier/verification/{dataset['name']}")

    # before the check: the page waits, nothing to publish yet
    page = app.get(
        f"/publier/verification/{dataset['name']}", headers=editor["headers"]
    )
    assert 'http-equiv="refresh"' in page.body
    assert "territoire-publish-now" not in page.body
    assert run_jobs() >= 1
    page = app.get(
        f"/publier/verification/{dataset['name']}", headers=editor["headers"]
    )
    assert 'data-status="success"' in page.body
    assert "conforme au schéma scdl/deliberations" in page.body
    response = app.post(
        f"/publier/verification/{dataset['name']}",
        headers=editor["headers"],
        data={"action": "publish"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert call_action("package_show", id=dataset["id"])["private"] is False


def test_an_excel_file_becomes_the_csv_that_is_checked(app, commune):
    book = Workbook()
    sheet = book.active
    rows = list(
        csv.reader(
            io.StringIO((DATA / "deliberations-utf8-bom.csv").read_text("utf-8-sig")),
            delimiter=";",
        )
    )
    sheet.append(rows[0])
    for row in rows[1:]:
        cells: list[Any] = list(row)
        date_at = rows[0].index("DELIB_DATE")
        cells[date_at] = datetime.datetime.fromisoformat(
            row[date_at]
        )  # a real date cell
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    response = publish_post(
        app,
        commune["editor"],
        form(upload=upload("deliberations.xlsx", out.getvalue())),
    )
    assert response.status_code == 302, response.body
    (dataset,) = call_action("package_search", include_private=True)["results"]
    (resource,) = dataset["resources"]
    assert resource["url"].endswith("/deliberations.csv")
    run_jobs()
    result = call_action("resource_validation_show", id=resource["id"])
    assert result["status"] == "success", result["report"]


def test_a_wrong_file_is_reported_and_can_be_replaced(app, commune):
    editor = commune["editor"]
    publish_post(app, editor, form(upload=upload("deliberations-invalid.csv")))
    (dataset,) = call_action("package_search", include_private=True)["results"]
    run_jobs()
    url = f"/publier/verification/{dataset['name']}"
    page = app.get(url, headers=editor["headers"]).body
    assert 'data-status="failure"' in page
    assert "ne respecte pas encore le schéma" in page
    assert f"/dataset/{dataset['name']}/resource/" in page  # the report
    assert "territoire-publish-now" not in page
    app.post(
        url,
        headers=editor["headers"],
        data={"action": "replace", "upload": upload("deliberations-utf8-bom.csv")},
        content_type="multipart/form-data",
    )
    run_jobs()
    page = app.get(url, headers=editor["headers"]).body
    assert 'data-status="success"' in page
    assert "territoire-publish-now" in page


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "Choisissez le fichier à publier"),
        ({"upload": upload("x.pdf", b"%PDF-1.4")}, "ni un fichier CSV ni un classeur"),
        (
            {"upload": upload("x.xlsx", b"pas un classeur")},
            "ne se lit pas comme un classeur",
        ),
        (
            {"upload": upload("deliberations-utf8-bom.csv"), "title": ""},
            "Rien n&#39;a été enregistré",
        ),
        (
            {"upload": upload("deliberations-utf8-bom.csv"), "territories": "01340x"},
            "Code de territoire mal formé",
        ),
        (
            {"upload": upload("deliberations-utf8-bom.csv"), "themes": ["XXXX"]},
            "Valeur inconnue « XXXX »",
        ),
    ],
)
def test_bad_input_creates_nothing(app, commune, extra, expected):
    response = publish_post(app, commune["editor"], form(**extra))
    assert response.status_code == 200
    body = response.body.replace("Rien n'a été", "Rien n&#39;a été")
    assert expected in body
    assert datasets() == 0


def test_only_the_organisation_s_editors_publish(app, commune):
    url = "/publier/nouveau?schema=scdl/deliberations&organisation=commune-selestat"
    assert app.get(url, headers=commune["member"]["headers"]).status_code == 403
    response = publish_post(
        app, commune["member"], form(upload=upload("deliberations-utf8-bom.csv"))
    )
    assert response.status_code == 403
    assert datasets() == 0
    dataset = factories.Dataset(owner_org=commune["org"]["id"])
    check = f"/publier/verification/{dataset['name']}"
    assert app.get(check, headers=commune["member"]["headers"]).status_code == 404


def test_autre_leads_to_the_full_form(app, commune):
    response = app.get(
        "/publier/nouveau?schema=autre&organisation=commune-selestat",
        headers=commune["editor"]["headers"],
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert "/dataset/new" in response.headers["Location"]


def test_the_publication_codelist_names_known_codes():
    from ckanext.territoire.vocabularies import codelists

    doc = json.loads(codelists.path("scdl-publications").read_text("utf-8"))
    themes = set(codelists.codes(codelists.THEMES))
    frequencies = set(codelists.codes(codelists.FREQUENCIES))
    for name, entry in doc["publications"].items():
        assert set(entry["themes"]) <= themes, name
        assert entry["frequency"] in frequencies, name
        assert (
            "{collectivite}" in entry["title"]["fr"]
            and "{annee}" in entry["title"]["fr"]
        )
        assert set(entry["label"]) == {"fr", "en"}
