"""The report table, and the status extras on the resource.

``validation_status`` and ``validation_timestamp`` are resource extras, as
ckanext-validation has them, written straight to the resource row: no
package_update (which would record an activity for each validation and
trigger a new validation), one search index update of the dataset. The
table is the source of truth; the chained package actions copy its values
over whatever a client sends (nobody can declare their own file valid).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

import ckan.model as model

log = logging.getLogger(__name__)

STATUS_KEYS = ("validation_status", "validation_timestamp")
TABLE = "territoire_validation_report"


def fingerprint(resource: dict[str, Any]) -> str:
    """What a validation depends on: a change of any starts a new one."""
    parts = [
        resource.get("url") or "",
        resource.get("schema") or "",
        resource.get("schema_version") or "",
        str(resource.get("last_modified") or ""),
        str(resource.get("size") or ""),
        resource.get("hash") or "",
    ]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def _row(mapping: Any) -> dict[str, Any]:
    row = dict(mapping)
    for key in ("created", "finished"):
        if row.get(key) is not None:
            row[key] = row[key].astimezone(timezone.utc).replace(tzinfo=None)
    return row


_available = False


def available() -> bool:
    """Whether the report table exists (``ckan db upgrade -p territoire``).

    Every dataset write passes here: without the migration, validation is
    off (and the draft gate, if required, refuses) rather than every
    package_update failing on a missing table.
    """
    global _available
    if not _available:
        _available = bool(
            model.Session.execute(
                sa.text(f"SELECT to_regclass('{TABLE}') IS NOT NULL")
            ).scalar()
        )
        if not _available:
            log.warning(
                "%s is missing: run `ckan db upgrade -p territoire`; "
                "resources are not validated meanwhile",
                TABLE,
            )
    return _available


def get(resource_id: str) -> dict[str, Any] | None:
    if not available():
        return None
    found = (
        model.Session.execute(
            sa.text(f"SELECT * FROM {TABLE} WHERE resource_id = :id"),
            {"id": resource_id},
        )
        .mappings()
        .first()
    )
    return _row(found) if found else None


def for_package(package_id: str) -> dict[str, dict[str, Any]]:
    if not available():
        return {}
    rows = (
        model.Session.execute(
            sa.text(
                f"SELECT resource_id, status, url, schema, schema_version, "
                f"fingerprint, error_count, created, finished FROM {TABLE} "
                "WHERE package_id = :id"
            ),
            {"id": package_id},
        )
        .mappings()
        .all()
    )
    return {r["resource_id"]: _row(r) for r in rows}


def set_fingerprint(resource: dict[str, Any]) -> None:
    """The report stands for ``resource`` as it is now (nothing to validate
    again)."""
    model.Session.execute(
        sa.text(f"UPDATE {TABLE} SET fingerprint = :fp WHERE resource_id = :id"),
        {"id": resource["id"], "fp": fingerprint(resource)},
    )


def start(resource: dict[str, Any], package_id: str) -> None:
    """A validation is queued: status ``pending``, the old report dropped."""
    model.Session.execute(
        sa.text(
            f"INSERT INTO {TABLE} (resource_id, package_id, status, url, schema, "
            "schema_version, fingerprint, created, finished, report, error_count) "
            "VALUES (:id, :pkg, 'pending', :url, :schema, :version, :fp, now(), "
            "NULL, NULL, 0) "
            "ON CONFLICT (resource_id) DO UPDATE SET package_id = EXCLUDED.package_id, "
            "status = 'pending', url = EXCLUDED.url, schema = EXCLUDED.schema, "
            "schema_version = EXCLUDED.schema_version, "
            "fingerprint = EXCLUDED.fingerprint, created = now(), finished = NULL, "
            "report = NULL, error_count = 0"
        ),
        {
            "id": resource["id"],
            "pkg": package_id,
            "url": resource.get("url"),
            "schema": resource.get("schema"),
            "version": resource.get("schema_version"),
            "fp": fingerprint(resource),
        },
    )


def finish(resource_id: str, report: dict[str, Any]) -> datetime:
    now = datetime.now(timezone.utc)
    model.Session.execute(
        sa.text(
            f"UPDATE {TABLE} SET status = :status, report = CAST(:report AS jsonb), "
            "error_count = :count, finished = :now WHERE resource_id = :id"
        ),
        {
            "id": resource_id,
            "status": report["status"],
            "report": json.dumps(report, ensure_ascii=False),
            "count": report.get("error_count") or 0,
            "now": now,
        },
    )
    return now.replace(tzinfo=None)


def delete(resource_id: str) -> None:
    model.Session.execute(
        sa.text(f"DELETE FROM {TABLE} WHERE resource_id = :id"), {"id": resource_id}
    )


def set_extras(resource_id: str, status: str | None, when: datetime | None) -> None:
    """Write the status extras on the resource row, without an action."""
    resource = model.Resource.get(resource_id)
    if resource is None:
        return
    extras = dict(resource.extras or {})
    if status is None:
        for key in STATUS_KEYS:
            extras.pop(key, None)
    else:
        extras["validation_status"] = status
        extras["validation_timestamp"] = when.isoformat() if when else None
    resource.extras = extras
    model.Session.add(resource)


def reindex(package_id: str) -> None:
    from ckan.lib.search import rebuild

    rebuild(package_id)


def summary(resource_id: str) -> dict[str, Any] | None:
    if not available():
        return None
    found = (
        model.Session.execute(
            sa.text(
                f"SELECT status, error_count, finished FROM {TABLE} "
                "WHERE resource_id = :id"
            ),
            {"id": resource_id},
        )
        .mappings()
        .first()
    )
    return dict(found) if found else None
