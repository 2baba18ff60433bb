"""Territory codes: parsing and normalisation, before any lookup.

Canonical form: ``<level>:<code>`` with level ``commune`` (INSEE code, e.g.
``commune:67482``, ``commune:2A004``), ``epci`` (SIREN), ``departement``,
``region`` or ``pays:fr``. Inputs may also be data.gouv.fr zone ids
(``fr:commune:67482``, ``country:fr``) or bare codes when their length says
the level: 5 characters a commune, 9 digits an EPCI, ``2A``/``2B``/``97x`` a
département. Two digits could be a département or a région: a prefix is asked.
"""

from __future__ import annotations

import re

import ckan.plugins.toolkit as tk

from ..territories import codes as cog

_ALIASES = {
    "com": cog.COMMUNE,
    "commune": cog.COMMUNE,
    "epci": cog.EPCI,
    "siren": cog.EPCI,
    "dep": cog.DEPARTEMENT,
    "departement": cog.DEPARTEMENT,
    "département": cog.DEPARTEMENT,
    "reg": cog.REGION,
    "region": cog.REGION,
    "région": cog.REGION,
    "pays": cog.PAYS,
    "country": cog.PAYS,
}
# bare codes whose form alone says the level (two digits do not)
_BARE_DEPARTEMENT = re.compile(r"2[AB]|97\d")


def expected_form(level: str | None = None) -> str:
    forms = {
        "commune": tk._("commune : code INSEE à 5 caractères (ex. 67482, 2A004)"),
        "epci": tk._("EPCI : SIREN à 9 chiffres (ex. 246700488)"),
        "departement": tk._("département : departement:67, 2A ou 971"),
        "region": tk._("région : region:44"),
        "pays": tk._("France entière : pays:fr"),
    }
    chosen = [forms[level]] if level in forms else list(forms.values())
    return tk._("Forme attendue — {forms}.").format(forms=" ; ".join(chosen))


def _invalid(raw: str, level: str | None = None) -> tk.Invalid:
    return tk.Invalid(
        tk._("Code de territoire mal formé : « {value} ». {expected}").format(
            value=raw, expected=expected_form(level)
        )
    )


def normalize(raw: str, level: str | None = None) -> str:
    """Canonical code for ``raw``, or ``Invalid`` naming it and the expected form.

    ``level`` says which level a bare code is read as when its form allows
    several (``44`` with level ``region`` is ``region:44``).
    """
    text = re.sub(r"\s+", "", str(raw))
    lowered = text.lower()
    if lowered in ("fr", "france", "pays:fr", "country:fr", "fr:pays:fr"):
        return cog.FRANCE
    if lowered.startswith("fr:"):
        text = text[3:]
    if ":" in text:
        prefix, code = text.split(":", 1)
        found = _ALIASES.get(prefix.lower())
        canonical = cog.canonical(f"{found}:{code}") if found else None
        if canonical is None:
            raise _invalid(str(raw), found or level)
        return canonical
    code = text.upper()
    if level is not None:
        canonical = cog.canonical(f"{level}:{code}")
        if canonical is None:
            raise _invalid(str(raw), level)
        return canonical
    if cog.COMMUNE_RE.match(code):
        return cog.make(cog.COMMUNE, code)
    if cog.EPCI_RE.match(code):
        return cog.make(cog.EPCI, code)
    if _BARE_DEPARTEMENT.fullmatch(code):
        return cog.make(cog.DEPARTEMENT, code)
    if re.fullmatch(r"\d{2}", code):
        raise tk.Invalid(
            tk._(
                "Code ambigu « {value} » : département ou région ? Écrivez "
                "departement:{value} ou region:{value}."
            ).format(value=code)
        )
    raise _invalid(str(raw), level)
