"""The full-catalogue dump never serves a dataset that is no longer public.

A dump is a snapshot: a dataset made private, deleted, purged or withdrawn
by a harvest after it was written would stay downloadable from
``/catalog/dump.*`` until the next regeneration. So each dump records which
datasets it holds (``territoire_dcat_dump_entry``, under the generation id
written in the files' header, complete once the files are in place), and the
endpoints check them before serving a file, in one query: against the
datasets that left the public set (``territoire_dcat_unpublished``, kept by
triggers on CKAN's ``package`` table whatever the path: actions, bulk
actions, harvest withdrawal, a change of the model, SQL) and their current
state in the ``package`` table (the source of truth, whatever the search
backend). The check costs the number of departures still remembered, not
the size of the dump (comparing every entry with the package table costs
7 to 200 ms at 100,000 datasets, depending on the plan PostgreSQL picks;
this, a third of a millisecond).
A departure is forgotten once the transaction that made it ended before every
recorded dump started reading: none of them can hold the dataset from before.
A file holding a dataset that is no longer public, or whose contents cannot
be checked, is not served (503, ``dcat/views.py``) and a regeneration is
enqueued on CKAN's jobs queue.

The regeneration is also enqueued as soon as a dataset of the dump leaves
the public set through a path we see (``package_update``/``patch`` through
``after_dataset_update``, ``package_delete``, ``dataset_purge``, the bulk
actions, harvest withdrawal), so that the dump is usually fresh again before
anyone asks. A burst of such changes enqueues one job: a flag in Redis marks
a regeneration as waiting until the job starts.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

import sqlalchemy as sa
from redis.exceptions import RedisError

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

from ckanext.territoire import settings

log = logging.getLogger(__name__)

JOB_TIMEOUT_OPTION = "ckanext.territoire.dcat.dump_job_timeout"

#: the mark of a dump's generation in its files' header (a comment)
MARK = "Vidage / dump :"
_MARK = re.compile(rb"(?:#|<!--) Vidage / dump : ([0-9a-f]{32})\b")
#: the header is written first: the mark is in these first bytes
_HEAD = 1024
#: entries written per statement while the dump goes
_FLUSH = 1000
#: Retry-After bounds (s) of a refused dump: about its last generation time
_RETRY_MIN, _RETRY_MAX = 60, 3600

# a dataset that is no longer public, in the package table (p)
_NOT_PUBLIC = "(p.id IS NULL OR p.private IS TRUE OR p.state IS DISTINCT FROM 'active')"
#: the triggers of migration 0003_dcat_dump on the package table
TRIGGERS = ("territoire_dcat_unpublished_update", "territoire_dcat_unpublished_delete")


def new_generation() -> str:
    return uuid.uuid4().hex


def generation_of(f: IO[bytes]) -> str | None:
    """The generation written in the header of an open dump file.

    Read at offset 0 without moving the file's position, the operating
    system's included: a server that sends the file with ``sendfile``
    (gunicorn) starts from the descriptor's offset, not from the position of
    Python's buffer.
    """
    head = os.pread(f.fileno(), _HEAD, 0)
    found = _MARK.search(head)
    return found.group(1).decode("ascii") if found else None


def generation_in(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return generation_of(f)
    except OSError:
        return None


# --------------------------------------------------------------------------
# Recording a dump (``dump.write_dump``)
# --------------------------------------------------------------------------


def _engine() -> sa.engine.Engine:
    return model.ensure_engine()


class Recorder:
    """The datasets of a dump being written, recorded as it goes.

    Each write is a short transaction of its own (the dump's reads go on in
    ``model.Session``); memory holds at most ``_FLUSH`` ids. The generation
    is marked complete in the transaction that puts the files in place.
    """

    def __init__(self, generation: str, started: dt.datetime) -> None:
        self.generation = generation
        self.count = 0
        self._ids: list[str] = []
        self._done = False
        # before any dataset is read: the departures of transactions still
        # running may be missed by the reads, and are kept (oldest_txid)
        with _engine().begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO territoire_dcat_dump (generation, generated, oldest_txid) "
                    "VALUES (:g, :t, txid_snapshot_xmin(txid_current_snapshot()))"
                ),
                {"g": generation, "t": started},
            )

    def add(self, package_id: str) -> None:
        self._ids.append(package_id)
        self.count += 1
        if len(self._ids) >= _FLUSH:
            with _engine().begin() as conn:
                self._flush(conn)

    def _flush(self, conn: sa.engine.Connection) -> None:
        if self._ids:
            conn.execute(
                sa.text(
                    "INSERT INTO territoire_dcat_dump_entry (generation, package_id) "
                    "SELECT :g, unnest(CAST(:ids AS text[])) ON CONFLICT DO NOTHING"
                ),
                {"g": self.generation, "ids": self._ids},
            )
            self._ids = []

    def complete(
        self, install: Callable[[], None], seconds: float, directories: Iterable[str]
    ) -> None:
        """Mark the dump complete and ``install`` its files, in one transaction;
        then forget the dumps no file names any more."""
        with _engine().begin() as conn:
            # one dump at a time puts its files in place and cleans up
            conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                {"k": "territoire_dcat_dump"},
            )
            self._flush(conn)
            conn.execute(
                sa.text(
                    "UPDATE territoire_dcat_dump SET complete = true, entries = :n, "
                    "seconds = :s WHERE generation = :g"
                ),
                {"g": self.generation, "n": self.count, "s": seconds},
            )
            # if the commit then fails, the files name an incomplete dump:
            # they are not served
            install()
            self._done = True
            kept = {self.generation} | live_generations(directories)
            # an incomplete dump is another one being written, or one that
            # died (kept a day, in case it is still going)
            conn.execute(
                sa.text(
                    "DELETE FROM territoire_dcat_dump WHERE generation <> ALL(:kept) "
                    "AND (complete OR generated < now() - interval '1 day')"
                ),
                {"kept": sorted(kept)},
            )
            # departures no recorded dump can hold: their transaction ended
            # before each of them started reading
            conn.execute(
                sa.text(
                    "DELETE FROM territoire_dcat_unpublished WHERE txid < "
                    "(SELECT coalesce(min(oldest_txid), txid_snapshot_xmin("
                    "txid_current_snapshot())) FROM territoire_dcat_dump)"
                )
            )

    def discard(self) -> None:
        """After a failure: the dump's entries go (unless its files are in place)."""
        if self._done:
            return
        with _engine().begin() as conn:
            conn.execute(
                sa.text("DELETE FROM territoire_dcat_dump WHERE generation = :g"),
                {"g": self.generation},
            )


