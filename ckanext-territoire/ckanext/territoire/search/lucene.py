"""A parser for the subset of Solr's query syntax that CKAN and its extensions send.

Two grammars are covered:

* the standard (Lucene) parser, used for ``fq`` and for ``q`` when it holds a
  ``field:`` clause: terms, ``field:value``, quoted phrases, ``field:(a OR b)``,
  ``+``/``-``/``NOT``/``!``/``AND``/``&&``/``OR``/``||``, parentheses, ranges
  ``[a TO b]``/``{a TO b}`` with ``*``, wildcards ``*``/``?`` and ``^boost``;
* dismax, used for free text: words and phrases with ``+``/``-`` prefixes, the
  rest taken literally.

Boolean clauses follow Lucene's own rules (``q.op`` decides what a bare clause
means), so ``a OR b c`` means what it means to Solr. Anything outside the
subset raises :class:`UnsupportedSyntax` with the construct named, never a
silent approximation.
"""

from __future__ import annotations

import dataclasses
import re

MUST = "must"
SHOULD = "should"
MUST_NOT = "must_not"


class UnsupportedSyntax(ValueError):
    """The query uses a construct this backend does not implement."""

    def __init__(self, construct: str, query: str) -> None:
        super().__init__(construct, query)
        self.construct = construct
        self.query = query


@dataclasses.dataclass(frozen=True)
class MatchAll:
    pass


@dataclasses.dataclass(frozen=True)
class Term:
    field: str
    value: str
    wildcard: bool = False  # value contains unescaped * or ?


@dataclasses.dataclass(frozen=True)
class Phrase:
    field: str
    text: str


@dataclasses.dataclass(frozen=True)
class Range:
    field: str
    low: str | None  # None means open (*)
    high: str | None
    include_low: bool
    include_high: bool


@dataclasses.dataclass(frozen=True)
class Exists:
    field: str


@dataclasses.dataclass(frozen=True)
class Bool:
    must: tuple[Node, ...] = ()
    should: tuple[Node, ...] = ()
    must_not: tuple[Node, ...] = ()
    # dismax minimum-should-match: how many `should` clauses must match.
    min_should: int | None = None


Node = MatchAll | Term | Phrase | Range | Exists | Bool

_SPECIAL = set('+-&|!(){}[]^"~*?:\\/ \t\n\r')


# --------------------------------------------------------------------------
# Tokenizer


@dataclasses.dataclass
class _Tok:
    kind: str  # WORD PHRASE RANGE LPAREN RPAREN AND OR NOT PLUS MINUS COLON
    text: str = ""
    wildcard: bool = False
    boost: bool = False
    range: tuple[str | None, str | None, bool, bool] | None = None


def _check_forbidden(query: str) -> None:
    if re.search(r"(?<!\\)\{!", query):
        raise UnsupportedSyntax("local parameters {!...}", query)
    if re.search(r"(?<![\w\\])_(query|val)_\s*:", query):
        raise UnsupportedSyntax("magic field _query_/_val_", query)


def _read_escaped_word(query: str, i: int) -> tuple[str, bool, int]:
    """Read a bare word starting at ``i``; return (text, has_wildcard, end)."""
    out: list[str] = []
    wildcard = False
    n = len(query)
    while i < n:
        c = query[i]
        if c == "\\" and i + 1 < n:
            out.append("\\" + query[i + 1] if query[i + 1] in "*?" else query[i + 1])
            i += 2
            continue
        if c in ' \t\n\r()[]{}^"~:' or (c in "&|" and query[i : i + 2] in ("&&", "||")):
            break
        if c in "*?":
            wildcard = True
        out.append(c)
        i += 1
    return "".join(out), wildcard, i


def _read_range_bound(query: str, i: int) -> tuple[str, int]:
    n = len(query)
    while i < n and query[i] in " \t\n\r":
        i += 1
    if i < n and query[i] == '"':
        j = i + 1
        out = []
        while j < n and query[j] != '"':
            if query[j] == "\\" and j + 1 < n:
                j += 1
            out.append(query[j])
            j += 1
        return "".join(out), j + 1
    out = []
    while i < n and query[i] not in " \t\n\r]}":
        if query[i] == "\\" and i + 1 < n:
            i += 1
        out.append(query[i])
        i += 1
    return "".join(out), i


