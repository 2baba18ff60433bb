"""The territories, held in memory: lookups, containment and autocompletion.

Each process keeps a copy of ``territoire_ref.territoire_territory`` (about 36,000 rows, a
few MB), read on first use. The copy is replaced when the loader has run
since: ``territoire_ref.territoire_cog_meta.loaded_at`` is compared at most every
``CHECK_INTERVAL`` seconds; :func:`reset` makes the next call compare it
at once (the loader does, in its own process).

All codes are canonical strings (``commune:67482``, see :mod:`.codes`).
"""

from __future__ import annotations

import bisect
import gc
import heapq
import itertools
import logging
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from . import codes, postal
from .codes import COMMUNE, DEPARTEMENT, LEVEL_RANK, LEVELS, normalize_name

__all__ = [
    "Territory",
    "ancestors",
    "by_siren",
    "former",
    "get",
    "is_loaded",
    "members",
    "normalize_name",
    "reset",
    "search",
]

log = logging.getLogger(__name__)

CHECK_INTERVAL = 30.0

# Abbreviations a query may use for a whole word of the official names.
EXPANSIONS = {"st": "saint", "ste": "sainte"}

# Below this many candidates, the remaining query words are checked on each
# candidate's words rather than by building their (possibly large) sets.
_FILTER_BELOW = 2000


@dataclass(frozen=True, slots=True)
class Territory:
    code: str
    level: str
    insee: str
    name: str
    parents: tuple[str, ...] = ()
    population: int | None = None
    siren: str | None = None

    @property
    def label(self) -> str:
        """``Strasbourg (67)``, ``Bas-Rhin (67)``, ``Grand Est``, ``France``."""
        if self.level == DEPARTEMENT:
            return f"{self.name} ({self.insee})"
        if self.level == COMMUNE:
            for parent in self.parents:
                level, insee = codes.split(parent)
                if level == DEPARTEMENT:
                    return f"{self.name} ({insee})"
        return self.name


