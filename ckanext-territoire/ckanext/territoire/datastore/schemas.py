"""Table Schemas declared by resources, read from a local directory.

``resolve_table_schema`` is the one entry point the loader uses; the schema
catalogue of validation (``validation/catalogue.py``) is meant to take its
place, with the same signature.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from .. import settings

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(?:[a-z0-9-]+/)?([a-z0-9][a-z0-9_-]*)$")


def resolve_table_schema(
    schema_id: str | None, version: str | None
) -> dict[str, Any] | None:
    """The Table Schema ``schema_id`` (``scdl/deliberations``) at ``version``.

    Read from ``ckanext.territoire.schemas.directory`` (``<name>.json``).
    None when no directory is set, the file is missing or unreadable, or it
    is another version than the one declared: the types are guessed then.
    """
    directory = settings.get("ckanext.territoire.schemas.directory")
    if not schema_id or not directory:
        return None
    match = _NAME.match(schema_id.strip())
    if not match:
        return None
    path = Path(directory) / f"{match.group(1)}.json"
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        log.info("Table Schema %s not available (%s): types guessed", schema_id, e)
        return None
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        return None
    found = str(schema.get("version") or "").lstrip("v")
    if version and found and found != version.strip().lstrip("v"):
        log.info(
            "Table Schema %s: version %s declared, %s available: types guessed",
            schema_id,
            version,
            found,
        )
        return None
    return schema
