"""Answer a Solr ``select`` request from the PostgreSQL index.

Takes the parameters CKAN's ``PackageSearchQuery`` sends (``q``, ``fq``,
``defType``/``mm``/``qf``, ``sort``, ``rows``/``start``, ``fl``, ``facet.*``) and
returns a ``pysolr.Results`` shaped exactly like Solr's JSON answer.
"""

from __future__ import annotations

import re
from typing import Any

import pysolr

from ckan.lib.search.common import solr_datetime_decoder

from . import fields, lucene, summary
from .backend import CACHE, _analyse, search_cursor, text_config
from .compiler import Compiler, QueryError
from .tables import DOCS, META

# Solr's dismax boosts: name^4 title^4 tags^2 groups^2 text — as tsvector
# weights {D, C, B, A}.
RANK_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"
#: at most this many matches: a page is read in one query, not ids then rows
FEW_HITS = 20
SUPPORTED_DEFTYPES = {None, "", "lucene", "standard", "dismax", "edismax"}
REJECTED_PARAMS = {
    "bf": "boost function (bf)",
    "boost": "boost function (boost)",
    "bq": "boost query (bq)",
}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return [value] if isinstance(value, str) else []


def _int(params: dict[str, Any], key: str, default: int) -> int:
    try:
        return int(params.get(key, default))
    except (TypeError, ValueError):
        raise QueryError(f"'{key}' must be an integer")


def _sort_sql(sort: str, score_expr: str) -> str:
    parts = []
    for item in (s.strip() for s in sort.split(",")):
        if not item:
            continue
        words = item.split()
        if len(words) != 2 or words[1].lower() not in ("asc", "desc"):
            raise QueryError(
                f"Can't determine a Sort Order (asc or desc) in sort spec '{item}'"
            )
        field, direction = words[0], words[1].upper()
        kind = fields.kind(field)
        if field == "score":
            expr = score_expr
        elif kind == "scalar":
            expr = f'd.{field} COLLATE "C"'
        elif kind == "date":
            expr = f"d.{field}"
        elif field == "title":
            expr = 'd.title COLLATE "C"'
        elif kind == "array":
            raise pysolr.SolrError(f"can not sort on multivalued field: {field}")
        elif kind == "int":
            expr = f"(d.doc->>'{_safe_field(field)}')::numeric"
        elif kind == "dyndate":
            expr = f"(d.doc->>'{_safe_field(field)}')::timestamptz"
        else:
            expr = f"(d.doc->>'{_safe_field(field)}') COLLATE \"C\""
        parts.append(f"{expr} {direction} NULLS LAST")
    parts.append("d.index_id")
    return ", ".join(parts)


def _safe_field(field: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_\-.]+", field):
        raise QueryError(f"Can't determine a Sort Order: invalid field '{field}'")
    return field


def _select_list(fl: str) -> tuple[list[tuple[str, str]], bool]:
    """(alias, SQL) pairs for the requested fields; True if the full doc is asked."""
    names = [f for f in re.split(r"[,\s]+", fl or "") if f] or ["*"]
    cols: list[tuple[str, str]] = []
    full = "*" in names
    if full:
        cols.append(("__doc__", "d.doc"))
        cols.append(("data_dict", "d.data_dict"))
        cols.append(("validated_data_dict", "d.validated_data_dict"))
    for name in names:
        if name in ("*",) or (full and name != "score"):
            continue
        if name == "score":
            cols.append(("score", "__score__"))
        elif name in fields.STORED_ONLY:
            cols.append((name, f"d.{name}"))
        else:
            cols.append((name, f"d.doc->'{_safe_field(name)}'"))
    return cols, full


def _facet_sql(field: str, where: str, limit: int | None, mincount: int) -> str:
    kind = fields.kind(field)
    lim = "" if limit is None else f" LIMIT {int(limit)}"
    having = f" HAVING count(*) >= {max(1, int(mincount))}"
    if kind == "scalar":
        value = f"d.{field}"
        source = f"{DOCS} d"
        extra = f" AND d.{field} IS NOT NULL"
    elif kind == "array":
        value = "v"
        source = f"{DOCS} d CROSS JOIN LATERAL unnest(d.{field}) v"
        extra = ""
    else:
        prefix = _safe_field(field) + ":"
        value = f"substr(t, {len(prefix) + 1})"
        source = f"{DOCS} d CROSS JOIN LATERAL unnest(d.terms) t"
        extra = f" AND left(t, {len(prefix)}) = '{prefix}'"
    return (
        f"SELECT {value}, count(*) FROM {source} WHERE ({where}){extra} "
        f'GROUP BY {value}{having} ORDER BY count(*) DESC, {value} COLLATE "C"{lim}'
    )


