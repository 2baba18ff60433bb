"""A file's rows into its DataStore table: bulk, typed, and swapped in whole.

The table a resource already has stays readable, untouched, until the new
one is complete: rows go into a table of our own (``_load_…``, then
``_index_…``: names that are no resource id, which ``datastore_search_sql``
refuses), and one short transaction swaps the new table in. A failure at
any step leaves the previous table as it was, and nothing half-made
(``discard``).

Two phases, each ending with such a swap:

1. **rows** (``load_rows``): ``COPY`` of the file's bytes straight into the
   typed table — on two connections at once for a big file, split at a line
   boundary — PostgreSQL reading ``JJ/MM/AAAA`` dates itself and a
   generated column turning decimal commas into numbers in the same pass.
   Once swapped in, the table answers ``datastore_search``, SQL, the dump
   and the preview; the load is reported complete.
2. **indexes** (``build_indexes``): the full-text column (the French
   configuration), the primary key on ``_id``, the GIN full-text index and a
   B-tree per column, built on a copy made under a ``SHARE`` lock (reads go
   on, writes wait), then swapped in the same way. Until then, ``q``
   searches find nothing in the new rows and filters scan the table.

What CKAN's ``datastore_create`` gives a table is kept: the ``_id`` serial,
the ``zfulltext`` trigger for later upserts, the row count cache
(``_table_stats``); and what users set on the previous table carries over:
the data dictionary (column comments, whose ``type_override`` the next load
follows) and the aliases (views).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import ckan.plugins.toolkit as tk

from ..harvesters.messages import _
from .normalise import DATE, INT, NUMERIC, TEXT, TIMESTAMP, LoadError

log = logging.getLogger(__name__)

# PostgreSQL's memory for building one index (server side, not the worker's)
MAINTENANCE_MEM = "256MB"
# how long a swap waits for the readers of the previous table
LOCK_TIMEOUT = "30s"
COPY_BUFFER = 1 << 20

# data dictionary ``type_override`` -> our column types
OVERRIDES = {
    "text": TEXT,
    "numeric": NUMERIC,
    "int": INT,
    "int4": INT,
    "int8": INT,
    "bigint": INT,
    "integer": INT,
    "date": DATE,
    "timestamp": TIMESTAMP,
}


class BulkRefused(Exception):
    """The file is not clean enough for ``COPY``: read it line by line instead."""


@dataclass
class Chunk:
    """A byte range of the file, read by one ``COPY``."""

    path: Path
    start: int
    end: int
    header: bool
    first_id: int = 1


@dataclass
class Source:
    """What ``COPY`` reads and how the text columns become typed ones."""

    chunks: list[Chunk]
    width: int  # fields per line, trailing empty header cells included
    encoding: str  # PostgreSQL's name: UTF8, WIN1252
    delimiter: str
    names: list[str]
    types: list[str]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def fields(self) -> list[dict[str, Any]]:
        return [
            {"id": n, "type": t} for n, t in zip(self.names, self.types, strict=True)
        ]


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _engine() -> Any:
    from ckanext.datastore.backend.postgres import get_write_engine

    return get_write_engine()


@contextmanager
def _autocommit() -> Iterator[Any]:
    with _engine().connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


def _names(resource_id: str) -> tuple[str, str]:
    """The table being filled, its indexed copy (63 bytes at most)."""
    return f"_load_{resource_id}", f"_index_{resource_id}"


# --------------------------------------------------------------------------
# What the previous table carries over
# --------------------------------------------------------------------------


def previous_columns(resource_id: str) -> dict[str, str]:
    """The column comments (data dictionary) of the resource's current table."""
    with _autocommit() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT a.attname, col_description(a.attrelid, a.attnum) "
                "FROM pg_attribute a WHERE a.attrelid = to_regclass(:t) "
                "AND a.attnum > 0 AND NOT a.attisdropped"
            ),
            {"t": q(resource_id)},
        ).fetchall()
    return {name: comment for name, comment in rows if comment}


