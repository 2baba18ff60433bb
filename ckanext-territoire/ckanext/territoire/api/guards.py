"""Parameters CKAN and ckanext-harvest read without checking, checked first.

Found by fuzzing the API from its OpenAPI description (tests/api/test_fuzz.py):
these actions, or their auth functions, read ``data_dict["x"]`` before any
validation (a missing key is a ``KeyError``, a 500), or hand a list or a
word to ``int()``, ``asbool()`` or SQL. The chained guards below refuse such
a call with a 409 naming the field, before upstream code runs; the OpenAPI
description marks the same parameters required and typed (one table for
both). Beyond types:

- ``FOUND``: objects upstream asserts exist (``assert group``) are looked up
  first, a 404 when missing; ``SIGNED_IN``: auth functions that assert a
  user refuse anonymous callers first (403);
- ``NOT_ACTIONS``: what ckanext-harvest's module exports that is not an
  action (a decorator, an auth function), registered as actions all the
  same: a 404 "unknown action" (``not_an_action``), and left out of the
  OpenAPI description;
- NUL characters, which PostgreSQL refuses in any text, are refused for the
  whole action API when the request is read (``nul_in_request``): a 409
  naming the parameters, like a validation error.

Each guard keeps upstream's ``auth_audit_exempt`` flag (see ``_guard``).
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any

import ckan.authz as authz
import ckan.model as model
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
    # their guards are exempt from the auth audit like upstream (see _guard)
    "harvest_source_index_clear": ("id",),
    "harvest_source_job_history_clear": ("id",),
    "harvest_source_show_status": ("id",),
    "task_status_update_many": ("data",),
    "user_invite": ("email", "group_id", "role"),
    "datastore_run_triggers": ("resource_id",),
    "datastore_search_sql": ("sql",),
    "package_collaborator_delete": ("id", "user_id"),
    "package_collaborator_create": ("id", "user_id", "capacity"),
    "package_collaborator_list": ("id",),
    "package_resource_reorder": ("id", "order"),
    "resource_view_reorder": ("id", "order"),
    "resource_create_default_resource_views": ("resource",),
    "package_create_default_resource_views": ("package",),
    # q read as data_dict["q"], then concatenated with text
    "group_autocomplete": ("q",),
    "organization_autocomplete": ("q",),
    "format_autocomplete": ("q",),
}

# the type of a required parameter, unless TYPES says otherwise
_REQUIRED_TYPES = {
    "order": "list[text]",
    "data": "list[dict]",
    "resource": "object(id,package_id)",
    "package": "object(id)",
}

# required only of non-sysadmins (whose auth function reads them; sysadmins
# skip it and may list everything)
REQUIRED_UNLESS_SYSADMIN: dict[str, tuple[str, ...]] = {
    "harvest_job_list": ("source_id",),
}

_GROUP_LIST_FLAGS = (
    "all_fields",
    "include_dataset_count",
    "include_extras",
    "include_tags",
    "include_groups",
    "include_users",
    "include_member_count",
)
_GROUP_SHOW_FLAGS = (
    "include_datasets",
    "include_dataset_count",
    "include_extras",
    "include_users",
    "include_groups",
    "include_tags",
    "include_followers",
    "include_member_count",
)
# before/after: a date as seconds since 1970, made a datetime unchecked
_ACTIVITY = {
    "limit": "int",
    "offset": "int",
    "before": "timestamp",
    "after": "timestamp",
}
_TAGS = {
    "limit": "natural",
    "offset": "natural",
    "query": "texts",
    "q": "texts",
    "fields": "dict",
    "vocabulary_id": "text",
}

# action → parameter → "int" | "natural" (≥ 0) | "bool" | "text" | "texts"
# (a text or a list of texts) | "timestamp" | "list" | "list[text]" |
# "list[dict]" | "dict" | "object(key,…)" (an object with those text keys)
TYPES: dict[str, dict[str, str]] = {
    "group_autocomplete": {"q": "text", "limit": "natural"},
    "organization_autocomplete": {"q": "text", "limit": "natural"},
    "user_autocomplete": {"limit": "natural"},
    "format_autocomplete": {"q": "text", "limit": "natural"},
    "package_list": {"limit": "natural", "offset": "natural"},
    # CKAN adds the ext_* parameters to extras as to a dict, and reads a
    # text fq_list letter by letter
    "package_search": {"fq_list": "list[text]", "extras": "dict"},
    **{
        name: {"org_id": "text", "datasets": "list[text]"}
        for name in ("bulk_update_delete", "bulk_update_private", "bulk_update_public")
    },
    "member_create": {
        "id": "text",
        "object": "text",
        "object_type": "text",
        "capacity": "text",
    },
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
    "tag_autocomplete": _TAGS,
    "tag_search": _TAGS,
    "tag_list": {"query": "text", "vocabulary_id": "text", "all_fields": "bool"},
    "tag_show": {"id": "text", "include_datasets": "bool"},
    "recently_changed_packages_activity_list": _ACTIVITY,
    "dashboard_activity_list": _ACTIVITY,
    "package_activity_list": _ACTIVITY,
    "organization_activity_list": _ACTIVITY,
    "group_activity_list": _ACTIVITY,
    "user_activity_list": _ACTIVITY,
    "group_list": dict.fromkeys(_GROUP_LIST_FLAGS, "bool"),
    "organization_list": dict.fromkeys(_GROUP_LIST_FLAGS, "bool"),
    "group_show": {"id": "text", **dict.fromkeys(_GROUP_SHOW_FLAGS, "bool")},
    "organization_show": {"id": "text", **dict.fromkeys(_GROUP_SHOW_FLAGS, "bool")},
    # a repeated ?type= is a list, which scheming uses as a dict key
    "scheming_dataset_schema_show": {"type": "text", "expanded": "bool"},
    "scheming_organization_schema_show": {"type": "text", "expanded": "bool"},
    # ids that reach SQL as they are
    **{
        name: {"subject": "text", "object": "text", "type": "text"}
        for name in (
            "package_relationship_create",
            "package_relationship_delete",
            "package_relationship_update",
        )
    },
    "file_owner_scan": {"owner_type": "text", "owner_id": "text"},
    "xloader_hook": {"metadata": "dict", "status": "text"},
    "api_token_create": {"user": "text", "name": "text"},
    "tag_delete": {"id": "text", "vocabulary_id": "text"},
    **{
        name: {
            "id": "text",
            "entity_id": "text",
            "entity_type": "text",
            "task_type": "text",
            "key": "text",
        }
        for name in ("task_status_update", "task_status_show")
    },
}

# action → parameter → the kind of object it must name, looked up first
# (upstream asserts it exists: a 500 otherwise)
FOUND: dict[str, dict[str, str]] = {
    "group_member_delete": {"id": "group"},
    "organization_member_delete": {"id": "group"},
    "package_collaborator_create": {"id": "package"},
    "package_collaborator_delete": {"id": "package"},
    "package_collaborator_list": {"id": "package"},
    "api_token_create": {"user": "user"},
}

# actions whose auth function asserts the caller is a user
SIGNED_IN = {
    "package_collaborator_create",
    "package_collaborator_delete",
    "package_collaborator_list",
}

# registered as actions by ckanext-harvest, which exports everything its
# action and auth modules define: not actions
NOT_ACTIONS = (
    # its auth decorator (one argument: calling it is a TypeError)
    "auth_allow_anonymous_access",
    # its auth function (no action of that name: the action that checks it
    # is harvest_sources_job_history_clear)
    "harvest_sources_clear",
)

# PostgreSQL's integer: larger limits and offsets overflow in SQL
_INT_MAX = 2**31 - 1
_INTEGER = re.compile(r"\s*-?[0-9]+\s*\Z")

# the datetimes Python can make of a timestamp (year 1 to 9999)
_TIMESTAMPS = (-62135596800.0, 253402300799.0)

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "minimum": -_INT_MAX, "maximum": _INT_MAX},
    "natural": {"type": "integer", "minimum": 0, "maximum": _INT_MAX},
    "list": {"type": "array"},
    "list[text]": {"type": "array", "items": {"type": "string"}},
    "list[dict]": {"type": "array", "items": {"type": "object"}},
    "dict": {"type": "object"},
    "bool": {"type": "boolean"},
    "text": {"type": "string"},
    "texts": {
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
    },
    "timestamp": {
        "type": "number",
        "minimum": _TIMESTAMPS[0],
        "maximum": _TIMESTAMPS[1],
    },
}


def _object_keys(kind: str) -> tuple[str, ...] | None:
    if kind.startswith("object(") and kind.endswith(")"):
        return tuple(kind[len("object(") : -1].split(","))
    return None


def json_schema(kind: str) -> dict[str, Any]:
    keys = _object_keys(kind)
    if keys is not None:
        return {
            "type": "object",
            "required": list(keys),
            "properties": {key: {"type": "string"} for key in keys},
        }
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


def _wrong_timestamp(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return True
    try:
        number = float(value)
    except ValueError:
        return True
    if not math.isfinite(number) or not _TIMESTAMPS[0] <= number <= _TIMESTAMPS[1]:
        return True
    try:  # the local time of the ends may still be out of range
        datetime.datetime.fromtimestamp(number)
    except (OverflowError, OSError, ValueError):
        return True
    return False


def _wrong_type(kind: str, value: Any) -> bool:
    if value is None:
        return False
    keys = _object_keys(kind)
    if keys is not None:
        return not isinstance(value, dict) or any(
            not isinstance(value.get(key), str) or not value[key] for key in keys
        )
    if kind == "list":
        return not isinstance(value, list)
    if kind == "list[text]":
        return not isinstance(value, list) or not all(
            isinstance(item, str) for item in value
        )
    if kind == "list[dict]":
        return not isinstance(value, list) or not all(
            isinstance(item, dict) for item in value
        )
    if kind == "texts":
        return _wrong_type("list[text]", [value] if isinstance(value, str) else value)
    if kind == "timestamp":
        return _wrong_timestamp(value)
    if kind == "dict":
        return not isinstance(value, dict)
    if kind == "natural":
        return _wrong_type("int", value) or int(value) < 0
    if kind == "text":
        return not isinstance(value, str)
    if kind == "int":
        if isinstance(value, bool):
            return True
        if isinstance(value, str) and _INTEGER.match(value):
            value = int(value)
        return not isinstance(value, int) or abs(value) > _INT_MAX
    if kind == "bool":
        # asbool() takes any number as it is
        if isinstance(value, (bool, int)):
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
        )
    return False


def _message(kind: str) -> str:
    keys = _object_keys(kind)
    if keys is not None:
        return tk._("Un objet JSON avec {keys} (des textes) est attendu.").format(
            keys=", ".join(keys)
        )
    return {
        "int": tk._("Un nombre entier (de ±2 147 483 647 au plus) est attendu."),
        "natural": tk._(
            "Un nombre entier positif ou nul (2 147 483 647 au plus) est attendu."
        ),
        "list": tk._("Une liste est attendue."),
        "list[text]": tk._("Une liste de textes est attendue."),
        "list[dict]": tk._("Une liste d'objets JSON est attendue."),
        "dict": tk._("Un objet JSON est attendu."),
        "bool": tk._("Une valeur true ou false est attendue."),
        "text": tk._("Un texte est attendu, pas une liste ni un objet."),
        "texts": tk._("Un texte ou une liste de textes est attendu."),
        "timestamp": tk._(
            "Une date en secondes depuis le 1er janvier 1970 est attendue."
        ),
    }[kind]


def _file_owner_type(data_dict: DataDict) -> dict[str, list[str]]:
    """``file_owner_scan`` checks ``<owner_type>_update`` (or ``_file_scan``),
    an auth function that must exist: an unknown type is a ValueError."""
    owner_type = data_dict.get("owner_type")
    if not isinstance(owner_type, str):
        return {}
    as_update = tk.asbool(tk.config.get("ckan.files.owner.scan_as_update"))
    rule = f"{owner_type}_update" if as_update else f"{owner_type}_file_scan"
    if rule in authz.auth_functions_list():
        return {}
    return {"owner_type": [tk._("Type de propriétaire inconnu.")]}


_CHECKS = {"file_owner_scan": _file_owner_type}


def _not_found(kind: str, ref: Any) -> bool:
    if not isinstance(ref, str) or not ref:
        return True
    table = {"group": model.Group, "user": model.User, "package": model.Package}
    return table[kind].get(ref) is None


def _not_found_message(kind: str) -> str:
    if kind == "group":
        return tk._("Groupe ou organisation introuvable.")
    if kind == "user":
        return tk._("Utilisateur introuvable.")
    return tk._("Jeu de données introuvable.")


def check(context: Context, name: str, data_dict: DataDict) -> None:
    errors: dict[str, list[str]] = {}
    for key in _missing(context, name, data_dict):
        errors[key] = [tk._("Paramètre obligatoire.")]
    for key, kind in types(name).items():
        if key in data_dict and key not in errors and _wrong_type(kind, data_dict[key]):
            errors[key] = [_message(kind)]
    if name in _CHECKS and not errors:
        errors.update(_CHECKS[name](data_dict))
    if errors:
        raise tk.ValidationError(errors)
    if name in SIGNED_IN and not context.get("user") and not context.get("ignore_auth"):
        raise tk.NotAuthorized(tk._("Connectez-vous d'abord."))
    for key, kind in FOUND.get(name, {}).items():
        if key in data_dict and _not_found(kind, data_dict[key]):
            raise tk.ObjectNotFound(_not_found_message(kind))


def _upstream_audit_exempt(name: str) -> bool:
    """Whether the action chained is exempt from CKAN's auth audit.

    CKAN exempts every action an extension registers, and copies only the
    chained function's own attributes to the chain: a guard over an
    extension's action must carry the flag itself, or the audit fails the
    calls where upstream checks access under another name
    (``harvest_source_index_clear`` checks ``harvest_source_clear``).
    """
    if _plugin(name) is not None:
        return True
    from ckan.logic import action as core

    for module in ("get", "create", "update", "delete", "patch", "file"):
        found = getattr(getattr(core, module, None), name, None)
        if found is not None:
            return bool(getattr(found, "auth_audit_exempt", False))
    return False


def _guard(name: str, read: bool) -> Any:
    def guard(up_func: Action, context: Context, data_dict: DataDict) -> Any:
        check(context, name, data_dict or {})
        return up_func(context, data_dict)

    guard.__name__ = name
    guard = tk.chained_action(guard)
    if read:
        guard = tk.side_effect_free(guard)
    if _upstream_audit_exempt(name):
        guard.auth_audit_exempt = True  # type: ignore[attr-defined]
    return guard


def not_an_action() -> str | None:
    """The message refusing an action API call of one of ``NOT_ACTIONS``
    (None for any other request). Refused when the request is read, not by
    a chained action: ckanext-harvest registers them or not depending on
    the order in which CKAN asked for its actions and auth functions (one
    shared dict), and a chain over a missing action stops CKAN's start."""
    from flask import request

    name = (request.view_args or {}).get("logic_function")
    if request.endpoint != "api.action" or name not in NOT_ACTIONS:
        return None
    return tk._("Action inconnue : {name} n'est pas une action de l'API.").format(
        name=name
    )


