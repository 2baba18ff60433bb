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
  (``tests/search/test_rebuild.py`` compares it with ``package_dictize``);
* batches are spread over worker processes (``ckanext.territoire.search.
  rebuild_workers``, default: one per CPU plus one), each with its own connections,
  each writing its batch to the index in one transaction.

Only the whole-index form goes this way; ``rebuild(package_id=…)`` and
``rebuild(package_ids=…)`` run CKAN's code. With the plugin off, CKAN's own
``rebuild`` runs.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import false, select

import ckan.lib.dictization as d
import ckan.lib.plugins as lib_plugins
import ckan.logic as logic
import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.dictization import model_dictize
from ckan.logic.schema import default_show_package_schema

from . import backend

log = logging.getLogger(__name__)

_original_rebuild: Any = None  # set by patch.install()

# a label no CKAN table uses, to group batch rows by dataset
_KEY = "_territoire_pkg"
_MIN_PARALLEL = 400  # below this, forking costs more than it saves


def _group(rows: Iterable[Any], key: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        out[getattr(row, key)].append(row)
    return out


def _drop_key(dicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for item in dicts:
        item.pop(_KEY, None)
    return dicts


def bulk_package_dictize(
    pkgs: list[model.Package], context: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """``package_dictize`` for many datasets at once: same dicts, 7 queries.

    Mirrors ``ckan.lib.dictization.model_dictize.package_dictize`` step by
    step (CKAN 2.12); each per-dataset ``SELECT … WHERE package_id = :id``
    becomes one ``… WHERE package_id IN (…)`` and the rows are handed to the
    same dictize functions, in the order the database returns them.
    """
    session = model.Session
    ids = [pkg.id for pkg in pkgs]
    res = model.resource_table
    resources = _group(
        session.execute(select(res).where(res.c["package_id"].in_(ids))), "package_id"
    )
    tag, pkg_tag = model.tag_table, model.package_tag_table
    tags = _group(
        session.execute(
            select(tag, pkg_tag.c["state"], pkg_tag.c["package_id"].label(_KEY))
            .join(pkg_tag, tag.c["id"] == pkg_tag.c["tag_id"])
            .where(pkg_tag.c["package_id"].in_(ids))
        ),
        _KEY,
    )
    member, group = model.member_table, model.group_table
    groups = _group(
        session.execute(
            select(group, member.c["capacity"], member.c["table_id"].label(_KEY))
            .join(member, group.c["id"] == member.c["group_id"])
            .where(
                member.c["table_id"].in_(ids),
                member.c["state"] == "active",
                group.c["is_organization"] == false(),
            )
        ),
        _KEY,
    )
    org_ids = {pkg.owner_org for pkg in pkgs if pkg.owner_org}
    orgs = (
        _group(
            session.execute(
                select(group).where(
                    group.c["id"].in_(org_ids), group.c["state"] == "active"
                )
            ),
            "id",
        )
        if org_ids
        else {}
    )
    rel = model.package_relationship_table
    as_subject = _group(
        session.execute(select(rel).where(rel.c["subject_package_id"].in_(ids))),
        "subject_package_id",
    )
    as_object = _group(
        session.execute(select(rel).where(rel.c["object_package_id"].in_(ids))),
        "object_package_id",
    )

    out = {}
    for pkg in pkgs:
        result_dict = d.table_dictize(pkg, context)
        if result_dict.get("title"):
            result_dict["title"] = result_dict["title"].strip()
        result_dict.pop("plugin_data", None)
        result_dict["resources"] = model_dictize.resource_list_dictize(
            resources.get(pkg.id, []), context
        )
        result_dict["num_resources"] = len(result_dict.get("resources", []))
        result_dict["tags"] = _drop_key(
            d.obj_list_dictize(tags.get(pkg.id, []), context, lambda x: x["name"])
        )
        result_dict["num_tags"] = len(result_dict.get("tags", []))
        for tag_dict in result_dict["tags"]:
            tag_dict["display_name"] = tag_dict["name"]
        result_dict["extras"] = [
            {"key": k, "value": v} for k, v in (result_dict["extras"] or {}).items()
        ]
        context["with_capacity"] = False
        result_dict["groups"] = _drop_key(
            model_dictize.group_list_dictize(
                groups.get(pkg.id, []), context, with_package_counts=False
            )
        )
        organizations = d.obj_list_dictize(orgs.get(pkg.owner_org, []), context)
        if organizations:
            result_dict["organization"] = organizations[0]
            del result_dict["organization"]["extras"]
        else:
            result_dict["organization"] = None
        result_dict["relationships_as_subject"] = d.obj_list_dictize(
            as_subject.get(pkg.id, []), context
        )
        result_dict["relationships_as_object"] = d.obj_list_dictize(
            as_object.get(pkg.id, []), context
        )
        result_dict["isopen"] = pkg.isopen()
        result_dict["type"] = pkg.type or "dataset"
        if pkg.license and pkg.license.url:
            result_dict["license_url"] = pkg.license.url
            result_dict["license_title"] = pkg.license.title.split("::")[-1]
        elif pkg.license:
            result_dict["license_title"] = pkg.license.title
        else:
            result_dict["license_title"] = pkg.license_id
        result_dict["metadata_modified"] = pkg.metadata_modified.isoformat()
        result_dict["metadata_created"] = (
            pkg.metadata_created.isoformat() if pkg.metadata_created else None
        )
        out[pkg.id] = result_dict
    return out


def _show_both(
    context: dict[str, Any], pkg: model.Package, dictized: dict[str, Any]
) -> dict[str, Any]:
    """The rest of ``package_show_default_and_custom_schemas`` for one dataset."""
    context = dict(context, package=pkg)
    for item in p.PluginImplementations(p.IPackageController):
        item.read(pkg)
    for item in p.PluginImplementations(p.IResourceController):
        for resource_dict in dictized["resources"]:
            item.before_resource_show(resource_dict)
    default_schema = default_show_package_schema()
    with_default, _errors = lib_plugins.plugin_validate(
        object(), context, dictized, default_schema, "package_show"
    )
    package_plugin = lib_plugins.lookup_package_plugin(dictized["type"])
    custom_schema = package_plugin.show_package_schema()
    if custom_schema == default_schema:
        with_custom = with_default
    else:
        with_custom, _errors = lib_plugins.plugin_validate(
            package_plugin, context, dictized, custom_schema, "package_show"
        )
    logic.apply_after_dataset_show_plugins(context, with_custom)  # type: ignore[arg-type]
    return dict(with_default, with_custom_schema=with_custom)


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
                index.update_dict(_show_both(context, pkg, dictized[pkg_id]), True)
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
    configured = int(tk.config.get("ckanext.territoire.search.rebuild_workers") or 0)
    # one more than the CPUs: each worker also waits on the database (measured
    # on 2 cores, 10k datasets: 1 worker 191/s, 2: 351/s, 3: 371/s)
    return configured if configured > 0 else (os.cpu_count() or 1) + 1


def batch_size() -> int:
    return int(tk.config.get("ckanext.territoire.search.rebuild_batch_size") or 200)


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
    package_id: str | None = None,
    only_missing: bool = False,
    force: bool = False,
    defer_commit: bool = False,
    package_ids: Collection[str] | None = None,
    quiet: bool = False,
    clear: bool = False,
) -> None:
    """Drop-in for ``ckan.lib.search.rebuild`` (same arguments, same effect)."""
    from . import patch

    if not patch.active() or package_id or package_ids is not None:
        return _original_rebuild(
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
        conn.exec_driver_sql("ANALYZE territoire_search_doc")
        conn.exec_driver_sql("ANALYZE territoire_search_facets")
    log.info("Finished rebuilding search index.")
