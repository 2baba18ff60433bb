"""CKAN's search calls routed to the PostgreSQL backend (``territoire_pgsearch``).

CKAN has no interface for a search backend: ``ckan.lib.search`` talks to Solr
through ``make_connection()`` (``ckan.lib.search.common``, bound by name in
``ckan.lib.search``, ``.index``, ``.query`` and in extensions such as
ckanext-harvest's ``logic.action.update``), checks it with ``is_available()``
and ``check_solr_schema_version()`` at start-up, and rebuilds the index one
dataset at a time in ``rebuild()``. Those four are replaced while the plugin
is loaded; with it off, CKAN's own functions run and talk to Solr.
"""

from __future__ import annotations

import logging
from typing import Any

from . import Patch, Swap

log = logging.getLogger(__name__)

PLUGIN = "territoire_pgsearch"


def make_connection(original: Any, decode_dates: bool = True) -> Any:
    """Replaces ``ckan.lib.search.common.make_connection`` (a ``pysolr.Solr``)."""
    from ckanext.territoire.search.backend import PgSearchConnection

    return PgSearchConnection(decode_dates=decode_dates)


def is_available(original: Any) -> bool:
    """Replaces ``ckan.lib.search.common.is_available``: pings PostgreSQL."""
    from ckanext.territoire.search.backend import PgSearchConnection

    try:
        PgSearchConnection().ping()
    except Exception:  # noqa: BLE001 - reported, not raised, like the original
        log.exception("PostgreSQL search backend unavailable")
        return False
    return True


def check_solr_schema_version(original: Any, schema_file: str | None = None) -> bool:
    """Replaces ``ckan.lib.search.check_solr_schema_version`` (start-up check):
    the index table exists, or the migration is named."""
    from ckanext.territoire.search import backend, tables

    try:
        with backend.ENGINE.get().connect() as conn:
            found = conn.exec_driver_sql(
                f"SELECT to_regclass('{tables.DOCS}') IS NOT NULL"
            ).scalar()
    except Exception as e:  # noqa: BLE001 - start-up must not die here
        log.warning("Search backend: database not reachable yet (%s)", e)
        return False
    if not found:
        log.warning(
            "Search backend: table %s is missing. Run `ckan db upgrade -p "
            "territoire_pgsearch` (or `ckan db pending-migrations --apply`). / "
            "La table de recherche n'existe pas encore : appliquez les migrations.",
            tables.DOCS,
        )
        return False
    return True


def rebuild(original: Any, *args: Any, **kwargs: Any) -> None:
    """Replaces ``ckan.lib.search.rebuild``: the whole-index form in batches and
    in parallel (``search/rebuild.py``); one dataset or a list of them, and
    everything with the plugin off, through CKAN's own function."""
    from ckanext.territoire.search import rebuild as batched

    return batched.rebuild(original, *args, **kwargs)


PATCHES = [
    Patch(
        name="search-backend",
        replaces=(
            "ckan.lib.search.common.make_connection, is_available (and their "
            "bindings by name), ckan.lib.search.check_solr_schema_version, "
            "ckan.lib.search.rebuild: CKAN has no search backend interface"
        ),
        owners=(PLUGIN,),
        upstream=("ckan",),
        changes=(
            Swap("ckan.lib.search.common", "make_connection", make_connection, True),
            Swap("ckan.lib.search.common", "is_available", is_available, True),
            Swap(
                "ckan.lib.search",
                "check_solr_schema_version",
                check_solr_schema_version,
            ),
            Swap("ckan.lib.search", "rebuild", rebuild),
        ),
    ),
]