def type_overrides(comments: dict[str, str]) -> dict[str, str]:
    """Column types set by editors in the data dictionary (``type_override``)."""
    found: dict[str, str] = {}
    for name, comment in comments.items():
        try:
            data = json.loads(comment)
        except ValueError:
            continue
        info = data.get("_info") if isinstance(data, dict) else None
        wanted = (info or {}).get("type_override") if isinstance(info, dict) else None
        if isinstance(wanted, str) and wanted.strip().lower() in OVERRIDES:
            found[name] = OVERRIDES[wanted.strip().lower()]
    return found


# --------------------------------------------------------------------------
# Phase 1: rows
# --------------------------------------------------------------------------


class _Range:
    """A file object reading ``[start, end)`` of a file, for ``copy_expert``."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        self.handle = open(path, "rb")  # noqa: SIM115 (closed by close())
        self.handle.seek(start)
        self.left = end - start

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        n = self.left if size < 0 else min(size, self.left)
        data = self.handle.read(n)
        self.left -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:  # psycopg2 never calls it
        return self.read(size)

    def close(self) -> None:
        self.handle.close()


_SEQUENCE_SETTING = "territoire.load_sequence"


def _create(building: str, sequences: list[str], source: Source) -> None:
    """The table ``COPY`` fills, typed, with a column per field of the file.

    PostgreSQL reads integers, ISO and ``JJ/MM/AAAA`` dates (DateStyle DMY)
    itself; a decimal number lands in a text column from which a generated
    column computes it (``12,5`` → 12.5) in the same pass. ``_id`` comes
    from the sequence that the session copying the rows names, so that each
    part of a split file numbers its rows from where it starts.
    """
    columns = [
        f"_id bigint DEFAULT nextval(current_setting('{_SEQUENCE_SETTING}')::regclass)",
        "_full_text tsvector",
    ]
    for i, (name, kind) in enumerate(zip(source.names, source.types, strict=True)):
        if kind == NUMERIC:
            columns.append(f"{q(f'_raw_{i}')} text")
            columns.append(
                f"{q(name)} numeric GENERATED ALWAYS AS "
                f"(replace(NULLIF(btrim({q(f'_raw_{i}')}), ''), ',', '.')::numeric) "
                "STORED"
            )
        else:
            columns.append(f"{q(name)} {_SQL_TYPES[kind]}")
    for i in range(len(source.names), source.width):
        columns.append(f"{q(f'_extra_{i}')} text")
    with _engine().begin() as conn:
        for sequence, chunk in zip(sequences, source.chunks, strict=True):
            conn.exec_driver_sql(
                f"CREATE SEQUENCE {q(sequence)} START WITH {chunk.first_id} CACHE 10000"
            )
        conn.exec_driver_sql(f"CREATE TABLE {q(building)} ({', '.join(columns)})")


_SQL_TYPES = {
    TEXT: "text",
    INT: "int8",
    NUMERIC: "numeric",
    DATE: "date",
    TIMESTAMP: "timestamp",
}


def _copy_columns(source: Source) -> list[str]:
    names = [
        f"_raw_{i}" if kind == NUMERIC else name
        for i, (name, kind) in enumerate(zip(source.names, source.types, strict=True))
    ]
    return names + [f"_extra_{i}" for i in range(len(source.names), source.width)]


def _copy(building: str, sequence: str, source: Source, chunk: Chunk) -> int:
    options = [
        "FORMAT csv",
        f"HEADER {'true' if chunk.header else 'false'}",
        "DELIMITER E'\\t'"
        if source.delimiter == "\t"
        else f"DELIMITER '{source.delimiter}'",
        f"ENCODING '{source.encoding}'",
    ]
    columns = ", ".join(q(c) for c in _copy_columns(source))
    raw = _engine().raw_connection()
    reader = _Range(chunk.path, chunk.start, chunk.end)
    try:
        with raw.cursor() as cur:  # type: ignore[attr-defined]
            cur.execute("SET datestyle = 'ISO, DMY'")
            cur.execute(
                "SELECT set_config(%s, %s, false)", (_SEQUENCE_SETTING, q(sequence))
            )
            cur.copy_expert(
                f"COPY {q(building)} ({columns}) FROM STDIN WITH ({', '.join(options)})",
                reader,
                size=COPY_BUFFER,
            )
            copied = int(cur.rowcount)
            cur.execute("RESET datestyle")
            cur.execute("SELECT set_config(%s, '', false)", (_SEQUENCE_SETTING,))
        raw.commit()
    finally:
        reader.close()
        raw.close()
    return copied


def load_rows(
    resource_id: str, source: Source, lap: Callable[[str], None] = lambda s: None
) -> int:
    """Phase 1: the file's rows, typed, as the resource's table; their count.

    Raises ``BulkRefused`` when ``COPY`` refuses the file (a value of
    another type, a line with too many or too few values…: the caller reads
    it line by line for an exact message), ``LoadError`` for what the user
    must fix; the previous table is then untouched.
    """
    building, _index = _names(resource_id)
    sequences = [f"_seq_{resource_id}_{i}" for i in range(len(source.chunks))]
    comments = previous_columns(resource_id)
    try:
        discard(resource_id)
        _create(building, sequences, source)
        rows = _copy_all(building, sequences, source)
        lap("copy")
        if rows <= 0:
            raise BulkRefused("no rows")
        _finish(building, source)
        top = _last_id(sequences)
        _swap(resource_id, building, rows, comments, top=top)
        lap("swap")
    except BaseException:
        discard(resource_id)
        raise
    finally:
        _drop(sequences, kind="SEQUENCE")
    return rows


def _copy_all(building: str, sequences: list[str], source: Source) -> int:
    """Each part of the file by its own ``COPY``, at once; the rows copied."""
    errors: list[BaseException] = []
    counts: list[int] = []

    def run(sequence: str, chunk: Chunk) -> None:
        try:
            counts.append(_copy(building, sequence, source, chunk))
        except BaseException as e:  # re-raised in the caller's thread
            errors.append(e)

    threads = [
        threading.Thread(target=run, args=(sequence, chunk), daemon=True)
        for sequence, chunk in zip(sequences, source.chunks, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        if _is_data_error(e):
            raise BulkRefused(str(e).strip().splitlines()[0][:300]) from e
        raise e
    return sum(counts)


def _is_data_error(e: BaseException) -> bool:
    # SQLSTATE class 22 (data exception: bad value, bad encoding, missing
    # or extra column in COPY) and 23 (integrity)
    code = getattr(e, "pgcode", None) or getattr(
        getattr(e, "orig", None), "pgcode", None
    )
    return bool(code) and str(code)[:2] in ("22", "23")


def _last_id(sequences: list[str]) -> int | None:
    """The highest ``_id`` given: the last part's sequence has it."""
    with _autocommit() as conn:
        last, called = conn.exec_driver_sql(
            f"SELECT last_value, is_called FROM {q(sequences[-1])}"
        ).one()
    return int(last) if called else None


