"""Files load into the DataStore through the jobs worker (issue 17, part 3)."""

from __future__ import annotations

from typing import Any

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from .conftest import status

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_datastore")


def _dataset(org: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return factories.Dataset(owner_org=org["id"], **kw)


def _records(resource_id: str, **kw: Any) -> dict[str, Any]:
    return helpers.call_action(
        "datastore_search", resource_id=resource_id, limit=100, **kw
    )


@pytest.mark.parametrize(
    "name,fmt",
    [
        ("deliberations_cp1252.csv", "CSV"),
        ("deliberations_utf8_bom.csv", "CSV"),
        ("deliberations.tsv", "TSV"),
    ],
)
def test_a_linked_french_file_loads_with_its_accents_and_types(
    name, fmt, files_server, run_jobs, org_and_editor
):
    org, _editor = org_and_editor
    dataset = _dataset(org)
    res = factories.Resource(
        package_id=dataset["id"], url=f"{files_server}/{name}", format=fmt
    )
    run_jobs()
    st = status(res["id"])
    assert st["status"] == "complete", st
    result = _records(res["id"], sort="DELIB_ID")
    assert result["total"] == 3
    first = result["records"][0]
    assert first["COLL_NOM"] == "Commune de Sélestat"
    assert first["DELIB_OBJET"] == "Vente d'un terrain communal à l'Établissement"
    assert result["records"][1]["DELIB_OBJET"] == "Subvention « Fête de la musique »"
    types = {f["id"]: f["type"] for f in result["fields"]}
    assert types["MONTANT"] == "numeric"
    assert types["DELIB_DATE"] == "date"
    assert types["DELIB_ID"] == "text"
    # digits, but codes: named so, they stay text
    assert types["COLL_SIRET"] == "text"
    assert types["CODE_POSTAL"] == "text"
    assert float(first["MONTANT"]) == 12500.5
    assert first["DELIB_DATE"].startswith("2024-01-15")
    assert float(result["records"][2]["MONTANT"]) == 12.5
    assert tk.get_action("resource_show")({"ignore_auth": True}, {"id": res["id"]})[
        "datastore_active"
    ]


def test_declared_table_schema_gives_the_types(
    files_server, run_jobs, org_and_editor, scdl_dir
):
    org, _ = org_and_editor
    dataset = _dataset(org)
    res = factories.Resource(
        package_id=dataset["id"],
        url=f"{files_server}/deliberations_cp1252.csv",
        format="CSV",
        schema="scdl/deliberations",
        schema_version="2.1.5",
    )
    run_jobs()
    assert status(res["id"])["status"] == "complete", status(res["id"])
    types = {f["id"]: f["type"] for f in _records(res["id"])["fields"]}
    # the schema says string for SIRET: text, whatever the values look like
    assert types["COLL_SIRET"] == "text"
    assert types["DELIB_DATE"] == "date"
    # not in the schema: guessed
    assert types["MONTANT"] == "numeric"


def test_an_uploaded_xlsx_loads(run_jobs, org_and_editor, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Commune", "Population", "Créée le"])
    sheet.append(["Sélestat", 19500, "15/01/1790"])
    sheet.append(["Colmar", 67000, "15/01/1790"])
    path = tmp_path / "communes.xlsx"
    book.save(path)
    org, editor = org_and_editor
    dataset = _dataset(org)
    from werkzeug.datastructures import FileStorage

    with open(path, "rb") as f:
        res = helpers.call_action(
            "resource_create",
            context={"user": editor["name"]},
            package_id=dataset["id"],
            upload=FileStorage(f, "communes.xlsx"),
            format="XLSX",
        )
    run_jobs()
    st = status(res["id"])
    assert st["status"] == "complete", st["error"]
    result = _records(res["id"], sort="Population desc")
    assert [r["Commune"] for r in result["records"]] == ["Colmar", "Sélestat"]
    types = {f["id"]: f["type"] for f in result["fields"]}
    assert types["Population"] == "int8"
    assert types["Créée le"] == "date"
