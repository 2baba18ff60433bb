"""One file against one Table Schema: frictionless, then the French checks."""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any

from ..harvesters.messages import _
from . import checks, report, source

log = logging.getLogger(__name__)

# Table Schema properties frictionless reads; the rest (custom_checks,
# contributors…) is schema.data.gouv.fr's metadata
SCHEMA_KEYS = ("missingValues", "primaryKey")


def _frictionless_schema(schema: dict[str, Any], header: list[str]) -> dict[str, Any]:
    """The schema's fields in the file's column order.

    Columns are matched by name, not position: a file with a column missing
    would otherwise have every later column checked against the wrong field.
    A column the schema does not know is read as text (and named in a warning).
    """
    by_name = {f["name"]: f for f in schema["fields"]}
    fields = [
        dict(by_name[name]) if name in by_name else {"name": name, "type": "any"}
        for name in header
    ]
    descriptor: dict[str, Any] = {"fields": fields}
    if "missingValues" in schema:
        descriptor["missingValues"] = schema["missingValues"]
    key = schema.get("primaryKey")
    keys = [key] if isinstance(key, str) else key or []
    if keys and all(k in header for k in keys):
        descriptor["primaryKey"] = key
    return descriptor


def validate_content(
    content: bytes, schema: dict[str, Any], limit: int = 1000
) -> dict[str, Any]:
    """The report (status ``success`` or ``failure``) of ``content`` against
    ``schema``; :class:`source.SourceError` when it is not a CSV table."""
    from frictionless import Checklist, Dialect, Resource, Schema, formats

    table = source.read(content)
    header = [label.strip() for label in table.header]
    fields = {f["name"]: f for f in schema["fields"]}
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []

    for name, field in fields.items():
        if name in header:
            continue
        if (field.get("constraints") or {}).get("required"):
            errors.append(
                report.entry(
                    "missing-label",
                    _("la colonne obligatoire {column} dans la ligne d'en-tête"),
                    {"column": name},
                    row=1,
                    column=name,
                )
            )
        else:
            warnings.append(
                {
                    "code": "missing-optional-label",
                    "message": _(
                        "La colonne facultative {column} du schéma est absente "
                        "du fichier."
                    ),
                    "params": {"column": name},
                }
            )
    extra = [name for name in header if name and name not in fields]
    if extra:
        warnings.append(
            {
                "code": "extra-label",
                "message": _(
                    "Colonnes absentes du schéma, non vérifiées : {columns}. "
                    "Vérifiez leur orthographe (majuscules comprises)."
                ),
                "params": {"columns": ", ".join(extra)},
            }
        )

    duplicated = sorted({n for n in header if n and header.count(n) > 1})
    for name in duplicated:
        errors.append(
            report.entry(
                "duplicate-label",
                _("des noms de colonnes non vides et distincts"),
                {},
                row=1,
                column=name,
            )
        )

    # frictionless reads the text from a file, not from the rows parsed
    # above: handed inline rows, it deep-copies them all into its
    # descriptor (half the time of a 100,000-row file). Header problems
    # are ours (columns matched by name, above).
    with tempfile.TemporaryDirectory(prefix="territoire-validation-") as tmp:
        with open(os.path.join(tmp, "data.csv"), "w", encoding="utf-8") as f:
            f.write(table.text)
        resource = Resource(
            path="data.csv",
            basepath=tmp,
            format="csv",
            encoding="utf-8",
            dialect=Dialect(controls=[formats.CsvControl(delimiter=table.delimiter)]),
            schema=Schema.from_descriptor(_frictionless_schema(schema, header)),
        )
        result = resource.validate(
            checklist=Checklist(skip_errors=["#header"]), limit_errors=limit
        )
    task_errors = result.tasks[0].errors if result.tasks else result.errors
    errors += report.from_frictionless(list(task_errors), fields, len(header))

    planned = checks.plan(schema, header)
    if (
        any(c.kind == "insee" for c in planned.checks)
        and checks._insee_lookup() is None
    ):
        warnings.append(
            {
                "code": "cog-missing",
                "message": _(
                    "Les codes INSEE n'ont pas été vérifiés : le Code officiel "
                    "géographique n'est pas chargé sur le portail."
                ),
                "params": {},
            }
        )
    already = {(e["row"], e["column"]) for e in errors if e["row"] and e["column"]}
    records = table.records()
    next(records)  # the header, stripped above
    problems = list(planned.header)
    room = max(limit - len(errors) - len(problems), 0)
    problems += checks.run(planned, header, records, already, room)
    for problem in problems:
        errors.append(
            report.entry(
                problem.code,
                problem.msgid,
                problem.params,
                problem.row,
                problem.column,
                problem.value,
            )
        )
    errors.sort(key=lambda e: (e["row"] or 0, e["column"] or ""))
    if planned.not_applied:
        warnings.append(
            {
                "code": "custom-checks-skipped",
                "message": _(
                    "Contrôles propres au schéma non appliqués par le portail : "
                    "{checks}."
                ),
                "params": {"checks": ", ".join(planned.not_applied)},
            }
        )
    truncated = len(errors) >= limit
    return {
        "status": "failure" if errors else "success",
        "rows": table.rows,
        "columns": len(header),
        "error_count": len(errors),
        "truncated": truncated,
        "encoding": table.encoding,
        "bom": table.bom,
        "delimiter": table.delimiter,
        "errors": errors[:limit],
        "warnings": warnings,
        "not_applied": planned.not_applied,
        "error": None,
    }
