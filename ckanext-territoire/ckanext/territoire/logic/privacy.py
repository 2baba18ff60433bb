"""What stock CKAN leaves public about private datasets, closed.

A private (or withdrawn, deleted, purged) dataset is hidden from search,
pages, feeds and the DCAT catalogue; these other surfaces still told about
it (audit, issue 16, finding 9):

- **tags** used only by datasets the caller may not read: ``tag_list``,
  ``tag_search``, ``tag_autocomplete`` (and ``/api/2/util/tag/autocomplete``)
  read the tag table directly. Free tags are kept when at least one dataset
  the caller can see carries them — the search index says which, with the
  caller's permission labels, on PostgreSQL or Solr alike. Vocabulary tags
  are a controlled list, not data: unchanged. Sysadmins see every tag.
- **an organisation's or group's members** (``member_list``): private
  datasets' ids, and the users with their roles. Datasets are listed when
  the caller may read them; users only to those who may read the
  organisation or group (its members), as ``ckan.auth.public_user_details =
  false`` intends for user details.
- **activity** of a dataset that later became private, deleted or purged
  (``recently_changed_packages_activity_list``, ``user_activity_list``,
  dashboards…): ckanext-activity labels each activity with the dataset's
  permission labels *when it happened*. Every change of a dataset's
  visibility (an update or patch, a bulk change, which CKAN makes through
  ``package_patch``, a deletion, a withdrawal or return by a harvest) now
  gives its past activities the dataset's current labels, in the same
  transaction; a purge too (purged: sysadmins only).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

import ckan.authz as authz
import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import get_permission_labels
from ckan.types import Context, DataDict

#: the labels of a purged dataset's activities: no user has them
PURGED = ["territoire-purged-dataset"]


def _is_sysadmin(context: Context) -> bool:
    user = context.get("auth_user_obj") or context.get("user")
    if isinstance(user, model.User):
        return bool(user.sysadmin)
    return bool(user) and authz.is_sysadmin(str(user))


# --------------------------------------------------------------------------
# Tags


def visible_tags(context: Context) -> set[str]:
    """The free tags of the datasets the caller can see."""
    result = tk.get_action("package_search")(
        {"user": context.get("user"), "auth_user_obj": context.get("auth_user_obj")},
        {
            "q": "*:*",
            "rows": 0,
            "include_private": True,
            "facet.field": ["tags"],
            "facet.limit": -1,
        },
    )
    return set(result["facets"].get("tags", {}))


def _free_tags(data_dict: DataDict) -> bool:
    return not data_dict.get("vocabulary_id")


def _name(item: Any) -> str:
    return item["name"] if isinstance(item, dict) else item


@tk.chained_action
@tk.side_effect_free
def tag_list(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    tags = up_func(context, data_dict)
    if _is_sysadmin(context) or not _free_tags(data_dict):
        return tags
    seen = visible_tags(context)
    return [tag for tag in tags if _name(tag) in seen]


def _paged(data_dict: DataDict) -> tuple[DataDict, int, int | None]:
    """The request without its paging, and the paging (applied after filtering)."""
    unpaged = dict(data_dict)
    offset = unpaged.pop("offset", 0)
    limit = unpaged.pop("limit", None)
    try:
        start = max(int(offset or 0), 0)
        size = None if limit in (None, "") else max(int(limit), 0)
    except (TypeError, ValueError):
        raise tk.ValidationError(
            {"limit": [tk._("limit et offset doivent être des entiers positifs.")]}
        )
    return unpaged, start, size


@tk.chained_action
@tk.side_effect_free
def tag_search(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    if _is_sysadmin(context) or not _free_tags(data_dict):
        return up_func(context, data_dict)
    unpaged, start, size = _paged(data_dict)
    found = up_func(context, unpaged)
    seen = visible_tags(context)
    # by name: CKAN's own order is the database's, which pages cannot rely on
    kept = sorted(
        (tag for tag in found["results"] if tag["name"] in seen),
        key=lambda tag: tag["name"],
    )
    end = None if size is None else start + size
    return {"count": len(kept), "results": kept[start:end]}


@tk.chained_action
@tk.side_effect_free
def tag_autocomplete(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    if _is_sysadmin(context) or not _free_tags(data_dict):
        return up_func(context, data_dict)
    unpaged, start, size = _paged(data_dict)
    seen = visible_tags(context)
    kept = sorted(name for name in up_func(context, unpaged) if name in seen)
    end = None if size is None else start + size
    return kept[start:end]


# --------------------------------------------------------------------------
# Members


def _readable_orgs(context: Context, org_ids: set[str]) -> set[str]:
    user = context.get("user")
    if not user:
        return set()
    return {
        org_id
        for org_id in org_ids
        if authz.has_user_permission_for_group_or_org(org_id, user, "read")
    }


@tk.chained_action
@tk.side_effect_free
def member_list(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    members = up_func(context, data_dict)
    if _is_sysadmin(context):
        return members
    group = model.Group.get(data_dict.get("id"))
    package_ids = [m[0] for m in members if m[1] == "package"]
    packages = {}
    if package_ids:
        rows = model.Session.execute(
            sa.select(
                model.package_table.c["id"],
                model.package_table.c["private"],
                model.package_table.c["state"],
                model.package_table.c["owner_org"],
            ).where(model.package_table.c["id"].in_(package_ids))
        )
        packages = {row.id: row for row in rows}
    orgs = {row.owner_org for row in packages.values() if row.owner_org}
    readable = _readable_orgs(context, orgs | ({group.id} if group else set()))

    def shown(member: tuple[str, str, str]) -> bool:
        object_id, object_type, _capacity = member
        if object_type == "package":
            row = packages.get(object_id)
            if row is None or row.state != "active":
                return False
            return not row.private or row.owner_org in readable
        if object_type == "user":
            return group is not None and group.id in readable
        return True

    return [m for m in members if shown(m)]


# --------------------------------------------------------------------------
# Activity

_RELABEL = sa.text(
    "UPDATE activity SET permission_labels = :labels "
    "WHERE object_id = :id AND activity_type LIKE '%package' "
    "AND permission_labels IS DISTINCT FROM CAST(:labels AS text[])"
)


def relabel_activities(package_id: str, labels: list[str] | None = None) -> None:
    """Give a dataset's past activities its current permission labels.

    Runs in the caller's transaction (the dataset's own write), so both
    commit or roll back together. A no-op (one indexed look-up) when the
    labels have not changed, which is most writes.
    """
    if not p.plugin_loaded("activity"):
        return
    if labels is None:
        pkg = model.Package.get(package_id)
        if pkg is None:
            return
        labels = get_permission_labels().get_dataset_labels(pkg)
    # no flush: the caller's writes are flushed already, or are its business
    with model.Session.no_autoflush:
        model.Session.execute(_RELABEL, {"id": package_id, "labels": list(labels)})


@tk.chained_action
def package_delete(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    # CKAN calls after_dataset_delete before the dataset's state changes:
    # the deleted dataset's labels are known once the action is done
    result = up_func(context, data_dict)
    pkg = model.Package.get(data_dict.get("id") or "")
    if pkg is not None:
        relabel_activities(pkg.id)
        model.Session.commit()
    return result


@tk.chained_action
def dataset_purge(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    pkg = model.Package.get(data_dict.get("id") or "")
    package_id = pkg.id if pkg is not None else None
    result = up_func(context, data_dict)
    if package_id is not None:
        relabel_activities(package_id, PURGED)
        model.Session.commit()
    return result


def get_actions() -> dict[str, Any]:
    return {
        "tag_list": tag_list,
        "tag_search": tag_search,
        "tag_autocomplete": tag_autocomplete,
        "member_list": member_list,
        "package_delete": package_delete,
        "dataset_purge": dataset_purge,
    }
