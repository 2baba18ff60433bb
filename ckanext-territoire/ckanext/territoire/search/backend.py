"""A pysolr-compatible connection backed by PostgreSQL.

CKAN reaches its index through ``make_connection()`` and four methods of the
object it returns: ``add``, ``delete``, ``commit`` and ``search``. This module
implements them on the ``territoire_search_doc`` table, so CKAN's own indexing
code (every ``before_dataset_index`` hook, permission labels, the stored data
dicts) and query code (``PackageSearchQuery``) run unchanged.

Transactions
    CKAN's actions index a dataset after flushing it and before committing.
    When the session's transaction has flushed domain objects (CKAN marks it
    with ``_object_cache``), the index write runs on that transaction's own
    connection: the row commits or rolls back with the dataset. Other writers
    (``search-index rebuild``, harvest reindex, CLI, jobs) have written nothing
    to the session and may never commit it, so their writes go through the
    backend's own pool and commit at once (or at ``commit()``, when deferred).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pysolr
import sqlalchemy as sa
from psycopg2.extras import Json, execute_values

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.search.common import SearchQueryError
from ckan.logic import ValidationError

from ckanext.territoire import settings

from . import fields, lucene, summary
from .compiler import Compiler, QueryError
from .tables import DOCS, META

log = logging.getLogger(__name__)


class UnsupportedQuery(ValidationError, SearchQueryError):
    """A query the backend refuses, with the construct named.

    A ``ValidationError`` for the action API (409 with a field error) and a
    ``SearchQueryError`` for CKAN's web views, which show it to the user.
    """

    def __init__(self, param: str, message: str) -> None:
        ValidationError.__init__(self, {param: [message]})
        self.args = (message,)


def _unsupported(param: str, construct: str, value: Any) -> UnsupportedQuery:
    return UnsupportedQuery(
        param,
        tk._(
            "Syntaxe de recherche non prise en charge : {construct} (dans {param}={value}). "
            "Utilisez des termes, des champs (champ:valeur), des phrases entre guillemets, "
            "AND/OR/NOT, des parenthèses ou des intervalles [a TO b]."
        ).format(construct=construct, param=param, value=str(value)[:200]),
    )


# --------------------------------------------------------------------------
# Engine


class _Engine:
    """The backend's own small pool, in autocommit mode (reads, direct writes)."""

    def __init__(self) -> None:
        self._engine: sa.Engine | None = None
        self._url: str | None = None
        self._lock = threading.Lock()

    def get(self) -> sa.Engine:
        url = tk.config.get("sqlalchemy.url")
        if self._engine is None or url != self._url:
            with self._lock:
                if self._engine is None or url != self._url:
                    if self._engine is not None:
                        self._engine.dispose()
                    timeout = settings.get_int(
                        "ckanext.territoire.search.statement_timeout"
                    )
                    self._engine = sa.create_engine(
                        url,
                        pool_size=settings.get_int(
                            "ckanext.territoire.search.pool_size"
                        ),
                        pool_pre_ping=True,
                        isolation_level="AUTOCOMMIT",
                        connect_args={"options": f"-c statement_timeout={timeout}"},
                    )
                    self._url = url
        return self._engine

    def forget_after_fork(self) -> None:
        """In a forked child: drop the parent's pool without closing its sockets."""
        if self._engine is not None:
            self._engine.dispose(close=False)
            self._engine = None

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


ENGINE = _Engine()


def _raw(conn: sa.Connection) -> Any:
    return conn.connection.dbapi_connection


def text_config() -> str:
    return str(settings.get("ckanext.territoire.search.text_config"))


# --------------------------------------------------------------------------
# Answer cache, keyed by the index generation (bumped with every write)


class _Cache:
    def __init__(self) -> None:
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def size(self) -> int:
        return settings.get_int("ckanext.territoire.search.cache_size")

    def get(self, key: Any) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key: Any, value: Any) -> None:
        limit = self.size()
        if limit <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > limit:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


CACHE = _Cache()


# --------------------------------------------------------------------------
# Writes


_COLUMNS = (
    fields.SCALAR_COLUMNS
    + fields.ARRAY_COLUMNS
    + ("metadata_created", "metadata_modified", "title", "terms", "doc")
    + ("data_dict", "validated_data_dict")
)


def _insert_sql() -> tuple[str, str]:
    cfg = "%(cfg)s::regconfig"
    names = ", ".join(_COLUMNS + ("tsv", "ac", "indexed_ts"))
    values = []
    for col in _COLUMNS:
        if col in ("metadata_created", "metadata_modified"):
            values.append(f"%({col})s::timestamptz")
        elif col in fields.ARRAY_COLUMNS or col == "terms":
            values.append(f"%({col})s::text[]")
        else:
            values.append(f"%({col})s")
    tsv = " || ".join(
        f"setweight(to_tsvector({cfg}, %(w_{w})s), '{w.upper()}')" for w in "abcd"
    )
    values.append(tsv)
    values.append("to_tsvector('territoire_simple', %(ac)s)")
    values.append("now()")
    updates = ", ".join(
        f"{c} = EXCLUDED.{c}"
        for c in _COLUMNS + ("tsv", "ac", "indexed_ts")
        if c != "index_id"
    )
    sql = (
        f"INSERT INTO {DOCS} AS d ({names}) VALUES %s "
        f"ON CONFLICT (index_id) DO UPDATE SET {updates}"
    )
    template = "(" + ", ".join(values) + ")"
    return sql, template


