"""French checks that SCDL schemas rely on and Table Schema cannot express.

- SIREN (9 digits) and SIRET (14 digits) carry a Luhn key. La Poste's
  establishments share the SIREN 356 000 000 and are too many for the Luhn
  key to tell apart: their SIRETs instead have a sum of digits that is a
  multiple of 5 (the head office, 356 000 000 00048, satisfies both).
- INSEE commune codes must name a commune of the COG loaded in PostgreSQL
  (``territories``); a former commune's code is accepted (older files use
  it), and so are the municipal arrondissements of Paris, Marseille, Lyon.

Which columns: the ``custom_checks`` that the schema declares (Validata's
names and parameters, as in the SCDL schemas), and columns whose name says
SIRET, SIREN or INSEE. The checks run over the rows after frictionless, on
cells that frictionless found valid. The custom checks mean what
validata-core's ``custom_checks`` mean:

- ``french-siret-value`` (column): a SIRET with a valid key;
- ``one-of-required`` (column1, column2): at least one of the two cells is
  filled (a column absent from the file counts as empty; both absent: one
  error on the header);
- ``year-interval-value`` (column, allow-year-only): ``AAAA/AAAA``, the
  second year after the first; a single year too with ``allow-year-only``
  ``yes`` or ``true``;
- ``cohesive-columns-value`` (column, othercolumns): on each row, the
  columns all filled or all empty (some of them absent from the file: one
  error on the header, the others still checked);
- ``compare-columns-value`` (column, op, column2): ``column op column2``
  with ``>``, ``>=``, ``<``, ``<=``, ``==`` between numbers, dates or text;
- ``sum-columns-value`` (column, columns): column equals the sum of columns;
- ``nomenclature-actes-value`` (column): the part before ``/`` is a
  top-level subject of the ACTES nomenclature (case and accents ignored).

Single-column checks skip empty cells; compare and sum skip a row where one
of their cells is empty or unreadable (the type check reports it) and a
file without one of their columns. Any other custom check, or one whose
parameters we cannot read, is named in the report as not applied.
"""

from __future__ import annotations

import datetime
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
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
APPLIED = frozenset(
    {
        "french-siret-value",
        "one-of-required",
        "year-interval-value",
        "cohesive-columns-value",
        "compare-columns-value",
        "sum-columns-value",
        "nomenclature-actes-value",
    }
)

# the top level of the ACTES nomenclature (Aide au Contrôle de légaliTé
# dématErialiSé), the words before "/" in DELIB_MATIERE_NOM
NOMENCLATURE_ACTES = (
    "Commande publique",
    "Urbanisme",
    "Domaine et patrimoine",
    "Fonction publique",
    "Institutions et vie politique",
    "Libertés publiques et pouvoirs de police",
    "Finances locales",
    "Domaines de compétences par thèmes",
    "Autres domaines de compétences",
)

YEAR_RE = re.compile(r"^\d{4}$")
YEAR_INTERVAL_RE = re.compile(r"^(\d{4})/(\d{4})$")

COMPARE_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
}
COMPARE_EXPECTED = {
    ">": _("une valeur supérieure à celle de la colonne {other} (« {other_value} »)"),
    ">=": _(
        "une valeur supérieure ou égale à celle de la colonne {other} "
        "(« {other_value} »)"
    ),
    "<": _("une valeur inférieure à celle de la colonne {other} (« {other_value} »)"),
    "<=": _(
        "une valeur inférieure ou égale à celle de la colonne {other} "
        "(« {other_value} »)"
    ),
    "==": _("une valeur égale à celle de la colonne {other} (« {other_value} »)"),
}

NUMERIC_TYPES = ("number", "integer")


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
    column: str | None
    value: str | None
    code: str
    msgid: str
    params: dict[str, Any]


@dataclass
class ColumnCheck:
    column: str  # the column an error is reported on
    kind: str  # siret, siren, insee, or a custom check's name
    others: tuple[str, ...] = ()  # the other columns it reads
    op: str = ""  # compare-columns-value
    year_only: bool = False  # year-interval-value


@dataclass
class Plan:
    checks: list[ColumnCheck]
    header: list[CellProblem]  # columns that custom checks need, absent
    not_applied: list[str]  # custom checks the portal does not apply
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing_values: tuple[str, ...] = ("",)


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _names(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(v, str) and v for v in value):
        return None
    return tuple(value)


