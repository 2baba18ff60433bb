"""Compile parsed queries (see :mod:`lucene`) into SQL over territoire_search_doc.

Text is analysed by PostgreSQL itself (the same text-search configuration as the
index), in one round trip before the SQL is built, so the tsqueries reach the
planner as constants and the GIN indexes apply.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from . import fields
from .lucene import Bool, DismaxQuery, Exists, MatchAll, Node, Phrase, Range, Term

SIMPLE_CONFIG = "territoire_simple"


class QueryError(ValueError):
    """A query that parses but cannot be run (bad date, bad sort…)."""


# --------------------------------------------------------------------------
# Solr date math: NOW, NOW-1DAY, NOW/DAY, 2020-01-01T00:00:00Z+1MONTH


_UNITS = {
    "YEAR": "years",
    "YEARS": "years",
    "MONTH": "months",
    "MONTHS": "months",
    "DAY": "days",
    "DAYS": "days",
    "DATE": "days",
    "HOUR": "hours",
    "HOURS": "hours",
    "MINUTE": "minutes",
    "MINUTES": "minutes",
    "SECOND": "seconds",
    "SECONDS": "seconds",
}


# Solr's dates run far beyond Python's (years 1 to 9999): date math that
# leaves this calendar is clamped to its edge, which is what it means as a
# range bound (``[NOW-1000000YEARS TO NOW]`` is "everything until now"); an
# exact date there matches nothing, as no dataset has one.
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
_LATEST = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def _add(value: dt.datetime, amount: int, unit: str) -> dt.datetime:
    try:
        if unit == "years":
            return value.replace(year=value.year + amount)
        if unit == "months":
            month = value.month - 1 + amount
            year = value.year + month // 12
            return value.replace(
                year=year, month=month % 12 + 1, day=min(value.day, 28)
            )
        return value + dt.timedelta(**{unit: amount})
    except (ValueError, OverflowError):
        return _EARLIEST if amount < 0 else _LATEST


def _round(value: dt.datetime, unit: str) -> dt.datetime:
    if unit == "years":
        return value.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "months":
        return value.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "days":
        return value.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "hours":
        return value.replace(minute=0, second=0, microsecond=0)
    if unit == "minutes":
        return value.replace(second=0, microsecond=0)
    return value.replace(microsecond=0)


def parse_date(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """Parse an ISO date or Solr date-math expression into an aware datetime."""
    now = now or dt.datetime.now(dt.timezone.utc)
    match = re.match(r"^(NOW|[0-9][0-9:T.\-]*Z?)(.*)$", text.strip())
    if not match:
        raise QueryError(f"invalid date {text!r}")
    base, math = match.groups()
    if base == "NOW":
        value = now
    else:
        iso = base[:-1] if base.endswith("Z") else base
        try:
            value = dt.datetime.fromisoformat(iso)
        except ValueError:
            raise QueryError(f"invalid date {text!r}")
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
    for op, num, unit in re.findall(r"([+\-/])(\d*)([A-Z]+)", math):
        if unit not in _UNITS:
            raise QueryError(f"invalid date math {text!r}")
        if op == "/":
            value = _round(value, _UNITS[unit])
        else:
            amount = int(num or "1")
            value = _add(value, amount if op == "+" else -amount, _UNITS[unit])
    if re.sub(r"([+\-/])(\d*)([A-Z]+)", "", math):
        raise QueryError(f"invalid date math {text!r}")
    return value


# --------------------------------------------------------------------------
# Analysis requests


AnalysisKey = tuple[str, str, str]  # (kind, config, text)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _wildcard_to_like(value: str) -> str:
    out = []
    i = 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value):
            out.append(_like_escape(value[i + 1]))
            i += 2
            continue
        out.append("%" if c == "*" else "_" if c == "?" else _like_escape(c))
        i += 1
    return "".join(out)


_LEXEME = re.compile(r"'((?:[^']|'')*)'(:\*)?")


def weighted(tsquery: str, weight: str | None) -> str:
    """Restrict every lexeme of a tsquery text to one weight class."""
    if not weight:
        return tsquery
    return _LEXEME.sub(
        lambda m: f"'{m.group(1)}':{'*' if m.group(2) else ''}{weight}", tsquery
    )


class Compiler:
    """Turns query trees into SQL WHERE clauses with psycopg2 parameters."""

    def __init__(self, text_config: str, analyse: Callable[[set[AnalysisKey]], dict]):
        self.config = text_config
        self._analyse = analyse
        self.analysed: dict[AnalysisKey, str] = {}
        self.params: dict[str, Any] = {}
        self.rank_queries: list[str] = []
        self.now = dt.datetime.now(dt.timezone.utc)

    # -- analysis ---------------------------------------------------------

    def _requests(self, node: Node, out: set[AnalysisKey]) -> None:
        if isinstance(node, Bool):
            for child in node.must + node.should + node.must_not:
                self._requests(child, out)
        elif isinstance(node, (Term, Phrase)):
            kind = fields.kind(node.field)
            text = node.value if isinstance(node, Term) else node.text
            if kind == "text":
                if isinstance(node, Term) and node.wildcard:
                    out.add(("prefix", SIMPLE_CONFIG, text.rstrip("*?")))
                else:
                    plain = isinstance(node, Term)
                    out.add(("plain" if plain else "phrase", self.config, text))
            elif kind == "ngram":
                out.add(("prefix", SIMPLE_CONFIG, text.rstrip("*")))

    def prepare(self, nodes: list[Node], dismax: DismaxQuery | None = None) -> None:
        wanted: set[AnalysisKey] = set()
        for node in nodes:
            self._requests(node, wanted)
        if dismax is not None:
            for text in dismax.must + dismax.should + dismax.must_not:
                kind = "phrase" if text in dismax.phrases else "plain"
                wanted.add((kind, self.config, text))
        wanted -= set(self.analysed)
        if wanted:
            self.analysed.update(self._analyse(wanted))

    def tsquery(self, kind: str, config: str, text: str) -> str:
        return self.analysed.get((kind, config, text), "")

    # -- SQL --------------------------------------------------------------

    def p(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def compile(self, node: Node) -> str | None:
        """SQL for a node, or None when the node analyses to nothing."""
        if isinstance(node, MatchAll):
            return "TRUE"
        if isinstance(node, Bool):
            return self._bool(node)
        if isinstance(node, (Term, Phrase)):
            return self._value(node)
        if isinstance(node, Range):
            return self._range(node)
        if isinstance(node, Exists):
            return self._exists(node.field)
        raise QueryError(f"unknown node {node!r}")

    def where(self, node: Node) -> str:
        return self.compile(node) or "FALSE"

    def _bool(self, node: Bool) -> str | None:
        # a group of exact values on one field becomes one indexed operator
        grouped = self._same_field_values(node)
        if grouped is not None:
            return grouped
        must = [s for s in map(self.compile, node.must) if s is not None]
        should = [s for s in map(self.compile, node.should) if s is not None]
        must_not = [s for s in map(self.compile, node.must_not) if s is not None]
        parts = list(must)
        if should and not must:
            parts.append("(" + " OR ".join(should) + ")")
        if not parts and not must_not:
            return None
        if not parts:
            parts.append("TRUE")  # a purely negative group matches all but…
        parts.extend(f"NOT ({s})" for s in must_not)
        return "(" + " AND ".join(parts) + ")"

    def _same_field_values(self, node: Bool) -> str | None:
        if node.must or node.must_not or len(node.should) < 2:
            return None
        values = []
        field = None
        for child in node.should:
            if isinstance(child, Term) and not child.wildcard:
                value = child.value
            elif isinstance(child, Phrase):
                value = child.text
            else:
                return None
            if field is None:
                field = child.field
            elif child.field != field:
                return None
            values.append(value)
        assert field is not None
        kind = fields.kind(field)
        if kind == "scalar":
            return f"d.{field} = ANY({self.p(values)})"
        if kind == "array":
            return f"d.{field} && {self.p(values)}::text[]"
        if kind == "dynamic":
            return f"d.terms && {self.p([f'{field}:{v}' for v in values])}::text[]"
        return None

    def _text(self, field: str, tsq: str) -> str | None:
        if not tsq:
            return None
        weight = fields.text_weight(field)
        self.rank_queries.append(tsq)
        if field == "text":
            return f"d.tsv @@ {self.p(tsq)}::tsquery"
        prefilter = f"d.tsv @@ {self.p(weighted(tsq, weight))}::tsquery"
        source = "d.title" if field == "title" else f"(d.doc->>{self.p(field)})"
        recheck = (
            f"to_tsvector({self.p(self.config)}::regconfig, coalesce({source}, ''))"
            f" @@ {self.p(tsq)}::tsquery"
        )
        return f"({prefilter} AND {recheck})"

    def _value(self, node: Term | Phrase) -> str | None:
        field = node.field
        kind = fields.kind(field)
        wildcard = isinstance(node, Term) and node.wildcard
        value = node.value if isinstance(node, Term) else node.text
        if kind == "text":
            if wildcard:
                tsq = self.tsquery("prefix", SIMPLE_CONFIG, value.rstrip("*?"))
                return self._text(field, tsq)
            tsq = self.tsquery(
                "plain" if isinstance(node, Term) else "phrase", self.config, value
            )
            return self._text(field, tsq)
        if kind == "ngram":
            tsq = self.tsquery("prefix", SIMPLE_CONFIG, value.rstrip("*"))
            if not tsq:
                return None
            return f"d.ac @@ {self.p(tsq)}::tsquery"
        if kind == "scalar":
            if wildcard:
                return f"d.{field} LIKE {self.p(_wildcard_to_like(value))}"
            return f"d.{field} = {self.p(value)}"
        if kind == "array":
            if wildcard:
                return (
                    f"EXISTS (SELECT 1 FROM unnest(d.{field}) v "
                    f"WHERE v LIKE {self.p(_wildcard_to_like(value))})"
                )
            return f"d.{field} @> ARRAY[{self.p(value)}]::text[]"
        if kind in ("date", "dyndate"):
            if wildcard:
                return self._exists(field) if value == "*" else "FALSE"
            return f"{self._date_expr(field)} = {self.p(parse_date(value, self.now))}"
        if kind == "int":
            return f"(d.doc->>{self.p(field)}) = {self.p(value)}"
        # dynamic string field
        if wildcard:
            pattern = _like_escape(field + ":") + _wildcard_to_like(value)
            return f"EXISTS (SELECT 1 FROM unnest(d.terms) t WHERE t LIKE {self.p(pattern)})"
        return f"d.terms @> ARRAY[{self.p(f'{field}:{value}')}]::text[]"

    def _date_expr(self, field: str) -> str:
        if fields.kind(field) == "date":
            return f"d.{field}"
        return f"(d.doc->>{self.p(field)})::timestamptz"

    def _range(self, node: Range) -> str:
        field = node.field
        kind = fields.kind(field)
        conds = []
        if kind in ("date", "dyndate"):
            expr = self._date_expr(field)
            convert: Callable[[str], Any] = lambda v: parse_date(v, self.now)
        elif kind == "int" or (
            kind == "dynamic"
            and all(_is_number(v) for v in (node.low, node.high) if v is not None)
        ):
            expr = f"(d.doc->>{self.p(field)})::numeric"
            convert = float
            conds.append(f"jsonb_typeof(d.doc->{self.p(field)}) = 'number'")
        elif kind == "scalar":
            expr = f'd.{field} COLLATE "C"'
            convert = str
        elif kind == "array":
            low = node.low
            high = node.high
            sub = ["TRUE"]
            if low is not None:
                op = ">=" if node.include_low else ">"
                sub.append(f'v COLLATE "C" {op} {self.p(low)}')
            if high is not None:
                op = "<=" if node.include_high else "<"
                sub.append(f'v COLLATE "C" {op} {self.p(high)}')
            return (
                f"EXISTS (SELECT 1 FROM unnest(d.{field}) v WHERE {' AND '.join(sub)})"
            )
        else:
            expr = f'(d.doc->>{self.p(field)}) COLLATE "C"'
            convert = str
        if node.low is not None:
            op = ">=" if node.include_low else ">"
            conds.append(f"{expr} {op} {self.p(convert(node.low))}")
        if node.high is not None:
            op = "<=" if node.include_high else "<"
            conds.append(f"{expr} {op} {self.p(convert(node.high))}")
        return "(" + " AND ".join(conds or ["TRUE"]) + ")"

    def _exists(self, field: str) -> str:
        kind = fields.kind(field)
        if kind in ("scalar", "date"):
            return f"d.{field} IS NOT NULL"
        if kind == "array":
            return f"cardinality(d.{field}) > 0"
        if field == "text":
            return "TRUE"
        if field == "title":
            return "d.title IS NOT NULL"
        return f"(d.doc ? {self.p(field)})"

    # -- dismax -----------------------------------------------------------

    def dismax(self, dq: DismaxQuery, required_should: Callable[[int], int]) -> str:
        def tsq(text: str) -> str:
            kind = "phrase" if text in dq.phrases else "plain"
            return self.tsquery(kind, self.config, text)

        must = [q for q in map(tsq, dq.must) if q]
        should = [q for q in map(tsq, dq.should) if q]
        must_not = [q for q in map(tsq, dq.must_not) if q]
        parts: list[str] = []
        for q in must:
            parts.append(f"d.tsv @@ {self.p(q)}::tsquery")
        if should:
            k = required_should(len(should))
            if k >= len(should):
                parts.extend(f"d.tsv @@ {self.p(q)}::tsquery" for q in should)
            elif k > 0:
                any_q = " | ".join(f"({q})" for q in should)
                parts.append(f"d.tsv @@ {self.p(any_q)}::tsquery")
                if k > 1:
                    counted = " + ".join(
                        f"(d.tsv @@ {self.p(q)}::tsquery)::int" for q in should
                    )
                    parts.append(f"({counted}) >= {int(k)}")
        for q in must_not:
            parts.append(f"NOT (d.tsv @@ {self.p(q)}::tsquery)")
        self.rank_queries.extend(must + should)
        if not parts:
            # only stopwords, or nothing at all: Solr matches nothing
            return "FALSE" if (dq.must or dq.should) else "TRUE"
        return "(" + " AND ".join(parts) + ")"

    def rank_tsquery(self) -> str | None:
        if not self.rank_queries:
            return None
        return " | ".join(f"({q})" for q in dict.fromkeys(self.rank_queries))


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