def _finish(building: str, source: Source) -> None:
    """The generated columns made plain, the helper columns dropped.

    Both are changes of the catalogue only (no rewrite): the space of the
    dropped columns is given back when phase 2 copies the table.
    """
    table = q(building)
    extra = [f"_extra_{i}" for i in range(len(source.names), source.width)]
    with _engine().begin() as conn:
        if extra:
            # trailing empty header cells: their columns must stay empty
            filled = conn.exec_driver_sql(
                f"SELECT 1 FROM {table} WHERE "
                + " OR ".join(f"NULLIF(btrim({q(c)}), '') IS NOT NULL" for c in extra)
                + " LIMIT 1"
            ).first()
            if filled:
                raise BulkRefused("values under a column without a name")
        for i, (name, kind) in enumerate(zip(source.names, source.types, strict=True)):
            if kind == NUMERIC:
                conn.exec_driver_sql(
                    f"ALTER TABLE {table} ALTER COLUMN {q(name)} DROP EXPRESSION"
                )
                conn.exec_driver_sql(
                    f"ALTER TABLE {table} DROP COLUMN {q(f'_raw_{i}')}"
                )
        for c in extra:
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {q(c)}")
    # no ANALYZE here: phase 2 ends with one, on the table it builds


def _parallel(conn: Any) -> None:
    """Let PostgreSQL's parallel workers compute a ``CREATE TABLE … AS``.

    With the default cost of passing a row to the leader (0.1), a plan
    that sends every row there never looks cheaper than a serial one,
    although converting or full-text indexing the rows is most of the work.
    """
    conn.exec_driver_sql("SET LOCAL parallel_tuple_cost = 0.001")
    conn.exec_driver_sql("SET LOCAL parallel_setup_cost = 100")


