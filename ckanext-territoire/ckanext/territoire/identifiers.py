"""Identifiers of CKAN objects as callers pass them.

CKAN's own bulk actions (``bulk_update_private``…) call ``package_patch``
with each dataset's id as a database row (a one-element row), which the
model's lookups accept; our checks of identifiers must read it as its text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def unwrap(value: Any) -> Any:
    """The text of a one-element row or tuple holding text; anything else as is."""
    if (
        not isinstance(value, (str, bytes, list, dict))
        and isinstance(value, (tuple, Sequence))
        and len(value) == 1
        and isinstance(value[0], str)
    ):
        return value[0]
    return value
