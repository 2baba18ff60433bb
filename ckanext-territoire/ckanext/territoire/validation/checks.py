"""French checks that SCDL schemas rely on and Table Schema cannot express.

- SIREN (9 digits) and SIRET (14 digits) carry a Luhn key. La Poste's
  establishments share the SIREN 356 000 000 and are too many for the Luhn
  key to tell apart: their SIRETs instead have a sum of digits that is a
  multiple of 5 (the head office, 356 000 000 00048, satisfies both).
- INSEE commune codes must name a commune of the COG loaded in PostgreSQL
  (``territories``); a former commune's code is accepted (older files use
  it), and so are the municipal arrondissements of Paris, Marseille, Lyon.

Which columns: the ``french-siret-value`` custom checks that the schema
declares (Validata's name, as in the SCDL schemas), and columns whose name
says SIRET, SIREN or INSEE. The checks run over the rows after frictionless,
on cells that frictionless found valid (one error per cell).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..harvesters.messages import _

LA_POSTE_SIREN = "356000000"
INSEE_COMMUNE_RE = re.compile(r"^(?:[013-9]\d|2[AB1-9])\d{3}$")

# Paris, Marseille and Lyon's municipal arrondissements have INSEE codes
# that files use; the COG loaded here keeps them inside their commune
ARRONDISSEMENTS = frozenset(
    [str(c) for c in range(75101, 75121)]
    + [str(c) for c in range(13201, 13217)]
    + [str(c) for c in range(69381, 69390)]
)

# custom checks of schema.data.gouv.fr schemas that the portal applies
APPLIED = {"french-siret-value"}


def luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = ord(char) - 48
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def siren_ok(value: str) -> bool:
    return len(value) == 9 and value.isdigit() and luhn(value)


def siret_ok(value: str) -> bool:
    if len(value) != 14 or not value.isdigit():
        return False
    if luhn(value):
        return True
    return value.startswith(LA_POSTE_SIREN) and sum(map(int, value)) % 5 == 0


@dataclass
class CellProblem:
    row: int
    column: str
    value: str
    code: str
    msgid: str
    params: dict[str, Any]


@dataclass
class ColumnCheck:
    column: str
    kind: str  # siret, siren, insee


def plan(
    schema: dict[str, Any], header: list[str]
) -> tuple[list[ColumnCheck], list[str]]:
    """The checks to run on this file, and the schema's custom checks that
    the portal does not apply (named in the report)."""
    present = set(header)
    wanted: dict[str, str] = {}
    skipped = []
    for check in schema.get("custom_checks") or []:
        name = check.get("name") if isinstance(check, dict) else None
        params = (check.get("params") or {}) if isinstance(check, dict) else {}
        if name == "french-siret-value" and params.get("column"):
            wanted[params["column"]] = "siret"
        elif name and name not in APPLIED:
            skipped.append(name)
    for field in schema.get("fields") or []:
        name = field.get("name", "")
        upper = name.upper()
        pattern = (field.get("constraints") or {}).get("pattern", "")
        if "SIRET" in upper:
            wanted.setdefault(name, "siret")
        elif "SIREN" in upper:
            wanted.setdefault(name, "siren")
        elif "INSEE" in upper or pattern == INSEE_COMMUNE_RE.pattern.replace(
            "(?:", "("
        ):
            wanted.setdefault(name, "insee")
    checks = [ColumnCheck(c, k) for c, k in wanted.items() if c in present]
    return checks, sorted(set(skipped))


def run(
    checks: list[ColumnCheck],
    header: list[str],
    rows: Iterable[list[str]],
    already: set[tuple[int, str]],
    limit: int,
) -> Iterator[CellProblem]:
    """Problems of the data rows (after the header). Row numbers are
    frictionless' (the header is row 1)."""
    if not checks:
        return
    index = {name: i for i, name in enumerate(header)}
    plan_ = [(c, index[c.column]) for c in checks]
    insee = _insee_lookup() if any(c.kind == "insee" for c in checks) else None
    found = 0
    for number, row in enumerate(rows, start=2):
        for check, i in plan_:
            if i >= len(row):
                continue
            value = row[i].strip()
            if not value or (number, check.column) in already:
                continue
            problem = _check(check, value, insee)
            if problem is None:
                continue
            code, msgid, params = problem
            yield CellProblem(number, check.column, value, code, msgid, params)
            found += 1
            if found >= limit:
                return


def _check(
    check: ColumnCheck, value: str, insee: Any
) -> tuple[str, str, dict[str, Any]] | None:
    if check.kind == "siret":
        compact = value.replace(" ", "")
        if not (len(compact) == 14 and compact.isdigit()):
            return (
                "siret-format",
                _("un SIRET de 14 chiffres"),
                {},
            )
        if siret_ok(compact):
            return None
        if not siren_ok(compact[:9]):
            return (
                "siren-checksum",
                _(
                    "un SIRET dont le SIREN (9 premiers chiffres, {siren}) a une "
                    "clé de contrôle valide (algorithme de Luhn) : vérifiez le "
                    "numéro sur annuaire-entreprises.data.gouv.fr"
                ),
                {"siren": compact[:9]},
            )
        return (
            "siret-checksum",
            _(
                "un SIRET dont la clé de contrôle est valide (algorithme de "
                "Luhn) : vérifiez le numéro d'établissement (5 derniers chiffres)"
            ),
            {},
        )
    if check.kind == "siren":
        compact = value.replace(" ", "")
        if siren_ok(compact):
            return None
        return (
            "siren-checksum",
            _("un SIREN de 9 chiffres avec une clé de contrôle valide (Luhn)"),
            {},
        )
    if check.kind == "insee":
        if insee is None:
            return None
        if not INSEE_COMMUNE_RE.match(value.upper()):
            return (
                "insee-format",
                _("un code commune INSEE de 5 caractères (ex. 67482, 2A004)"),
                {},
            )
        if insee(value.upper()):
            return None
        return (
            "insee-unknown",
            _(
                "un code commune INSEE qui existe dans le Code officiel "
                "géographique chargé sur le portail"
            ),
            {},
        )
    return None


def _insee_lookup() -> Any:
    """A function telling whether a commune code exists; None without a COG
    (the check is then skipped, and said so in the report)."""
    from ..territories import lookup

    try:
        if not lookup.is_loaded():
            return None
    except Exception:  # noqa: BLE001 - no COG table: no check, not a crash
        return None

    def known(code: str) -> bool:
        if code in ARRONDISSEMENTS:
            return True
        canonical = f"commune:{code}"
        return lookup.get(canonical) is not None or bool(lookup.former(canonical))

    return known
