"""Frictionless' report turned into ours: compact, stored, readable in French.

A stored report holds, per problem, the row (the header is row 1, as in a
spreadsheet), the column, the value and what the schema expects, as a
message id and its parameters: the text is made when the report is read, in
the reader's language (French first, English from our catalogue), never
frozen in the language of the worker that wrote it.

Shape (``report`` of ``resource_validation_show``)::

    {"status": "failure", "schema": "scdl/deliberations",
     "schema_version": "2.1.5", "rows": 120, "error_count": 3,
     "truncated": false, "encoding": "windows-1252", "delimiter": ";",
     "errors": [{"row": 4, "column": "DELIB_DATE", "value": "31/02/2024",
                 "code": "type-error", "expected": "<msgid>", "params": {}}],
     "warnings": [{"code": "…", "message": "<msgid>", "params": {}}],
     "not_applied": ["opening-hours-value"],
     "error": null}

``not_applied`` names the schema's custom checks that the portal does not
apply (also said in a warning); the others are applied by ``checks``.

``error`` (status ``error``) is a message id and parameters: the file could
not be read or the schema found; ``errors`` is then empty.
"""

from __future__ import annotations

import re
from typing import Any

import ckan.plugins.toolkit as tk

from ..harvesters.messages import _

CONSTRAINT_RE = re.compile(r'constraint "(\w+)" is "(.*)"', re.S)
DECIMAL_COMMA_RE = re.compile(r"^[+-]?\d{1,3}([ \u00a0.]?\d{3})*,\d+$|^[+-]?\d+,\d+$")
FRENCH_DATE_RE = re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4}$")

# friendlier words for the patterns SCDL uses most
PATTERNS = {
    r"^\d{14}$": _("14 chiffres (un SIRET)"),
    r"^\d{9}$": _("9 chiffres (un SIREN)"),
    r"^\d\.\d{1,2}$": _("un code de matière de la forme 1.2 ou 7.10"),
    r"^[0-9]{4}(\/[0-9]{4})?$": _("une année (2024) ou deux (2024/2025)"),
    r"^([013-9]\d|2[AB1-9])\d{3}$": _("un code commune INSEE (5 caractères)"),
}


def entry(
    code: str,
    expected: str,
    params: dict[str, Any] | None = None,
    row: int | None = None,
    column: str | None = None,
    value: Any = None,
) -> dict[str, Any]:
    return {
        "row": row,
        "column": column,
        "value": None if value is None else str(value)[:200],
        "code": code,
        "expected": expected,
        "params": params or {},
    }


def type_expectation(field: dict[str, Any], value: str) -> tuple[str, dict[str, Any]]:
    kind = field.get("type", "string")
    fmt = field.get("format") or "default"
    if kind == "date":
        if fmt not in ("default", "any"):
            return _("une date au format {format}"), {"format": fmt}
        if FRENCH_DATE_RE.match(value):
            return (
                _(
                    "une date au format AAAA-MM-JJ (ex. 2024-03-15) : ce schéma "
                    "n'accepte pas le format JJ/MM/AAAA"
                ),
                {},
            )
        return _("une date existante au format AAAA-MM-JJ (ex. 2024-03-15)"), {}
    if kind == "datetime":
        return _("une date et heure au format AAAA-MM-JJTHH:MM:SSZ"), {}
    if kind in ("number", "integer"):
        decimal = field.get("decimalChar", ".")
        if decimal != "," and DECIMAL_COMMA_RE.match(value):
            return (
                _(
                    "un nombre écrit avec un point décimal (ex. 12.5) : ce "
                    "schéma n'accepte pas la virgule décimale"
                ),
                {},
            )
        if kind == "integer":
            return _("un nombre entier (ex. 12)"), {}
        return _("un nombre (ex. 12.5)"), {}
    if kind == "year":
        return _("une année sur 4 chiffres (ex. 2024)"), {}
    if kind == "boolean":
        trues = field.get("trueValues") or ["true", "True", "TRUE", "1"]
        falses = field.get("falseValues") or ["false", "False", "FALSE", "0"]
        return (
            _("une des valeurs {values}"),
            {"values": ", ".join(list(trues) + list(falses))},
        )
    if kind == "array":
        return _('une liste JSON (ex. ["a", "b"])'), {}
    if kind == "string" and fmt == "uri":
        return _("une adresse web complète (https://…)"), {}
    if kind == "string" and fmt == "email":
        return _("une adresse électronique"), {}
    return _("une valeur de type {type}"), {"type": kind}


