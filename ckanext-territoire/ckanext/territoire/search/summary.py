"""Facet counts per base filter, maintained with every index write.

Counting facets over the whole index (``*:*`` on the dataset list, an
organisation page) reads every matching document: about a second at 100k
datasets. Solr answers such queries from per-segment term counts; here the
equivalent is ``territoire_search_facets``: for each combination of the
*base* fields — those CKAN filters every search on (``site_id``,
``dataset_type``, ``state``, ``capacity``, ``owner_org``,
``permission_labels``) — the number of documents and of each value of the
summarised facet fields.

* Writes: the contributions of the documents being replaced or deleted are
  read before the write, those of the new documents after it, and the
  difference is applied in one ordered upsert, in the same transaction as the
  write, under a transaction-level advisory lock (so concurrent writers never
  deadlock on shared counters).
* Searches: when ``q`` is ``*:*`` and every ``fq`` clause is an exact term on
  base fields, the compiled filter runs on the summary table (it has the same
  column names and types) and gives the count and the facets; other
  searches count live.
* The summarised fields are recorded in ``territoire_search_meta``; when the
  configuration changes, the next write rebuilds the summary and searches
  count live until then.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from collections.abc import Iterable
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.territoire import settings

from . import fields, lucene
from .tables import DOCS, FACETS, META

log = logging.getLogger(__name__)

BASE = (
    "site_id",
    "dataset_type",
    "state",
    "capacity",
    "owner_org",
    "permission_labels",
)
_LOCK_KEY = 0x7465727269746F  # "territo"

Key = tuple[Any, ...]


def configured_fields() -> tuple[str, ...]:
    """The summarised fields: as configured, or the portal's facets (``auto``)."""
    names = settings.get_list("ckanext.territoire.search.facet_summary_fields")
    if names == [AUTO]:
        names = list(portal_facets())
    return tuple(dict.fromkeys(n for n in names if n))


AUTO = "auto"
_PORTAL_FACETS: dict[Any, tuple[str, ...]] = {}


def portal_facets() -> tuple[str, ...]:
    """The facets CKAN's dataset page asks for: ``search.facets``, then those
    the ``IFacets`` plugins add (ckanext-territoire's facet table)."""
    base = tuple(tk.aslist(tk.config.get("search.facets")))
    plugins = tuple(p.PluginImplementations(p.IFacets))
    key = (base, tuple(id(plugin) for plugin in plugins))
    found = _PORTAL_FACETS.get(key)
    if found is None:
        facets: OrderedDict[str, Any] = OrderedDict((name, name) for name in base)
        for plugin in plugins:
            try:
                facets = plugin.dataset_facets(facets, "dataset")
            except Exception:  # noqa: BLE001 - a facet title is not worth a failed write
                log.warning(
                    "Facet summary: %r.dataset_facets failed", plugin, exc_info=True
                )
        found = _PORTAL_FACETS[key] = tuple(facets)
    return found


def fields_signature(names: Iterable[str]) -> str:
    return " ".join(names)


def _split(names: tuple[str, ...]) -> tuple[list[str], list[str], list[str]]:
    """The summarised fields stored in scalar columns, in array columns, and
    as ``field:value`` terms."""
    scalars, arrays, dynamic = [], [], []
    for name in names:
        kind = fields.kind(name)
        if kind == "scalar" and name in fields.SCALAR_COLUMNS:
            scalars.append(name)
        elif kind == "array":
            arrays.append(name)
        elif _safe(name):
            dynamic.append(name)
    return scalars, arrays, dynamic


def _values_sql(names: tuple[str, ...]) -> str:
    scalars, arrays, dynamic = _split(names)
    parts = ["SELECT ''::text AS field, ''::text AS value"]
    parts += [f"SELECT '{n}', d.{n} WHERE d.{n} IS NOT NULL" for n in scalars]
    parts += [f"SELECT '{n}', v FROM unnest(d.{n}) v" for n in arrays]
    if dynamic:
        names_sql = ", ".join(f"'{n}'" for n in dynamic)
        parts.append(
            "SELECT split_part(t, ':', 1), substr(t, strpos(t, ':') + 1) "
            f"FROM unnest(d.terms) t WHERE split_part(t, ':', 1) IN ({names_sql})"
        )
    return " UNION ALL ".join(parts)


def _safe(name: str) -> bool:
    return name.replace("_", "").replace("-", "").isalnum()


def _contributions_sql(names: tuple[str, ...], where: str) -> str:
    base = ", ".join(
        "coalesce(d.permission_labels, '{}')"
        if b == "permission_labels"
        else f"coalesce(d.{b}, '')"
        for b in BASE
    )
    return (
        f"SELECT {base}, x.field, x.value, count(*) FROM {DOCS} d "
        f"CROSS JOIN LATERAL ({_values_sql(names)}) x WHERE {where} "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
    )


def contributions(
    rows: Iterable[dict[str, Any]], names: tuple[str, ...]
) -> Counter[Key]:
    """What documents (table rows as dicts) add to the summary: the same
    counts as ``_contributions_sql``, computed here for the rows a write has
    in hand or has just read."""
    scalars, arrays, dynamic_names = _split(names)
    dynamic = set(dynamic_names)
    out: Counter[Key] = Counter()
    for row in rows:
        base = (
            *("" if row.get(b) is None else row[b] for b in BASE[:-1]),
            tuple(row.get("permission_labels") or ()),
        )
        out[(*base, "", "")] += 1
        for name in scalars:
            if row.get(name) is not None:
                out[(*base, name, row[name])] += 1
        for name in arrays:
            for item in row.get(name) or ():
                out[(*base, name, item)] += 1
        if dynamic:
            for term in row.get("terms") or ():
                field, sep, value = term.partition(":")
                if field in dynamic:
                    out[(*base, field, value if sep else term)] += 1
    return out


