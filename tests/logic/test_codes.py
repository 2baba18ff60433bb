"""Territory code parsing and SIREN check digits (no database)."""

from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk

from ckanext.territoire.logic.validators import (
    luhn_ok,
    territoire_date,
    territoire_siren,
)
from ckanext.territoire.territories import codes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("67482", "commune:67482"),
        (" 67 482 ", "commune:67482"),
        ("2a004", "commune:2A004"),
        ("commune:2b033", "commune:2B033"),
        ("fr:commune:67482", "commune:67482"),
        ("97105", "commune:97105"),
        ("246700488", "epci:246700488"),
        ("fr:epci:246700488", "epci:246700488"),
        ("2A", "departement:2A"),
        ("971", "departement:971"),
        ("departement:67", "departement:67"),
        ("fr:departement:67", "departement:67"),
        ("département:67", "departement:67"),
        ("region:44", "region:44"),
        ("fr:region:44", "region:44"),
        ("country:fr", "pays:fr"),
        ("France", "pays:fr"),
    ],
)
def test_normalize(raw, expected):
    assert codes.normalize(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "6748",
        "674821",
        "ABCDE",
        "commune:67",
        "epci:12345",
        "region:4",
        "quartier:67482",
        "2C004",
        "",
    ],
)
def test_malformed_codes_name_the_value_and_the_form(raw):
    with pytest.raises(tk.Invalid) as e:
        codes.normalize(raw)
    assert "mal formé" in e.value.error
    assert f"« {raw} »" in e.value.error
    assert "Forme attendue" in e.value.error


def test_two_digits_ask_for_the_level():
    with pytest.raises(tk.Invalid, match="ambigu"):
        codes.normalize("44")
    assert codes.normalize("44", level="region") == "region:44"
    assert codes.normalize("67", level="departement") == "departement:67"


@pytest.mark.parametrize(
    ("siren", "ok"),
    [
        ("246700488", True),  # Eurométropole de Strasbourg
        ("216704825", True),  # commune de Strasbourg
        ("200052264", True),  # Région Grand Est
        ("246700489", False),
        ("123456789", False),
    ],
)
def test_luhn(siren, ok):
    assert luhn_ok(siren) is ok


def test_siren_validator():
    assert territoire_siren(" 246 700 488 ") == "246700488"
    with pytest.raises(tk.Invalid, match="SIREN invalide « 246700489 »"):
        territoire_siren("246700489")
    with pytest.raises(tk.Invalid, match="9 chiffres"):
        territoire_siren("24670048")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01-31", "2024-01-31"),
        ("2024-02", "2024-02-01"),
        ("2024", "2024-01-01"),
        ("2024-01-31T10:00:00", "2024-01-31"),
    ],
)
def test_dates(raw, expected):
    assert territoire_date(raw) == expected


@pytest.mark.parametrize("raw", ["31/01/2024", "2024-13-01", "2024-02-30", "hier"])
def test_bad_dates(raw):
    with pytest.raises(tk.Invalid, match=f"Date invalide « {raw} »"):
        territoire_date(raw)
