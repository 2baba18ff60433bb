"""The rows reach the DataStore by COPY, typed, and replace the previous
table in one transaction (datastore/write.py); indexes follow."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from .conftest import status

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_datastore")

HEADER = "id;date;commune;beneficiaire;objet;montant\r\n"
COMMUNES = ["Sélestat", "Épinal", "Strasbourg", "Charleville-Mézières"]


def _line(i: int) -> str:
    objet = "Théâtre « été »" if i % 7 == 0 else "Fonctionnement annuel"
    return (
        f"S{i:06d};{(i % 28) + 1:02d}/{(i % 12) + 1:02d}/2024;"
        f"{COMMUNES[i % 4]};Association n°{i};{objet};{i},{i % 100:02d}\r\n"
    )


def _file(rows: int, middle: str = "") -> bytes:
    lines = [_line(i) for i in range(1, rows + 1)]
    if middle:
        lines.insert(rows // 2, middle)
    return (HEADER + "".join(lines) + "\r\n\r\n").encode("cp1252")


def _resource(org: dict[str, Any], url: str, **kw: Any) -> dict[str, Any]:
    dataset = factories.Dataset(owner_org=org["id"])
    return factories.Resource(package_id=dataset["id"], url=url, format="CSV", **kw)


def _value(resource_id: str) -> dict[str, Any]:
    task = tk.get_action("task_status_show")(
        {"ignore_auth": True},
        {"entity_id": resource_id, "task_type": "xloader", "key": "xloader"},
    )
    return json.loads(task["value"])


def _search(resource_id: str, **kw: Any) -> dict[str, Any]:
    return helpers.call_action("datastore_search", resource_id=resource_id, **kw)


def _sql(query: str, **params: Any) -> list[Any]:
    from ckanext.datastore.backend.postgres import get_write_engine

    with get_write_engine().connect() as conn:
        return list(conn.execute(sa.text(query), params).fetchall())


def _leftovers() -> list[str]:
    return [
        name
        for (name,) in _sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND (tablename LIKE '\\_stage\\_%' OR tablename LIKE '\\_load\\_%' "
            "OR tablename LIKE '\\_index\\_%')"
        )
    ]


def _reload(resource_id: str, run_jobs: Any) -> None:
    assert tk.get_action("xloader_submit")(
        {"ignore_auth": True}, {"resource_id": resource_id, "ignore_hash": True}
    )
    run_jobs()


def test_a_big_file_is_copied_in_two_parts_in_file_order(
    files_server, routes, run_jobs, org_and_editor
):
    rows = 110_000  # > 8 MB: two COPY at once
    # a quoted value holding the delimiter and a line break, at the cut
    middle = 'S999999;01/01/2024;Colmar;"Amicale ; des ""anciens""\r\nde Colmar";Objet;1,5\r\n'
    routes["/gros.csv"] = (200, "text/csv", _file(rows, middle))
    org, _ = org_and_editor
    res = _resource(org, f"{files_server}/gros.csv")
    run_jobs()
    st = status(res["id"])
    assert st["status"] == "complete", st
    value = _value(res["id"])
    assert value["path"] == "bulk"
    assert value["rows"] == rows + 1
    assert value["indexing"] is False
    assert value["encoding"] == "cp1252"
    result = _search(res["id"], limit=1)
    assert result["total"] == rows + 1
    types = {f["id"]: f["type"] for f in result["fields"]}
    assert types["montant"] == "numeric"
    assert types["date"] == "date"
    assert types["id"] == "text"
    # file order is _id order, across the cut
    ids = [i for (i,) in _sql(f'SELECT id FROM "{res["id"]}" ORDER BY _id')]
    expected = [f"S{i:06d}" for i in range(1, rows + 1)]
    expected.insert(rows // 2, "S999999")
    assert ids == expected
    odd = _search(res["id"], filters={"id": "S999999"})["records"][0]
    assert odd["beneficiaire"] == 'Amicale ; des "anciens"\r\nde Colmar'
    row = _search(res["id"], filters={"id": "S000007"})["records"][0]
    assert row["commune"] == "Charleville-Mézières"
    assert row["objet"] == "Théâtre « été »"
    assert float(row["montant"]) == 7.07
    assert row["date"].startswith("2024-08-08")
    # the French full-text column and the indexes of phase 2
    found = _search(res["id"], q="théâtres", limit=0)
    assert found["total"] == len([i for i in range(1, rows + 1) if i % 7 == 0])
    indexes = {
        d
        for (d,) in _sql(
            "SELECT indexdef FROM pg_indexes WHERE tablename = :t", t=res["id"]
        )
    }
    assert any("PRIMARY KEY" in d or "UNIQUE" in d for d in indexes), indexes
    assert any("gin (_full_text)" in d for d in indexes), indexes
    assert any("(montant)" in d for d in indexes), indexes
    assert _leftovers() == []


def test_later_rows_get_the_next_ids_and_their_full_text(
    files_server, routes, run_jobs, org_and_editor
):
    routes["/petit.csv"] = (200, "text/csv", _file(20))
    org, _ = org_and_editor
    res = _resource(org, f"{files_server}/petit.csv")
    run_jobs()
    assert status(res["id"])["status"] == "complete"
    helpers.call_action(
        "datastore_upsert",
        resource_id=res["id"],
        method="insert",
        records=[{"id": "S000021", "commune": "Haguenau", "objet": "Kermesse"}],
        force=True,
    )
    last = _search(res["id"], sort="_id desc", limit=1)["records"][0]
    assert (last["_id"], last["id"]) == (21, "S000021")
    assert _search(res["id"], q="kermesse")["total"] == 1
    assert _search(res["id"], limit=0)["total"] == 21


def test_a_failed_reload_keeps_the_previous_table(
    files_server, routes, run_jobs, org_and_editor, scdl_dir
):
    good = (
        "COLL_NOM;COLL_SIRET;DELIB_ID;DELIB_DATE;DELIB_MATIERE_CODE;"
        "DELIB_MATIERE_NOM;DELIB_OBJET\r\n"
        "Commune de Sélestat;21670437600019;D1;15/01/2024;3.2;Aliénations;Vente\r\n"
    )
    routes["/delib.csv"] = (200, "text/csv", good.encode("cp1252"))
    org, _ = org_and_editor
    res = _resource(
        org,
        f"{files_server}/delib.csv",
        schema="scdl/deliberations",
        schema_version="2.1.5",
    )
    run_jobs()
    assert status(res["id"])["status"] == "complete", status(res["id"])
    bad = good + "Commune de Sélestat;21670437600019;D2;hier;3.2;Aliénations;Achat\r\n"
    routes["/delib.csv"] = (200, "text/csv", bad.encode("cp1252"))
    _reload(res["id"], run_jobs)
    st = status(res["id"])
    assert st["status"] == "error"
    assert "Ligne 3" in st["error"]["message"]
    assert "DELIB_DATE" in st["error"]["message"]
    records = _search(res["id"])["records"]
    assert [r["DELIB_ID"] for r in records] == ["D1"]
    assert records[0]["COLL_NOM"] == "Commune de Sélestat"
    assert _leftovers() == []


def test_a_failure_inside_the_swap_changes_nothing(
    files_server, routes, run_jobs, org_and_editor, monkeypatch
):
    from ckanext.territoire.datastore import write

    routes["/a.csv"] = (200, "text/csv", _file(10))
    org, _ = org_and_editor
    res = _resource(org, f"{files_server}/a.csv")
    run_jobs()
    assert _search(res["id"], limit=0)["total"] == 10
    real = write._swap

    def swap_then_fail(resource_id, new, rows, comments, conn=None, top=None):
        # the whole swap runs (the previous table dropped, the new one
        # renamed), then the transaction fails before its commit
        with write._engine().begin() as tx:
            real(resource_id, new, rows, comments, tx, top)
            raise RuntimeError("panne simulée")

    # the worker forks: the child inherits the patched module
    monkeypatch.setattr(write, "_swap", swap_then_fail)
    routes["/a.csv"] = (200, "text/csv", _file(30))
    _reload(res["id"], run_jobs)
    st = status(res["id"])
    assert st["status"] == "error"
    assert "RuntimeError" in st["error"]["message"]
    assert _search(res["id"], limit=0)["total"] == 10
    assert _search(res["id"], q="théâtre")["total"] == 1
    assert _leftovers() == []
    monkeypatch.undo()
    _reload(res["id"], run_jobs)
    assert _search(res["id"], limit=0)["total"] == 30


def test_a_blank_line_inside_is_read_line_by_line(
    files_server, routes, run_jobs, org_and_editor
):
    routes["/trou.csv"] = (200, "text/csv", _file(40, middle="\r\n"))
    org, _ = org_and_editor
    res = _resource(org, f"{files_server}/trou.csv")
    run_jobs()
    assert status(res["id"])["status"] == "complete", status(res["id"])
    assert _value(res["id"])["path"] == "lines"
    assert _search(res["id"], limit=0)["total"] == 40


def test_a_value_of_another_type_further_down_makes_the_column_text(
    files_server, routes, run_jobs, org_and_editor
):
    # the first megabyte says numbers; a later value says otherwise
    body = (
        _file(15_000).decode("cp1252").rstrip()
        + "\r\nS999999;01/01/2024;Colmar;A;B;n.c.\r\n"
    )
    routes["/nc.csv"] = (200, "text/csv", body.encode("cp1252"))
    org, _ = org_and_editor
    res = _resource(org, f"{files_server}/nc.csv")
    run_jobs()
    assert status(res["id"])["status"] == "complete", status(res["id"])
    result = _search(res["id"], filters={"id": "S999999"})
    assert {f["id"]: f["type"] for f in result["fields"]}["montant"] == "text"
    assert result["records"][0]["montant"] == "n.c."
    assert _search(res["id"], limit=0)["total"] == 15_001


def test_the_data_dictionary_and_aliases_survive_a_reload(
    files_server, routes, run_jobs, org_and_editor
):
    routes["/dico.csv"] = (200, "text/csv", _file(5))
    org, _ = org_and_editor
    res = _resource(org, f"{files_server}/dico.csv")
    run_jobs()
    fields = _search(res["id"], limit=0)["fields"]
    info = {
        "montant": {"label": "Montant (€)", "notes": "TTC", "type_override": "text"},
        "commune": {"label": "Commune bénéficiaire"},
    }
    helpers.call_action(
        "datastore_create",
        resource_id=res["id"],
        force=True,
        aliases=["subventions_test"],
        fields=[
            {
                "id": f["id"],
                "type": f["type"],
                **({"info": info[f["id"]]} if f["id"] in info else {}),
            }
            for f in fields
            if f["id"] != "_id"
        ],
    )
    _reload(res["id"], run_jobs)
    assert status(res["id"])["status"] == "complete", status(res["id"])
    result = _search(res["id"], limit=1, sort="_id")
    by_id = {f["id"]: f for f in result["fields"]}
    # the editor's type is followed, the labels are kept
    assert by_id["montant"]["type"] == "text"
    assert result["records"][0]["montant"] == "1,01"
    assert by_id["montant"]["info"]["label"] == "Montant (€)"
    assert by_id["commune"]["info"]["label"] == "Commune bénéficiaire"
    assert by_id["date"]["type"] == "date"
    # the alias reads the new table
    assert _search("subventions_test", limit=0)["total"] == 5


def test_a_load_whose_job_died_is_reported_interrupted(app, org_and_editor):
    from ckanext.territoire.datastore import load

    org, editor = org_and_editor
    dataset = factories.Dataset(owner_org=org["id"])
    res = factories.Resource(
        package_id=dataset["id"], url="https://example.org/a.csv", format="CSV"
    )
    load.set_status(res["id"], "running", {"job_id": "parti-sans-laisser-d-adresse"})
    st = status(res["id"])
    assert st["status"] == "error"
    assert "interrompu" in st["error"]["message"]
    page = app.get(
        f"/dataset/{dataset['name']}/resource/{res['id']}",
        headers={"Authorization": factories.APIToken(user=editor["name"])["token"]},
    )
    assert "interrompu" in page.body


@pytest.mark.ckan_config("ckanext.territoire.datastore.job_timeout", "2")
def test_a_load_over_its_time_limit_stops_with_a_french_message(
    files_server, routes, run_jobs, org_and_editor
):
    routes["/lent.csv"] = (200, "text/csv", _file(5), 6)
    org, _ = org_and_editor
    res = _resource(org, f"{files_server}/lent.csv")
    run_jobs()
    st = status(res["id"])
    assert st["status"] == "error"
    message = st["error"]["message"]
    assert "temps maximal" in message
    assert "job_timeout" in message
    assert json.loads(json.dumps(st))  # a plain JSON status for the API


def test_spreadsheet_leftovers_are_no_rows(
    files_server, routes, run_jobs, org_and_editor
):
    # a trailing ";" on every line (an empty, unnamed last column) and the
    # ";;;" lines a spreadsheet leaves under the table
    body = "nom;population;\r\nSélestat;19500;\r\nÉpinal;31000;\r\n;;\r\n;;\r\n\r\n"
    routes["/tableur.csv"] = (200, "text/csv", body.encode("cp1252"))
    org, _ = org_and_editor
    res = _resource(org, f"{files_server}/tableur.csv")
    run_jobs()
    assert status(res["id"])["status"] == "complete", status(res["id"])
    assert _value(res["id"])["path"] == "bulk"
    result = _search(res["id"], sort="_id")
    assert [(r["nom"], r["population"]) for r in result["records"]] == [
        ("Sélestat", 19500),
        ("Épinal", 31000),
    ]
    assert [f["id"] for f in result["fields"]] == ["_id", "nom", "population"]