def live_generations(directories: Iterable[str] = ()) -> set[str]:
    """The generations named by the dump files in place (served and others)."""
    from . import dump

    dirs = set(directories)
    try:
        dirs.add(dump.dump_dir())
    except RuntimeError:
        pass
    found = set()
    for directory in dirs:
        for name in dump.FILE_NAMES.values():
            generation = generation_in(os.path.join(directory, name))
            if generation:
                found.add(generation)
    return found


def still_public(package_ids: list[str]) -> set[str]:
    """Those of ``package_ids`` that are public and active in the package
    table (the search index may lag behind it)."""
    if not package_ids:
        return set()
    rows = model.Session.execute(
        sa.text(
            "SELECT id FROM package WHERE id = ANY(:ids) "
            "AND state = 'active' AND private IS NOT TRUE"
        ),
        {"ids": package_ids},
    )
    return {row[0] for row in rows}


# --------------------------------------------------------------------------
# Checking a dump before serving it (``dcat/views.py``)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """Whether a dump may be served, and if not, why."""

    #: None: servable; else "private", "deleted", "purged" (a dataset it
    #: holds), "unrecorded" (what it holds is not known: a file of an earlier
    #: version, a dump whose record failed) or "unguarded" (the triggers
    #: that record departures are missing: no dump can be checked)
    refused: str | None
    #: when the dump started reading the datasets
    generated: dt.datetime | None = None
    seconds: float = 0.0

    @property
    def servable(self) -> bool:
        return self.refused is None

    @property
    def regeneration_helps(self) -> bool:
        return self.refused not in (None, "unguarded")

    @property
    def retry_after(self) -> int:
        """Seconds to wait for a regeneration: about as long as the last one."""
        return int(min(_RETRY_MAX, max(_RETRY_MIN, 2 * self.seconds)))


_CHECK = sa.text(
    """
    SELECT d.complete, d.generated, d.seconds,
           (SELECT count(*) FROM pg_trigger t
             WHERE t.tgrelid = 'package'::regclass AND t.tgenabled <> 'D'
               AND t.tgname = ANY(:triggers)) AS triggers,
           (SELECT coalesce(now_.state, 'purged')
              FROM territoire_dcat_unpublished u
              -- LATERAL with LIMIT, one index probe per departure whatever
              -- the statistics (a merge join would read the whole tables)
              CROSS JOIN LATERAL (
                  SELECT 1 FROM territoire_dcat_dump_entry e
                   WHERE e.generation = d.generation
                     AND e.package_id = u.package_id
                   LIMIT 1) held
              LEFT JOIN LATERAL (
                  SELECT CASE WHEN p.private IS TRUE THEN 'private'
                              WHEN p.state IS DISTINCT FROM 'active' THEN 'deleted'
                              ELSE 'public' END AS state
                    FROM package p WHERE p.id = u.package_id
                   LIMIT 1) now_ ON true
             WHERE now_.state IS DISTINCT FROM 'public'
             LIMIT 1) AS gone
      FROM territoire_dcat_dump d
     WHERE d.generation = :g
    """
)


