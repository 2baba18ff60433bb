"""``territoire_harvest_record``: which dataset each remote record became.

Written in the caller's transaction (``model.Session``), so that a record and
the dataset it describes are committed together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

import ckan.model as model


@dataclass(frozen=True)
class Record:
    source_id: str
    remote_id: str
    package_id: str
    content_hash: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    missing_since: dt.datetime | None
    withdrawn_at: dt.datetime | None


_COLUMNS = (
    "source_id, remote_id, package_id, content_hash, first_seen, last_seen, "
    "missing_since, withdrawn_at"
)


def for_source(source_id: str) -> dict[str, Record]:
    rows = model.Session.execute(
        sa.text(
            f"SELECT {_COLUMNS} FROM territoire_harvest_record WHERE source_id = :s"
        ),
        {"s": source_id},
    )
    return {row.remote_id: Record(*row) for row in rows}


def get(source_id: str, remote_id: str) -> Record | None:
    row = model.Session.execute(
        sa.text(
            f"SELECT {_COLUMNS} FROM territoire_harvest_record "
            "WHERE source_id = :s AND remote_id = :r"
        ),
        {"s": source_id, "r": remote_id},
    ).first()
    return Record(*row) if row else None


def of_package(package_id: str) -> Record | None:
    row = model.Session.execute(
        sa.text(
            f"SELECT {_COLUMNS} FROM territoire_harvest_record WHERE package_id = :p"
        ),
        {"p": package_id},
    ).first()
    return Record(*row) if row else None


def is_harvested(package_id: str) -> bool:
    return (
        model.Session.execute(
            sa.text("SELECT 1 FROM territoire_harvest_record WHERE package_id = :p"),
            {"p": package_id},
        ).first()
        is not None
    )


def live_packages(package_ids: Iterable[str]) -> dict[str, str]:
    """``{package id: state}`` of those datasets that still exist."""
    ids = list(package_ids)
    if not ids:
        return {}
    rows = model.Session.execute(
        sa.text("SELECT id, state FROM package WHERE id = ANY(:ids)"), {"ids": ids}
    )
    return {row.id: row.state for row in rows}


def upsert(source_id: str, remote_id: str, package_id: str, digest: str) -> None:
    """After an import: the record is current, seen now, not withdrawn."""
    model.Session.execute(
        sa.text(
            """
            INSERT INTO territoire_harvest_record
                (source_id, remote_id, package_id, content_hash)
            VALUES (:s, :r, :p, :h)
            ON CONFLICT (source_id, remote_id) DO UPDATE SET
                package_id = EXCLUDED.package_id,
                content_hash = EXCLUDED.content_hash,
                last_seen = now(),
                missing_since = NULL,
                withdrawn_at = NULL
            """
        ),
        {"s": source_id, "r": remote_id, "p": package_id, "h": digest},
    )


def touch(source_id: str, remote_ids: Iterable[str], now: dt.datetime) -> None:
    """Records listed by the source in this run: seen, no longer missing."""
    ids = list(remote_ids)
    if not ids:
        return
    model.Session.execute(
        sa.text(
            "UPDATE territoire_harvest_record SET last_seen = :now, "
            "missing_since = NULL WHERE source_id = :s AND remote_id = ANY(:ids)"
        ),
        {"s": source_id, "ids": ids, "now": now},
    )


def mark_missing(source_id: str, remote_id: str, now: dt.datetime) -> None:
    model.Session.execute(
        sa.text(
            "UPDATE territoire_harvest_record SET missing_since = :now "
            "WHERE source_id = :s AND remote_id = :r AND missing_since IS NULL"
        ),
        {"s": source_id, "r": remote_id, "now": now},
    )


def mark_withdrawn(source_id: str, remote_id: str, now: dt.datetime) -> None:
    model.Session.execute(
        sa.text(
            "UPDATE territoire_harvest_record SET withdrawn_at = :now "
            "WHERE source_id = :s AND remote_id = :r"
        ),
        {"s": source_id, "r": remote_id, "now": now},
    )