def _drop(tables: list[str], kind: str = "TABLE") -> None:
    try:
        with _autocommit() as conn:
            for t in tables:
                conn.exec_driver_sql(f"DROP {kind} IF EXISTS {q(t)}")
    except sa.exc.SQLAlchemyError:
        log.warning("could not drop %s", tables, exc_info=True)


def discard(resource_id: str) -> None:
    """Drop what a load of ``resource_id`` may have left (never its table)."""
    building, index = _names(resource_id)
    _drop([building, index])
    _drop([f"_seq_{resource_id}_{i}" for i in (0, 1)], kind="SEQUENCE")


# --------------------------------------------------------------------------
# The swap
# --------------------------------------------------------------------------


def _swap(
    resource_id: str,
    new: str,
    rows: int,
    comments: dict[str, str],
    conn: Any = None,
    top: int | None = None,
) -> None:
    """Put ``new`` in the place of the resource's table, in one transaction.

    ``top``: the highest ``_id`` in ``new`` when known (else read).
    """
    if conn is None:
        with _engine().begin() as tx:
            _swap(resource_id, new, rows, comments, tx, top)
        return
    table = q(resource_id)
    sequence = f"{resource_id}__id_seq"
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    aliases = [
        name
        for (name,) in conn.execute(
            sa.text('SELECT name FROM "_table_metadata" WHERE alias_of = :id'),
            {"id": resource_id},
        ).fetchall()
    ]
    if top is None:
        top = conn.exec_driver_sql(
            f"SELECT coalesce(max(_id), 0) FROM {q(new)}"
        ).scalar()
    # the sequence of the previous table goes with it
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table} CASCADE")
    conn.exec_driver_sql(f"DROP SEQUENCE IF EXISTS {q(sequence)}")
    conn.exec_driver_sql(f"ALTER TABLE {q(new)} RENAME TO {table}")
    conn.exec_driver_sql(f"CREATE SEQUENCE {q(sequence)} OWNED BY {table}._id")
    conn.execute(
        sa.text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
        {"s": q(sequence), "v": max(int(top or 0), 1), "called": bool(top)},
    )
    conn.exec_driver_sql(
        f"ALTER TABLE {table} ALTER COLUMN _id SET DEFAULT "
        f"nextval('{q(sequence)}'::regclass)"
    )
    conn.exec_driver_sql(
        f"CREATE TRIGGER zfulltext BEFORE INSERT OR UPDATE ON {table} "
        "FOR EACH ROW EXECUTE PROCEDURE populate_full_text_trigger()"
    )
    present = {
        name
        for (name,) in conn.execute(
            sa.text(
                "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(:t) "
                "AND attnum > 0 AND NOT attisdropped"
            ),
            {"t": table},
        ).fetchall()
    }
    for name, comment in comments.items():
        if name in present and not name.startswith("_"):
            conn.execute(
                sa.text(f"COMMENT ON COLUMN {table}.{q(name)} IS " + _literal(comment))
            )
    for alias in aliases:
        conn.exec_driver_sql(f"CREATE VIEW {q(alias)} AS SELECT * FROM {table}")
    if conn.exec_driver_sql("SELECT to_regclass('_table_stats')").scalar():
        conn.execute(
            sa.text(
                'INSERT INTO "_table_stats" (resource_id, stats) '
                "VALUES (:id, jsonb_build_object('rows', CAST(:n AS bigint))) "
                "ON CONFLICT (resource_id) DO UPDATE SET stats = jsonb_set("
                "\"_table_stats\".stats, '{rows}', to_jsonb(CAST(:n AS bigint)))"
            ),
            {"id": resource_id, "n": rows},
        )


