"""Parameters CKAN and ckanext-harvest read without checking, checked first.

Found by fuzzing the API from its OpenAPI description (tests/api/test_fuzz.py):
these actions, or their auth functions, read ``data_dict["x"]`` before any
validation (a missing key is a ``KeyError``, a 500), or hand a list or a
word to ``int()``, ``asbool()`` or SQL. The chained guards below refuse such
a call with a 409 naming the field, before upstream code runs; the OpenAPI
description marks the same parameters required and typed (one table for
both).
"""

from __future__ import annotations

from typing import Any

import ckan.authz as authz
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.types import Action, Context, DataDict

# action → parameters it cannot do without (upstream reads them unchecked)
REQUIRED: dict[str, tuple[str, ...]] = {
    "group_member_create": ("id", "username", "role"),
    "organization_member_create": ("id", "username", "role"),
    "group_member_delete": ("id", "username"),
    "organization_member_delete": ("id", "username"),
    "harvest_job_create": ("source_id",),
    "harvest_source_clear": ("id",),
    "harvest_source_delete": ("id",),
    # not harvest_source_index_clear / harvest_source_job_history_clear: the
    # chain broke their run for the organisations' admins
    # (tests/security/test_harvest_actions.py); waived in tests/api/test_fuzz.py
    "harvest_source_show_status": ("id",),
    "task_status_update_many": ("data",),
    "user_invite": ("email", "group_id", "role"),
    "datastore_run_triggers": ("resource_id",),
    "datastore_search_sql": ("sql",),
    "package_collaborator_delete": ("id", "user_id"),
    "package_resource_reorder": ("id", "order"),
    "resource_view_reorder": ("id", "order"),
    "resource_create_default_resource_views": ("resource",),
}

# the type of a required parameter, unless TYPES says otherwise
_REQUIRED_TYPES = {"order": "list", "data": "list", "resource": "dict"}

# required only of non-sysadmins (whose auth function reads them; sysadmins
# skip it and may list everything)
REQUIRED_UNLESS_SYSADMIN: dict[str, tuple[str, ...]] = {
    "harvest_job_list": ("source_id",),
}

# action → parameter → "int" | "natural" (≥ 0) | "bool" | "text" | "list" | "dict"
TYPES: dict[str, dict[str, str]] = {
    "group_autocomplete": {"limit": "natural"},
    "organization_autocomplete": {"limit": "natural"},
    "user_autocomplete": {"limit": "natural"},
    "format_autocomplete": {"limit": "natural"},
    "group_package_show": {"limit": "natural"},
    "harvest_job_list": {"source_id": "text", "status": "text"},
    # an id that is not text reached SQL (or an ``in`` test on a bool)
    **{
        name: {"id": "text"}
        for name in (
            "group_delete",
            "group_patch",
            "group_purge",
            "group_update",
            "organization_delete",
            "organization_patch",
            "organization_purge",
            "organization_update",
            "dataset_purge",
            "harvest_send_job_to_gather_queue",
            "resource_view_delete",
            "resource_view_update",
            "task_status_delete",
            "user_patch",
            "user_update",
            "vocabulary_delete",
            "vocabulary_update",
        )
    },
    "tag_autocomplete": {"limit": "int", "offset": "int"},
    "tag_search": {"limit": "int", "offset": "int"},
    "tag_show": {"id": "text", "include_datasets": "bool"},
    "recently_changed_packages_activity_list": {"limit": "int", "offset": "int"},
    "dashboard_activity_list": {"limit": "int", "offset": "int"},
    "package_activity_list": {"limit": "int", "offset": "int"},
    "organization_activity_list": {"limit": "int", "offset": "int"},
    "group_activity_list": {"limit": "int", "offset": "int"},
    "user_activity_list": {"limit": "int", "offset": "int"},
}

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "int": {"type": "integer"},
    "natural": {"type": "integer", "minimum": 0},
    "list": {"type": "array"},
    "dict": {"type": "object"},
    "bool": {"type": "boolean"},
    "text": {"type": "string"},
}


def json_schema(kind: str) -> dict[str, Any]:
    return dict(_JSON_TYPES[kind])