_INSERT_SQL, _INSERT_TEMPLATE = _insert_sql()


def _row_params(doc: dict[str, Any], cfg: str) -> dict[str, Any]:
    row = fields.to_row(doc)
    if not row.get("index_id") or not row.get("id"):
        raise pysolr.SolrError(
            "Document without index_id or id: {}".format(str(doc.get("name"))[:100])
        )
    row["doc"] = Json(row["doc"])
    row["cfg"] = cfg
    return row


#: every write bumps the index generation (it keys the answer cache)
_BUMP = f"UPDATE {META} SET generation = generation + 1"


def _write_rows(cursor: Any, rows: list[dict[str, Any]]) -> None:
    # one statement per batch; rows with the same index_id keep the last one
    unique = list({r["index_id"]: r for r in rows}.values())
    ids = [r["index_id"] for r in unique]
    counts = summary.Writer(cursor)
    counts.before(ids)
    execute_values(
        cursor, _INSERT_SQL, unique, template=_INSERT_TEMPLATE, page_size=200
    )
    counts.after(unique, then=_BUMP)


class _Pending:
    """Deferred writes (``defer_commit``) of this process, flushed on commit()."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def add(self, rows: list[dict[str, Any]]) -> None:
        with self.lock:
            self.rows.extend(rows)
            full = len(self.rows) >= settings.get_int(
                "ckanext.territoire.search.batch_size"
            )
        if full:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            rows, self.rows = self.rows, []
        if rows:
            with ENGINE.get().begin() as conn:
                cur = _raw(conn).cursor()
                _write_rows(cur, rows)
            CACHE.clear()

    def discard(self) -> None:
        with self.lock:
            self.rows = []


PENDING = _Pending()


def writing_session() -> Any:
    """The session whose open transaction has flushed CKAN objects, if any."""
    if model.Session.registry.has():
        session = model.Session()
        if (
            getattr(session, "_object_cache", None) is not None
            and session.in_transaction()
        ):
            return session
    return None


_WROTE = "territoire_search_wrote"


def _wrote_in(session: Any) -> bool:
    """True if this session's open transaction holds index writes of ours."""
    return session.info.get(_WROTE) is session.get_transaction()


@contextmanager
def search_cursor() -> Iterator[tuple[Any, bool]]:
    """A cursor to search with, and whether its answers may be shared.

    Usually one read-only snapshot on the backend's own pool. Inside a
    transaction that has written to the index (an action run with
    ``defer_commit``, such as a harvest import), the search runs on that
    transaction's own connection, in a savepoint, so that it reads its own
    writes: ``package_show`` after an index write then finds the dataset
    there, as it would after the commit. Such answers are never cached.
    """
    session = writing_session()
    if session is not None and _wrote_in(session):
        cur = _raw(session.connection()).cursor()
        cur.execute("SAVEPOINT territoire_search")
        try:
            yield cur, False
        except BaseException:
            cur.execute("ROLLBACK TO SAVEPOINT territoire_search")
            raise
        cur.execute("RELEASE SAVEPOINT territoire_search")
        return
    with ENGINE.get().connect() as sa_conn:
        cur = _raw(sa_conn).cursor()
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield cur, True
        finally:
            cur.execute("COMMIT")


class _Transaction:
    """Where a write goes: the action's transaction, or one of our own."""

    def __enter__(self) -> Any:
        session = writing_session()
        if session is not None:
            self._conn = None
            session.info[_WROTE] = session.get_transaction()
            return _raw(session.connection()).cursor()
        self._conn = ENGINE.get().connect()
        self._tx = self._conn.begin()
        return _raw(self._conn).cursor()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._conn is None:
            return
        try:
            if exc_type is None:
                self._tx.commit()
            else:
                self._tx.rollback()
        finally:
            self._conn.close()
            CACHE.clear()


# --------------------------------------------------------------------------
# The connection