def tokenize(query: str) -> list[_Tok]:
    _check_forbidden(query)
    toks: list[_Tok] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c in " \t\n\r":
            i += 1
        elif c == "(":
            toks.append(_Tok("LPAREN"))
            i += 1
        elif c == ")":
            toks.append(_Tok("RPAREN"))
            i += 1
        elif c == ":":
            toks.append(_Tok("COLON"))
            i += 1
        elif c == "+":
            toks.append(_Tok("PLUS"))
            i += 1
        elif c == "-":
            toks.append(_Tok("MINUS"))
            i += 1
        elif c == "!":
            toks.append(_Tok("NOT"))
            i += 1
        elif query.startswith("&&", i):
            toks.append(_Tok("AND"))
            i += 2
        elif query.startswith("||", i):
            toks.append(_Tok("OR"))
            i += 2
        elif c == '"':
            j = i + 1
            out = []
            while j < n and query[j] != '"':
                if query[j] == "\\" and j + 1 < n:
                    j += 1
                out.append(query[j])
                j += 1
            if j >= n:
                raise UnsupportedSyntax("unterminated quoted phrase", query)
            toks.append(_Tok("PHRASE", "".join(out)))
            i = j + 1
        elif c in "[{":
            include_low = c == "["
            low, j = _read_range_bound(query, i + 1)
            rest = query[j:].lstrip()
            if not rest.startswith("TO"):
                raise UnsupportedSyntax("range without TO", query)
            j = len(query) - len(rest) + 2
            high, j = _read_range_bound(query, j)
            while j < n and query[j] in " \t\n\r":
                j += 1
            if j >= n or query[j] not in "]}":
                raise UnsupportedSyntax("unterminated range", query)
            include_high = query[j] == "]"
            toks.append(
                _Tok(
                    "RANGE",
                    range=(
                        None if low == "*" else low,
                        None if high == "*" else high,
                        include_low,
                        include_high,
                    ),
                )
            )
            i = j + 1
        elif c == "^":
            # boosts only change scores; read and drop the number
            j = i + 1
            while j < n and (query[j].isdigit() or query[j] == "."):
                j += 1
            if j == i + 1:
                raise UnsupportedSyntax("'^' without a boost value", query)
            i = j
        elif c == "~":
            raise UnsupportedSyntax("fuzzy or proximity operator '~'", query)
        elif c in "]}":
            raise UnsupportedSyntax(f"unexpected '{c}'", query)
        else:
            text, wildcard, j = _read_escaped_word(query, i)
            if j == i:  # a lone special character
                raise UnsupportedSyntax(f"unexpected '{c}'", query)
            i = j
            if not wildcard and text in ("AND", "OR", "NOT"):
                toks.append(_Tok(text))
            else:
                toks.append(_Tok("WORD", text, wildcard=wildcard))
    return toks


# --------------------------------------------------------------------------
# Standard (Lucene) parser


