"""A schema's empty file to fill in, and an XLSX turned into CSV.

The template CSV is what a French spreadsheet reads without asking:
UTF-8 with a byte order mark, ``;`` between columns, the schema's column
names on the first line. The XLSX has the same first line and a second
sheet that describes each column (required or not, expected form,
example). A filled XLSX is turned into such a CSV before it becomes the
resource, because the validation reads CSV: dates become AAAA-MM-JJ, as the
SCDL schemas want them.
"""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import ckan.plugins.toolkit as tk

from .profiles import Profile

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_bytes(profile: Profile) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(profile.headers())
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _example(spec: dict[str, Any]) -> str:
    example = spec.get("example")
    return "" if example is None else str(example)


def xlsx_bytes(profile: Profile) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = tk._("Données")
    sheet.append(profile.headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, name in zip(sheet.iter_cols(max_row=1), profile.headers(), strict=True):
        sheet.column_dimensions[column[0].column_letter].width = max(12, len(name) + 2)
    sheet.freeze_panes = "A2"
    help_sheet = book.create_sheet(tk._("Aide"))
    help_sheet.append(
        [tk._("Colonne"), tk._("Obligatoire"), tk._("Description"), tk._("Exemple")]
    )
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    required = set(profile.required())
    for spec in profile.fields:
        help_sheet.append(
            [
                spec["name"],
                tk._("oui") if spec["name"] in required else tk._("non"),
                str(spec.get("description") or spec.get("title") or ""),
                _example(spec),
            ]
        )
    help_sheet.column_dimensions["A"].width = 28
    help_sheet.column_dimensions["C"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class UnreadableSpreadsheet(Exception):
    pass


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xlsx_to_csv(data: bytes) -> bytes:
    """The first sheet of an XLSX file as the portal's CSV."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a bad file
        raise UnreadableSpreadsheet(str(e)) from e
    sheet = book.worksheets[0]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    width = 0
    for row in sheet.iter_rows(values_only=True):
        cells = [_cell(v) for v in row]
        if not any(cells):
            continue  # blank lines, often left at the end of a sheet
        if not width:
            # the header line sets the width: empty columns past it go
            while cells and cells[-1] == "":
                cells.pop()
            width = len(cells)
        cells = (cells + [""] * width)[:width]
        writer.writerow(cells)
    book.close()
    return ("\ufeff" + out.getvalue()).encode("utf-8")
