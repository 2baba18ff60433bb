"""The loading job: one resource's file into its DataStore table.

Run by the jobs worker (``ckan jobs worker``), enqueued by our
``xloader_submit`` (``logic.py``). Steps, each reported in the resource's
xloader task status (``xloader_status``), in French then English:

1. fetch the file (``fetch.py``), 2. normalise it and fix the column types
(``normalise.py``, with the declared Table Schema from ``schemas.py``) —
nothing in the DataStore is touched until the whole file has been read
without error; 3. (re)create the table with ``datastore_create``, ``COPY``
the normalised file into a temporary table and convert it into the
DataStore table in one statement (decimal commas, ``JJ/MM/AAAA`` dates),
full-text column included; 4. indexes, ``ANALYZE``, default views.

A failure at step 3 removes the half-made table: the resource then has no
DataStore table rather than a partial one.
"""

from __future__ import annotations

import datetime
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import ckan.plugins.toolkit as tk

from ..harvesters.messages import _, bilingual
from . import fetch, normalise, schemas
from .normalise import DATE, INT, NUMERIC, TIMESTAMP, LoadError

log = logging.getLogger(__name__)

# PostgreSQL's memory for building one index (server side, not the worker's)
MAINTENANCE_MEM = "256MB"

TASK = {"entity_type": "resource", "task_type": "xloader", "key": "xloader"}


# --------------------------------------------------------------------------
# Status (xloader's task status, read by xloader_status and our template)
# --------------------------------------------------------------------------


def _site_context() -> dict[str, Any]:
    user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"ignore_auth": True, "user": user["name"]}