def _plugin(name: str) -> str | None:
    """The plugin an action comes from (None: CKAN core)."""
    if name.startswith("harvest_"):
        return "harvest"
    if name.startswith("datastore_"):
        return "datastore"
    if name.endswith("activity_list"):
        return "activity"
    if name.startswith("xloader_"):
        return "xloader"
    if name == "scheming_dataset_schema_show":
        return "scheming_datasets"
    if name == "scheming_organization_schema_show":
        return "scheming_organizations"
    return None


def get_actions() -> dict[str, Any]:
    """A chained guard for each action of the tables whose plugin is loaded."""
    names = set(REQUIRED) | set(REQUIRED_UNLESS_SYSADMIN) | set(TYPES) | set(FOUND)
    out = {}
    for name in sorted(names):
        plugin = _plugin(name)
        if plugin and not p.plugin_loaded(plugin):
            continue
        out[name] = _guard(name, name in _READS)
    return out


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def nul_in_request() -> dict[str, list[str]]:
    """The parameters of an action API request that hold a NUL character
    (PostgreSQL refuses it in any text: a 500 wherever a parameter reaches
    SQL), each with its message; empty when there is none."""
    from flask import request

    found = [k for k, v in request.args.items(multi=True) if _has_nul(k) or _has_nul(v)]
    found += [
        k for k, v in request.form.items(multi=True) if _has_nul(k) or _has_nul(v)
    ]
    body = request.get_json(silent=True) if request.is_json else None
    if isinstance(body, dict):
        found += [k for k, v in body.items() if _has_nul(k) or _has_nul(v)]
    elif _has_nul(body):
        found.append("__body")
    message = tk._("Les paramètres ne peuvent pas contenir de caractère NUL (\\0).")
    return {key.replace("\x00", "\\0"): [message] for key in found}


# reads among the guarded actions (side-effect free upstream: the chained
# guard keeps the flag, or GET would be refused)
_READS = {
    "package_list",
    "package_search",
    "group_autocomplete",
    "organization_autocomplete",
    "user_autocomplete",
    "format_autocomplete",
    "tag_autocomplete",
    "tag_search",
    "tag_show",
    "tag_list",
    "group_list",
    "organization_list",
    "group_show",
    "organization_show",
    "scheming_dataset_schema_show",
    "scheming_organization_schema_show",
    "file_owner_scan",
    "task_status_show",
    "package_collaborator_list",
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