def _custom(
    name: str, params: dict[str, Any], present: set[str]
) -> tuple[list[ColumnCheck], list[CellProblem]] | None:
    """The row checks and header problems of one custom check other than
    french-siret-value; None when its parameters cannot be read."""
    if name == "one-of-required":
        # validata-core reads column1; its documentation says column
        first = _name(params.get("column1")) or _name(params.get("column"))
        second = _name(params.get("column2"))
        if not (first and second):
            return None
        if first not in present and second not in present:
            problem = CellProblem(
                1,
                None,
                None,
                name,
                _(
                    "l'une des colonnes {column1} ou {column2} dans la ligne "
                    "d'en-tête : le schéma demande au moins l'une des deux"
                ),
                {"column1": first, "column2": second},
            )
            return [], [problem]
        target = first if first in present else second
        return [ColumnCheck(target, name, (first, second))], []
    if name == "year-interval-value":
        column = _name(params.get("column"))
        if not column:
            return None
        year_only = str(params.get("allow-year-only", "")).lower() in ("yes", "true")
        if column not in present:
            return [], []
        return [ColumnCheck(column, name, year_only=year_only)], []
    if name == "cohesive-columns-value":
        column = _name(params.get("column"))
        others = _names(params.get("othercolumns"))
        if not (column and others):
            return None
        together = (column, *others)
        found = tuple(c for c in together if c in present)
        if not found:
            return [], []
        problems = []
        if len(found) < len(together):
            problems.append(
                CellProblem(
                    1,
                    None,
                    None,
                    name,
                    _(
                        "les colonnes {columns} toutes présentes ou toutes "
                        "absentes de la ligne d'en-tête (absentes : {missing})"
                    ),
                    {
                        "columns": ", ".join(together),
                        "missing": ", ".join(c for c in together if c not in found),
                    },
                )
            )
        if len(found) < 2:
            return [], problems
        return [ColumnCheck(found[0], name, found)], problems
    if name == "compare-columns-value":
        column = _name(params.get("column"))
        other = _name(params.get("column2"))
        op = params.get("op")
        if not (column and other) or op not in COMPARE_OPS:
            return None
        if column not in present or other not in present:
            return [], []
        return [ColumnCheck(column, name, (other,), op=op)], []
    if name == "sum-columns-value":
        column = _name(params.get("column"))
        terms = _names(params.get("columns"))
        if not column or not terms or len(terms) < 2:
            return None
        if column not in present or any(t not in present for t in terms):
            return [], []
        return [ColumnCheck(column, name, terms)], []
    if name == "nomenclature-actes-value":
        column = _name(params.get("column"))
        if not column:
            return None
        if column not in present:
            return [], []
        return [ColumnCheck(column, name)], []
    return None


def plan(schema: dict[str, Any], header: list[str]) -> Plan:
    """The checks to run on this file, the problems of its header that
    they find, and the schema's custom checks that the portal does not
    apply (named in the report)."""
    present = set(header)
    identifiers: dict[str, str] = {}
    custom: list[ColumnCheck] = []
    problems: list[CellProblem] = []
    not_applied = []
    for check in schema.get("custom_checks") or []:
        name = check.get("name") if isinstance(check, dict) else None
        params = (check.get("params") or {}) if isinstance(check, dict) else {}
        if not isinstance(name, str) or not name:
            continue
        if not isinstance(params, dict):
            not_applied.append(name)
            continue
        if name == "french-siret-value":
            column = _name(params.get("column"))
            if column:
                identifiers[column] = "siret"
            else:
                not_applied.append(name)
            continue
        built = _custom(name, params, present)
        if built is None:
            not_applied.append(name)
            continue
        custom += built[0]
        problems += built[1]
    fields = {}
    for field_ in schema.get("fields") or []:
        name = field_.get("name", "")
        fields[name] = field_
        upper = name.upper()
        pattern = (field_.get("constraints") or {}).get("pattern", "")
        if "SIRET" in upper:
            identifiers.setdefault(name, "siret")
        elif "SIREN" in upper:
            identifiers.setdefault(name, "siren")
        elif "INSEE" in upper or pattern == INSEE_COMMUNE_RE.pattern.replace(
            "(?:", "("
        ):
            identifiers.setdefault(name, "insee")
    checks = [ColumnCheck(c, k) for c, k in identifiers.items() if c in present]
    missing = schema.get("missingValues")
    return Plan(
        checks + custom,
        problems,
        sorted(set(not_applied)),
        fields,
        tuple(missing) if isinstance(missing, list) else ("",),
    )


