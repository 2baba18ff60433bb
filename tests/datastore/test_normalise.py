"""The file normaliser alone: encodings, delimiters, empty lines, types."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ckanext.territoire.datastore import normalise
from ckanext.territoire.datastore.normalise import LoadError

from .conftest import DATA


def _read(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize(
    "name,encoding,delimiter",
    [
        ("deliberations_cp1252.csv", "cp1252", ";"),
        ("deliberations_utf8_bom.csv", "utf-8-sig", ";"),
        ("deliberations.tsv", "utf-8-sig", "\t"),
    ],
)
def test_files_become_one_utf8_csv(name, encoding, delimiter, tmp_path):
    table = normalise.normalise(DATA / name, tmp_path / "out.csv", name.rsplit(".")[-1])
    assert (table.encoding, table.delimiter, table.rows) == (encoding, delimiter, 3)
    rows = _read(tmp_path / "out.csv")
    assert rows[0][0] == "COLL_NOM"  # no byte order mark left
    assert rows[1][0] == "Commune de Sélestat"
    assert len(rows) == 4  # the empty trailing lines are gone
    types = {f["id"]: f["type"] for f in table.fields}
    assert types["MONTANT"] == "numeric"
    assert types["DELIB_DATE"] == "date"


@pytest.mark.parametrize(
    "values,expected",
    [
        (["12", "-3", "0"], "int8"),
        (["12,5", "3", "0,25"], "numeric"),
        (["01/02/2024", "31/12/1999"], "date"),
        (["2024-02-01", "1999-12-31"], "date"),
        (["01/02/2024", "2024-02-01"], "text"),  # two formats in one column
        (["01053", "67482"], "text"),  # leading zero: a code
        (["2024-02-01T10:00:00", "2024-02-01 08:30"], "timestamp"),
        (["12", "douze"], "text"),
    ],
)
def test_guessed_types(values, expected, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("valeur\n" + "\n".join(values) + "\n", encoding="utf-8")
    table = normalise.normalise(src, tmp_path / "out.csv", "csv")
    assert table.fields == [{"id": "valeur", "type": expected}]


def test_a_value_against_the_declared_schema_is_named(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("DELIB_DATE\n15/01/2024\nhier\n", encoding="utf-8")
    schema = {"fields": [{"name": "DELIB_DATE", "type": "date"}]}
    with pytest.raises(LoadError) as e:
        normalise.normalise(src, tmp_path / "out.csv", "csv", schema)
    assert "Ligne 3, colonne « DELIB_DATE » : « hier » n'est pas une date" in str(
        e.value
    )


def test_duplicate_and_underscored_headers_are_refused(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("a;a\n1;2\n", encoding="utf-8")
    with pytest.raises(LoadError, match="apparaît deux fois"):
        normalise.normalise(src, tmp_path / "out.csv", "csv")
    src.write_text("_id;b\n1;2\n", encoding="utf-8")
    with pytest.raises(LoadError, match="n'est pas accepté"):
        normalise.normalise(src, tmp_path / "out.csv", "csv")