def constraint_expectation(
    field: dict[str, Any], note: str
) -> tuple[str, dict[str, Any]]:
    found = CONSTRAINT_RE.search(note or "")
    name = found.group(1) if found else ""
    constraints = field.get("constraints") or {}
    value = constraints.get(name, found.group(2) if found else "")
    if name == "required":
        return _("une valeur : la colonne est obligatoire"), {}
    if name == "pattern":
        friendly = PATTERNS.get(str(value))
        if friendly:
            return friendly, {}
        return _("une valeur de la forme {pattern}"), {"pattern": value}
    if name == "enum":
        values = value if isinstance(value, list) else [value]
        return (
            _("une des valeurs : {values}"),
            {"values": " ; ".join(str(v) for v in values)},
        )
    if name == "maxLength":
        return _("au plus {n} caractères"), {"n": value}
    if name == "minLength":
        return _("au moins {n} caractères"), {"n": value}
    if name == "minimum":
        return _("une valeur supérieure ou égale à {n}"), {"n": value}
    if name == "maximum":
        return _("une valeur inférieure ou égale à {n}"), {"n": value}
    if name == "unique":
        return _("une valeur qui n'apparaît qu'une fois dans la colonne"), {}
    return _("une valeur qui respecte la contrainte {name} ({value})"), {
        "name": name,
        "value": value,
    }


def from_frictionless(
    errors: list[Any], fields: dict[str, dict[str, Any]], width: int
) -> list[dict[str, Any]]:
    """Our entries for frictionless' errors (``width``: columns in the header)."""
    out: list[dict[str, Any]] = []
    short_rows: dict[int, int] = {}
    for error in errors:
        kind = error.type
        row = getattr(error, "row_number", None)
        column = getattr(error, "field_name", None) or None
        cell = getattr(error, "cell", None)
        field = fields.get(column or "", {})
        if kind == "missing-cell" and row is not None:
            short_rows[row] = len(getattr(error, "cells", []) or [])
            continue
        if kind == "constraint-error" and row in short_rows and cell in (None, "None"):
            continue  # the short row is reported once, below
        if kind == "type-error":
            expected, params = type_expectation(field, str(cell))
        elif kind == "constraint-error":
            expected, params = constraint_expectation(field, error.note)
        elif kind == "extra-cell":
            expected, params = (
                _("autant de cellules que de colonnes dans l'en-tête ({n})"),
                {"n": width},
            )
            column = None
        elif kind == "blank-row":
            expected, params = _("une ligne non vide (supprimez la ligne vide)"), {}
            cell = None
        elif kind in ("unique-error", "primary-key"):
            expected, params = (
                _("une valeur qui n'apparaît qu'une fois dans la colonne"),
                {},
            )
        elif kind in ("duplicate-label", "blank-label"):
            expected, params = _("des noms de colonnes non vides et distincts"), {}
            row = 1
        else:
            expected, params = (
                _("{title} : {note}"),
                {"title": getattr(error, "title", kind), "note": error.note},
            )
        out.append(entry(kind, expected, params, row, column, cell))
    for row, cells in short_rows.items():
        out.append(
            entry(
                "missing-cell",
                _(
                    "autant de cellules que de colonnes dans l'en-tête ({n}) ; "
                    "la ligne en a {m}"
                ),
                {"n": width, "m": cells},
                row,
            )
        )
    out.sort(key=lambda e: (e["row"] or 0, e["column"] or ""))
    return out


# --------------------------------------------------------------------------
# Reading: the text of a stored report, in the reader's language


def text(msgid: str, params: dict[str, Any] | None = None) -> str:
    translated = tk._(msgid)
    try:
        return translated.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return translated


def describe(item: dict[str, Any]) -> str:
    """One sentence for one problem: where, what was found, what was expected."""
    expected = text(item.get("expected", ""), item.get("params"))
    row, column, value = item.get("row"), item.get("column"), item.get("value")
    if row and column:
        if value in (None, "", "None"):
            return text(
                _(
                    "Ligne {row}, colonne {column} : cellule vide ; attendu : {expected}."
                ),
                {"row": row, "column": column, "expected": expected},
            )
        return text(
            _("Ligne {row}, colonne {column} : « {value} » ; attendu : {expected}."),
            {"row": row, "column": column, "value": value, "expected": expected},
        )
    if row:
        return text(
            _("Ligne {row} : attendu : {expected}."),
            {"row": row, "expected": expected},
        )
    if column:
        return text(
            _("Colonne {column} : attendu : {expected}."),
            {"column": column, "expected": expected},
        )
    return expected


def readable(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored report with a ``message`` on each entry (reader's language)."""
    if not report:
        return report
    out = dict(report)
    out["errors"] = [
        {**e, "expected": text(e["expected"], e.get("params")), "message": describe(e)}
        for e in report.get("errors") or []
    ]
    out["warnings"] = [
        {**w, "message": text(w["message"], w.get("params"))}
        for w in report.get("warnings") or []
    ]
    if report.get("error"):
        err = report["error"]
        out["error"] = {**err, "message": text(err["message"], err.get("params"))}
    return out
