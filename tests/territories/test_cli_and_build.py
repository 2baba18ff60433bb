"""``ckan territoire cog …`` and the data file build."""

from __future__ import annotations

import gzip
import json

import pytest

from ckanext.territoire.territories import build_cog, loader
from ckanext.territoire.territories.cli import cog


@pytest.mark.usefixtures("cog")
def test_cli_load(cli):
    result = cli.invoke(cog, ["load"])
    assert result.exit_code == 0, result.output
    assert (
        "COG 2026 chargé (@etalab/decoupage-administratif 6.0.0) : 26 régions, "
        "109 départements, 1255 EPCI, 34969 communes, "
    ) in result.output
    assert "COG 2026 loaded" in result.output

    result = cli.invoke(cog, ["status"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["version"] == "6.0.0"


@pytest.mark.usefixtures("cog")
def test_cli_load_bad_file(cli, tmp_path):
    path = tmp_path / "cog.json"
    path.write_text("{}")
    result = cli.invoke(cog, ["load", "--file", str(path)])
    assert result.exit_code == 1
    assert "Fichier COG illisible ou mal formé" in result.output


def _package(root, communes):
    (root / "data").mkdir(parents=True)
    (root / "package.json").write_text(
        json.dumps({"name": "@etalab/decoupage-administratif", "version": "6.0.0"})
    )
    files = {
        "regions": [{"code": "44", "nom": "Grand Est", "chefLieu": "67482"}],
        "departements": [{"code": "67", "nom": "Bas-Rhin", "region": "44"}],
        "epci": [
            {
                "code": "246700488",
                "nom": "Eurométropole de Strasbourg",
                "type": "METRO",
                "membres": [
                    {"code": c["code"]}
                    for c in communes[::-1]
                    if c["type"] == "commune-actuelle"
                ],
            }
        ],
        "communes": communes,
    }
    for name, rows in files.items():
        (root / "data" / f"{name}.json").write_text(json.dumps(rows))
    return root


def test_build_is_compact_and_deterministic(tmp_path):
    base = {"departement": "67", "region": "44", "type": "commune-actuelle"}
    communes = [
        {
            **base,
            "code": "67482",
            "nom": "Strasbourg",
            "siren": "216704825",
            "population": 293771,
            "codesPostaux": ["67000"],
            "zone": "metro",
        },
        {
            **base,
            "code": "67043",
            "nom": "Bischheim",
            "population": 17000,
            "anciensCodes": ["67999", "67998"],
        },
        {**base, "code": "67482", "nom": "Strasbourg", "type": "commune-deleguee"},
    ]
    package = _package(tmp_path / "package", communes)
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    assert build_cog.main([str(package), "-o", str(first)]) == 0
    build_cog.main([str(package), "-o", str(second)])
    assert first.read_bytes() == second.read_bytes()

    doc = json.loads(gzip.decompress(first.read_bytes()))
    assert doc == {
        "source": "@etalab/decoupage-administratif",
        "version": "6.0.0",
        "cog": 2026,
        "licence": "Licence Ouverte / Open Licence 2.0",
        "regions": [["44", "Grand Est"]],
        "departements": [["67", "Bas-Rhin", "44"]],
        "epci": [
            ["246700488", "Eurométropole de Strasbourg", "METRO", ["67043", "67482"]]
        ],
        "communes": [
            ["67043", "Bischheim", "67", "44", None, 17000, ["67998", "67999"]],
            ["67482", "Strasbourg", "67", "44", "216704825", 293771, []],
        ],
    }
    data = loader.read(str(first))
    assert data.counts["communes"] == 2 and data.counts["anciens_codes"] == 2


def test_shipped_file_is_small():
    import os

    assert os.path.getsize(loader.DEFAULT_FILE) < 1_000_000