def check(generation: str | None) -> Status:
    """Whether the dump of ``generation`` holds only public datasets (one query)."""
    if generation is None:
        return Status("unrecorded")
    row = model.Session.execute(
        _CHECK, {"g": generation, "triggers": list(TRIGGERS)}
    ).first()
    if row is None or not row.complete:
        return Status("unrecorded")
    if row.triggers != len(TRIGGERS):
        log.error(
            "DCAT dump not served: the triggers of migration 0003_dcat_dump on "
            "the package table are missing or disabled (%s); run `ckan db "
            "downgrade -p territoire --version 0002_harvest_record` then `ckan "
            "db upgrade -p territoire`",
            ", ".join(TRIGGERS),
        )
        return Status("unguarded", row.generated, row.seconds)
    return Status(row.gone, row.generated, row.seconds)


def check_file(path: str) -> Status:
    return check(generation_in(path))


# --------------------------------------------------------------------------
# Regeneration
# --------------------------------------------------------------------------


def _pending_key() -> str:
    site = tk.config.get("ckan.site_id") or "default"
    return f"ckanext-territoire:{site}:dcat-dump-regeneration"


def request_regeneration() -> bool:
    """Enqueue one regeneration of the dump, unless one is waiting already.

    True if a job was enqueued. Best effort: the endpoints check the dump
    whatever happens here; a queue that cannot be reached is logged.
    """
    timeout = settings.get_int(JOB_TIMEOUT_OPTION)
    requested = time.time()
    try:
        redis = connect_to_redis()
        # the flag lasts until the job starts, or as long as a job may run
        # (a worker that never came)
        if not redis.set(_pending_key(), str(requested), nx=True, ex=timeout):
            return False
        try:
            tk.enqueue_job(
                regenerate,
                [requested],
                title="Régénération du catalogue DCAT complet / DCAT dump regeneration",
                rq_kwargs={"timeout": timeout},
            )
        except Exception:
            redis.delete(_pending_key())
            raise
    except RedisError:
        log.exception("DCAT dump: regeneration could not be enqueued")
        return False
    log.info("DCAT dump: regeneration enqueued")
    return True


def regenerate(requested: float) -> None:
    """The regeneration job (``ckan jobs worker``).

    Regenerates each dump file in place that is not servable, or older than
    the request (its dump may have read a dataset before it changed); a file
    already regenerated since is left alone. If a dataset of the new dump
    left the public set while it was written, one more is enqueued.
    """
    from . import dump

    try:
        connect_to_redis().delete(_pending_key())
    except RedisError:
        log.exception("DCAT dump: the regeneration flag could not be cleared")
    formats = []
    for fmt in dump.FORMATS:
        path = dump.dump_path(fmt)
        if not os.path.exists(path):
            continue
        status = check_file(path)
        # a dump that started after the request read the datasets after the
        # change (or holds it, and is not servable)
        fresh = (
            status.generated is not None and status.generated.timestamp() > requested
        )
        if not (status.servable and fresh):
            formats.append(fmt)
    if not formats:
        log.info("DCAT dump: already regenerated since the request")
        return
    dump.write_dump(formats)
    # a dataset left the public set while the dump was written
    if any(check_file(dump.dump_path(fmt)).regeneration_helps for fmt in formats):
        request_regeneration()


def _in_dump(package_ids: list[str], only_unpublished: bool) -> bool:
    condition = f"AND {_NOT_PUBLIC}" if only_unpublished else ""
    row = model.Session.execute(
        sa.text(
            "SELECT 1 FROM territoire_dcat_dump_entry e "
            "LEFT JOIN package p ON p.id = e.package_id "
            f"WHERE e.package_id = ANY(:ids) {condition} LIMIT 1"
        ),
        {"ids": package_ids},
    ).first()
    return row is not None


def note_unpublished(package_ids: Iterable[Any]) -> bool:
    """After a write that may have taken datasets out of the public set
    (committed, or flushed in this session): enqueue a regeneration if one of
    them is in a dump and is no longer public. True if one was enqueued."""
    ids = [i for i in package_ids if isinstance(i, str) and i]
    if not ids or not _in_dump(ids, only_unpublished=True):
        return False
    return request_regeneration()


def dataset_updated(package_id: Any) -> bool:
    """``after_dataset_update``: the dataset as this session has it now (its
    write may not be flushed yet); nothing is read for a public dataset."""
    if not isinstance(package_id, str) or not package_id:
        return False
    pkg = model.Package.get(package_id)
    if pkg is not None and pkg.state == "active" and not pkg.private:
        return False
    if not _in_dump([package_id], only_unpublished=False):
        return False
    return request_regeneration()
