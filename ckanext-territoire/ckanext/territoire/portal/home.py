"""The home page's figures: themes with their counts, producers, coverage.

What an anonymous visitor may see (public datasets only, whoever asks: the
page is the same for all), computed once a minute per process
(``ckanext.territoire.home.cache_seconds``): the home page is the most
visited page and its figures move slowly.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import ckan.plugins.toolkit as tk

from .. import settings
from ..languages import language_text
from ..logic import territorial_search
from ..territories import lookup
from ..vocabularies import codelists
from . import popularity

#: Font Awesome 6 icons (shipped with CKAN) of the EU data themes
THEME_ICONS = {
    "AGRI": "fa-wheat-awn",
    "ECON": "fa-chart-line",
    "EDUC": "fa-graduation-cap",
    "ENER": "fa-bolt",
    "ENVI": "fa-leaf",
    "GOVE": "fa-landmark",
    "HEAL": "fa-heart-pulse",
    "INTR": "fa-globe",
    "JUST": "fa-scale-balanced",
    "REGI": "fa-map-location-dot",
    "SOCI": "fa-people-group",
    "TECH": "fa-microchip",
    "TRAN": "fa-bus",
    "OP_DATPRO": "fa-hourglass-half",
}

_lock = threading.Lock()
_cache: dict[str, Any] = {}


def reset() -> None:
    with _lock:
        _cache.clear()


def figures() -> dict[str, Any]:
    """Counts and lists of the home page (labels in the page's language)."""
    ttl = settings.get_int("ckanext.territoire.home.cache_seconds")
    lang = tk.h.lang() or "fr"
    now = time.monotonic()
    with _lock:
        hit = _cache.get(lang)
        if hit and now - hit[0] < ttl:
            return hit[1]
    value = _compute(lang)
    with _lock:
        _cache[lang] = (now, value)
    return value


def _anonymous() -> dict[str, Any]:
    # the public view, whoever is logged in
    return {"user": "", "ignore_auth": False}


def _compute(lang: str) -> dict[str, Any]:
    search = tk.get_action("package_search")(
        _anonymous(),
        {
            "q": "*:*",
            "rows": 0,
            "facet.field": ["vocab_themes", territorial_search.COVERAGE],
            "facet.limit": -1,
        },
    )
    facets = search.get("facets") or {}
    theme_counts = facets.get("vocab_themes") or {}
    themes: list[dict[str, Any]] = []
    for code in codelists.codes(codelists.THEMES):
        count = int(theme_counts.get(code) or 0)
        if not count:
            continue
        concept = codelists.theme(code)
        themes.append(
            {
                "code": code,
                "label": language_text(concept.labels) if concept else code,
                "count": count,
                "icon": THEME_ICONS.get(code, "fa-folder-open"),
            }
        )
    themes.sort(key=lambda t: (-t["count"], t["label"]))
    covered = set((facets.get(territorial_search.COVERAGE) or {}).keys())
    return {
        "datasets": int(search.get("count") or 0),
        "themes": themes,
        "producers": _producers(),
        "popular": popularity.most_viewed(5),
        "communes": communes_covered(covered),
    }


def _producers(limit: int = 8) -> dict[str, Any]:
    orgs = tk.get_action("organization_list")(
        _anonymous(),
        {"all_fields": True, "include_dataset_count": True, "limit": 1000},
    )
    publishing = [o for o in orgs if o.get("package_count")]
    publishing.sort(key=lambda o: (-o["package_count"], o.get("title") or o["name"]))
    return {"count": len(publishing), "top": publishing[:limit]}


def communes_covered(covered: set[str]) -> int:
    """Communes for which "concerne ma commune" finds at least one dataset.

    A commune is covered by a dataset of its own or of any territory that
    contains it (its EPCI, département, région, the country).
    """
    if not covered or not lookup.is_loaded():
        return 0
    return sum(
        1
        for code in lookup.communes()
        if code in covered or any(a in covered for a in lookup.ancestors(code))
    )
