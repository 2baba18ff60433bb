"""Which collectivité a join request is for, and its organisation.

A request names its collectivité as the dataset schema names territories
(``67462``, ``commune:67462``, an EPCI's SIREN) or by the commune's SIREN;
the COG reference already loaded says whether it exists. A former commune
code, which the dataset schema silently replaces, is refused here: the
person is asking for a collectivité that no longer exists, and is told
which one replaced it.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.munge import munge_title_to_name

from ..logic.validators import luhn_ok
from ..territories import codes, lookup

#: the territory levels a collectivité can be, and the organisation kind of each
KINDS = {
    codes.COMMUNE: "commune",
    codes.EPCI: "epci",
    codes.DEPARTEMENT: "departement",
    codes.REGION: "region",
}

_NINE_DIGITS = re.compile(r"^(?:(?:epci|siren|fr:epci):)?(\d{9})$", re.IGNORECASE)


def _expected() -> str:
    return tk._(
        "Choisissez votre collectivité dans la liste, ou indiquez son code "
        "INSEE (ex. 67462) ou son SIREN (ex. 246700488)."
    )


def resolve(raw: Any) -> lookup.Territory:
    """The current collectivité ``raw`` names, or ``tk.Invalid`` saying why not."""
    text = re.sub(r"\s+", "", raw) if isinstance(raw, str) else ""
    if not text:
        raise tk.Invalid(
            tk._("Indiquez votre collectivité. {expected}").format(expected=_expected())
        )
    if not lookup.is_loaded():
        raise tk.Invalid(
            tk._(
                "Le référentiel des territoires (COG) n'est pas chargé : "
                "un administrateur doit lancer « ckan territoire cog load »."
            )
        )
    siren = _NINE_DIGITS.match(text)
    if siren:
        number = siren.group(1)
        if not luhn_ok(number):
            raise tk.Invalid(
                tk._(
                    "SIREN invalide « {value} » : sa clé de contrôle (le dernier "
                    "chiffre) ne correspond pas aux huit premiers. Vérifiez le "
                    "numéro."
                ).format(value=raw.strip())
            )
        found = lookup.by_siren(number)
        if found is None or found.level not in KINDS:
            raise tk.Invalid(
                tk._(
                    "Aucune commune ni aucun EPCI du Code officiel géographique "
                    "n'a le SIREN « {value} ». {expected}"
                ).format(value=raw.strip(), expected=_expected())
            )
        return found
    try:
        code = codes.normalize(text)
    except tk.Invalid as e:
        raise tk.Invalid(f"{e.error} {_expected()}")
    if code == codes.FRANCE:
        raise tk.Invalid(
            tk._(
                "La France entière n'est pas une collectivité : choisissez une "
                "commune, une intercommunalité (EPCI), un département ou une région."
            )
        )
    found = lookup.get(code)
    if found is not None:
        return found
    current = lookup.former(code)
    if current is not None:
        replacement = lookup.get(current)
        raise tk.Invalid(
            tk._(
                "« {value} » est l'ancien code d'une commune qui n'existe plus : "
                "elle fait aujourd'hui partie {of_name} ({code}). Faites la "
                "demande pour {name}."
            ).format(
                value=raw.strip(),
                of_name=_of(replacement.name) if replacement else current,
                name=replacement.label if replacement else current,
                code=codes.split(current)[1],
            )
        )
    raise tk.Invalid(
        tk._(
            "Collectivité inconnue : « {value} » n'existe pas dans le Code officiel "
            "géographique. {expected}"
        ).format(value=raw.strip(), expected=_expected())
    )


def organization_of(code: str) -> model.Group | None:
    """The active organisation whose official code is ``code``, if any."""
    return (
        model.Session.query(model.Group)
        .filter(
            model.Group.is_organization.is_(True),
            model.Group.state == "active",
            model.group_table.c.extras["cog_code"].astext == code,
        )
        .order_by(model.Group.created)
        .first()
    )


def _of(name: str) -> str:
    """« de Strasbourg », « d'Obernai », « du Havre », « des Ulis »."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if re.match(r"[AEIOUYÂÉÈÊÎÏÔÛH]", name, re.IGNORECASE):
        return "d'" + name
    return "de " + name


def organization_title(territory: lookup.Territory) -> str:
    """The title an organisation created for ``territory`` starts with."""
    if territory.level == codes.COMMUNE:
        return tk._("Commune {of_name}").format(of_name=_of(territory.name))
    if territory.level == codes.REGION:
        return tk._("Région {name}").format(name=territory.name)
    if territory.level == codes.DEPARTEMENT:
        return tk._("{name} (département)").format(name=territory.name)
    return territory.name


def organization_name(territory: lookup.Territory) -> str:
    """A free URL name for its organisation: ``commune-schiltigheim``."""
    base = munge_title_to_name(f"{KINDS[territory.level]} {territory.name}")[:90]
    for candidate in (base, f"{base}-{territory.insee.lower()}"):
        if not _name_taken(candidate):
            return candidate
    suffix = 2
    while _name_taken(f"{base}-{suffix}"):
        suffix += 1
    return f"{base}-{suffix}"


def _name_taken(name: str) -> bool:
    return bool(
        model.Session.execute(
            sa.select(sa.func.count())
            .select_from(model.group_table)
            .where(model.group_table.c.name == name)
        ).scalar()
    )


def organization_fields(territory: lookup.Territory) -> dict[str, Any]:
    """The new organisation's fields, from the COG reference, in the portal's
    default language (not that of whoever approves: they are data)."""
    from flask_babel import force_locale

    try:
        with force_locale(str(tk.config.get("ckan.locale_default") or "fr")):
            return _organization_fields(territory)
    except RuntimeError:  # no application context: gettext's default applies
        return _organization_fields(territory)


def _organization_fields(territory: lookup.Territory) -> dict[str, Any]:
    title = organization_title(territory)
    fields: dict[str, Any] = {
        "name": organization_name(territory),
        "title": title,
        "kind": KINDS[territory.level],
        "cog_code": territory.code,
        "territory": territory.code,
        "description": tk._(
            "{title} publie ici ses données ouvertes ({level}, code officiel {insee})."
        ).format(
            title=title,
            level=_level_label(territory.level).lower(),
            insee=territory.insee,
        ),
    }
    if territory.siren:
        fields["siren"] = territory.siren
    return fields


def _level_label(level: str) -> str:
    from ..helpers import territoire_level_label

    return territoire_level_label(level)
