"""Loading the COG data file: counts, idempotence, failures leave data intact."""

from __future__ import annotations

import gzip
import json

import pytest
import sqlalchemy as sa

import ckan.model as model

from ckanext.territoire.territories import loader, lookup

pytestmark = pytest.mark.usefixtures("cog")

# The totals documented for @etalab/decoupage-administratif 6.0.0 (COG 2026).
DOCUMENTED = {"regions": 26, "departements": 109, "epci": 1255, "communes": 34969}


def table_counts() -> dict[str, int]:
    with model.meta.engine.connect() as conn:
        by_level = dict(
            conn.execute(
                sa.text(
                    "SELECT level, count(*) FROM territoire_ref.territoire_territory GROUP BY level"
                )
            ).all()
        )
        former = conn.execute(
            sa.text("SELECT count(*) FROM territoire_ref.territoire_territory_former")
        ).scalar()
    return {**by_level, "former": former}


def test_shipped_file_has_the_documented_totals():
    data = loader.read()
    assert (data.source, data.version, data.cog) == (
        "@etalab/decoupage-administratif",
        "6.0.0",
        2026,
    )
    assert {k: data.counts[k] for k in DOCUMENTED} == DOCUMENTED


def test_load_counts_and_idempotence():
    first = loader.load()
    assert {k: first[k] for k in DOCUMENTED} == DOCUMENTED
    assert first["pays"] == 1
    assert first["anciens_codes"] > 4000
    assert first["territoires"] == sum(DOCUMENTED.values()) + 1
    assert first["version"] == "6.0.0" and first["cog"] == 2026
    rows = table_counts()
    assert rows == {
        "region": 26,
        "departement": 109,
        "epci": 1255,
        "commune": 34969,
        "pays": 1,
        "former": first["anciens_codes"],
    }

    second = loader.load()
    assert {k: v for k, v in second.items() if k != "seconds"} == {
        k: v for k, v in first.items() if k != "seconds"
    }
    assert table_counts() == rows
    assert second["seconds"] < 10

    meta = loader.status()
    assert meta is not None
    assert meta["version"] == "6.0.0" and meta["cog"] == 2026
    assert meta["counts"]["communes"] == 34969


def test_rows_are_well_formed():
    with model.meta.engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT level, insee, name, name_norm, parents, population, siren "
                "FROM territoire_ref.territoire_territory WHERE code = 'commune:42218'"
            )
        ).one()
        within_67 = conn.execute(
            sa.text(
                "SELECT count(*) FROM territoire_ref.territoire_territory "
                "WHERE parents @> ARRAY['departement:67'] AND level = 'commune'"
            )
        ).scalar()
    assert row.level == "commune" and row.insee == "42218"
    assert row.name == "Saint-Étienne" and row.name_norm == "saint etienne"
    assert row.parents == [
        "epci:244200770",
        "departement:42",
        "region:84",
        "pays:fr",
    ]
    assert row.population > 150000 and row.siren == "214202186"
    assert within_67 == len(lookup.members("departement:67")) > 500


@pytest.mark.parametrize(
    "content",
    [
        b"not gzip, not json",
        gzip.compress(b'{"source": "x", "version": "1", "cog": 2026}'),
        gzip.compress(
            json.dumps(
                {
                    "source": "x",
                    "version": "1",
                    "cog": 2026,
                    "regions": [["44", "Grand Est"]],
                    "departements": [["67", "Bas-Rhin", "44"]],
                    "epci": [],
                    # A commune in a département that does not exist.
                    "communes": [["99999", "Nulle-Part", "99", "44", None, 1, []]],
                }
            ).encode()
        ),
    ],
    ids=["not-json", "missing-lists", "inconsistent"],
)
def test_malformed_file_leaves_previous_data(tmp_path, content):
    before = table_counts()
    path = tmp_path / "cog.json.gz"
    path.write_bytes(content)
    with pytest.raises(loader.CogLoadError) as error:
        loader.load(str(path))
    message = str(error.value)
    assert "Fichier COG illisible ou mal formé" in message
    assert "Unreadable or malformed COG file" in message
    assert table_counts() == before
    assert lookup.get("commune:67482") is not None


def test_missing_file():
    with pytest.raises(loader.CogLoadError, match="illisible"):
        loader.load("/nonexistent/cog.json.gz")


def test_failure_inside_the_transaction_rolls_back(tmp_path, monkeypatch):
    """A database error after the DELETEs leaves the previous rows in place."""
    before = table_counts()
    data = loader.read()
    data.rows.append(data.rows[0])  # duplicate primary key: the INSERT fails
    monkeypatch.setattr(loader, "read", lambda path=None: data)
    with pytest.raises(loader.CogLoadError) as error:
        loader.load()
    assert "les données précédentes sont conservées" in str(error.value)
    assert "duplicate key" in str(error.value)
    assert table_counts() == before