def _stored(cur: Any, names: tuple[str, ...], ids: list[str]) -> list[dict[str, Any]]:
    """The summarised columns of the stored documents ``ids``."""
    scalars, arrays, _dynamic = _split(names)
    columns = list(dict.fromkeys([*BASE, *scalars, *arrays, "terms"]))
    cur.execute(
        f"SELECT {', '.join('d.' + c for c in columns)} FROM {DOCS} d "
        "WHERE d.index_id = ANY(%(ids)s)",
        {"ids": ids},
    )
    return [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]


_UPSERT = f"INSERT INTO {FACETS} AS f VALUES ".encode()
_ON_CONFLICT = (
    b" ON CONFLICT (site_id, dataset_type, state, capacity, owner_org, "
    b"permission_labels, field, value) DO UPDATE SET n = f.n + EXCLUDED.n"
)


def _apply(cur: Any, delta: dict[Key, int], then: str = "") -> None:
    """Add ``delta`` to the counts (in key order: concurrent writers never
    deadlock), drop spent rows, then run ``then``: one round trip."""
    changes = sorted((k, n) for k, n in delta.items() if n)
    statements: list[bytes] = []
    if changes:
        values = b",".join(
            cur.mogrify(
                "(%s,%s,%s,%s,%s,%s::text[],%s,%s,%s)",
                (*k[:5], list(k[5]), k[6], k[7], n),
            )
            for k, n in changes
        )
        statements += [
            _UPSERT + values + _ON_CONFLICT,
            f"DELETE FROM {FACETS} WHERE n <= 0".encode(),
        ]
    if then:
        statements.append(then.encode())
    if statements:
        # no parameters: the text is sent as it is
        cur.execute(b"; ".join(statements))


def rebuild(cur: Any, names: tuple[str, ...]) -> None:
    """Recompute the whole summary from the documents (in the caller's transaction)."""
    cur.execute(f"DELETE FROM {FACETS}")
    if names:
        cur.execute(f"INSERT INTO {FACETS} {_contributions_sql(names, 'TRUE')}")
    cur.execute(
        f"UPDATE {META} SET facet_fields = %s",
        (fields_signature(names) if names else None,),
    )


class Writer:
    """Brackets one index write: ``before(ids)``, the write, then
    ``after(rows)`` with the rows written (none for a deletion)."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur
        self.names = configured_fields()
        self.old: Counter[Key] = Counter()
        self.active = False

    def before(self, ids: list[str]) -> None:
        cur = self.cur
        # one round trip; the row may predate the lock (the statement's
        # snapshot), which at worst rebuilds a summary just rebuilt by the
        # writer we waited for
        cur.execute(
            f"SELECT (SELECT facet_fields FROM {META}) FROM pg_advisory_xact_lock(%s)",
            (_LOCK_KEY,),
        )
        row = cur.fetchone()
        current = row[0] if row else None
        wanted = fields_signature(self.names) if self.names else None
        if current != wanted:
            rebuild(cur, self.names)
        self.active = bool(self.names)
        if self.active and ids:
            self.old = contributions(_stored(cur, self.names, ids), self.names)

    def after(self, rows: list[dict[str, Any]], then: str = "") -> None:
        """Apply the difference, then run the SQL ``then`` in the same round trip."""
        if not self.active:
            if then:
                self.cur.execute(then)
            return
        delta: dict[Key, int] = dict(contributions(rows, self.names))
        for key, n in self.old.items():
            delta[key] = delta.get(key, 0) - n
        _apply(self.cur, delta, then)


# --------------------------------------------------------------------------
# Reading


def base_only(nodes: Iterable[lucene.Node | None]) -> bool:
    """True if these query/filter nodes test base fields with exact terms only."""

    def ok(node: Any) -> bool:
        if node is None or isinstance(node, lucene.MatchAll):
            return True
        if isinstance(node, lucene.Term):
            return node.field in BASE and not node.wildcard
        if isinstance(node, lucene.Phrase):
            return node.field in BASE
        if isinstance(node, lucene.Bool):
            return all(ok(n) for n in (*node.must, *node.should, *node.must_not))
        return False

    return all(ok(n) for n in nodes)


def is_current(summarised: str | None) -> bool:
    """True if the summary holds what the configuration asks for."""
    names = configured_fields()
    return bool(names) and summarised == fields_signature(names)


def usable(facet_fields: list[str]) -> tuple[str, ...]:
    """The requested facet fields the summary holds."""
    names = configured_fields()
    return tuple(f for f in dict.fromkeys(facet_fields) if f in names)


def read(
    cur: Any, where: str, params: dict[str, Any], names: tuple[str, ...]
) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """(document count, {field: [(value, count)…]}) for a base-only filter."""
    cur.execute(
        f"SELECT field, value, sum(n) FROM {FACETS} d WHERE ({where}) "
        "AND d.field = ANY(%(__summary_fields)s) GROUP BY field, value",
        dict(params, __summary_fields=["", *names]),
    )
    total = 0
    out: dict[str, list[tuple[str, int]]] = {n: [] for n in names}
    for field, value, n in cur.fetchall():
        if field == "":
            total = int(n)
        elif n > 0:
            out[field].append((value, int(n)))
    return total, out
