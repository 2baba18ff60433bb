"""Reading partners' values, the same way in every harvester."""

from __future__ import annotations

import re
from typing import Any


def split_values(value: Any, separators: str = ";") -> list[str]:
    """A list of non-empty strings from a list or a separated string."""
    if isinstance(value, str):
        items: list[Any] = re.split(f"[{re.escape(separators)}]", value)
    elif isinstance(value, list):
        items = value
    else:
        return []
    return [s.strip() for s in items if isinstance(s, str) and s.strip()]