class _Index:
    """One immutable snapshot of the table and its word index.

    Territories are numbered in ranking order (level, then population
    descending), so the best candidates of a query are its smallest numbers.
    """

    def __init__(
        self,
        loaded_at: datetime | None,
        rows: Iterable[Sequence[Any]] = (),
        former: dict[str, str] | None = None,
    ) -> None:
        self.loaded_at = loaded_at
        self.former = former or {}
        entries = []
        for code, level, insee, name, norm, parents, population, siren in rows:
            territory = Territory(
                code=code,
                level=level,
                insee=insee,
                name=name,
                # Parent codes repeat across thousands of rows: share them.
                parents=tuple(sys.intern(p) for p in parents or ()),
                population=population,
                siren=siren,
            )
            entries.append((territory, norm))
        entries.sort(
            key=lambda e: (
                LEVEL_RANK[e[0].level],
                -(e[0].population or 0),
                e[1],
                e[0].code,
            )
        )
        self.items: list[Territory] = [t for t, _ in entries]
        self.by_code = {t.code: t for t in self.items}
        # communes and EPCI carry their SIREN; an EPCI's is also its code
        self.by_siren = {t.siren: t for t in self.items if t.siren}
        self.level_range: dict[str, tuple[int, int]] = {}
        for i, territory in enumerate(self.items):
            lo, _ = self.level_range.get(territory.level, (i, i))
            self.level_range[territory.level] = (lo, i + 1)

        self.by_norm: dict[str, list[int]] = {}
        self.words_of: list[frozenset[str]] = []
        vocabulary: dict[str, list[int]] = {}
        for i, (_, norm) in enumerate(entries):
            self.by_norm.setdefault(norm, []).append(i)
            words = frozenset(norm.split())
            self.words_of.append(words)
            for word in words:
                vocabulary.setdefault(word, []).append(i)
        self.words = sorted(vocabulary)
        self.postings = [vocabulary[w] for w in self.words]
        self.cumulated = [0, *itertools.accumulate(len(p) for p in self.postings)]

    # -- words

    def _range(self, prefix: str) -> tuple[int, int]:
        # Normalised words are made of [a-z0-9]; "\x7f" sorts after them all.
        return (
            bisect.bisect_left(self.words, prefix),
            bisect.bisect_left(self.words, prefix + "\x7f"),
        )

    def _word(self, word: str) -> list[int]:
        i = bisect.bisect_left(self.words, word)
        if i < len(self.words) and self.words[i] == word:
            return self.postings[i]
        return []

    def _estimate(self, token: str) -> int:
        lo, hi = self._range(token)
        extra = len(self._word(EXPANSIONS[token])) if token in EXPANSIONS else 0
        return self.cumulated[hi] - self.cumulated[lo] + extra

    def _ids(self, token: str) -> set[int]:
        lo, hi = self._range(token)
        ids: set[int] = set()
        for posting in self.postings[lo:hi]:
            ids.update(posting)
        if token in EXPANSIONS:
            ids.update(self._word(EXPANSIONS[token]))
        return ids

    def _has(self, i: int, token: str) -> bool:
        words = self.words_of[i]
        expansion = EXPANSIONS.get(token)
        if expansion is not None and expansion in words:
            return True
        return any(w.startswith(token) for w in words)

    def name_matches(
        self, tokens: list[str], level: str | None, limit: int
    ) -> list[int]:
        """Territories whose every token prefixes a word of the name, best first."""
        distinct = sorted(set(tokens), key=self._estimate)
        candidates = self._ids(distinct[0])
        if level is not None:
            lo, hi = self.level_range.get(level, (0, 0))
            candidates = {i for i in candidates if lo <= i < hi}
        for token in distinct[1:]:
            if len(candidates) < _FILTER_BELOW:
                candidates = {i for i in candidates if self._has(i, token)}
            else:
                candidates &= self._ids(token)
        exact = sorted(
            {
                i
                for words in itertools.product(
                    *([t, EXPANSIONS[t]] if t in EXPANSIONS else [t] for t in tokens)
                )
                for i in self.by_norm.get(" ".join(words), ())
                if i in candidates
            }
        )
        rest = heapq.nsmallest(limit, candidates.difference(exact))
        return (exact + rest)[:limit]

    # -- codes

    def code_matches(self, query: str) -> list[str]:
        """The territories a query written as a code may name, most likely first."""
        text = query.strip()
        code = codes.canonical(text) if ":" in text else None
        if code is not None:
            return [self.former.get(code, code)]
        text = text.upper()
        found = []
        if codes.COMMUNE_RE.match(text):
            code = codes.make(COMMUNE, text)
            found.append(self.former.get(code, code))
        # a postal code: the communes it serves, most populous first (the
        # file predates some mergers: a former code leads to the new commune)
        served = []
        for insee in postal.communes(text):
            code = self.former.get(
                codes.make(COMMUNE, insee), codes.make(COMMUNE, insee)
            )
            territory = self.by_code.get(code)
            if territory is not None and territory.code not in found:
                served.append(territory)
        served.sort(key=lambda t: (-(t.population or 0), t.name))
        found.extend(t.code for t in dict.fromkeys(served))
        if codes.EPCI_RE.match(text):
            found.append(codes.make(codes.EPCI, text))
            # a commune's SIREN names the commune
            by_siren = self.by_siren.get(text)
            if by_siren is not None and by_siren.code not in found:
                found.append(by_siren.code)
        # "67" is far more often a département than a région.
        if codes.DEPARTEMENT_RE.match(text):
            found.append(codes.make(DEPARTEMENT, text))
        if codes.REGION_RE.match(text):
            found.append(codes.make(codes.REGION, text))
        return found


_lock = threading.Lock()
_index = _Index(None)
_checked_at = float("-inf")


def _read_loaded_at(conn: sa.Connection) -> datetime | None:
    exists = conn.execute(
        sa.text("SELECT to_regclass('territoire_ref.territoire_cog_meta')")
    )
    if exists.scalar() is None:
        return None
    return conn.execute(
        sa.text("SELECT loaded_at FROM territoire_ref.territoire_cog_meta")
    ).scalar()


def _refresh(current: _Index) -> _Index:
    engine = model.meta.engine
    if engine is None:
        return current
    with engine.connect() as conn:
        # One snapshot for the stamp and the rows, whatever the loader does.
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            loaded_at = _read_loaded_at(conn)
            if loaded_at == current.loaded_at:
                return current
            if loaded_at is None:
                return _Index(None)
            started = time.monotonic()
            rows = conn.execute(
                sa.text(
                    "SELECT code, level, insee, name, name_norm, parents, "
                    "population, siren FROM territoire_ref.territoire_territory"
                )
            ).all()
            former = conn.execute(
                sa.text(
                    "SELECT old_code, code FROM territoire_ref.territoire_territory_former"
                )
            ).all()
    # Some 300,000 small objects, none of them cyclic: the cyclic collector
    # would only run over and over during the build (about half its time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        index = _Index(loaded_at, rows, dict(former))
    finally:
        if gc_was_enabled:
            gc.enable()
    log.debug(
        "COG territories read (%d) in %.2fs",
        len(index.items),
        time.monotonic() - started,
    )
    return index


