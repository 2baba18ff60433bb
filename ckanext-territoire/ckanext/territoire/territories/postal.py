"""French postal codes → the communes they serve (``data/postal.json.gz``).

A postal code is not a territory: it names one commune or several (67190
serves seven), and a commune may have several. The territory box and the
territory autocomplete accept one and offer its communes. Read once, on
first use (6,200 codes, about 1 MB in memory).
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from importlib import resources
from typing import Any

POSTAL_RE = re.compile(r"^\d{5}$")


@functools.lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    data = resources.files(__package__) / "data" / "postal.json.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        return json.load(text)


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    by_code: dict[str, tuple[str, ...]] = {}
    of_commune: dict[str, list[str]] = {}
    for code, communes in _document()["postal"]:
        by_code[code] = tuple(communes)
        for commune in communes:
            of_commune.setdefault(commune, []).append(code)
    return by_code, {c: tuple(sorted(v)) for c, v in of_commune.items()}


def communes(postal_code: str) -> tuple[str, ...]:
    """INSEE codes of the communes a postal code serves (as published)."""
    text = postal_code.strip()
    if not POSTAL_RE.match(text):
        return ()
    return _tables()[0].get(text, ())


def codes_of(insee: str) -> tuple[str, ...]:
    """Postal codes of a commune (its INSEE code)."""
    return _tables()[1].get(insee, ())


def source() -> dict[str, str]:
    doc = _document()
    return {
        "source": doc["source"],
        "version": doc["version"],
        "licence": doc["licence"],
    }
