"""Read-only actions on the COG territories, and their auth functions.

Registration is left to the plugin::

    from ckanext.territoire.territories import actions as territory_actions

    @tk.blanket.actions(territory_actions.get_actions)
    @tk.blanket.auth_functions(territory_actions.get_auth_functions)
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Action, AuthFunction, AuthResult, Context, DataDict, Schema

from . import codes, lookup, postal

DEFAULT_LIMIT = 10
MAX_LIMIT = 50


# --------------------------------------------------------------------------
# Validation


def _query(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise tk.Invalid(tk._("Saisissez au moins un caractère."))
    return text


def _level(value: Any) -> str | None:
    if value is tk.missing or value in (None, ""):
        return None
    if value not in codes.LEVELS:
        raise tk.Invalid(
            tk._("Niveau inconnu : {value}. Valeurs possibles : {levels}.").format(
                value=value, levels=", ".join(codes.LEVELS)
            )
        )
    return str(value)


def _limit(value: Any) -> int:
    if value is tk.missing or value in (None, ""):
        return DEFAULT_LIMIT
    if isinstance(value, int) and not isinstance(value, bool):
        limit = value
    elif isinstance(value, str) and value.strip().isdigit():
        limit = int(value)
    else:
        limit = 0
    if limit < 1:
        raise tk.Invalid(tk._("Le nombre de résultats doit être un entier positif."))
    # Like CKAN's own search limits: clamp rather than refuse.
    return min(limit, MAX_LIMIT)


def _code(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise tk.Invalid(
            tk._("Indiquez le code du territoire (par exemple commune:67482).")
        )
    return text


def autocomplete_schema() -> Schema:
    return {"q": [_query], "level": [_level], "limit": [_limit]}


def show_schema() -> Schema:
    return {"id": [_code]}


def _validate(data_dict: DataDict, schema: Schema, context: Context) -> DataDict:
    data, errors = tk.navl_validate(data_dict, schema, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


# --------------------------------------------------------------------------
# Actions


def _summary(territory: lookup.Territory) -> dict[str, Any]:
    from ..helpers import territoire_level_label

    return {
        "code": territory.code,
        "level": territory.level,
        "level_label": territoire_level_label(territory.level),
        "insee": territory.insee,
        "name": territory.name,
        "label": territory.label,
    }


@tk.side_effect_free
def territoire_territory_autocomplete(
    context: Context, data_dict: DataDict
) -> list[dict[str, Any]]:
    """Territories whose name (or code) matches what the user is typing.

    Accents and case are ignored; every word of ``q`` must begin a word of
    the name (``st etienne`` finds Saint-Étienne). A code (``67482``,
    ``2A004``, ``67``, ``246700488``, ``commune:67482``) puts that territory
    first; a postal code (``67190``) puts first the communes it serves.

    :param q: the text typed (at least one character)
    :type q: string
    :param level: only territories of this level: ``commune``, ``epci``,
        ``departement``, ``region`` or ``pays`` (optional)
    :type level: string
    :param limit: the maximum number of results (optional, default 10, at
        most 50)
    :type limit: int

    :returns: the territories, best first, each with ``code`` (canonical,
        e.g. ``commune:67482``), ``level``, ``insee``, ``name`` and ``label``
        (e.g. ``Strasbourg (67)``)
    :rtype: list of dictionaries
    """
    tk.check_access("territoire_territory_autocomplete", context, data_dict)
    data = _validate(data_dict, autocomplete_schema(), context)
    found = lookup.search(data["q"], level=data["level"], limit=data["limit"])
    return [_summary(territory) for territory in found]


@tk.side_effect_free
def territoire_territory_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One territory, with the territories that contain it.

    :param id: the canonical code (``commune:67482``, ``epci:246700488``,
        ``departement:67``, ``region:44``, ``pays:fr``); a former commune
        code (``commune:01340``) gives the current commune, with
        ``replaced`` set to the code asked for
    :type id: string

    :returns: ``code``, ``level``, ``insee``, ``name``, ``label``,
        ``population`` (communes: municipal population; wider territories:
        sum over their communes), ``siren``, ``postal_codes`` (communes
        only), and ``parents``, the containing territories narrowest first,
        each as ``{"code", "label"}``
    :rtype: dictionary
    """
    tk.check_access("territoire_territory_show", context, data_dict)
    code = _validate(data_dict, show_schema(), context)["id"]
    territory = lookup.get(code)
    replaced = None
    if territory is None:
        current = lookup.former(code)
        if current is not None:
            territory = lookup.get(current)
            replaced = codes.canonical(code)
    if territory is None:
        raise tk.ObjectNotFound(
            tk._("Territoire introuvable : {code}").format(code=code)
        )
    result = _summary(territory)
    result["population"] = territory.population
    result["siren"] = territory.siren
    if territory.level == codes.COMMUNE:
        result["postal_codes"] = list(postal.codes_of(territory.insee))
    result["parents"] = [
        {"code": parent, "label": found.label if found else parent}
        for parent in territory.parents
        for found in [lookup.get(parent)]
    ]
    if replaced:
        result["replaced"] = replaced
    return result


def get_actions() -> dict[str, Action]:
    return {
        "territoire_territory_autocomplete": territoire_territory_autocomplete,
        "territoire_territory_show": territoire_territory_show,
    }


# --------------------------------------------------------------------------
# Auth: public reference data


@tk.auth_allow_anonymous_access
def territory_autocomplete_auth(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def territory_show_auth(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


def get_auth_functions() -> dict[str, AuthFunction]:
    return {
        "territoire_territory_autocomplete": territory_autocomplete_auth,
        "territoire_territory_show": territory_show_auth,
    }