def _current() -> _Index:
    global _index, _checked_at
    if time.monotonic() - _checked_at < CHECK_INTERVAL:
        return _index
    with _lock:
        if time.monotonic() - _checked_at < CHECK_INTERVAL:
            return _index
        try:
            _index = _refresh(_index)
        except sa.exc.SQLAlchemyError:
            # Keep serving the copy we have; try again after the interval.
            log.exception("Could not refresh the COG territories")
        _checked_at = time.monotonic()
        return _index


def reset() -> None:
    """Compare ``loaded_at`` on the next call (and reload if it changed)."""
    global _checked_at
    with _lock:
        _checked_at = float("-inf")


def is_loaded() -> bool:
    """Whether the COG has been loaded into the database."""
    return bool(_current().items)


def get(code: str) -> Territory | None:
    """The territory of a canonical code (case and spaces tolerated)."""
    by_code = _current().by_code
    territory = by_code.get(code)
    if territory is None:
        canonical = codes.canonical(code)
        territory = by_code.get(canonical) if canonical else None
    return territory


def by_siren(siren: str) -> Territory | None:
    """The commune or EPCI whose SIREN is ``siren`` (9 digits)."""
    return _current().by_siren.get(siren.strip())


def former(code: str) -> str | None:
    """The current code of a former commune code.

    ``commune:01340`` (Saint-Bois) → ``commune:01015`` (Arboys en Bugey).
    """
    table = _current().former
    return table.get(code) or table.get(codes.canonical(code) or "")


def ancestors(code: str) -> tuple[str, ...]:
    """The territories containing ``code``, narrowest first, ending with ``pays:fr``."""
    territory = get(code)
    return territory.parents if territory else ()


def members(code: str) -> list[str]:
    """The communes contained in an EPCI, département, région or ``pays:fr``."""
    index = _current()
    lo, hi = index.level_range.get(COMMUNE, (0, 0))
    return sorted(t.code for t in index.items[lo:hi] if code in t.parents)


def communes() -> list[str]:
    """The codes of every current commune."""
    index = _current()
    lo, hi = index.level_range.get(COMMUNE, (0, 0))
    return [t.code for t in index.items[lo:hi]]


def search(q: str, level: str | None = None, limit: int = 10) -> list[Territory]:
    """Territories matching ``q``, best first.

    Every word of the query must begin a word of the name, accents and case
    aside (``st``/``ste`` also stand for ``saint``/``sainte``). A query
    written as a code (``67482``, ``2A004``, ``67``, ``246700488``,
    ``epci:246700488``, a commune's SIREN, or a former commune code) puts
    that territory first; a postal code (``67190``) the communes it serves.
    Then come names equal to the query, then the rest by level (région,
    département, EPCI, commune) and population.
    """
    if level is not None and level not in LEVELS:
        raise ValueError(f"unknown level: {level}")
    if limit <= 0:
        return []
    index = _current()
    found: list[Territory] = []
    seen: set[str] = set()

    def add(territory: Territory | None) -> None:
        if territory is None or territory.code in seen:
            return
        if level is None or territory.level == level:
            seen.add(territory.code)
            found.append(territory)

    for code in index.code_matches(q):
        add(index.by_code.get(code))
    tokens = normalize_name(q).split()
    if tokens and index.items and len(found) < limit:
        for i in index.name_matches(tokens, level, limit):
            add(index.items[i])
    return found[:limit]


def postal_hint(value: str) -> str:
    """For an unknown code that is a postal code: the communes it serves, as
    a sentence to add to the error ("" otherwise)."""
    text = str(value).strip()
    served = [t for t in search(text, level=COMMUNE, limit=6) if t.insee != text]
    if not postal.communes(text) or not served:
        return ""
    names = ", ".join(f"{t.label} : {t.insee}" for t in served[:5])
    return " " + tk._(
        "« {value} » est un code postal : utilisez le code INSEE d'une commune "
        "qu'il dessert ({communes})."
    ).format(value=text, communes=names)
