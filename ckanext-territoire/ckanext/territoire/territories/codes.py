"""Canonical territory codes and name normalisation.

A territory is named everywhere by ``<level>:<insee>``: ``region:44``,
``departement:67``, ``epci:246700488`` (SIREN), ``commune:67482`` and
``pays:fr`` for France as a whole.
"""

from __future__ import annotations

import re
import unicodedata

COMMUNE = "commune"
EPCI = "epci"
DEPARTEMENT = "departement"
REGION = "region"
PAYS = "pays"

# Widest first: the order of search results for equally good matches.
LEVELS: tuple[str, ...] = (PAYS, REGION, DEPARTEMENT, EPCI, COMMUNE)
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}

FRANCE = "pays:fr"
FRANCE_NAME = "France"

# INSEE codes: communes 5 characters (2A/2B for Corsica), départements and
# régions 2 or 3, EPCI a 9-digit SIREN.
COMMUNE_RE = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")
DEPARTEMENT_RE = re.compile(r"^(?:\d{2,3}|2[AB])$")
REGION_RE = re.compile(r"^\d{2,3}$")
EPCI_RE = re.compile(r"^\d{9}$")
_INSEE_RE = {
    COMMUNE: COMMUNE_RE,
    EPCI: EPCI_RE,
    DEPARTEMENT: DEPARTEMENT_RE,
    REGION: REGION_RE,
    PAYS: re.compile(r"^fr$"),
}


def make(level: str, insee: str) -> str:
    return f"{level}:{insee}"


def split(code: str) -> tuple[str, str]:
    """``("commune", "67482")`` for ``"commune:67482"``."""
    level, _, insee = code.partition(":")
    return level, insee


def canonical(value: str) -> str | None:
    """``value`` as a well-formed canonical code, or None.

    Tolerates case and spaces (``Commune:2a004`` → ``commune:2A004``); says
    nothing about whether the territory exists.
    """
    level, sep, insee = value.strip().partition(":")
    level = level.strip().lower()
    insee = insee.strip()
    insee = insee.lower() if level == PAYS else insee.upper()
    if not sep or level not in _INSEE_RE or not _INSEE_RE[level].match(insee):
        return None
    return make(level, insee)


_FOLD = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_name(value: str) -> str:
    """Lower case, no accents, words separated by single spaces.

    Hyphens, apostrophes and other punctuation separate words
    (``L'Haÿ-les-Roses`` → ``l hay les roses``). Abbreviations such as
    ``St`` are kept as written: the search expands them in queries.
    """
    decomposed = unicodedata.normalize("NFKD", value.translate(_FOLD))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", stripped.lower()).strip()
