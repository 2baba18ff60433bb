"""A batched copy of CKAN's ``package_dictize``, for the index rebuild.

CKAN reads a dataset for the index with ``package_show``: ``package_dictize``
(``ckan.lib.dictization.model_dictize``, about ten queries per dataset),
then both schema validations and the show hooks. CKAN has no batched form
and no hook into it; ``search/rebuild.py`` indexes thousands of datasets,
so :func:`bulk_package_dictize` is ``package_dictize`` step by step (CKAN
2.12) with each per-dataset query turned into one for the whole batch, the
rows handed to CKAN's own dictize functions in the order the database
returns them; :func:`show_default_and_custom` is the rest of what CKAN's
index reads (``package_show`` with ``use_default_schema`` and the custom
schema). ``tests/search/test_rebuild.py`` compares the result with CKAN's
own for every kind of dataset the portal has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import false, select

import ckan.lib.dictization as d
import ckan.lib.plugins as lib_plugins
import ckan.logic as logic
import ckan.model as model
import ckan.plugins as p
from ckan.lib.dictization import model_dictize
from ckan.logic.schema import default_show_package_schema

from . import Patch

# a label no CKAN table uses, to group batch rows by dataset
_KEY = "_territoire_pkg"


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


def show_default_and_custom(
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


PATCHES = [
    Patch(
        name="bulk-package-dictize",
        replaces=(
            "copies ckan.lib.dictization.model_dictize.package_dictize and the "
            "default/custom schema steps of package_show, batched: CKAN has no "
            "batched dictize"
        ),
        owners=("territoire_pgsearch",),
        upstream=("ckan",),
    ),
]