def _literal(text: str) -> str:
    # COMMENT takes no bind parameter; ':' would be read as one by text()
    return ("'" + text.replace("'", "''") + "'").replace(":", r"\:")


# --------------------------------------------------------------------------
# Phase 2: full text and indexes
# --------------------------------------------------------------------------


def build_indexes(resource_id: str, lap: Callable[[str], None] = lambda s: None) -> int:
    """Phase 2: full text, primary key and indexes; the row count."""
    _building, index = _names(resource_id)
    table = q(resource_id)
    lang = tk.config.get("ckan.datastore.default_fts_lang") or "english"
    token = secrets.token_hex(3)
    prefix = f"{resource_id[:20]}_{token}"
    try:
        with _engine().begin() as conn:
            conn.exec_driver_sql(
                f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_MEM}'"
            )
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            # reads go on; writes wait for the swap (they would be lost)
            conn.exec_driver_sql(f"LOCK TABLE {table} IN SHARE MODE")
            _parallel(conn)
            columns = [
                name
                for (name,) in conn.execute(
                    sa.text(
                        "SELECT attname FROM pg_attribute WHERE attrelid = "
                        "to_regclass(:t) AND attnum > 0 AND NOT attisdropped "
                        "ORDER BY attnum"
                    ),
                    {"t": table},
                ).fetchall()
                if not name.startswith("_")
            ]
            comments = {
                name: comment
                for name, comment in conn.execute(
                    sa.text(
                        "SELECT attname, col_description(attrelid, attnum) "
                        "FROM pg_attribute WHERE attrelid = to_regclass(:t) "
                        "AND attnum > 0 AND NOT attisdropped"
                    ),
                    {"t": table},
                ).fetchall()
                if comment
            }
            text = ", ".join(f"{q(c)}::text" for c in columns) or "''"
            result = conn.execute(
                sa.text(
                    f"CREATE TABLE {q(index)} AS SELECT _id, "
                    f"to_tsvector(CAST(:lang AS regconfig), concat_ws(' ', {text})) "
                    f"AS _full_text, {', '.join(q(c) for c in columns)} FROM {table}"
                ),
                {"lang": lang},
            )
            rows = int(result.rowcount)
            lap("full_text")
            conn.exec_driver_sql(
                f"ALTER TABLE {q(index)} ADD CONSTRAINT {q(prefix + '_pk')} "
                "PRIMARY KEY (_id)"
            )
            conn.exec_driver_sql(
                f"CREATE INDEX {q(prefix + '_ft')} ON {q(index)} USING gin (_full_text)"
            )
            lap("fulltext_index")
            for i, column in enumerate(columns):
                conn.exec_driver_sql(
                    f"CREATE INDEX {q(f'{prefix}_c{i}')} ON {q(index)} ({q(column)})"
                )
            lap("indexes")
            _swap(resource_id, index, rows, comments, conn)
    except BaseException:
        _drop([index])
        raise
    with _autocommit() as conn:
        # planner statistics, and the visibility map that lets counts read
        # the indexes only
        conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    lap("vacuum")
    return rows


def value_error(e: BulkRefused | sa.exc.DBAPIError) -> LoadError:
    detail = str(getattr(e, "orig", e)).strip().splitlines()[0][:300]
    return LoadError(
        _(
            "Une valeur ne convient pas au type de sa colonne ({detail}) : "
            "corrigez-la dans le fichier (ou le schéma déclaré) et relancez "
            "le chargement."
        ),
        detail=detail,
    )