def _missing(context: Context, name: str, data_dict: DataDict) -> list[str]:
    keys = REQUIRED.get(name, ())
    # an internal call (ignore_auth) skips the auth function that reads them
    if (
        name in REQUIRED_UNLESS_SYSADMIN
        and not context.get("ignore_auth")
        and not authz.is_sysadmin(context.get("user"))
    ):
        keys = keys + REQUIRED_UNLESS_SYSADMIN[name]
    return [key for key in keys if data_dict.get(key) in (None, "", [], {})]


def types(name: str) -> dict[str, str]:
    """The expected type of each checked parameter of ``name``."""
    found = {
        key: _REQUIRED_TYPES.get(key, "text")
        for key in REQUIRED.get(name, ()) + REQUIRED_UNLESS_SYSADMIN.get(name, ())
    }
    found.update(TYPES.get(name, {}))
    return found


def _wrong_type(kind: str, value: Any) -> bool:
    if value is None:
        return False
    if kind == "list":
        return not isinstance(value, list)
    if kind == "dict":
        return not isinstance(value, dict)
    if kind == "natural":
        return _wrong_type("int", value) or int(value) < 0
    if kind == "text":
        return not isinstance(value, str)
    if kind == "int":
        if isinstance(value, bool):
            return True
        if isinstance(value, int):
            return False
        return not (isinstance(value, str) and value.strip().lstrip("-").isdigit())
    if kind == "bool":
        if isinstance(value, bool):
            return False
        if not isinstance(value, str):
            return True
        return value.strip().lower() not in (
            "true",
            "false",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "t",
            "f",
            "1",
            "0",
            "",
        )
    return False


def _messages() -> dict[str, str]:
    return {
        "int": tk._("Un nombre entier est attendu."),
        "natural": tk._("Un nombre entier positif ou nul est attendu."),
        "list": tk._("Une liste est attendue."),
        "dict": tk._("Un objet JSON est attendu."),
        "bool": tk._("Une valeur true ou false est attendue."),
        "text": tk._("Un texte est attendu, pas une liste ni un objet."),
    }


def check(context: Context, name: str, data_dict: DataDict) -> None:
    errors: dict[str, list[str]] = {}
    for key in _missing(context, name, data_dict):
        errors[key] = [tk._("Paramètre obligatoire.")]
    for key, kind in types(name).items():
        if key in data_dict and key not in errors and _wrong_type(kind, data_dict[key]):
            errors[key] = [_messages()[kind]]
    if errors:
        raise tk.ValidationError(errors)


def _guard(name: str, read: bool) -> Any:
    def guard(up_func: Action, context: Context, data_dict: DataDict) -> Any:
        check(context, name, data_dict or {})
        return up_func(context, data_dict)

    guard.__name__ = name
    guard = tk.chained_action(guard)
    if read:
        guard = tk.side_effect_free(guard)
    return guard


def _plugin(name: str) -> str | None:
    """The plugin an action comes from (None: CKAN core)."""
    if name.startswith("harvest_"):
        return "harvest"
    if name.startswith("datastore_"):
        return "datastore"
    if name.endswith("activity_list"):
        return "activity"
    return None


def get_actions() -> dict[str, Any]:
    """A chained guard for each action of the tables whose plugin is loaded."""
    names = set(REQUIRED) | set(REQUIRED_UNLESS_SYSADMIN) | set(TYPES)
    out = {}
    for name in sorted(names):
        plugin = _plugin(name)
        if plugin and not p.plugin_loaded(plugin):
            continue
        out[name] = _guard(name, name in _READS)
    return out


# reads among the guarded actions (side-effect free upstream: the chained
# guard keeps the flag, or GET would be refused)
_READS = {
    "group_autocomplete",
    "organization_autocomplete",
    "user_autocomplete",
    "format_autocomplete",
    "tag_autocomplete",
    "tag_search",
    "tag_show",
    "recently_changed_packages_activity_list",
    "dashboard_activity_list",
    "package_activity_list",
    "organization_activity_list",
    "group_activity_list",
    "user_activity_list",
    "harvest_source_show_status",
    "harvest_job_list",
    "group_package_show",
    "datastore_search_sql",
}