def set_status(
    resource_id: str,
    state: str,
    value: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> None:
    import ckan.model as model

    task: dict[str, Any] = dict(
        TASK,
        entity_id=resource_id,
        state=state,
        last_updated=datetime.datetime.utcnow().isoformat(),
        value=json.dumps(value or {}),
        error=json.dumps(error or {}),
    )
    try:
        existing = tk.get_action("task_status_show")(
            {"ignore_auth": True},
            {"entity_id": resource_id, "task_type": "xloader", "key": "xloader"},
        )
        task["id"] = existing["id"]
        if value is None:
            task["value"] = existing.get("value") or "{}"
    except tk.ObjectNotFound:
        pass
    tk.get_action("task_status_update")(
        {"session": model.meta.create_local_session(), "ignore_auth": True}, task
    )


# --------------------------------------------------------------------------
# The job
# --------------------------------------------------------------------------


def load_resource(resource_id: str, ignore_hash: bool = False) -> str | None:
    """Job: load ``resource_id``; ``"error"`` (rq's result) when it failed."""
    _dispose_inherited_engines()
    started = time.monotonic()
    job_value: dict[str, Any] = {"job_id": _current_job_id()}
    set_status(resource_id, "running", job_value)
    try:
        result = _load(resource_id, ignore_hash)
    except LoadError as e:
        log.info("DataStore load of %s refused: %s", resource_id, e.french())
        set_status(resource_id, "error", job_value, {"message": str(e)})
        return "error"
    except Exception as e:
        log.exception("DataStore load of %s failed", resource_id)
        message = bilingual(
            _(
                "Le chargement a échoué sur une erreur inattendue ({error}) : "
                "réessayez ; si l'erreur persiste, transmettez ce message à "
                "l'équipe du portail."
            ),
            error=type(e).__name__,
        )
        set_status(resource_id, "error", job_value, {"message": message})
        return "error"
    job_value.update(result, seconds=round(time.monotonic() - started, 2))
    set_status(resource_id, "complete", job_value)
    return None


def _current_job_id() -> str | None:
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:
        return None
    return job.id if job else None


def _dispose_inherited_engines() -> None:
    # the worker forks per job: connections of the parent must not be shared
    try:
        from ckanext.datastore.backend import postgres

        for engine in postgres._engines.values():  # noqa: SLF001
            engine.dispose(close=False)
    except (ImportError, AttributeError):
        pass


def _load(resource_id: str, ignore_hash: bool) -> dict[str, Any]:
    context = _site_context()
    resource = _resource(context, resource_id)
    table_schema = schemas.resolve_table_schema(
        resource.get("schema"), resource.get("schema_version")
    )
    timings: dict[str, float] = {}
    clock = time.monotonic()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.monotonic()
        timings[step] = round(now - clock, 2)
        clock = now

    with tempfile.TemporaryDirectory(prefix="territoire-load-") as tmp:
        raw = Path(tmp) / "source"
        digest = fetch.fetch(resource, raw)
        lap("fetch")
        if (
            not ignore_hash
            and digest == resource.get("hash")
            and resource.get("datastore_active")
        ):
            return {"skipped": "unchanged", "hash": digest}
        table = normalise.normalise(
            raw, Path(tmp) / "clean.csv", resource.get("format") or "", table_schema
        )
        lap("normalise")
        write_table(resource_id, table, lap)
    _after_load(context, resource_id, digest)
    lap("views")
    return {
        "timings": timings,
        "rows": table.rows,
        "fields": table.fields,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "schema": bool(table_schema),
        "hash": digest,
    }


def _resource(context: dict[str, Any], resource_id: str) -> dict[str, Any]:
    # xloader submits while the resource's transaction is still open: the
    # job may start before it is committed
    for wait in (0.5, 1, 2, 4, 0):
        try:
            return tk.get_action("resource_show")(dict(context), {"id": resource_id})
        except tk.ObjectNotFound:
            if not wait:
                raise
            time.sleep(wait)
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------
# Into PostgreSQL
# --------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _convert(column: str, kind: str) -> str:
    c = f"s.{_q(column)}"
    if kind == INT:
        return f"{c}::int8"
    if kind == NUMERIC:
        return f"replace({c}, ',', '.')::numeric"
    if kind == DATE:
        return (
            f"CASE WHEN {c} LIKE '__/__/____' THEN to_date({c}, 'DD/MM/YYYY') "
            f"ELSE {c}::date END"
        )
    if kind == TIMESTAMP:
        return (
            f"CASE WHEN {c} LIKE '__/__/____ %' THEN "
            f"to_timestamp({c}, 'DD/MM/YYYY HH24:MI:SS')::timestamp "
            f"ELSE {c}::timestamp END"
        )
    return c


def write_table(
    resource_id: str, table: normalise.Table, lap: Any = lambda step: None
) -> None:
    from ckanext.datastore.backend.postgres import get_write_engine

    context = _site_context()
    try:
        tk.get_action("datastore_delete")(
            dict(context), {"resource_id": resource_id, "force": True}
        )
    except tk.ObjectNotFound:
        pass
    tk.get_action("datastore_create")(
        dict(context),
        {"resource_id": resource_id, "fields": table.fields, "force": True},
    )
    lap("create")
    names = [c.name for c in table.columns]
    lang = tk.config.get("ckan.datastore.default_fts_lang") or "english"
    stage = "territoire_stage"
    target = _q(resource_id)
    cols = ", ".join(_q(n) for n in names)
    converted = ", ".join(_convert(c.name, c.type) for c in table.columns)
    full_text = " || ' ' || ".join(f"coalesce(s.{_q(n)}, '')" for n in names)
    engine = get_write_engine()
    try:
        with engine.begin() as conn:
            # index builds (full text above all) are several times faster
            # with more than PostgreSQL's default 64 MB
            conn.exec_driver_sql(
                f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_MEM}'"
            )
            conn.exec_driver_sql(
                f"CREATE TEMP TABLE {stage} ("
                + ", ".join(f"{_q(n)} text" for n in names)
                + ") ON COMMIT DROP"
            )
            raw = conn.connection.dbapi_connection
            with raw.cursor() as cur, open(table.path, encoding="utf-8") as f:  # type: ignore[union-attr]
                cur.copy_expert(
                    f"COPY {stage} ({cols}) FROM STDIN "
                    "WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')",
                    f,
                    size=1 << 20,
                )
            lap("copy")
            conn.exec_driver_sql(f"ALTER TABLE {target} DISABLE TRIGGER zfulltext")
            # indexes are built once at the end, not row by row
            indexes = conn.execute(
                sa.text(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                    "JOIN pg_index x ON x.indexrelid = "
                    "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))"
                    "::regclass WHERE i.schemaname = 'public' AND i.tablename = :t "
                    "AND NOT x.indisprimary"
                ),
                {"t": resource_id},
            ).fetchall()
            for name, _definition in indexes:
                conn.exec_driver_sql(f"DROP INDEX {_q(name)}")
            conn.execute(
                sa.text(
                    f"INSERT INTO {target} ({cols}, _full_text) "
                    f"SELECT {converted}, to_tsvector(CAST(:lang AS regconfig), {full_text}) "
                    f"FROM {stage} s"
                ),
                {"lang": lang},
            )
            lap("insert")
            for _name, definition in indexes:
                conn.exec_driver_sql(definition)
            lap("fulltext_index")
            conn.exec_driver_sql(f"ALTER TABLE {target} ENABLE TRIGGER zfulltext")
    except sa.exc.DBAPIError as e:
        _drop_quietly(resource_id)
        detail = str(getattr(e, "orig", e)).strip().splitlines()[0][:300]
        raise LoadError(
            _(
                "Une valeur ne convient pas au type de sa colonne ({detail}) : "
                "corrigez-la dans le fichier (ou le schéma déclaré) et relancez "
                "le chargement."
            ),
            detail=detail,
        ) from e
    except Exception:
        _drop_quietly(resource_id)
        raise
    _index(resource_id, table)
    lap("indexes")


def _index(resource_id: str, table: normalise.Table) -> None:
    """B-tree indexes for filters and sorts, then fresh planner statistics."""
    from ckanext.datastore.backend.postgres import get_write_engine

    engine = get_write_engine()
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql(f"SET maintenance_work_mem = '{MAINTENANCE_MEM}'")
        for i, column in enumerate(table.columns):
            conn.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {_q(f'{resource_id[:20]}_c{i}')} "
                f"ON {_q(resource_id)} ({_q(column.name)})"
            )
        conn.exec_driver_sql(f"ANALYZE {_q(resource_id)}")
        conn.exec_driver_sql("RESET maintenance_work_mem")


def _drop_quietly(resource_id: str) -> None:
    try:
        tk.get_action("datastore_delete")(
            _site_context(), {"resource_id": resource_id, "force": True}
        )
    except Exception:  # the table may not exist any more
        log.warning("could not drop the DataStore table of %s", resource_id)


def _after_load(context: dict[str, Any], resource_id: str, digest: str) -> None:
    tk.get_action("resource_patch")(
        dict(context),
        {"id": resource_id, "hash": digest, "datastore_active": True},
    )
    resource = tk.get_action("resource_show")(dict(context), {"id": resource_id})
    dataset = tk.get_action("package_show")(
        dict(context), {"id": resource["package_id"]}
    )
    tk.get_action("resource_create_default_resource_views")(
        dict(context),
        {"resource": resource, "package": dataset, "create_datastore_views": True},
    )