class _Parser:
    def __init__(self, query: str, default_field: str, default_op: str) -> None:
        self.query = query
        self.toks = tokenize(query)
        self.pos = 0
        self.default_field = default_field
        self.op_and = default_op.upper() == "AND"

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> Node:
        node = self.parse_clauses(self.default_field, top=True)
        if self.pos != len(self.toks):
            raise UnsupportedSyntax("unbalanced parenthesis", self.query)
        return node

    def parse_clauses(self, field: str, top: bool = False) -> Node:
        # Lucene's QueryParser.addClause, reproduced.
        clauses: list[list] = []  # [occur, node]
        conj: str | None = None
        while True:
            tok = self.peek()
            if tok is None or tok.kind == "RPAREN":
                break
            if tok.kind in ("AND", "OR"):
                self.take()
                conj = tok.kind
                continue
            mods = None
            if tok.kind in ("PLUS", "MINUS", "NOT"):
                self.take()
                mods = "req" if tok.kind == "PLUS" else "not"
            node = self.parse_atom(field)
            if clauses and conj == "AND" and clauses[-1][0] != MUST_NOT:
                clauses[-1][0] = MUST
            if clauses and self.op_and and conj == "OR" and clauses[-1][0] != MUST_NOT:
                clauses[-1][0] = SHOULD
            if self.op_and:
                prohibited = mods == "not"
                required = not prohibited and conj != "OR"
            else:
                prohibited = mods == "not"
                required = mods == "req" or (conj == "AND" and not prohibited)
            occur = MUST if required else (MUST_NOT if prohibited else SHOULD)
            clauses.append([occur, node])
            conj = None
        if not clauses:
            if top:
                return MatchAll()
            raise UnsupportedSyntax("empty group '()'", self.query)
        if len(clauses) == 1 and clauses[0][0] != MUST_NOT:
            return clauses[0][1]
        return Bool(
            must=tuple(n for o, n in clauses if o == MUST),
            should=tuple(n for o, n in clauses if o == SHOULD),
            must_not=tuple(n for o, n in clauses if o == MUST_NOT),
        )

    def parse_atom(self, field: str) -> Node:
        tok = self.peek()
        if tok is None:
            raise UnsupportedSyntax("operator without an operand", self.query)
        if tok.kind == "LPAREN":
            self.take()
            node = self.parse_clauses(field)
            if self.peek() is None or self.take().kind != "RPAREN":
                raise UnsupportedSyntax("unbalanced parenthesis", self.query)
            return node
        if tok.kind == "WORD":
            self.take()
            nxt = self.peek()
            if nxt is not None and nxt.kind == "COLON":
                self.take()
                name = tok.text.replace("\\", "")
                if name == "*":
                    value = self.peek()
                    if value is not None and value.kind == "WORD" and value.text == "*":
                        self.take()
                        return MatchAll()
                    raise UnsupportedSyntax(
                        "'*:' with a value other than '*'", self.query
                    )
                return self.parse_value(name)
            return self.word_node(field, tok)
        if tok.kind in ("PHRASE", "RANGE"):
            return self.parse_value(field)
        raise UnsupportedSyntax(f"unexpected '{tok.kind.lower()}'", self.query)

    def parse_value(self, field: str) -> Node:
        tok = self.peek()
        if tok is None:
            raise UnsupportedSyntax(f"field '{field}' without a value", self.query)
        if tok.kind == "LPAREN":
            return self.parse_atom(field)
        self.take()
        if tok.kind == "PHRASE":
            return Phrase(field, tok.text)
        if tok.kind == "RANGE":
            assert tok.range
            low, high, il, ih = tok.range
            if low is None and high is None:
                return Exists(field)
            return Range(field, low, high, il, ih)
        if tok.kind == "WORD":
            return self.word_node(field, tok)
        raise UnsupportedSyntax(f"field '{field}' without a value", self.query)

    def word_node(self, field: str, tok: _Tok) -> Node:
        if tok.wildcard:
            if tok.text == "*":
                return Exists(field) if field != self.default_field else MatchAll()
            return Term(field, tok.text, wildcard=True)
        return Term(field, tok.text.replace("\\*", "*").replace("\\?", "?"))


def parse(query: str, default_field: str = "text", default_op: str = "AND") -> Node:
    """Parse a standard-syntax query into a tree."""
    query = query.strip()
    if not query:
        return MatchAll()
    return _Parser(query, default_field, default_op).parse()


# --------------------------------------------------------------------------
# Dismax


def _mm_required(spec: str, n: int) -> int:
    """Solr's ``mm`` (minimum should match) for ``n`` optional clauses."""
    spec = spec.strip()
    if not spec:
        return n

    def apply(expr: str) -> int:
        expr = expr.strip()
        if expr.endswith("%"):
            pct = int(expr[:-1])
            if pct < 0:
                return n - (n * -pct) // 100
            return (n * pct) // 100
        val = int(expr)
        return n + val if val < 0 else val

    parts = spec.split()
    if all("<" in p for p in parts):
        required = n
        for part in parts:
            limit, expr = part.split("<", 1)
            if n > int(limit):
                required = apply(expr)
        return max(0, min(n, required))
    return max(0, min(n, apply(spec)))


@dataclasses.dataclass(frozen=True)
class DismaxQuery:
    must: tuple[str, ...]  # words or phrases (phrases keep their quotes out)
    should: tuple[str, ...]
    must_not: tuple[str, ...]
    phrases: frozenset[str]
    mm: str


def parse_dismax(query: str, mm: str = "2<-1 5<80%") -> DismaxQuery:
    """Split free text the way dismax does: +word, -word, "phrases", words."""
    _check_forbidden(query)
    must: list[str] = []
    should: list[str] = []
    must_not: list[str] = []
    phrases: set[str] = set()
    for match in re.finditer(r'([+-]?)("([^"]*)"|\S+)', query):
        sign, whole, phrase = match.group(1), match.group(2), match.group(3)
        if phrase is not None:
            text = phrase.strip()
            if not text:
                continue
            phrases.add(text)
        else:
            text = whole.strip('"()')
            if text in ("AND", "OR", "NOT", "&&", "||", ""):
                continue
        target = must if sign == "+" else must_not if sign == "-" else should
        target.append(text)
    return DismaxQuery(
        tuple(must), tuple(should), tuple(must_not), frozenset(phrases), mm
    )


def required_should(dq: DismaxQuery, n_should: int) -> int:
    if n_should == 0:
        return 0
    # Solr: with mandatory clauses present, mm still applies to optional ones.
    return _mm_required(dq.mm, n_should)