class PgSearchConnection:
    """Drop-in for the ``pysolr.Solr`` object CKAN's ``make_connection`` returns."""

    url = "postgresql://territoire_search_doc"

    def __init__(self, decode_dates: bool = True) -> None:
        self.decode_dates = decode_dates

    # -- index side -------------------------------------------------------

    def add(self, docs: Iterable[dict[str, Any]], commit: bool = True, **_: Any) -> str:
        cfg = text_config()
        rows = [_row_params(dict(doc), cfg) for doc in docs]
        if not rows:
            return ""
        if not commit and writing_session() is None:
            PENDING.add(rows)
            return ""
        try:
            with _Transaction() as cur:
                _write_rows(cur, rows)
        except sa.exc.DBAPIError as e:
            raise pysolr.SolrError(f"PostgreSQL search index write failed: {e}")
        return ""

    def delete(
        self,
        id: str | list[str] | None = None,
        q: str | None = None,
        commit: bool = True,
        **_: Any,
    ) -> str:
        if id is None and q is None:
            raise ValueError('You must specify "id" or "q".')
        # deferred writes must not resurrect what is deleted now
        PENDING.flush()
        node: lucene.Node | None = None
        if id is not None:
            ids = [id] if isinstance(id, str) else list(id)
            where, params = "d.index_id = ANY(%(ids)s)", {"ids": ids}
        else:
            assert q is not None
            try:
                node = lucene.parse(q)
            except lucene.UnsupportedSyntax as e:
                raise pysolr.SolrError(f"Unsupported delete query {q!r}: {e.construct}")
            compiler = Compiler(text_config(), _analyse)
            compiler.prepare([node])
            where, params = compiler.where(node), compiler.params
        with _Transaction() as cur:
            counts = summary.Writer(cur)
            if isinstance(node, lucene.MatchAll):
                counts.before([])
                cur.execute(f"DELETE FROM {DOCS}")
                summary.rebuild(cur, counts.names)
                cur.execute(_BUMP)
            else:
                cur.execute(f"SELECT d.index_id FROM {DOCS} d WHERE {where}", params)
                doomed = [r[0] for r in cur.fetchall()]
                counts.before(doomed)
                cur.execute(
                    f"DELETE FROM {DOCS} AS d WHERE d.index_id = ANY(%(ids)s)",
                    {"ids": doomed},
                )
                counts.after([], then=_BUMP)
        return ""

    def commit(self, **_: Any) -> str:
        PENDING.flush()
        return ""

    def optimize(self, **_: Any) -> str:
        return ""

    def ping(self, **_: Any) -> str:
        with ENGINE.get().connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return "OK"

    # -- query side -------------------------------------------------------

    def search(self, q: str | None = None, **params: Any) -> pysolr.Results:
        from .query import run_search

        _refuse_nul(q, params)
        try:
            return run_search(self, q, params)
        except lucene.UnsupportedSyntax as e:
            raise _unsupported(_param_of(e.query, q, params), e.construct, e.query)
        except QueryError as e:
            message = str(e)
            if message.startswith("Can't determine"):
                raise pysolr.SolrError(message)
            raise _unsupported(_param_of("", q, params), message, q)


def _refuse_nul(q: str | None, params: dict[str, Any]) -> None:
    """PostgreSQL stores no NUL character: a query holding one names it."""
    for name, value in [("q", q), *params.items()]:
        values = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, str) and "\x00" in v for v in values):
            param = "fq" if name == "fq_list" else name
            raise UnsupportedQuery(
                param,
                tk._(
                    "La recherche contient un caractère nul (U+0000) dans {param} : "
                    "retirez-le."
                ).format(param=param),
            )


def _param_of(fragment: str, q: str | None, params: dict[str, Any]) -> str:
    if fragment and q and fragment in q:
        return "q"
    for key in ("fq", "fq_list"):
        value = params.get(key)
        values = value if isinstance(value, list) else [value]
        if fragment and any(isinstance(v, str) and fragment in v for v in values):
            return "fq"
    return "q"


def _analyse(
    wanted: set[tuple[str, str, str]], cursor: Any = None
) -> dict[tuple[str, str, str], str]:
    """Analyse query texts with PostgreSQL's text-search configurations."""
    keys = sorted(wanted)
    sql = """
        SELECT CASE k
          WHEN 'plain' THEN plainto_tsquery(c::regconfig, t)::text
          WHEN 'phrase' THEN phraseto_tsquery(c::regconfig, t)::text
          ELSE (SELECT string_agg('''' || replace(l, '''', '''''') || ''':*', ' & ')
                FROM unnest(tsvector_to_array(to_tsvector(c::regconfig, t))) AS l)
        END
        FROM unnest(%(k)s::text[], %(c)s::text[], %(t)s::text[]) WITH ORDINALITY
             AS x(k, c, t, n)
        ORDER BY n
    """
    args = {
        "k": [k[0] for k in keys],
        "c": [k[1] for k in keys],
        "t": [k[2] for k in keys],
    }
    if cursor is not None:
        cursor.execute(sql, args)
        out = [r[0] or "" for r in cursor.fetchall()]
    else:
        with ENGINE.get().connect() as conn:
            cur = _raw(conn).cursor()
            cur.execute(sql, args)
            out = [r[0] or "" for r in cur.fetchall()]
    return dict(zip(keys, out, strict=True))


def read_generation() -> tuple[str, int] | None:
    with ENGINE.get().connect() as conn:
        cur = _raw(conn).cursor()
        cur.execute(f"SELECT token, generation FROM {META}")
        row = cur.fetchone()
    return (row[0], row[1]) if row else None


def reset() -> None:
    """Forget per-process state (pending writes, cache, pool)."""
    PENDING.discard()
    CACHE.clear()
    ENGINE.dispose()
