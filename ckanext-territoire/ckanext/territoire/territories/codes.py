"""Territory codes: their canonical form, reading them as typed, and name folding.

A territory is named everywhere by ``<level>:<insee>``: ``region:44``,
``departement:67``, ``epci:246700488`` (SIREN), ``commune:67482`` and
``pays:fr`` for France as a whole.

Typed or received codes (:func:`normalize`) may also be data.gouv.fr zone
ids (``fr:commune:67482``, ``country:fr``) or bare codes when their length
says the level: 5 characters a commune, 9 digits an EPCI, ``2A``/``2B``/
``97x`` a département. Two digits could be a département or a région: a
prefix is asked. None of this says whether the territory exists: that is
the COG's (``lookup``).
"""

from __future__ import annotations

import re
import unicodedata

import ckan.plugins.toolkit as tk

COMMUNE = "commune"
EPCI = "epci"
DEPARTEMENT = "departement"
REGION = "region"
PAYS = "pays"

# Widest first: the order of search results for equally good matches.
LEVELS: tuple[str, ...] = (PAYS, REGION, DEPARTEMENT, EPCI, COMMUNE)
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}

FRANCE = "pays:fr"
FRANCE_NAME = "France"

# INSEE codes: communes 5 characters (2A/2B for Corsica), départements and
# régions 2 or 3, EPCI a 9-digit SIREN.
COMMUNE_RE = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")
DEPARTEMENT_RE = re.compile(r"^(?:\d{2,3}|2[AB])$")
REGION_RE = re.compile(r"^\d{2,3}$")
EPCI_RE = re.compile(r"^\d{9}$")
_INSEE_RE = {
    COMMUNE: COMMUNE_RE,
    EPCI: EPCI_RE,
    DEPARTEMENT: DEPARTEMENT_RE,
    REGION: REGION_RE,
    PAYS: re.compile(r"^fr$"),
}


def make(level: str, insee: str) -> str:
    return f"{level}:{insee}"


def split(code: str) -> tuple[str, str]:
    """``("commune", "67482")`` for ``"commune:67482"``."""
    level, _, insee = code.partition(":")
    return level, insee


def canonical(value: str) -> str | None:
    """``value`` as a well-formed canonical code, or None.

    Tolerates case and spaces (``Commune:2a004`` → ``commune:2A004``); says
    nothing about whether the territory exists.
    """
    level, sep, insee = value.strip().partition(":")
    level = level.strip().lower()
    insee = insee.strip()
    insee = insee.lower() if level == PAYS else insee.upper()
    if not sep or level not in _INSEE_RE or not _INSEE_RE[level].match(insee):
        return None
    return make(level, insee)


_FOLD = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_name(value: str) -> str:
    """Lower case, no accents, words separated by single spaces.

    Hyphens, apostrophes and other punctuation separate words
    (``L'Haÿ-les-Roses`` → ``l hay les roses``). Abbreviations such as
    ``St`` are kept as written: the search expands them in queries.
    """
    decomposed = unicodedata.normalize("NFKD", value.translate(_FOLD))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", stripped.lower()).strip()


# Codes as typed ----------------------------------------------------------

_ALIASES = {
    "com": COMMUNE,
    "commune": COMMUNE,
    "epci": EPCI,
    "siren": EPCI,
    "dep": DEPARTEMENT,
    "departement": DEPARTEMENT,
    "département": DEPARTEMENT,
    "reg": REGION,
    "region": REGION,
    "région": REGION,
    "pays": PAYS,
    "country": PAYS,
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
        return FRANCE
    if lowered.startswith("fr:"):
        text = text[3:]
    if ":" in text:
        prefix, code = text.split(":", 1)
        found = _ALIASES.get(prefix.lower())
        result = canonical(f"{found}:{code}") if found else None
        if result is None:
            raise _invalid(str(raw), found or level)
        return result
    code = text.upper()
    if level is not None:
        result = canonical(f"{level}:{code}")
        if result is None:
            raise _invalid(str(raw), level)
        return result
    if COMMUNE_RE.match(code):
        return make(COMMUNE, code)
    if EPCI_RE.match(code):
        return make(EPCI, code)
    if _BARE_DEPARTEMENT.fullmatch(code):
        return make(DEPARTEMENT, code)
    if re.fullmatch(r"\d{2}", code):
        raise tk.Invalid(
            tk._(
                "Code ambigu « {value} » : département ou région ? Écrivez "
                "departement:{value} ou region:{value}."
            ).format(value=code)
        )
    raise _invalid(str(raw), level)
