"""Full index rebuild in batches and in parallel (``ckan search-index rebuild``).

CKAN's ``rebuild()`` indexes one dataset at a time: about ten SQL round trips
to dictize it (``package_show``), then the two schema validations, the
``after_dataset_show`` and ``before_dataset_index`` hooks, then the write. The
round trips dominate on a small machine. This module keeps every step that
shapes the indexed document — CKAN's schemas, every plugin hook, CKAN's own
``index_package`` — and changes only how the rows are read and how the work is
spread:

* the rows ``package_dictize`` reads (packages, resources, tags, groups,
  organisation, relationships) are fetched for a whole batch in seven queries,
  then dictized by CKAN's own functions, row by row, into the same dict
  (``compat/dictize.py``, the copy of CKAN's code; ``tests/search/
  test_rebuild.py`` compares it with ``package_dictize``);
* batches are spread over worker processes (``ckanext.territoire.search.
  rebuild_workers``, default: one per CPU plus one), each with its own connections,
  each writing its batch to the index in one transaction.

Only the whole-index form goes this way; ``rebuild(package_id=…)`` and
``rebuild(package_ids=…)`` run CKAN's code. ``compat.search`` routes
``ckan.lib.search.rebuild`` here while ``territoire_pgsearch`` is loaded.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Collection
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.territoire import settings
from ckanext.territoire.compat.dictize import (
    bulk_package_dictize,
    show_default_and_custom,
)

from . import backend, tables

log = logging.getLogger(__name__)

_MIN_PARALLEL = 400  # below this, forking costs more than it saves


def index_batch(
    ids: list[str], force: bool, child: bool = False
) -> tuple[int, list[tuple[str, str]]]:
    """Index the datasets ``ids``; returns (indexed, [(id, error)…]).

    The batch is written to the index in one transaction when it is done.
    """
    from ckan.lib import search

    context: dict[str, Any] = {
        "ignore_auth": True,
        "use_cache": False,
        "validate": False,
        "session": model.Session,
    }
    errors: list[tuple[str, str]] = []
    done = 0
    try:
        pkgs = (
            model.Session.query(model.Package).filter(model.Package.id.in_(ids)).all()
        )
        by_id = {pkg.id: pkg for pkg in pkgs}
        dictized = bulk_package_dictize(pkgs, context)
        index = search.index_for("Package")
        for pkg_id in ids:
            pkg = by_id.get(pkg_id)
            if pkg is None:  # deleted since the id list was read
                continue
            try:
                index.update_dict(
                    show_default_and_custom(context, pkg, dictized[pkg_id]), True
                )
                done += 1
            except Exception as e:
                log.error("Error while indexing dataset %s: %r", pkg_id, e)
                if not force:
                    raise
                errors.append((pkg_id, repr(e)))
        backend.PENDING.flush()
    finally:
        if child:
            backend.PENDING.discard()
            model.Session.remove()
    return done, errors


def _child_init() -> None:
    # Forked from the parent: its pooled connections belong to the parent.
    # Forget them without closing them, and open our own.
    model.Session.registry.clear()
    if model.meta.engine is not None:
        model.meta.engine.dispose(close=False)
    backend.ENGINE.forget_after_fork()
    backend.PENDING.discard()


def _child_run(args: tuple[list[str], bool]) -> tuple[int, list[tuple[str, str]]]:
    return index_batch(*args, child=True)


def workers() -> int:
    configured = settings.get_int("ckanext.territoire.search.rebuild_workers")
    # one more than the CPUs: each worker also waits on the database (measured
    # on 2 cores, 10k datasets: 1 worker 191/s, 2: 351/s, 3: 371/s)
    return configured if configured > 0 else (os.cpu_count() or 1) + 1


def batch_size() -> int:
    return settings.get_int("ckanext.territoire.search.rebuild_batch_size")


def index_ids(ids: list[str], force: bool = False, quiet: bool = True) -> int:
    """Index ``ids`` in batches, over worker processes when worth it."""
    size = batch_size()
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    n_workers = min(workers(), len(batches))
    total, done = len(ids), 0

    def progress() -> None:
        if not quiet:
            sys.stdout.write(f"\rIndexing dataset {done}/{total}")
            sys.stdout.flush()

    if n_workers <= 1 or total < _MIN_PARALLEL:
        for batch in batches:
            count, _errors = index_batch(batch, force)
            done += len(batch)
            progress()
        return done
    # the parent holds no transaction or connection while children run
    model.Session.remove()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(n_workers, initializer=_child_init) as pool:
        for count, _errors in pool.imap_unordered(
            _child_run, [(batch, force) for batch in batches]
        ):
            done += count + len(_errors)
            progress()
    return done


def rebuild(
    original: Callable[..., None],
    package_id: str | None = None,
    only_missing: bool = False,
    force: bool = False,
    defer_commit: bool = False,
    package_ids: Collection[str] | None = None,
    quiet: bool = False,
    clear: bool = False,
) -> None:
    """``ckan.lib.search.rebuild`` (same arguments, same effect); ``original``
    is CKAN's, which indexes one dataset or a list of them."""
    if package_id or package_ids is not None:
        return original(
            package_id=package_id,
            only_missing=only_missing,
            force=force,
            defer_commit=defer_commit,
            package_ids=package_ids,
            quiet=quiet,
            clear=clear,
        )
    from ckan.lib import search

    log.info("Rebuilding search index...")
    packages = model.Session.query(model.Package.id)
    if tk.config.get("ckan.search.remove_deleted_packages"):
        packages = packages.filter(model.Package.state != "deleted")
    ids = [r[0] for r in packages.all()]
    if only_missing:
        log.info("Indexing only missing packages...")
        indexed = set(
            search.query_for(model.Package).get_all_entity_ids(max_results=len(ids))
        )
        ids = [i for i in ids if i not in indexed]
        if not ids:
            log.info("All datasets are already indexed")
            return
    else:
        log.info("Rebuilding the whole index...")
        if clear:
            search.index_for(model.Package).clear()
    index_ids(ids, force=force, quiet=quiet)
    model.Session.commit()
    # the planner needs fresh statistics after rewriting the whole index
    with backend.ENGINE.get().connect() as conn:
        conn.exec_driver_sql(f"ANALYZE {tables.DOCS}")
        conn.exec_driver_sql(f"ANALYZE {tables.FACETS}")
    log.info("Finished rebuilding search index.")