def run(
    plan_: Plan,
    header: list[str],
    rows: Iterable[list[str]],
    already: set[tuple[int, str]],
    limit: int,
) -> Iterator[CellProblem]:
    """Problems of the data rows (after the header). Row numbers are
    frictionless' (the header is row 1); ``already``: the cells frictionless
    found wrong, left to its error."""
    checks = plan_.checks
    if not checks or limit <= 0:
        return
    width = len(header)
    insee = _insee_lookup() if any(c.kind == "insee" for c in checks) else None
    empty = set(plan_.missing_values) - {""}
    found = 0
    for number, row in enumerate(rows, start=2):
        values = [v.strip() for v in row[:width]]
        if empty:
            values = ["" if v in empty else v for v in values]
        # cells by column name; a short row's missing cells and a column
        # absent from the file read as empty (cells.get(name, ""))
        cells = dict(zip(header, values, strict=False))
        for check in checks:
            if (number, check.column) in already:
                continue
            value = cells.get(check.column, "")
            if check.kind in ("siret", "siren", "insee"):
                problem = _identifier(check, value, insee) if value else None
            else:
                problem = _custom_row(check, value, cells, number, already, plan_)
            if problem is None:
                continue
            code, msgid, params = problem
            yield CellProblem(number, check.column, value, code, msgid, params)
            found += 1
            if found >= limit:
                return


def _custom_row(
    check: ColumnCheck,
    value: str,
    cells: dict[str, str],
    number: int,
    already: set[tuple[int, str]],
    plan_: Plan,
) -> tuple[str, str, dict[str, Any]] | None:
    kind = check.kind
    if kind == "one-of-required":
        if any(cells.get(c) for c in check.others):
            return None
        first, second = check.others
        return (
            kind,
            _(
                "une valeur dans la colonne {column1} ou dans la colonne "
                "{column2} : au moins l'une des deux doit être remplie"
            ),
            {"column1": first, "column2": second},
        )
    if kind == "cohesive-columns-value":
        filled = [c for c in check.others if cells.get(c)]
        if not filled or len(filled) == len(check.others):
            return None
        return (
            kind,
            _(
                "les colonnes {columns} toutes remplies ou toutes vides sur "
                "une même ligne (remplies : {filled} ; vides : {empty})"
            ),
            {
                "columns": ", ".join(check.others),
                "filled": ", ".join(filled),
                "empty": ", ".join(c for c in check.others if c not in filled),
            },
        )
    if not value:
        return None
    if kind == "year-interval-value":
        return _year_interval(value, check.year_only)
    if kind == "nomenclature-actes-value":
        return _nomenclature_actes(value)
    if already and any((number, c) in already for c in check.others):
        return None  # an unreadable cell, reported by the type check
    if kind == "compare-columns-value":
        (other,) = check.others
        other_value = cells.get(other, "")
        if not other_value:
            return None
        left, right = _comparable(
            value,
            other_value,
            plan_.fields.get(check.column, {}),
            plan_.fields.get(other, {}),
        )
        if left is None or right is None or COMPARE_OPS[check.op](left, right):
            return None
        return (
            kind,
            COMPARE_EXPECTED[check.op],
            {"other": other, "other_value": other_value},
        )
    if kind == "sum-columns-value":
        total = _number(value, plan_.fields.get(check.column, {}))
        terms = [(c, cells.get(c, "")) for c in check.others]
        numbers = [_number(v, plan_.fields.get(c, {})) for c, v in terms]
        if total is None or any(n is None for n in numbers):
            return None
        computed = sum((n for n in numbers if n is not None), Decimal(0))
        if computed == total:
            return None
        return (
            kind,
            _("la somme des colonnes {columns} : {terms} = {sum}"),
            {
                "columns": ", ".join(check.others),
                "terms": " + ".join(v for _c, v in terms),
                "sum": _plain(computed),
            },
        )
    return None


