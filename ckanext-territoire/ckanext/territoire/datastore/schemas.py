"""Table Schemas declared by resources, for the column types of a load.

They come from the portal's local schema catalogue, the one validation reads
(``validation/catalogue.py``): a schema missing from it, or another version
than the one declared, leaves the types to be guessed.
"""

from __future__ import annotations

import logging
from typing import Any

from ..validation import catalogue

log = logging.getLogger(__name__)


def resolve_table_schema(
    schema_id: str | None, version: str | None
) -> dict[str, Any] | None:
    """The Table Schema ``schema_id`` (``scdl/deliberations``) at ``version``
    (empty: the latest copy), or None: the types are guessed then."""
    if not schema_id:
        return None
    try:
        return catalogue.resolve(schema_id, version)
    except catalogue.SchemaNotFound as e:
        log.info("Table Schema %s not available (%s): types guessed", schema_id, e)
        return None
