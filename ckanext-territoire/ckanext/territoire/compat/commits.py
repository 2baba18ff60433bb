"""Harvest object bookkeeping committed without waiting for the disk.

A listener on every SQLAlchemy ``Engine`` (``sqlalchemy.event``): ckanext-harvest
1.6.3 commits its bookkeeping through ``HarvestObject.save()`` with no hook to
say how; the rule below recognises those updates by their SQL.

ckanext-harvest commits a harvest object six times on its way through the
fetch and import stages (retry count, FETCH, fetch finished, IMPORT, state,
report status), each a one-row ``UPDATE harvest_object``. With PostgreSQL's
default ``synchronous_commit = on`` every one of those commits waits for a
WAL flush to disk, which on ordinary virtual disks costs more than the rest
of the bookkeeping: it was about a third of a first harvest's time.

A transaction whose only writes are such updates is committed with
``SET LOCAL synchronous_commit TO off``: PostgreSQL still writes it to the
WAL in order and never corrupts or half-applies it; after an operating
system crash (not a PostgreSQL or worker crash) the last few hundred
milliseconds of such state changes may be lost. That is harmless here: the
next durable commit (the dataset's own, in ``import_stage``) flushes every
earlier WAL record with it, and an object whose state change was lost is
retried or timed out by ckanext-harvest as after any interrupted job.

Every other transaction keeps the server's setting: anything that writes a
dataset, a harvest record, an error, a job, or runs a statement this module
does not recognise stays durable. ``ckanext.territoire.harvest.
async_bookkeeping_commits = false`` turns the whole thing off.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.engine import Connection, Engine

from ckanext.territoire import settings

from . import Listen, Patch
from .harvest import HARVESTERS

_BOOKKEEPING = re.compile(r"\s*UPDATE\s+harvest_object\s+SET\s", re.IGNORECASE)
_READ_ONLY = re.compile(r"\s*(SELECT|SHOW|SET\s+CONSTRAINTS)\s", re.IGNORECASE)
OPTION = "ckanext.territoire.harvest.async_bookkeeping_commits"
_KEY = "territoire_commit"
_ASYNC = "bookkeeping"
_DURABLE = "durable"


def _before_cursor_execute(
    conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    info = conn.info
    if info.get(_KEY) == _DURABLE or _READ_ONLY.match(statement):
        return
    if _BOOKKEEPING.match(statement) and " FROM " not in statement.upper():
        info[_KEY] = _ASYNC
    else:
        info[_KEY] = _DURABLE


def _commit(conn: Connection) -> None:
    if conn.info.pop(_KEY, None) == _ASYNC:
        # straight on the DBAPI connection: inside the transaction about to be
        # committed, and without going through the statement events again
        dbapi = conn.connection.dbapi_connection
        if dbapi is not None:
            cursor = dbapi.cursor()
            try:
                cursor.execute("SET LOCAL synchronous_commit TO off")
            finally:
                cursor.close()


def _forget(conn: Connection, *args: Any) -> None:
    conn.info.pop(_KEY, None)


_EVENTS = (
    ("before_cursor_execute", _before_cursor_execute),
    ("commit", _commit),
    ("rollback", _forget),
    ("begin", _forget),
)


def enabled() -> bool:
    return settings.get_bool(OPTION)


PATCH = Patch(
    name="harvest-async-bookkeeping-commits",
    replaces=(
        "a SQLAlchemy Engine listener (sqlalchemy.event) making ckanext-harvest's "
        "one-row harvest_object bookkeeping commits asynchronous; "
        "HarvestObject.save() offers no hook"
    ),
    owners=HARVESTERS,
    upstream=("ckanext-harvest",),
    changes=(Listen(Engine, _EVENTS),),
    enabled=enabled,
)
PATCHES = [PATCH]