def _facet_parts(field: str) -> tuple[str, str, str, str]:
    """(column read, value expression, FROM clause over ``m d``, extra filter)."""
    kind = fields.kind(field)
    if kind == "scalar":
        return field, f"d.{field}", "m d", f"d.{field} IS NOT NULL"
    if kind == "array":
        return field, "v", f"m d CROSS JOIN LATERAL unnest(d.{field}) v", "TRUE"
    prefix = _safe_field(field) + ":"
    return (
        "terms",
        f"substr(t, {len(prefix) + 1})",
        "m d CROSS JOIN LATERAL unnest(d.terms) t",
        f"left(t, {len(prefix)}) = '{prefix}'",
    )


def _count_and_facets(
    cur: Any,
    where: str,
    params: dict[str, Any],
    facet_fields: list[str],
    limit: int | None,
    mincount: int,
) -> tuple[int, dict[str, list[tuple[Any, int]]]]:
    """The hit count and the facets in one statement: the filter runs once.

    The matching rows (only the columns the facets read) are materialised,
    then counted and grouped per facet field.
    """
    names = list(dict.fromkeys(facet_fields))
    parts = [_facet_parts(f) for f in names]
    cols = ", ".join(sorted({"index_id", *(p[0] for p in parts)}))
    lim = "" if limit is None else f" LIMIT {int(limit)}"
    having = f" HAVING count(*) >= {max(1, int(mincount))}"
    selects = ["SELECT -1, NULL::text, count(*) FROM m"]
    for i, (_col, value, source, extra) in enumerate(parts):
        selects.append(
            f"(SELECT {i}, ({value})::text, count(*) FROM {source} WHERE {extra} "
            f'GROUP BY {value}{having} ORDER BY count(*) DESC, {value} COLLATE "C"{lim})'
        )
    cur.execute(
        f"WITH m AS MATERIALIZED (SELECT {cols} FROM {DOCS} d WHERE {where}) "
        + " UNION ALL ".join(selects),
        params,
    )
    hits = 0
    out: dict[str, list[tuple[Any, int]]] = {n: [] for n in names}
    for i, value, count in cur.fetchall():
        if i < 0:
            hits = int(count)
        else:
            out[names[i]].append((value, int(count)))
    return hits, out


def _cache_key(q: Any, params: dict[str, Any]) -> tuple:
    items = []
    for key in sorted(params):
        value = params[key]
        items.append((key, tuple(value) if isinstance(value, list) else value))
    return (q, tuple(items))


