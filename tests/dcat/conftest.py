"""Fixtures of the DCAT-AP profile tests: a representative catalogue and the
shared reference files (DCAT-AP shapes, EU vocabularies).

The shared files are not part of the repository: they are found in
``$TERRITOIRE_SHARED`` (default ``<repo root>/../shared``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ckan.tests import factories

from ..conftest import shared_path

# One organisation of every kind: (kind, extra fields)
ORGANISATIONS: list[tuple[str, dict[str, Any]]] = [
    ("region", {"cog_code": "44", "siren": "200052264"}),
    ("departement", {"cog_code": "67"}),
    ("epci", {"cog_code": "246700488", "siren": "246700488"}),
    ("commune", {"cog_code": "67482", "siren": "216704825"}),
    ("syndicat", {"territory": "departement:67"}),
    ("agence", {"territory": "region:44"}),
    ("association", {}),
    ("entreprise", {}),
    ("etat", {}),
]


def shared_dir() -> Path:
    return shared_path("dcat-ap", "3.0.1", "shapes.ttl").parents[2]


def full_dataset(org: dict[str, Any], **kw: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "owner_org": org["id"],
        "name": "equipements-sportifs",
        "title": "Équipements sportifs",
        "notes": "Liste des équipements sportifs de l'Eurométropole.",
        "territories": [
            "commune:67482",
            "epci:246700488",
            "departement:67",
            "region:44",
        ],
        "granularity": "commune",
        "spatial_bbox": "7.68,48.49,7.84,48.65",
        "temporal_start": "2020-01-01",
        "temporal_end": "2024-12-31",
        "frequency": "ANNUAL",
        "themes": ["EDUC", "REGI"],
        "tags": [{"name": "sport"}, {"name": "piscine"}],
        "license_id": "cc-by-4.0",
        "contact_name": "Service SIG",
        "contact_email": "opendata@strasbourg.eu",
        "issued": "2021-03-01",
        "modified": "2024-06-15",
        "resources": [
            {
                "url": "https://data.example.fr/equipements.csv",
                "name": "Équipements (CSV)",
                "description": "Un équipement par ligne.",
                "format": "CSV",
                "size": 123456,
                "schema": "scdl/equipements",
                "schema_version": "0.1.5",
            },
            {
                "url": "https://data.example.fr/equipements.geojson",
                "name": "Équipements (GeoJSON)",
                "format": "GeoJSON",
            },
            {
                "url": "https://data.example.fr/equipements.parquet",
                "name": "Équipements (Parquet)",
                "format": "Parquet",
            },
            {
                "url": "https://data.example.fr/notice",
                "name": "Notice",
                "format": "HTML",
            },
        ],
    }
    fields.update(kw)
    return fields


@pytest.fixture
def organisations() -> dict[str, dict[str, Any]]:
    return {
        kind: factories.Organization(
            name=f"org-{kind}", title=f"Organisation {kind}", kind=kind, **extra
        )
        for kind, extra in ORGANISATIONS
    }


@pytest.fixture
def dcat_catalogue(organisations) -> dict[str, dict[str, Any]]:
    """A dataset with every field, a minimal one, a harvested one, and one
    dataset per organisation kind."""
    orgs = organisations
    out = {
        "full": factories.Dataset(**full_dataset(orgs["commune"])),
        "minimal": factories.Dataset(
            owner_org=orgs["association"]["id"],
            name="minimal",
            title="Jeu minimal",
            notes="Le strict nécessaire.",
            territories=["pays:fr"],
        ),
        "harvested": factories.Dataset(
            owner_org=orgs["region"]["id"],
            name="moissonne",
            title="Qualité de l'air",
            notes="Moissonné depuis un portail partenaire.",
            territories=["region:44"],
            themes=["ENVI"],
            frequency="DAILY",
            license_id="odc-odbl",
            provenance_identifier="qualite-air@partenaire",
            provenance_url="https://partenaire.example.fr/explore/dataset/qualite-air/",
            resources=[
                {
                    "url": "https://partenaire.example.fr/qualite-air.json",
                    "format": "JSON",
                }
            ],
        ),
    }
    for kind, org in orgs.items():
        out[f"by-{kind}"] = factories.Dataset(
            owner_org=org["id"],
            name=f"jeu-{kind}",
            title=f"Jeu de l'organisation {kind}",
            notes="Description.",
            territories=["departement:67"],
            license_id="etalab-2.0",
            resources=[
                {"url": f"https://data.example.fr/{kind}.xlsx", "format": "XLSX"}
            ],
        )
    return out
