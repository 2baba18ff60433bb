"""Route CKAN's search calls to the PostgreSQL backend, without editing CKAN.

CKAN and the extensions reach Solr through ``make_connection()`` — bound by
``from … import`` in several modules, so every binding is replaced — and
through ``check_solr_schema_version()`` at start-up. Each replacement asks
whether the ``territoire_pgsearch`` plugin is loaded at call time: with the
plugin off, the original function runs and stock CKAN talks to Solr.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import ckan.lib.search as search
import ckan.lib.search.common as search_common
import ckan.plugins as p

from . import rebuild as _rebuild_mod
from .backend import ENGINE, PgSearchConnection

log = logging.getLogger(__name__)

PLUGIN_NAME = "territoire_pgsearch"

_original_make_connection = search_common.make_connection
_original_check_schema = search.check_solr_schema_version
_original_is_available = search_common.is_available
if _rebuild_mod._original_rebuild is None:
    _rebuild_mod._original_rebuild = search.rebuild

# Modules known to bind make_connection by name; others are found by a sweep.
_BINDERS = (
    "ckan.lib.search",
    "ckan.lib.search.common",
    "ckan.lib.search.index",
    "ckan.lib.search.query",
    "ckanext.harvest.logic.action.update",
    "ckanext.spatial.harvesters.base",
)


def active() -> bool:
    return p.plugin_loaded(PLUGIN_NAME)


def make_connection(decode_dates: bool = True) -> Any:
    if active():
        return PgSearchConnection(decode_dates=decode_dates)
    return _original_make_connection(decode_dates)


def is_available() -> bool:
    if not active():
        return _original_is_available()
    try:
        PgSearchConnection().ping()
    except Exception:  # noqa: BLE001 - reported, not raised, like the original
        log.exception("PostgreSQL search backend unavailable")
        return False
    return True


def check_solr_schema_version(schema_file: str | None = None) -> bool:
    if not active():
        return _original_check_schema(schema_file)
    try:
        with ENGINE.get().connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT to_regclass('territoire_search_doc') IS NOT NULL"
            ).scalar()
    except Exception as e:  # noqa: BLE001 - start-up must not die here
        log.warning("Search backend: database not reachable yet (%s)", e)
        return False
    if not found:
        log.warning(
            "Search backend: table territoire_search_doc is missing. Run "
            "`ckan db upgrade -p territoire_pgsearch` (or `ckan db "
            "pending-migrations --apply`). / La table de recherche n'existe pas "
            "encore : appliquez les migrations."
        )
        return False
    return True


def _rebind(module: Any) -> None:
    if getattr(module, "make_connection", None) is _original_make_connection:
        module.make_connection = make_connection
    if getattr(module, "is_available", None) is _original_is_available:
        module.is_available = is_available


def install() -> None:
    """Idempotently put the replacements in place."""
    for name in _BINDERS:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        except Exception:  # noqa: BLE001 - a broken optional extension
            log.warning("Search backend: could not import %s", name, exc_info=True)
            continue
        _rebind(module)
    for module in list(sys.modules.values()):
        if module is not None and module.__name__.startswith(("ckan", "ckanext")):
            _rebind(module)
    search.check_solr_schema_version = check_solr_schema_version
    search.rebuild = _rebuild_mod.rebuild


install()