def run_search(conn: Any, q: str | None, params: dict[str, Any]) -> pysolr.Results:
    if q is None:
        q = params.get("q")
    q = (q or "").strip() or "*:*"
    for key, label in REJECTED_PARAMS.items():
        if params.get(key):
            raise lucene.UnsupportedSyntax(label, str(params[key]))
    def_type = params.get("defType")
    if def_type not in SUPPORTED_DEFTYPES:
        raise lucene.UnsupportedSyntax(f"query parser defType={def_type}", q)

    default_op = str(params.get("q.op") or "AND")
    default_field = str(params.get("df") or "text")
    fq_strings = _as_list(params.get("fq")) + _as_list(params.get("fq_list"))
    fq_nodes = [
        lucene.parse(f, default_field, default_op) for f in fq_strings if f.strip()
    ]
    dismax = None
    q_node: lucene.Node | None = None
    if def_type == "dismax" and ":" not in q:
        dismax = lucene.parse_dismax(q, str(params.get("mm") or "2<-1 5<80%"))
    else:
        q_node = lucene.parse(q, default_field, default_op)

    rows = _int(params, "rows", 10)
    start = _int(params, "start", 0)
    if rows < 0 or start < 0:
        raise QueryError("'rows' and 'start' must not be negative")
    facet_on = str(params.get("facet", "false")).lower() in ("true", "on", "1")
    facet_fields = _as_list(params.get("facet.field")) if facet_on else []
    facet_limit: int | None = _int(params, "facet.limit", 100)
    if facet_limit is not None and facet_limit < 0:
        facet_limit = None
    facet_mincount = _int(params, "facet.mincount", 0)
    select, _full = _select_list(str(params.get("fl") or "*"))
    sort = str(params.get("sort") or "score desc")

    base_only = dismax is None and summary.base_only([*fq_nodes, q_node])
    with search_cursor() as (cur, shared):
        cache_key = None
        summarised = None
        cached_answers = shared and CACHE.size() > 0
        # the index generation keys the answer cache; facet_fields says what
        # the summary holds: read only when one of them is of use
        if cached_answers or base_only:
            cur.execute(f"SELECT token, generation, facet_fields FROM {META}")
            token, generation, summarised = cur.fetchone() or (None, None, None)
        if cached_answers:
            cache_key = ((token, generation), _cache_key(q, params))
            cached = CACHE.get(cache_key)
            if cached is not None:
                return _results(conn, cached)

        compiler = Compiler(text_config(), lambda w: _analyse(w, cur))
        compiler.prepare(fq_nodes + ([q_node] if q_node else []), dismax)
        where_parts = [compiler.where(n) for n in fq_nodes]
        compiler.rank_queries = []
        if dismax is not None:
            where_parts.append(
                compiler.dismax(dismax, lambda n: lucene.required_should(dismax, n))
            )
        elif q_node is not None:
            where_parts.append(compiler.where(q_node))
        where = " AND ".join(where_parts) or "TRUE"
        params_sql = dict(compiler.params)
        rank = compiler.rank_tsquery()
        if rank:
            params_sql["__rank"] = rank
            score = f"ts_rank('{RANK_WEIGHTS}', d.tsv, %(__rank)s::tsquery, 1)"
        else:
            score = "1.0::real"

        # a filter on the base fields only: count and facets from the summary
        summed: dict[str, list[tuple[str, int]]] = {}
        if base_only and summary.is_current(summarised):
            hits, summed = summary.read(
                cur, where, params_sql, summary.usable(facet_fields)
            )
        else:
            hits, summed = _count_and_facets(
                cur, where, params_sql, facet_fields, facet_limit, facet_mincount
            )

        docs: list[dict[str, Any]] = []
        max_score = 1.0
        if rows > 0 and hits > start:
            cols = ", ".join(
                (score if sql == "__score__" else sql) + f' AS "{i}"'
                for i, (_alias, sql) in enumerate(select)
            )
            order = _sort_sql(sort, score)
            if hits <= FEW_HITS:
                # few matches (package_show's lookup by id or name): sorting
                # their whole rows costs less than a second round trip
                cur.execute(
                    f"SELECT {cols} FROM {DOCS} d WHERE {where} "
                    f"ORDER BY {order} LIMIT {rows} OFFSET {start}",
                    params_sql,
                )
            else:
                # the page's ids first (narrow rows: an index scan or a light
                # sort), then their stored fields, in that order
                cur.execute(
                    f"SELECT d.index_id FROM {DOCS} d WHERE {where} "
                    f"ORDER BY {order} LIMIT {rows} OFFSET {start}",
                    params_sql,
                )
                page = [r[0] for r in cur.fetchall()]
                cur.execute(
                    f"SELECT {cols} FROM unnest(%(__page)s::text[]) WITH ORDINALITY "
                    f"AS p(index_id, ord) JOIN {DOCS} d ON d.index_id = p.index_id "
                    "ORDER BY p.ord",
                    dict(params_sql, __page=page),
                )
            for record in cur.fetchall():
                doc: dict[str, Any] = {}
                for (alias, _sql), value in zip(select, record, strict=True):
                    if alias == "__doc__":
                        doc.update(value or {})
                    elif value is not None:
                        doc[alias] = value
                docs.append(doc)

        facet_fields_out: dict[str, list[Any]] = {}
        for field in dict.fromkeys(facet_fields):
            if field in summed:
                counted = sorted(
                    (vc for vc in summed[field] if vc[1] >= max(1, facet_mincount)),
                    key=lambda vc: (-vc[1], vc[0]),  # as live: count, then C order
                )
                if facet_limit is not None:
                    counted = counted[:facet_limit]
            else:
                cur.execute(
                    _facet_sql(field, where, facet_limit, facet_mincount),
                    params_sql,
                )
                counted = cur.fetchall()
            flat: list[Any] = []
            for value, count in counted:
                flat.extend((value, count))
            facet_fields_out[field] = flat

    response = {
        "responseHeader": {"status": 0, "params": {"q": q}},
        "response": {
            "numFound": hits,
            "start": start,
            "maxScore": max_score,
            "docs": docs,
        },
        "facet_counts": {
            "facet_queries": {},
            "facet_fields": facet_fields_out,
            "facet_ranges": {},
            "facet_intervals": {},
            "facet_heatmaps": {},
        },
    }
    if cache_key is not None:
        CACHE.put(cache_key, response)
    return _results(conn, response)


def _results(conn: Any, response: dict[str, Any]) -> pysolr.Results:
    docs = [dict(d) for d in response["response"]["docs"]]
    if conn.decode_dates:
        docs = [solr_datetime_decoder(d) for d in docs]
    decoded = dict(response)
    decoded["response"] = dict(response["response"], docs=docs)
    decoded["facet_counts"] = {k: dict(v) for k, v in response["facet_counts"].items()}
    decoded["facet_counts"]["facet_fields"] = {
        k: list(v) for k, v in response["facet_counts"]["facet_fields"].items()
    }
    return pysolr.Results(decoded)
