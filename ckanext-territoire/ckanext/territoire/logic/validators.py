"""Validators of the territorial schemas (registered by ``tk.blanket.validators``).

Every error names the value it rejects and the form expected, in French
(the gettext source language), translated by the ``en`` catalogue.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey

from ckanext.scheming.helpers import scheming_field_choices
from ckanext.scheming.validation import scheming_validator

from .. import settings
from ..languages import language_text
from ..lists import as_list
from ..security.limits import number
from ..territories import codes, lookup
from . import bbox

log = logging.getLogger(__name__)

__all__ = [
    "territoire_territories",
    "territoire_json_list_output",
    "territoire_choice",
    "territoire_multiple_choice",
    "territoire_date",
    "territoire_after_start",
    "territoire_bbox",
    "territoire_email",
    "territoire_url",
    "territoire_license",
    "territoire_siren",
    "territoire_org_cog_code",
    "territoire_org_territory",
    "territoire_schema_id",
    "territoire_schema_version",
    "territoire_single_value",
    "territoire_max_length",
    "territoire_resource_url",
]

Invalid = tk.Invalid
missing = tk.missing

# organisation kinds whose own territory is a dataset's default coverage
DEFAULT_COVERAGE_KINDS = ("commune", "epci")
# the level an organisation's official code must have, per kind
KIND_LEVEL = {
    "region": "region",
    "departement": "departement",
    "epci": "epci",
    "commune": "commune",
}


def _empty(value: Any) -> bool:
    return value is missing or value is None or value == "" or value == []


def _as_list(value: Any) -> list[str]:
    """A list from a list, a JSON list or a comma/semicolon/space separated string."""
    try:
        return as_list(value)
    except ValueError:
        raise Invalid(
            tk._(
                "Liste illisible : « {value} ». Attendu : une liste JSON "
                "ou des valeurs séparées par des virgules."
            ).format(value=str(value).strip()[:200])
        )


def _choice_values(field: dict[str, Any]) -> list[str]:
    # listed in the schema, or read from a code list by its choices_helper
    return [c["value"] for c in scheming_field_choices(field) or []]


def _label(field: dict[str, Any]) -> str:
    return language_text(field.get("label", field["field_name"]))


# ---------------------------------------------------------------------------
# Territories


def _not_loaded() -> Exception:
    return Invalid(
        tk._(
            "Le référentiel des territoires (COG) n'est pas chargé : "
            "un administrateur doit lancer « ckan territoire cog load »."
        )
    )


def resolve_territory(raw: str) -> tuple[str, str | None]:
    """(current canonical code, replaced former code or None) for one input."""
    code = codes.normalize(raw)  # raises Invalid naming the value
    if code == "pays:fr":  # needs no reference data
        return code, None
    if not lookup.is_loaded():
        raise _not_loaded()
    if lookup.get(code) is not None:
        return code, None
    current = lookup.former(code)
    if current is not None:
        return current, code
    raise Invalid(
        tk._(
            "Territoire inconnu : « {value} » n'existe pas dans le Code officiel géographique. "
            "{expected}"
        ).format(value=raw, expected=codes.expected_form())
        + lookup.postal_hint(raw)
    )


def _org_of(data: FlattenDataDict) -> model.Group | None:
    ref = data.get(("owner_org",))
    if _empty(ref):
        return None
    return model.Group.get(ref)


def org_default_territory(org: model.Group | None) -> str | None:
    """The coverage a dataset of ``org`` gets when none is given.

    A commune's or an EPCI's own territory; otherwise the organisation's
    territory of action if it has one; otherwise the portal's default
    (``ckanext.territoire.default_territory``, e.g. the région), if set.
    """
    extras = (org.extras or {}) if org is not None else {}
    if extras.get("kind") in DEFAULT_COVERAGE_KINDS and extras.get("cog_code"):
        return str(extras["cog_code"])
    if extras.get("territory"):
        return str(extras["territory"])
    return tk.config.get("ckanext.territoire.default_territory") or None


@scheming_validator
def territoire_territories(field: dict[str, Any], schema: dict[str, Any]) -> Callable:
    """Spatial coverage: canonical codes, former codes replaced, stored as JSON."""

    def validator(
        key: FlattenKey,
        data: FlattenDataDict,
        errors: FlattenErrorDict,
        context: Context,
    ) -> Any:
        value = data.get(key)
        try:
            raw_codes = _as_list(value)
        except Invalid as e:
            errors[key].append(e.error)
            return
        if not raw_codes:
            default = org_default_territory(_org_of(data))
            if default:
                data[key] = json.dumps([default])
                return
            if field.get("required"):
                errors[key].append(
                    tk._("Indiquez au moins un territoire couvert. {expected}").format(
                        expected=codes.expected_form()
                    )
                )
                return
            data[key] = missing
            return
        out: list[str] = []
        for raw in raw_codes:
            try:
                current, replaced = resolve_territory(raw)
            except Invalid as e:
                errors[key].append(e.error)
                continue
            if replaced:
                _notice(
                    tk._(
                        "Le code {old} est un ancien code : remplacé par {new} ({name})."
                    ).format(old=replaced, new=current, name=_name(current))
                )
            if current not in out:
                out.append(current)
        if not errors[key]:
            data[key] = json.dumps(out)

    return validator


def _name(code: str) -> str:
    territory = lookup.get(code)
    return territory.label if territory else code


def _notice(message: str) -> None:
    log.info(message)
    try:
        tk.h.flash_notice(message)
    except (RuntimeError, AttributeError, KeyError):
        pass  # no web request (CLI, harvest): the log is the trace


def territoire_json_list_output(value: Any) -> Any:
    """Stored JSON list → list (show schema)."""
    if isinstance(value, str) and value.startswith("["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# ---------------------------------------------------------------------------
# Code lists


def _unknown_value(value: Any, field: dict[str, Any], allowed: list[str]) -> str:
    return tk._(
        "Valeur inconnue « {value} » pour « {field} ». Valeurs possibles : {allowed}."
    ).format(value=value, field=_label(field), allowed=", ".join(allowed))


@scheming_validator
def territoire_choice(field: dict[str, Any], schema: dict[str, Any]) -> Callable:
    allowed = _choice_values(field)

    def validator(value: Any) -> Any:
        if _empty(value):
            return value
        if value not in allowed:
            raise Invalid(_unknown_value(value, field, allowed))
        return value

    return validator


@scheming_validator
def territoire_multiple_choice(
    field: dict[str, Any], schema: dict[str, Any]
) -> Callable:
    allowed = _choice_values(field)

    def validator(
        key: FlattenKey,
        data: FlattenDataDict,
        errors: FlattenErrorDict,
        context: Context,
    ) -> Any:
        try:
            values = _as_list(data.get(key))
        except Invalid as e:
            errors[key].append(e.error)
            return
        values = [v.upper() if v.upper() in allowed else v for v in values]
        bad = [v for v in values if v not in allowed]
        errors[key].extend(_unknown_value(v, field, allowed) for v in bad)
        if not bad:
            data[key] = json.dumps(list(dict.fromkeys(values))) if values else missing

    return validator


def territoire_license(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> Any:
    value = data.get(key)
    if _empty(value):
        data[key] = tk.config.get("ckanext.territoire.default_license")
        return
    register = model.Package.get_license_register()
    if value not in register:
        errors[key].append(
            tk._(
                "Licence inconnue « {value} ». Licences possibles : {allowed}."
            ).format(value=value, allowed=", ".join(register.keys()))
        )


# ---------------------------------------------------------------------------
# Dates, e-mail, URL


_DATE_FORMS = ("%Y-%m-%d", "%Y-%m", "%Y")


def territoire_date(value: Any) -> Any:
    """ISO 8601 date (AAAA-MM-JJ; AAAA-MM and AAAA are read as the first day)."""
    if _empty(value):
        return value
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    # a full timestamp keeps its date part
    text = text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}T", text) else text
    for form in _DATE_FORMS:
        try:
            return datetime.datetime.strptime(text, form).date().isoformat()
        except ValueError:
            continue
    raise Invalid(
        tk._(
            "Date invalide « {value} » : format attendu AAAA-MM-JJ (ex. 2024-01-31)."
        ).format(value=value)
    )


def territoire_after_start(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> Any:
    end = data.get(key)
    start = data.get(key[:-1] + ("temporal_start",))
    if _empty(end) or _empty(start) or errors.get(key[:-1] + ("temporal_start",)):
        return
    try:
        if str(end) < territoire_date(start):
            errors[key].append(
                tk._(
                    "La fin de la période ({end}) précède son début ({start})."
                ).format(end=end, start=start)
            )
    except Invalid:
        return  # the start date's own error is reported on its field


def territoire_bbox(value: Any) -> Any:
    """A dataset's extent, stored as ``ouest,sud,est,nord`` (see ``logic.bbox``)."""
    if _empty(value):
        return value
    try:
        return bbox.parse(value).text()
    except bbox.BBoxError as e:
        shown = str(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "…"
        if e.kind == "range":
            message = tk._(
                "Emprise hors limites « {value} » : les longitudes vont de -180 à "
                "180, les latitudes de -90 à 90, avec ouest ≤ est et sud ≤ nord."
            )
        else:
            message = tk._(
                "Emprise invalide « {value} » : quatre nombres attendus, "
                "ouest,sud,est,nord en degrés WGS84 (ex. 7.68,48.49,7.84,48.65), "
                "ou une géométrie GeoJSON ou WKT."
            )
        raise Invalid(message.format(value=shown)) from None


_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_URL = r"https?://[^\s/]+\.[^\s]+"


def _checked(value: Any, pattern: str, message: str) -> Any:
    """``value`` stripped, or ``Invalid(message)`` if it does not match ``pattern``."""
    if _empty(value):
        return value
    value = str(value).strip()
    if not re.fullmatch(pattern, value):
        raise Invalid(message.format(value=value))
    return value


def territoire_email(value: Any) -> Any:
    return _checked(
        value,
        _EMAIL,
        tk._(
            "Adresse électronique invalide « {value} » : forme attendue nom@domaine.fr."
        ),
    )


def territoire_url(value: Any) -> Any:
    return _checked(
        value,
        _URL,
        tk._(
            "Adresse web invalide « {value} » : forme attendue https://exemple.fr/page."
        ),
    )


# ---------------------------------------------------------------------------
# Organisations


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def territoire_siren(value: Any) -> Any:
    if _empty(value):
        return value
    siren = re.sub(r"[\s.]", "", str(value))
    if not re.fullmatch(r"\d{9}", siren) or not luhn_ok(siren):
        raise Invalid(
            tk._(
                "SIREN invalide « {value} » : 9 chiffres attendus, dont le "
                "dernier est une clé de contrôle (Luhn)."
            ).format(value=value)
        )
    return siren


def territoire_org_cog_code(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> Any:
    value = data.get(key)
    kind = data.get(key[:-1] + ("kind",))
    level = KIND_LEVEL.get(kind) if isinstance(kind, str) else None
    if _empty(value):
        if level:
            errors[key].append(
                tk._(
                    "Code officiel obligatoire pour une organisation de "
                    "nature « {kind} ». {expected}"
                ).format(kind=kind, expected=codes.expected_form(level))
            )
        data[key] = missing
        return
    try:
        try:
            code = codes.normalize(str(value))
        except Invalid:
            if level not in ("departement", "region"):
                raise
            code = codes.normalize(str(value), level=level)  # "44" for a région
        current, replaced = resolve_territory(code)
    except Invalid as e:
        errors[key].append(e.error)
        return
    if level and current.split(":", 1)[0] != level:
        errors[key].append(
            tk._(
                "Le code « {value} » désigne un territoire de niveau "
                "{found}, pas {level}."
            ).format(value=value, found=current.split(":", 1)[0], level=level)
        )
        return
    data[key] = current


def territoire_org_territory(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> Any:
    value = data.get(key)
    if _empty(value):
        cog = data.get(key[:-1] + ("cog_code",))
        data[key] = (
            cog
            if not _empty(cog) and not errors.get(key[:-1] + ("cog_code",))
            else missing
        )
        return
    try:
        data[key] = resolve_territory(str(value))[0]
    except Invalid as e:
        errors[key].append(e.error)


# ---------------------------------------------------------------------------
# Resources


def territoire_schema_id(value: Any) -> Any:
    if not _empty(value):
        # a schema.data.gouv.fr URL gives its identifier
        found = re.match(
            r"^\s*https?://schema\.data\.gouv\.fr/schemas/([^/]+/[^/]+)", value
        )
        value = found.group(1) if found else value
    return _checked(
        value,
        r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*",
        tk._(
            "Schéma invalide « {value} » : identifiant attendu comme sur "
            "schema.data.gouv.fr, ex. scdl/deliberations."
        ),
    )


def territoire_schema_version(value: Any) -> Any:
    return _checked(
        value,
        r"\d+(\.\d+){0,2}|latest",
        tk._(
            "Version de schéma invalide « {value} » : forme attendue 2.1.5 ou latest."
        ),
    )


# ---------------------------------------------------------------------------
# Shapes and sizes (what a client can send that no form would)


def single_value_error() -> str:
    return tk._("Une seule valeur est attendue, pas une liste ni un objet.")


def territoire_single_value(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> Any:
    """One value, not a list or an object; the field's other validators stop here.

    CKAN's own validators take some values as given: ``owner_org`` as a list
    reached SQL (an internal error), a title as a list was stored as its
    ``repr``.
    """
    if isinstance(data.get(key), (list, tuple, dict)):
        errors[key].append(single_value_error())
        raise tk.StopOnError


def territoire_max_length(kind: str) -> Callable:
    """No longer than ``ckanext.territoire.limits.<kind>_length`` characters.

    Used in the schemas as ``territoire_max_length(short_text)``, ``(long_text)``
    or ``(url)``; the limit is read when a value is checked, and the field's
    other validators do not run on a text over it.
    """
    option = f"ckanext.territoire.limits.{kind}_length"
    settings.get(option)  # an unknown kind fails when the schema is loaded

    def validator(
        key: FlattenKey,
        data: FlattenDataDict,
        errors: FlattenErrorDict,
        context: Context,
    ) -> Any:
        value = data.get(key)
        if _empty(value):
            return
        limit = settings.get_int(option)
        length = len(str(value))
        if length > limit:
            errors[key].append(
                tk._(
                    "Texte trop long : {limit} caractères au plus ({length} reçus)."
                ).format(limit=number(limit), length=number(length))
            )
            raise tk.StopOnError

    return validator


def _either(words: list[str]) -> str:
    """The words as a list in a sentence: « http, https ou ftp »."""
    if len(words) < 2:
        return "".join(words)
    return tk._("{some} ou {last}").format(some=", ".join(words[:-1]), last=words[-1])


def territoire_resource_url(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> Any:
    """A link whose scheme CKAN links to and redirects to, or an upload.

    CKAN stored any text (``javascript:…``), and its download view then
    failed with an internal error; an address without a scheme is kept, CKAN
    serves it as ``http://``.
    """
    value = data.get(key)
    if _empty(value) or data.get(key[:-1] + ("url_type",)) == "upload":
        return
    allowed = tk.config.get("ckan.valid_url_schemes") or []
    try:
        scheme = urlsplit(str(value)).scheme
    except ValueError:  # e.g. an unclosed [ in the host
        scheme = None
    if scheme is None or (scheme and scheme not in allowed):
        shown = str(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "…"
        errors[key].append(
            tk._(
                "Adresse refusée « {value} » : un lien {schemes}, ou un fichier "
                "déposé, est attendu."
            ).format(value=shown, schemes=_either(list(allowed)))
        )
