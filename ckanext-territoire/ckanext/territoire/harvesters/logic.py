"""Harvest rules enforced through CKAN's actions and authorisation.

- A harvested dataset is read-only for its organisation's editors and
  admins: its metadata belongs to the partner's portal and would be
  overwritten by the next harvest. The harvest itself (the site user) and
  sysadmins may still change it.
- A harvest source's URL must not lead inside our network (see ``http.py``):
  checked when a source is created or its URL changed, before ckanext-harvest
  stores it.
"""

from __future__ import annotations

from typing import Any

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from . import records
from .http import HarvestHTTPError, check_url

_PACKAGE_WRITES = ("package_update", "package_patch", "package_delete")
_RESOURCE_WRITES = (
    "resource_create",
    "resource_update",
    "resource_patch",
    "resource_delete",
    "package_resource_reorder",
)


def _package_id(data_dict: DataDict, action: str) -> str | None:
    if action in _PACKAGE_WRITES:
        ref = data_dict.get("id") or data_dict.get("name")
    elif action in ("resource_create", "package_resource_reorder"):
        ref = data_dict.get("package_id") or data_dict.get("id")
    else:
        res = model.Resource.get(data_dict.get("id") or "")
        ref = res.package_id if res is not None else None
    if not ref:
        return None
    pkg = model.Package.get(ref)
    return pkg.id if pkg is not None else None


def _read_only(action: str) -> Any:
    @tk.chained_auth_function
    def auth(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
        user = context.get("user")
        if context.get("territoire_harvest") or authz.is_sysadmin(user):
            return next_auth(context, data_dict)
        package_id = _package_id(data_dict or {}, action)
        if package_id and records.is_harvested(package_id):
            return {
                "success": False,
                "msg": tk._(
                    "Ce jeu de données est moissonné depuis le portail d'un "
                    "partenaire : modifiez-le à la source, le prochain "
                    "moissonnage reportera la modification ici."
                ),
            }
        return next_auth(context, data_dict)

    auth.__name__ = action
    return auth


def get_auth_functions() -> dict[str, Any]:
    return {name: _read_only(name) for name in _PACKAGE_WRITES + _RESOURCE_WRITES}


def _check_source_url(data_dict: DataDict) -> None:
    url = (data_dict.get("url") or "").strip()
    if not url:
        return
    try:
        check_url(url)
    except HarvestHTTPError as e:
        # in the language of the request
        raise tk.ValidationError({"url": [tk._(e.msgid).format(**e.params)]}) from e


def _checked_source_action(action: str) -> Any:
    """``action`` (create, update, patch a source) with the URL check first."""

    @tk.chained_action
    def checked(next_action: Any, context: Context, data_dict: DataDict) -> Any:
        tk.check_access(action, context, data_dict)
        # a patch may leave the URL alone
        if action != "harvest_source_patch" or "url" in data_dict:
            _check_source_url(data_dict)
        return next_action(context, data_dict)

    checked.__name__ = action
    return checked


def get_actions() -> dict[str, Any]:
    return {
        name: _checked_source_action(name)
        for name in (
            "harvest_source_create",
            "harvest_source_update",
            "harvest_source_patch",
        )
    }
