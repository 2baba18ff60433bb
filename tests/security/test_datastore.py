"""The DataStore, probed: a private resource's rows reach nobody outside its
organisation, by any read surface or SQL trick; nobody outside writes.

``tests/datastore/test_access.py`` checks that the API serves public data
and the plain refusals (``datastore_search``, ``SELECT *``, a join, the dump
in four formats) for an anonymous visitor and an outside editor. The probe
here goes further, with the suite's cast (conftest.py): rows carrying a
marker word, read through every DataStore surface — the search, its full
text, ``datastore_info``, SQL hidden in a subquery, a CTE, a UNION, a
LATERAL join, a scalar subquery, an ``EXISTS`` oracle, a function that runs
SQL text, ``_table_metadata`` — and the dump in every format, by every role
outside the organisation; each surface first shown to see the marker for a
reader (so that a refusal is not a blind probe). Writes (``datastore_*``,
``xloader_submit``, ``resource_validation_run``) are refused to them and
change nothing, and are allowed to the organisation's editor.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import openpyxl
import pytest

from ckan.logic import NotFound
from ckan.tests.helpers import call_action

from ..datastore.conftest import clean_datastore  # noqa: F401
from .conftest import Site

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_datastore")

PUBLIC = "zorglub-public"
PRIVATE = "zorglub-prive"
OUTSIDERS = ("anonyme", "inscrit", "editeur-autre-org")
READERS = ("membre", "editeur", "admin", "gestionnaire")
FORMATS = ("csv", "tsv", "json", "xml", "xlsx")


@pytest.fixture
def empty_jobs() -> Iterator[None]:
    """Loads and validations that writes queue are not left to later tests."""
    from ckan.lib import jobs

    jobs.get_queue().empty()
    yield
    jobs.get_queue().empty()


@pytest.fixture
def tables(site: Site, empty_jobs: None) -> dict[str, str]:
    """A DataStore table for the public and the private resource; their ids."""
    out = {}
    for key, dataset, marker in (
        ("pub", site.public, PUBLIC),
        ("priv", site.private, PRIVATE),
    ):
        rid = dataset["resources"][0]["id"]
        # a declared schema: its validation may be run again (by editors)
        call_action(
            "resource_patch",
            {"user": "gestionnaire"},
            id=rid,
            schema="scdl/deliberations",
        )
        call_action(
            "datastore_create",
            {"user": "gestionnaire"},
            resource_id=rid,
            force=True,
            fields=[{"id": "nom", "type": "text"}, {"id": "valeur", "type": "int"}],
            records=[{"nom": marker, "valeur": 1}, {"nom": "Sélestat", "valeur": 2}],
        )
        out[key] = rid
    return out


def _get(app: Any, site: Site, who: str, url: str) -> tuple[int, str]:
    answer = app.get(url, headers=site.people[who].headers, follow_redirects=False)
    if answer.headers.get("Content-Type", "").startswith(
        "application/vnd.openxmlformats"
    ):
        book = openpyxl.load_workbook(io.BytesIO(answer.get_data()))
        text = " ".join(
            str(c.value) for row in book.active.iter_rows() for c in row if c.value
        )
        return answer.status_code, text
    return answer.status_code, answer.get_data(as_text=True)


# SQL reaching the private table, openly or hidden; {pub} and {priv} are
# the tables' names (their resources' ids)
SQL_TRICKS = {
    "select": 'SELECT * FROM "{priv}"',
    "schema": 'SELECT * FROM public."{priv}"',
    "comment": 'SELECT * FROM /* public */ "{priv}"',
    "subquery": 'SELECT * FROM "{pub}" WHERE nom IN (SELECT nom FROM "{priv}")',
    "scalar": "SELECT (SELECT string_agg(nom, ',') FROM \"{priv}\") AS n",
    "cte": 'WITH t AS (SELECT * FROM "{priv}") SELECT * FROM t',
    "union": 'SELECT nom FROM "{pub}" UNION SELECT nom FROM "{priv}"',
    "lateral": 'SELECT * FROM "{pub}" p, LATERAL (SELECT nom AS n FROM "{priv}") q',
    "exists": (
        'SELECT * FROM "{pub}" WHERE EXISTS '
        "(SELECT 1 FROM \"{priv}\" WHERE nom LIKE 'zorglub%')"
    ),
    "sql-text": "SELECT query_to_xml('SELECT * FROM \"{priv}\"', true, true, '')",
    "table-metadata": 'SELECT m.name, p.* FROM "_table_metadata" m, "{priv}" p',
}


def _read_surfaces(t: dict[str, str]) -> dict[str, str]:
    """Every DataStore read of the private table (label: URL)."""
    api = "/api/3/action/"
    surfaces = {
        "datastore_search": f"{api}datastore_search?resource_id={t['priv']}",
        "datastore_search q": f"{api}datastore_search?resource_id={t['priv']}"
        f"&q={PRIVATE}",
        "datastore_info": f"{api}datastore_info?id={t['priv']}",
    }
    for name, sql in SQL_TRICKS.items():
        surfaces[f"sql {name}"] = f"{api}datastore_search_sql?" + _query(
            sql=sql.format(**t)
        )
    for fmt in FORMATS:
        surfaces[f"dump {fmt}"] = f"/datastore/dump/{t['priv']}?format={fmt}"
    return surfaces


def _query(**params: str) -> str:
    return urlencode(params)


# refused to readers too: a function that runs SQL text is not on CKAN's
# allow-list; CKAN takes a CTE's name, and _table_metadata, for resources
REFUSED_TO_ALL = {"sql cte", "sql sql-text", "sql table-metadata"}
# answered to readers without the rows themselves: the columns, a filter,
# an oracle
NO_ROWS = {"datastore_info", "sql subquery", "sql exists"}


def _refusals(label: str) -> set[int]:
    if label.startswith("dump"):
        return {404}  # as for a private dataset's pages
    return {403, 404} if label in REFUSED_TO_ALL else {403}


def test_private_rows_reach_nobody_outside_the_organisation(app, site, tables):
    surfaces = _read_surfaces(tables)
    # the organisation's readers get the rows: the probe is not blind
    blind = [
        f"{label} ({who}): {status}"
        for label, url in surfaces.items()
        if label not in REFUSED_TO_ALL
        for who in READERS
        for status, text in [_get(app, site, who, url)]
        if status != 200 or (label not in NO_ROWS and PRIVATE not in text)
    ]
    assert not blind, "the probe cannot see the private rows on: " + ", ".join(blind)

    leaks, errors, other = [], [], []
    for label, url in surfaces.items():
        for who in OUTSIDERS:
            status, text = _get(app, site, who, url)
            if status >= 500:
                errors.append(f"{label} ({who}): {status}")
            elif status < 400 or PRIVATE in text:
                leaks.append(f"{label} ({who}): {status}")
            # refused for who they are, not for a mistake in the request
            # (what all are refused may be refused first as not found)
            elif status not in _refusals(label):
                other.append(f"{label} ({who}): {status}")
    assert not errors, "5xx: " + ", ".join(errors)
    assert not leaks, "leaks: " + ", ".join(leaks)
    assert not other, "not an authorisation refusal: " + ", ".join(other)


def test_table_metadata_names_no_private_table(app, site, tables):
    """``_table_metadata`` (the DataStore's list of tables) alone: refused,
    or answering without the private resource's id."""
    url = "/api/3/action/datastore_search_sql?" + _query(
        sql='SELECT * FROM "_table_metadata"'
    )
    for who in OUTSIDERS:
        status, text = _get(app, site, who, url)
        assert status < 500, (who, status)
        assert tables["priv"] not in text, (who, status)


def test_public_rows_reach_everyone(app, site, tables):
    api = "/api/3/action/"
    pub = tables["pub"]
    urls = [
        f"{api}datastore_search?resource_id={pub}",
        f"{api}datastore_search?resource_id={pub}&q={PUBLIC}",
        f"{api}datastore_search_sql?" + _query(sql=f'SELECT * FROM "{pub}"'),
        *(f"/datastore/dump/{pub}?format={fmt}" for fmt in FORMATS),
    ]
    for url in urls:
        for who in ("anonyme", "inscrit", "editeur-autre-org"):
            status, text = _get(app, site, who, url)
            assert status == 200 and PUBLIC in text, (url, who, status)


WRITES = {
    "datastore_create": lambda rid, ds: {
        "resource_id": rid,
        "force": True,
        "records": [{"nom": "pirate", "valeur": 9}],
    },
    "datastore_create (new resource)": lambda rid, ds: {
        "resource": {"package_id": ds, "name": "pirate"},
        "fields": [{"id": "nom", "type": "text"}],
        "records": [{"nom": "pirate"}],
    },
    "datastore_upsert": lambda rid, ds: {
        "resource_id": rid,
        "force": True,
        "method": "insert",
        "records": [{"nom": "pirate", "valeur": 9}],
    },
    "datastore_records_delete": lambda rid, ds: {
        "resource_id": rid,
        "force": True,
        "filters": {"valeur": 1},
    },
    "datastore_delete": lambda rid, ds: {"resource_id": rid, "force": True},
    "xloader_submit": lambda rid, ds: {"resource_id": rid},
    "resource_validation_run": lambda rid, ds: {"id": rid},
}


def _rows(rid: str) -> list[tuple[str, int]]:
    result = call_action(
        "datastore_search", {"user": "gestionnaire"}, resource_id=rid, sort="_id"
    )
    return [(r["nom"], r["valeur"]) for r in result["records"]]


def _load_status(rid: str) -> dict[str, Any] | None:
    try:
        return call_action(
            "task_status_show", entity_id=rid, task_type="xloader", key="xloader"
        )
    except NotFound:
        return None


@pytest.mark.parametrize("which", ["pub", "priv"])
@pytest.mark.parametrize("action", list(WRITES))
def test_writes_are_refused_outside_the_organisation(
    app, site: Site, tables, action, which
):
    rid = tables[which]
    dataset = site.public if which == "pub" else site.private
    params = WRITES[action](rid, dataset["id"])
    name = action.split(" ")[0]
    before = _rows(rid), _load_status(rid)
    resources = call_action("package_show", id=dataset["id"])["resources"]
    for who in OUTSIDERS:
        answer = site.api(app, who, name, "POST", **params)
        assert answer.status_code in (403, 404), (who, answer.json)
        assert answer.json["success"] is False
        assert answer.json["error"]["__type"] in (
            "Authorization Error",
            "Not Found Error",
        )
    # no row changed, no resource added, no validation or load queued
    assert (_rows(rid), _load_status(rid)) == before
    assert call_action("package_show", id=dataset["id"])["resources"] == resources
    # the organisation's editor may: the refusals above are not a mistake
    # in the request
    answer = site.api(app, "editeur", name, "POST", **params)
    assert answer.status_code == 200, answer.json
