"""SIREN/SIRET keys and the CSV reading, without the database."""

from __future__ import annotations

import pytest

from ckanext.territoire.validation import checks, source


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("21670462700019", True),  # Sélestat
        ("21670462700020", False),
        ("35600000000048", True),  # La Poste, head office (Luhn too)
        ("35600000040007", True),  # La Poste: digit sum multiple of 5, not Luhn
        ("35600000040008", False),
        ("2167046270001", False),
        ("2167046270001A", False),
    ],
)
def test_siret(value, ok):
    assert checks.siret_ok(value) is ok


def test_siren():
    assert checks.siren_ok("216704627")
    assert not checks.siren_ok("216704628")


def test_reading_french_csv():
    text = "A;B\r\n1;«é»\r\n"
    table = source.read(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert (table.encoding, table.bom, table.delimiter) == ("utf-8", True, ";")
    table = source.read(text.encode("cp1252"))
    assert table.encoding == "windows-1252" and list(table.records())[1] == ["1", "«é»"]
    assert source.read(b"a,b\n1,2\n").delimiter == ","
    assert source.read(b'"a;x"\tb\tc\n').delimiter == "\t"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "vide"),
        (b"   \n", "vide"),
        (b"PK\x03\x04\x00\x00", "binaires"),
        (b"<!DOCTYPE html><html></html>", "HTML"),
        (b'a;b\n"1;2\n', "mal form"),
        (b"a;b\n\x81\x8d;\xff\n", "ni en UTF-8"),
    ],
)
def test_what_is_not_a_table(content, words):
    with pytest.raises(source.SourceError) as raised:
        source.read(content)
    assert words in str(raised.value)
