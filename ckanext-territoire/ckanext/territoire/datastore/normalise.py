"""What collectivités publish, made into one clean CSV for the DataStore.

One pass over the file, in the worker, with bounded memory:

- CSV/TSV: encoding UTF-8 (with or without byte order mark), else
  Windows-1252 (Latin-1's superset); delimiter ``;``, ``,``, tab or ``|``
  read from the header line; empty lines (trailing ones included) dropped;
- XLSX: the first sheet, read in streaming mode; an empty header cell (merged
  header cells leave them) is refused, naming the column;
- column types: the declared Table Schema's when there is one (values checked
  against it), otherwise guessed from every value: integers, decimals with a
  comma or a point (``12,5``), dates ``JJ/MM/AAAA`` or ISO, date-times; codes
  with leading zeros, and columns named like codes (SIRET, SIREN, INSEE,
  code, CP, id…), stay text.

The output is a UTF-8, comma-separated CSV of the values as read; PostgreSQL
converts them to the column types while loading (``load.py``), which keeps
the Python side to a single pass.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..harvesters.messages import HarvestMessage, _

SAMPLE = 1 << 20
DELIMITERS = (";", ",", "\t", "|")
MAX_COLUMN = 63  # PostgreSQL identifiers

# DataStore column types, from the most specific to text
INT = "int8"
NUMERIC = "numeric"
DATE = "date"
TIMESTAMP = "timestamp"
TEXT = "text"

_INT = re.compile(r"^[+-]?(?:0|[1-9][0-9]{0,17})$")
_NUM = re.compile(r"^[+-]?(?:0|[1-9][0-9]*)(?:[.,][0-9]+)?$")
_DATE_FR = re.compile(r"^(?:0[1-9]|[12][0-9]|3[01])/(?:0[1-9]|1[0-2])/[0-9]{4}$")
_DATE_ISO = re.compile(r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$")
_TS = re.compile(
    r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]|[0-9]{2}/[0-9]{2}/[0-9]{4} )"
    r"[0-2][0-9]:[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"
)

# column names of codes made of digits (kept as text when guessing)
_IDENTIFIER = re.compile(
    r"(?:^|[^a-z])(?:siret|siren|insee|cog|code|cp|postal|tel|telephone|id)(?:[^a-z]|$)"
    r"|(?:siret|siren|insee|postal)"
    r"|(?-i:^(?:id|code|cp)[A-Z])",  # camelCase: idBeneficiaire, codeCommune
    re.IGNORECASE,
)

# Table Schema types -> DataStore types (the others are text)
SCHEMA_TYPES = {
    "integer": INT,
    "number": NUMERIC,
    "date": DATE,
    "datetime": TIMESTAMP,
    "year": INT,
}
_CHECKS = {
    INT: _INT.match,
    NUMERIC: _NUM.match,
    TIMESTAMP: _TS.match,
}


class LoadError(HarvestMessage):
    """A file that cannot be loaded: the message names the problem and the fix."""


@dataclass
class Column:
    name: str
    declared: str | None = None  # type from a Table Schema
    candidates: set[str] = field(
        default_factory=lambda: {INT, NUMERIC, DATE, TIMESTAMP}
    )
    date_formats: set[str] = field(default_factory=set)
    seen: bool = False

    @property
    def type(self) -> str:
        if self.declared:
            return self.declared
        if not self.seen:
            return TEXT
        if _IDENTIFIER.search(self.name):
            # SIRET, SIREN, INSEE codes, postcodes, ids: digits, not numbers
            return DATE if DATE in self.candidates else TEXT
        for kind in (INT, NUMERIC, DATE, TIMESTAMP):
            if kind in self.candidates:
                return kind
        return TEXT

    def observe(self, value: str) -> None:
        self.seen = True
        cands = self.candidates
        if INT in cands and not _INT.match(value):
            cands.discard(INT)
        if NUMERIC in cands and not _NUM.match(value):
            cands.discard(NUMERIC)
        if DATE in cands:
            if _DATE_FR.match(value):
                self.date_formats.add("fr")
            elif _DATE_ISO.match(value):
                self.date_formats.add("iso")
            else:
                cands.discard(DATE)
            if len(self.date_formats) > 1:
                cands.discard(DATE)
        if TIMESTAMP in cands and not _TS.match(value):
            cands.discard(TIMESTAMP)


@dataclass
class Table:
    """The normalised file and what the loader needs to know about it."""

    path: Path
    columns: list[Column]
    rows: int
    source_format: str
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def fields(self) -> list[dict[str, Any]]:
        return [{"id": c.name, "type": c.type} for c in self.columns]


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


def sniff_kind(path: Path, declared_format: str) -> str:
    """``xlsx`` or ``csv`` (``tsv`` included), from the bytes first."""
    with open(path, "rb") as f:
        head = f.read(SAMPLE)
    if not head:
        raise LoadError(
            _(
                "Le fichier est vide (0 octet) : déposez à nouveau le fichier "
                "complet, ou vérifiez le lien."
            )
        )
    if head.startswith(b"PK\x03\x04"):
        if zipfile.is_zipfile(path):
            return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise LoadError(
            _(
                "Le fichier est un classeur Excel ancien (.xls) : enregistrez-le "
                "au format XLSX ou CSV puis déposez-le à nouveau."
            )
        )
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head")):
        raise LoadError(
            _(
                "Le fichier est une page HTML, pas un tableau {format} : le lien "
                "mène sans doute à une page d'accueil ou d'erreur. Donnez "
                "l'adresse du fichier lui-même."
            ),
            format=(declared_format or "CSV").upper(),
        )
    if b"\x00" in head or _binary_share(head) > 0.1:
        raise LoadError(
            _(
                "Le fichier n'est pas un tableau texte lisible (contenu binaire : "
                "image, PDF, archive renommée ?) alors que son format est {format}. "
                "Déposez le fichier CSV, TSV ou XLSX lui-même."
            ),
            format=(declared_format or "CSV").upper(),
        )
    return "csv"


def _binary_share(head: bytes) -> float:
    controls = sum(1 for b in head[:65536] if b < 32 and b not in (9, 10, 13))
    return controls / max(1, min(len(head), 65536))


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` when the start decodes as UTF-8, else ``cp1252``."""
    with open(path, "rb") as f:
        head = f.read(SAMPLE)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def detect_delimiter(first_line: str, declared_format: str) -> str:
    if declared_format == "tsv":
        return "\t"
    counts = {d: _count_outside_quotes(first_line, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    # a single column: its values may hold commas (decimal commas)
    return best if counts[best] else ";"


def _count_outside_quotes(line: str, delim: str) -> int:
    n, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delim and not quoted:
            n += 1
    return n


def _csv_rows(
    path: Path, encoding: str, declared_format: str
) -> tuple[str, Iterator[list[str]]]:
    # cp1252 leaves five bytes undefined: Latin-1 takes them
    errors = "strict"
    text = open(path, encoding=encoding, errors=errors, newline="")  # noqa: SIM115
    first = text.readline()
    text.seek(0)
    delimiter = detect_delimiter(first, declared_format)
    reader = csv.reader(text, delimiter=delimiter, strict=True)

    def rows() -> Iterator[list[str]]:
        with text:
            yield from reader

    return delimiter, rows()


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    import openpyxl

    handle = open(path, "rb")  # noqa: SIM115 (closed below)
    try:
        # a file object: openpyxl would refuse a path without .xlsx
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds
        handle.close()
        raise LoadError(
            _(
                "Le classeur XLSX ne peut pas être lu ({error}) : ouvrez-le dans "
                "un tableur, enregistrez-le à nouveau au format XLSX ou CSV et "
                "déposez-le."
            ),
            error=type(e).__name__,
        ) from e
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in row]
    finally:
        book.close()
        handle.close()


def _cell_text(value: Any) -> str:
    import datetime

    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------
# Normalising
# --------------------------------------------------------------------------


def headers_from(row: list[str]) -> list[str]:
    while row and not row[-1].strip():
        row = row[:-1]
    names: list[str] = []
    for i, raw in enumerate(row, start=1):
        name = raw.replace("\ufeff", "").strip()
        if not name:
            raise LoadError(
                _(
                    "La colonne {n} n'a pas de nom dans la ligne d'en-tête "
                    "(cellules d'en-tête fusionnées ou vides ?) : donnez à chaque "
                    "colonne un nom unique sur une seule ligne d'en-tête."
                ),
                n=i,
            )
        if name.startswith("_") or '"' in name or len(name) > MAX_COLUMN:
            raise LoadError(
                _(
                    "Le nom de colonne « {name} » n'est pas accepté (il ne doit "
                    "pas commencer par « _ », contenir de guillemet, ni dépasser "
                    "{max} caractères) : renommez la colonne."
                ),
                name=name[:80],
                max=MAX_COLUMN,
            )
        if name in names:
            raise LoadError(
                _(
                    "La colonne « {name} » apparaît deux fois dans l'en-tête : "
                    "donnez un nom unique à chaque colonne."
                ),
                name=name,
            )
        names.append(name)
    if not names:
        raise LoadError(
            _(
                "Le fichier n'a pas de ligne d'en-tête : la première ligne doit "
                "nommer les colonnes."
            )
        )
    return names


# --------------------------------------------------------------------------
# The bulk path: the file as it is, for COPY
# --------------------------------------------------------------------------

BULK_MIN_SPLIT = 8 << 20  # below, one COPY
_PG_ENCODINGS = {"utf-8-sig": "UTF8", "cp1252": "WIN1252"}


def plan_bulk(
    path: Path,
    declared_format: str = "",
    table_schema: dict[str, Any] | None = None,
    overrides: dict[str, str] | None = None,
) -> Any:
    """A ``write.Source`` for ``COPY`` of the file as it is, or ``None``.

    For CSV/TSV files: encoding (the whole file checked), delimiter and
    header read here; column types from the declared schema, the data
    dictionary's overrides, or guessed on the first megabyte (a later value
    that does not fit makes the conversion fail, and the caller then reads
    the file line by line). Trailing empty lines are left out; a big file is
    split in two at a line boundary outside quotes, for two ``COPY`` at once.
    """
    from .write import Chunk, Source

    fmt = (declared_format or "").strip().lower().lstrip(".")
    if sniff_kind(path, fmt) != "csv":
        return None
    encoding = _whole_file_encoding(path)
    with open(path, "rb") as f:
        head = f.read(SAMPLE)
    text = head.decode(encoding, errors="replace")
    first_end = text.find("\n")
    first = text if first_end < 0 else text[: first_end + 1]
    if not first.strip():
        return None  # empty lines before the header: the line-by-line path
    delimiter = detect_delimiter(first, fmt)
    sample = text if len(head) < SAMPLE else text[: text.rfind("\n") + 1]
    rows = csv.reader(io.StringIO(sample), delimiter=delimiter)
    try:
        header = next(rows)
    except (StopIteration, csv.Error):
        return None
    names = headers_from(list(header))
    columns = _schema_columns(names, table_schema, overrides)
    try:
        for row in rows:
            for col, value in zip(columns, row, strict=False):
                value = value.strip()
                if value and not col.declared:
                    col.observe(value)
    except csv.Error:
        return None
    size = path.stat().st_size
    end = _content_end(path, size, delimiter)
    chunks = [Chunk(path, 0, end, header=True)]
    if end >= BULK_MIN_SPLIT:
        cut = _split_point(path, end)
        if cut:
            chunks = [
                Chunk(path, 0, cut[0], header=True),
                Chunk(path, cut[0], end, header=False, first_id=cut[1]),
            ]
    return Source(
        chunks=chunks,
        width=len(header),
        encoding=_PG_ENCODINGS[encoding],
        delimiter=delimiter,
        names=names,
        types=[c.type for c in columns],
    )


def _whole_file_encoding(path: Path) -> str:
    """``utf-8-sig`` when every byte decodes as UTF-8, else ``cp1252``."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        try:
            while chunk := f.read(4 << 20):
                decoder.decode(chunk, final=False)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _content_end(path: Path, size: int, delimiter: str) -> int:
    """Where the rows end: trailing empty lines, and lines of empty cells
    (``;;;;`` that spreadsheets leave), are not rows."""
    blank = set(b' \t\r"' + delimiter.encode())
    end = size
    with open(path, "rb") as f:
        while end > 0:
            start = max(0, end - 65536)
            f.seek(start)
            block = f.read(end - start).rstrip(b" \t\r\n")
            if not block:
                end = start
                continue
            cut = block.rfind(b"\n") + 1
            if cut == 0 and start > 0:
                return start + len(block)  # a last line longer than a block
            if set(block[cut:]) <= blank:
                end = start + cut
                continue
            return start + len(block)
    return 0


def _split_point(path: Path, end: int) -> tuple[int, int] | None:
    """A line start near the middle, outside quotes; the line count before it.

    In CSV a quote inside a value is doubled, so a line break is outside
    quotes exactly when the quotes before it are even in number. Read in
    blocks: the worker's memory does not grow with the file.
    """
    block_size = 1 << 20
    quotes = lines = pos = 0
    target = end // 2
    with open(path, "rb") as f:
        while pos < target:
            block = f.read(min(block_size, target - pos))
            if not block:
                return None
            quotes += block.count(b'"')
            lines += block.count(b"\n")
            pos += len(block)
        while pos < end:
            block = f.read(min(block_size, end - pos))
            if not block:
                return None
            i = 0
            while (j := block.find(b"\n", i)) >= 0:
                quotes += block.count(b'"', i, j)
                lines += 1
                if quotes % 2 == 0 and pos + j + 1 < end:
                    return pos + j + 1, lines
                i = j + 1
            quotes += block.count(b'"', i)
            pos += len(block)
    return None


def normalise(
    path: Path,
    out_path: Path,
    declared_format: str = "",
    table_schema: dict[str, Any] | None = None,
    overrides: dict[str, str] | None = None,
) -> Table:
    """Write ``path`` as a UTF-8 CSV to ``out_path``; its columns and types."""
    fmt = (declared_format or "").strip().lower().lstrip(".")
    kind = sniff_kind(path, fmt)
    if kind == "xlsx":
        return _normalise_rows(
            _xlsx_rows(path), out_path, "xlsx", table_schema, overrides
        )
    encoding = detect_encoding(path)
    try:
        return _normalise_csv(path, out_path, encoding, fmt, table_schema, overrides)
    except UnicodeDecodeError:
        # UTF-8 at the start, something else further down
        return _normalise_csv(path, out_path, "cp1252", fmt, table_schema, overrides)


def _normalise_csv(
    path: Path,
    out_path: Path,
    encoding: str,
    fmt: str,
    table_schema: dict[str, Any] | None,
    overrides: dict[str, str] | None = None,
) -> Table:
    delimiter, rows = _csv_rows(path, encoding, fmt)
    try:
        table = _normalise_rows(
            rows,
            out_path,
            "tsv" if delimiter == "\t" else "csv",
            table_schema,
            overrides,
        )
    except UnicodeDecodeError:
        if encoding == "cp1252":
            # the five bytes Windows-1252 leaves undefined: read as Latin-1
            delimiter, rows = _csv_rows(path, "latin-1", fmt)
            table = _normalise_rows(rows, out_path, "csv", table_schema, overrides)
            encoding = "latin-1"
        else:
            raise
    except csv.Error as e:
        raise LoadError(
            _(
                "Le fichier CSV est malformé ({error}) : vérifiez les guillemets "
                '(un champ ouvert par « " » doit être refermé) et enregistrez à '
                "nouveau le fichier depuis votre tableur."
            ),
            error=str(e),
        ) from e
    table.encoding = encoding
    table.delimiter = delimiter
    return table


def _schema_columns(
    names: list[str],
    table_schema: dict[str, Any] | None,
    overrides: dict[str, str] | None = None,
) -> list[Column]:
    declared: dict[str, str] = {}
    if table_schema:
        for f in table_schema.get("fields") or []:
            if isinstance(f, dict) and f.get("name"):
                declared[str(f["name"])] = SCHEMA_TYPES.get(str(f.get("type")), TEXT)
    # the data dictionary's type_override: an editor's choice for this file
    declared.update(overrides or {})
    return [Column(name, declared=declared.get(name)) for name in names]


def _normalise_rows(
    rows: Iterable[list[str]],
    out_path: Path,
    source_format: str,
    table_schema: dict[str, Any] | None,
    overrides: dict[str, str] | None = None,
) -> Table:
    it = iter(rows)
    header: list[str] | None = None
    line = 0
    for row in it:
        line += 1
        if any(cell.strip() for cell in row):
            header = row
            break
    if header is None:
        raise LoadError(
            _(
                "Le fichier ne contient aucune ligne : déposez à nouveau le "
                "fichier complet."
            )
        )
    names = headers_from(header)
    columns = _schema_columns(names, table_schema, overrides)
    width = len(names)
    count = 0
    with open(out_path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for row in it:
            line += 1
            if len(row) != width:
                if source_format == "xlsx" and len(row) < width:
                    # a sheet's row stops at its last filled cell
                    row = row + [""] * (width - len(row))
                fitted = _fit(row, width, line) if len(row) != width else row
                if fitted is None:
                    continue
                row = fitted
            elif not any(row):
                continue
            values = [v.strip() for v in row]
            if not any(values):
                continue
            for col, value in zip(columns, values, strict=True):
                if value:
                    if col.declared:
                        _check_declared(col, value, line)
                    else:
                        col.observe(value)
            writer.writerow(values)
            count += 1
    if count == 0:
        raise LoadError(
            _(
                "Le fichier n'a qu'une ligne d'en-tête et aucune donnée : "
                "déposez le fichier avec ses lignes."
            )
        )
    return Table(out_path, columns, count, source_format)


def _fit(row: list[str], width: int, line: int) -> list[str] | None:
    if not any(cell.strip() for cell in row):
        return None  # an empty line, trailing or not
    if len(row) > width and not any(cell.strip() for cell in row[width:]):
        return row[:width]
    raise LoadError(
        _(
            "Ligne {line} : {found} valeurs pour {expected} colonnes. Vérifiez "
            "le séparateur et les guillemets de cette ligne (un « ; » ou un "
            "retour à la ligne dans une valeur doit être entre guillemets)."
        ),
        line=line,
        found=len(row),
        expected=width,
    )


_TYPE_NAMES = {
    INT: "un entier",
    NUMERIC: "un nombre",
    DATE: "une date",
    TIMESTAMP: "une date et heure",
}


def _check_declared(col: Column, value: str, line: int) -> None:
    kind = col.declared
    if kind == DATE:
        ok = bool(_DATE_FR.match(value) or _DATE_ISO.match(value))
    else:
        check = _CHECKS.get(kind or TEXT)
        ok = check is None or bool(check(value))
    if not ok:
        raise LoadError(
            _(
                "Ligne {line}, colonne « {column} » : « {value} » n'est pas {expected} "
                "comme le déclare le schéma de la ressource. Corrigez la valeur, "
                "ou retirez le schéma déclaré si le fichier ne le suit pas."
            ),
            line=line,
            column=col.name,
            value=value[:80],
            expected=_TYPE_NAMES.get(kind or TEXT, kind),
        )


# PostgreSQL's encoding names -> ours (the load's status)
ENCODING_NAMES = {v: k for k, v in _PG_ENCODINGS.items()}