def _year_interval(
    value: str, year_only: bool
) -> tuple[str, str, dict[str, Any]] | None:
    code = "year-interval-value"
    interval = YEAR_INTERVAL_RE.match(value)
    if interval is None:
        if year_only and YEAR_RE.match(value):
            return None
        if year_only:
            return (
                code,
                _(
                    "une année (AAAA, ex. 2024) ou une période de deux années "
                    "(AAAA/AAAA, ex. 2024/2025)"
                ),
                {},
            )
        return (code, _("une période de deux années (AAAA/AAAA, ex. 2024/2025)"), {})
    first, second = interval.groups()
    if first == second:
        return (
            code,
            _(
                "une période de deux années différentes (AAAA/AAAA) : pour la "
                "seule année {year}, écrivez {year}"
            )
            if year_only
            else _("une période de deux années différentes (AAAA/AAAA)"),
            {"year": first},
        )
    if first > second:
        return (
            code,
            _(
                "une période dont la seconde année est postérieure à la "
                "première (sans doute {second}/{first})"
            ),
            {"first": first, "second": second},
        )
    return None


@lru_cache(maxsize=1024)
def _folded(text: str) -> str:
    """Lower case, without accents: how the ACTES subjects are compared."""
    return "".join(
        c
        for c in unicodedata.normalize("NFD", text.lower())
        if unicodedata.category(c) != "Mn"
    )


ACTES_FOLDED = frozenset(_folded(s) for s in NOMENCLATURE_ACTES)


def _nomenclature_actes(value: str) -> tuple[str, str, dict[str, Any]] | None:
    code = "nomenclature-actes-value"
    domains = " ; ".join(NOMENCLATURE_ACTES)
    if "/" not in value:
        return (
            code,
            _(
                "une matière de la nomenclature ACTES écrite « domaine/matière » "
                "(ex. Finances locales/Décisions budgétaires) : le signe « / » "
                "manque ; domaines : {domains}"
            ),
            {"domains": domains},
        )
    prefix = value.split("/", 1)[0]
    if _folded(prefix.strip()) in ACTES_FOLDED:
        return None
    return (
        code,
        _(
            "une matière de la nomenclature ACTES dont le domaine, avant « / », "
            "est l'un de ceux-ci : {domains} (« {prefix} » n'en est pas un)"
        ),
        {"domains": domains, "prefix": prefix.strip()},
    )


def _number(value: str, field_: dict[str, Any]) -> Decimal | None:
    """A number as Table Schema reads it (decimalChar, groupChar); None when
    the cell is not one."""
    return _decimal(
        value, field_.get("groupChar") or "", field_.get("decimalChar", ".")
    )


@lru_cache(maxsize=4096)
def _decimal(value: str, group: str, decimal: str) -> Decimal | None:
    text = value.strip()
    if group:
        text = text.replace(group, "")
    if decimal != ".":
        text = text.replace(decimal, ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _when(value: str, field_: dict[str, Any]) -> Any:
    """A date, datetime or year cell read by its declared type and format."""
    kind = field_.get("type")
    fmt = field_.get("format") or "default"
    try:
        if kind == "year":
            return int(value) if YEAR_RE.match(value) else None
        if "%" in fmt:
            parsed = datetime.datetime.strptime(value, fmt)
            return parsed.date() if kind == "date" else parsed
        if kind == "date":
            return datetime.date.fromisoformat(value)
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        # a file that mixes zones and no zone cannot be ordered: read as UTC
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    except ValueError:
        return None


def _comparable(
    value: str, other: str, field_: dict[str, Any], other_field: dict[str, Any]
) -> tuple[Any, Any]:
    """Both cells as numbers, dates or text, as their fields' types say;
    (None, None) when they cannot be compared (read nothing into it: the
    type check reports an unreadable cell)."""
    kinds = {field_.get("type", "string"), other_field.get("type", "string")}
    if kinds <= set(NUMERIC_TYPES):
        return _number(value, field_), _number(other, other_field)
    if len(kinds) == 1 and kinds & {"date", "datetime", "year"}:
        return _when(value, field_), _when(other, other_field)
    if kinds <= {"string", "any"}:
        # as validata-core: two numbers written in text columns are numbers
        left, right = _number(value, {}), _number(other, {})
        if left is not None and right is not None:
            return left, right
        return value, other
    return None, None


def _identifier(
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
