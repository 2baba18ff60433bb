"""DataStore API for everyone on public data, for nobody outside on private
data (issue 17, part 2): datastore_search, datastore_search_sql, the dump."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from ckan.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_datastore")


@pytest.fixture
def loaded(files_server: str, run_jobs: Any) -> dict[str, Any]:
    """A public and a private resource of one organisation, both loaded."""
    editor = factories.User()
    stranger = factories.User()
    factories.Organization(users=[{"name": stranger["name"], "capacity": "editor"}])
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    out: dict[str, Any] = {
        "editor": factories.APIToken(user=editor["name"])["token"],
        "stranger": factories.APIToken(user=stranger["name"])["token"],
    }
    for private in (False, True):
        dataset = factories.Dataset(owner_org=org["id"], private=private)
        res = factories.Resource(
            package_id=dataset["id"],
            url=f"{files_server}/deliberations_cp1252.csv",
            format="CSV",
        )
        out["private" if private else "public"] = res["id"]
    run_jobs()
    return out


def _get(app: Any, action: str, token: str | None = None, **params: Any) -> Any:
    headers = {"Authorization": token} if token else {}
    return app.get(f"/api/3/action/{action}", query_string=params, headers=headers)


def test_datastore_search_for_anonymous_users(app, loaded):
    rid = loaded["public"]
    body = _get(app, "datastore_search", resource_id=rid).json["result"]
    assert body["total"] == 3
    # filters
    body = _get(
        app,
        "datastore_search",
        resource_id=rid,
        filters=json.dumps({"DELIB_ID": "2024-002"}),
    ).json["result"]
    assert [r["DELIB_OBJET"] for r in body["records"]] == [
        "Subvention « Fête de la musique »"
    ]
    # full text, French words with accents
    body = _get(app, "datastore_search", resource_id=rid, q="terrain").json["result"]
    assert body["total"] == 1
    # sort, fields, limit/offset, total
    body = _get(
        app,
        "datastore_search",
        resource_id=rid,
        sort="MONTANT desc",
        fields="DELIB_ID,MONTANT",
        limit=1,
        offset=1,
    ).json["result"]
    assert body["total"] == 3
    assert [f["id"] for f in body["fields"]] == ["DELIB_ID", "MONTANT"]
    assert body["records"] == [{"DELIB_ID": "2024-002", "MONTANT": 800}]


def test_datastore_search_sql_for_anonymous_users(app, loaded):
    rid = loaded["public"]
    sql = f'SELECT "COLL_NOM", sum("MONTANT") AS total FROM "{rid}" GROUP BY 1'
    body = _get(app, "datastore_search_sql", sql=sql).json["result"]
    assert body["records"][0]["COLL_NOM"] == "Commune de Sélestat"
    assert float(body["records"][0]["total"]) == 12500.5 + 800 + 12.5


@pytest.mark.parametrize(
    "sql",
    [
        'DELETE FROM "{rid}"',
        'UPDATE "{rid}" SET "MONTANT" = 0',
        'SELECT 1; DROP TABLE "{rid}"',
        'INSERT INTO "{rid}" ("DELIB_ID") VALUES (1)',
    ],
)
def test_datastore_search_sql_only_reads(app, loaded, sql):
    rid = loaded["public"]
    res = _get(app, "datastore_search_sql", sql=sql.format(rid=rid))
    assert res.status_code in (400, 403, 409)
    assert _get(app, "datastore_search", resource_id=rid).json["result"]["total"] == 3


@pytest.mark.ckan_config("ckanext.territoire.datastore.sql_timeout", 200)
def test_datastore_search_sql_has_a_statement_timeout(app, loaded):
    rid = loaded["public"]
    sql = (
        f'SELECT count(*) FROM "{rid}" a, "{rid}" b, generate_series(1, 50000000) g '
        "WHERE g > 0"
    )
    res = _get(app, "datastore_search_sql", sql=sql)
    assert res.status_code == 409, res.body[:500]
    (message,) = res.json["error"]["query"]
    french, english = message.split("\n")
    # French first, naming the limit and what to do; then English
    assert french.startswith(
        "La requête SQL a dépassé le délai maximal d'exécution (200 ms)"
    )
    assert "WHERE" in french and "LIMIT" in french
    assert "datastore_search" in french and "/datastore/dump/" in french
    assert english.startswith("The SQL query went over the maximum run time (200 ms)")
    assert "took too long" not in message
    # a query within the limit still answers
    res = _get(app, "datastore_search_sql", sql=f'SELECT count(*) FROM "{rid}"')
    assert res.json["result"]["records"] == [{"count": 3}]


def test_the_sql_role_is_read_only():
    """The read URL's role cannot write, even outside CKAN's checks."""
    import sqlalchemy as sa

    from ckan.common import config

    engine = sa.create_engine(config["ckan.datastore.read_url"])
    with engine.connect() as conn:
        with pytest.raises(sa.exc.ProgrammingError):
            conn.exec_driver_sql("CREATE TABLE essai (x int)")
    engine.dispose()


@pytest.mark.parametrize(
    "fmt,ctype,marker",
    [
        ("csv", "text/csv", "Sélestat"),
        ("tsv", "text/tab-separated-values", "Sélestat"),
        ("json", "application/json", "Sélestat"),
        ("xlsx", "application/vnd.openxmlformats", None),
    ],
)
def test_the_dump_for_anonymous_users(app, loaded, fmt, ctype, marker):
    rid = loaded["public"]
    res = app.get(f"/datastore/dump/{rid}", query_string={"format": fmt})
    assert res.status_code == 200
    assert res.headers["Content-Type"].startswith(ctype)
    if marker:
        assert marker in res.get_data(as_text=True)
    else:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(res.get_data()))
        values = [c.value for c in next(book.active.iter_rows(min_row=2, max_row=2))]
        assert "Commune de Sélestat" in values


@pytest.mark.parametrize("who", ["anonyme", "stranger"])
def test_private_data_is_never_served(app, loaded, who):
    rid = loaded["private"]
    token = loaded["stranger"] if who == "stranger" else None
    assert _get(app, "datastore_search", token, resource_id=rid).status_code == 403
    sql = f'SELECT * FROM "{rid}"'
    assert _get(app, "datastore_search_sql", token, sql=sql).status_code == 403
    headers = {"Authorization": token} if token else {}
    for fmt in ("csv", "json", "xlsx", "tsv"):
        res = app.get(
            f"/datastore/dump/{rid}", query_string={"format": fmt}, headers=headers
        )
        assert res.status_code in (403, 404), (fmt, res.status_code)
        assert "Sélestat" not in res.get_data(as_text=True)
    # and hidden inside a query on public data
    sql = f'SELECT * FROM "{loaded["public"]}" p, "{rid}" q'
    assert _get(app, "datastore_search_sql", token, sql=sql).status_code == 403


def test_the_organisation_editor_reads_private_data(app, loaded):
    rid = loaded["private"]
    res = _get(app, "datastore_search", loaded["editor"], resource_id=rid)
    assert res.json["result"]["total"] == 3
