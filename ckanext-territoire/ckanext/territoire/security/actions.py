"""Chained actions: what a client can send that CKAN took badly, refused first.

- ``package_create`` / ``package_update`` (``package_patch``,
  ``package_revise`` and the resource actions go through the latter): the
  number of tags and of resources, counted before CKAN validates and saves
  them one by one (10,000 tags held a worker for 12 s to create, 21 s to
  patch); ``owner_org`` as a list (CKAN's authorisation sent it to SQL); an
  extra whose key is not text (CKAN's ``duplicate_extras_key`` puts the keys
  in a set: ``TypeError``);
- ``resource_create``: the dataset's resources plus the new one;
- ``package_show`` and ``package_search``: an ``id`` given as a list (reached
  SQL), boolean parameters CKAN reads with ``asbool`` (``ValueError`` for
  ``maybe``);
- ``status_show``: CKAN's version, the plugins and the error e-mail address
  for sysadmins only;
- the identifier of the object an action reads or writes (``id``,
  ``package_id``…) must be text: CKAN looks a number up in a text column,
  which PostgreSQL refuses (a 500). A list or an object is a 409 naming the
  field; a number names nothing, a 404 as for any wrong id.

Every other refusal is a ``ValidationError`` (409) that names the field.
"""

from __future__ import annotations

from typing import Any

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Action, Context, DataDict

from ..identifiers import unwrap
from ..logic.validators import single_value_error
from . import limits


def _tag_count(value: Any) -> int:
    if isinstance(value, str):
        return len([tag for tag in value.split(",") if tag.strip()])
    return len(value) if isinstance(value, list) else 0


def _too_many(count: int, limit: int, message: str) -> str:
    return message.format(count=limits.number(count), limit=limits.number(limit))


def _tags_message() -> str:
    return tk._("Trop de mots-clés : {count}, au plus {limit}.")


def _resources_message() -> str:
    return tk._("Trop de ressources : {count}, au plus {limit}.")


def _check_dataset(data_dict: DataDict) -> None:
    # CKAN's authorisation looks owner_org up before any validator runs
    errors: dict[str, Any] = _check_single(data_dict, "owner_org")
    max_tags = limits.get("tags")
    for field in ("tags", "tag_string"):
        count = _tag_count(data_dict.get(field))
        if count > max_tags:
            message = _too_many(count, max_tags, _tags_message())
            # CKAN's ValidationError reads each error of "tags" as a tag's
            # {"name": [...]} and shows its messages
            errors[field] = [{"name": [message]}] if field == "tags" else [message]
    resources = data_dict.get("resources")
    max_resources = limits.get("resources")
    if isinstance(resources, list) and len(resources) > max_resources:
        errors["resources"] = [
            _too_many(len(resources), max_resources, _resources_message())
        ]
    extras = data_dict.get("extras")
    if isinstance(extras, list):
        bad = [
            extra["key"]
            for extra in extras
            if isinstance(extra, dict)
            and "key" in extra
            and not isinstance(extra["key"], str)
        ]
        if bad:
            errors["extras"] = [
                tk._("Clé d'extra invalide : {key} ; une clé est un texte.").format(
                    key=repr(bad[0])
                )
            ]
    if errors:
        raise tk.ValidationError(errors)


@tk.chained_action
def package_create(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    _check_dataset(data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def package_update(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    _check_ids(data_dict, "id", "name")
    _check_dataset(data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def resource_create(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    _check_ids(data_dict, "package_id")
    package = model.Package.get(str(data_dict.get("package_id") or ""))
    limit = limits.get("resources")
    if package is not None and len(package.resources) + 1 > limit:
        raise tk.ValidationError(
            {
                "resources": [
                    _too_many(len(package.resources) + 1, limit, _resources_message())
                ]
            }
        )
    return up_func(context, data_dict)


def _check_ids(data_dict: DataDict, *keys: str) -> None:
    for key in keys:
        if key in data_dict:
            data_dict[key] = unwrap(data_dict[key])
    errors = _check_single(data_dict, *keys)
    if errors:
        raise tk.ValidationError(errors)
    for key in keys:
        value = data_dict.get(key)
        if value is not None and value != "" and not isinstance(value, str):
            raise tk.ObjectNotFound(
                tk._(
                    "Identifiant invalide : {value} (un identifiant ou un nom, en "
                    "texte, est attendu)."
                ).format(value=str(value)[:100])
            )


def _id_guard(keys: tuple[str, ...], read: bool) -> Any:
    """A chained action that checks the identifiers ``keys`` first."""

    def guard(up_func: Action, context: Context, data_dict: DataDict) -> Any:
        _check_ids(data_dict or {}, *keys)
        return up_func(context, data_dict)

    guard = tk.chained_action(guard)
    return tk.side_effect_free(guard) if read else guard


#: actions whose identifiers reach SQL as they come: (keys, read only)
_IDENTIFIED: dict[str, tuple[tuple[str, ...], bool]] = {
    # before the harvest guard's authorisation, which reads the id too
    "package_patch": (("id", "name"), False),
    "package_delete": (("id",), False),
    "resource_show": (("id",), True),
    "resource_update": (("id",), False),
    "resource_patch": (("id",), False),
    "resource_delete": (("id",), False),
    "organization_show": (("id",), True),
    "group_show": (("id",), True),
    "user_show": (("id",), True),
}


def _check_single(data_dict: DataDict, *keys: str) -> dict[str, list[str]]:
    return {
        key: [single_value_error()]
        for key in keys
        if isinstance(data_dict.get(key), (list, tuple, dict))
    }


def _check_booleans(data_dict: DataDict, *keys: str) -> dict[str, list[str]]:
    errors = {}
    for key in keys:
        if key not in data_dict:
            continue
        try:
            tk.asbool(data_dict[key])
        except ValueError:
            errors[key] = [
                tk._(
                    "Valeur booléenne attendue (true ou false), reçu « {value} »."
                ).format(value=str(data_dict[key])[:80])
            ]
    return errors


@tk.chained_action
@tk.side_effect_free
def package_show(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    _check_ids(data_dict, "id", "name_or_id")
    errors = _check_booleans(data_dict, "use_default_schema", "include_plugin_data")
    if errors:
        raise tk.ValidationError(errors)
    return up_func(context, data_dict)


@tk.chained_action
@tk.side_effect_free
def package_search(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    errors = _check_booleans(
        data_dict,
        "include_private",
        "include_drafts",
        "include_deleted",
        "use_default_schema",
    )
    if errors:
        raise tk.ValidationError(errors)
    return up_func(context, data_dict)


#: what status_show tells sysadmins only
PRIVATE_STATUS = ("ckan_version", "extensions", "error_emails_to")


@tk.chained_action
@tk.side_effect_free
def status_show(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    result = up_func(context, data_dict)
    if authz.is_sysadmin(context.get("user")):
        return result
    return {key: value for key, value in result.items() if key not in PRIVATE_STATUS}


def get_actions() -> dict[str, Any]:
    return {
        "package_create": package_create,
        "package_update": package_update,
        "resource_create": resource_create,
        "package_show": package_show,
        "package_search": package_search,
        "status_show": status_show,
        **{name: _id_guard(*spec) for name, spec in _IDENTIFIED.items()},
    }
