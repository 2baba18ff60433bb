"""A file's bytes read as a CSV table, the way French producers write them.

Spreadsheets export CSV with ``;`` between cells (the comma is the decimal
mark), often in Windows-1252, sometimes with a UTF-8 byte order mark. The
encoding and the delimiter are detected here, once, and the text handed to
frictionless in UTF-8 with the delimiter named: its own guesses look at a
sample only and mistake Windows-1252 for other encodings.

What cannot be a CSV table raises :class:`SourceError` (``error`` status):
an empty file, a binary file, an HTML page, quoting that never closes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..harvesters.messages import _

DELIMITERS = (";", ",", "\t", "|")
DELIMITER_NAMES = {
    ";": "point-virgule",
    ",": "virgule",
    "\t": "tabulation",
    "|": "barre",
}


class SourceError(Exception):
    """A file that cannot be read as a table; the message is stored."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid.format(**params))


@dataclass
class Table:
    text: str
    encoding: str
    bom: bool
    delimiter: str
    header: list[str]
    rows: int  # data rows (records after the header)

    def records(self) -> Iterator[list[str]]:
        """The records, header first, parsed again (not kept in memory)."""
        return csv.reader(
            io.StringIO(self.text, newline=""), delimiter=self.delimiter, strict=True
        )


def decode(content: bytes) -> tuple[str, str, bool]:
    """(text, encoding name, byte order mark seen)."""
    if not content.strip():
        raise SourceError(
            _(
                "Le fichier est vide (0 octet ou seulement des espaces) : déposez "
                "le fichier complet, avec sa ligne d'en-tête."
            )
        )
    head = content[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16"), "utf-16", True
    if b"\x00" in head:
        raise SourceError(_BINARY)
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content[3:].decode("utf-8"), "utf-8", True
        except UnicodeDecodeError as e:
            raise _bad_bytes(content, e) from e
    try:
        return content.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    try:
        # Windows-1252 leaves five bytes undefined: a file using them is
        # neither UTF-8 nor a spreadsheet's CSV
        return content.decode("cp1252"), "windows-1252", False
    except UnicodeDecodeError as e:
        raise _bad_bytes(content, e) from e


_BINARY = _(
    "Le fichier n'est pas un fichier texte : il contient des octets binaires "
    "(un tableur .xlsx, une archive ou une image renommés en .csv ?). "
    "Enregistrez-le au format CSV (séparateur point-virgule, UTF-8)."
)


def _bad_bytes(content: bytes, e: UnicodeDecodeError) -> SourceError:
    line = content[: e.start].count(b"\n") + 1
    return SourceError(
        _(
            "Le fichier n'est ni en UTF-8 ni en Windows-1252 (octet illisible "
            "à la ligne {line}) : est-ce bien un fichier CSV ? Enregistrez-le "
            "en CSV UTF-8."
        ),
        line=line,
    )


def _looks_like_html(text: str) -> bool:
    start = text.lstrip()[:200].lower()
    return start.startswith(("<!doctype html", "<html", "<?xml", "<head", "<body"))


def sniff_delimiter(header: str) -> str:
    """The delimiter of the header line: the candidate found most often
    outside quotes (a French header has no comma in its column names)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


def read(content: bytes) -> Table:
    text, encoding, bom = decode(content)
    if _looks_like_html(text):
        raise SourceError(
            _(
                "Le fichier est une page HTML, pas un CSV : le lien mène sans "
                "doute à une page web (page d'erreur, de connexion ou de "
                "téléchargement) plutôt qu'au fichier lui-même."
            )
        )
    delimiter = sniff_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    # the whole file is parsed once here, to refuse broken quoting early
    header: list[str] | None = None
    count = 0
    try:
        for row in reader:
            if header is None:
                header = row
            else:
                count += 1
    except csv.Error as e:
        raise SourceError(
            _(
                "Le CSV est mal formé près de la ligne {line} ({error}) : "
                "un guillemet n'est sans doute pas refermé. Vérifiez les "
                "cellules qui contiennent des guillemets ou des retours à la ligne."
            ),
            line=reader.line_num,
            error=str(e),
        ) from e
    if not header or not any(cell.strip() for cell in header):
        raise SourceError(
            _(
                "Le fichier n'a pas de ligne d'en-tête : la première ligne doit "
                "nommer les colonnes du schéma."
            )
        )
    return Table(
        text=text,
        encoding=encoding,
        bom=bom,
        delimiter=delimiter,
        header=header,
        rows=count,
    )
