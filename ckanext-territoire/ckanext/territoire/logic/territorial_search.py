"""Territorial search: the coverage roll-up in the index, and its two filters.

The index holds two fields for a dataset's coverage (``logic/facets.py``
fills them):

* ``vocab_territories``: the coverage codes as entered (``commune:67482``);
* ``vocab_territories_rollup``: those codes plus every territory containing
  them (EPCI, département, région, ``pays:fr``). Filtering it on a
  département finds datasets about the département *and* about its communes.

Search parameters (web page or API, ``ext_`` like every CKAN search extra),
turned into ``fq`` clauses by ``before_dataset_search``, so that they work
on PostgreSQL and on Solr alike:

* ``ext_territoire=<code>``: datasets covering that territory or any
  territory inside it (roll-up downwards);
* ``ext_concerne=<code>``: "concerne ma commune": datasets covering that
  territory or any territory containing it (roll-up upwards).
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.lib.search.common import SearchQueryError

from ..territories import codes, lookup

COVERAGE = "vocab_territories"
ROLLUP = "vocab_territories_rollup"


class TerritoryFilterError(tk.ValidationError, SearchQueryError):
    """A territorial search parameter that names no territory.

    A ``ValidationError`` for the action API (409, the parameter named) and a
    ``SearchQueryError`` for CKAN's search pages, which answer it with a 400
    page saying what is wrong (an organisation page shows its search error)
    rather than a server error.
    """

    def __init__(self, param: str, message: str) -> None:
        tk.ValidationError.__init__(self, {param: [message]})
        self.args = (message,)


def rollup(territories: list[str]) -> list[str]:
    """The codes and every territory containing them, each once, in order."""
    out: dict[str, None] = dict.fromkeys(territories)
    for code in territories:
        out.update(dict.fromkeys(lookup.ancestors(code)))
    return list(out)


def _quote(code: str) -> str:
    return '"' + code.replace('"', "") + '"'


def _codes(param: str, raw: str) -> list[str]:
    out = []
    for item in raw.split(","):
        if not item.strip():
            continue
        try:
            code = codes.normalize(item)
        except tk.Invalid as e:
            raise TerritoryFilterError(param, e.error)
        current = lookup.former(code)
        if lookup.get(code) is None and current is None:
            raise TerritoryFilterError(
                param,
                tk._("Territoire inconnu : « {value} ». {expected}").format(
                    value=item.strip(), expected=codes.expected_form()
                )
                + lookup.postal_hint(item),
            )
        out.append(current or code)
    return out


def search_filters(extras: dict[str, Any]) -> list[str]:
    """``fq`` clauses for the territorial search parameters in ``extras``."""
    clauses = []
    raw = extras.get("ext_territoire")
    if raw:
        found = _codes("ext_territoire", str(raw))
        if found:
            clauses.append(f"{ROLLUP}:(" + " OR ".join(_quote(c) for c in found) + ")")
    raw = extras.get("ext_concerne")
    if raw:
        wanted: dict[str, None] = {}
        for code in _codes("ext_concerne", str(raw)):
            wanted[code] = None
            wanted.update(dict.fromkeys(lookup.ancestors(code)))
        if wanted:
            clauses.append(
                f"{COVERAGE}:(" + " OR ".join(_quote(c) for c in wanted) + ")"
            )
    return clauses
