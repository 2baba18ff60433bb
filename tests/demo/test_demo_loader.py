"""The demo content loader (`ckan territoire demo load`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan
from ckan.tests import factories, helpers

from ckanext.territoire.demo import loader

DEMO = loader.read_demo_file()
N_ORGS = len(DEMO)
N_DATASETS = sum(len(org["datasets"]) for org in DEMO)
FORMATS = {"CSV", "JSON", "GeoJSON", "PDF", "XLSX"}


def _write(path: Path, organizations: list[dict[str, Any]]) -> Path:
    path.write_text(
        yaml.safe_dump({"organizations": organizations}, allow_unicode=True),
        encoding="utf-8",
    )
    return path


def _raw_demo() -> list[dict[str, Any]]:
    return yaml.safe_load(loader.DEFAULT_FILE.read_text(encoding="utf-8"))[
        "organizations"
    ]


def _small(**dataset_overrides: Any) -> list[dict[str, Any]]:
    """One organisation with two datasets; the second takes the overrides."""
    return [
        {
            "name": "test-commune",
            "title": "Commune de test",
            "extras": {"code_insee": "67001"},
            "datasets": [
                {
                    "name": "test-jeu-valide",
                    "title": "Jeu valide",
                    "license_id": "odc-odbl",
                    "resources": [
                        {
                            "name": "Table",
                            "url": "https://example.org/a.csv",
                            "format": "csv",
                        },
                    ],
                },
                dict(
                    {
                        "name": "test-jeu-second",
                        "title": "Second jeu",
                        "notes": "Description **en Markdown**.",
                        "author_email": "donnees@example.org",
                        "tags": ["données", "test"],
                        "extras": {"frequence": "Annuelle"},
                        "resources": [
                            {
                                "name": "Table",
                                "url": "https://example.org/b.csv",
                                "format": "CSV",
                            },
                        ],
                    },
                    **dataset_overrides,
                ),
            ],
        }
    ]


def _active(model_class: Any, **filters: Any) -> int:
    return model.Session.query(model_class).filter_by(state="active", **filters).count()


def _summary(orgs: tuple[int, int, int], datasets: tuple[int, int, int]) -> str:
    """The summary line of a run with these (created, updated, unchanged) counts."""
    statuses: tuple[loader.Status, ...] = ("created", "updated", "unchanged")
    kinds: tuple[tuple[loader.Kind, tuple[int, int, int]], ...] = (
        ("organization", orgs),
        ("dataset", datasets),
    )
    outcomes = [
        loader.Outcome(kind, "x", status)
        for kind, counts in kinds
        for status, n in zip(statuses, counts, strict=True)
        for _ in range(n)
    ]
    return loader.LoadReport(outcomes).summary()


# The file itself


def test_demo_file_content_is_well_formed():
    assert N_ORGS == 6
    assert all(3 <= len(org["datasets"]) <= 4 for org in DEMO)
    licenses = {lic.id for lic in model.Package.get_license_register().values()}
    for org in DEMO:
        assert org["description"]
        for ds in org["datasets"]:
            assert ds["license_id"] in licenses, ds["name"]
            assert ds["notes"] and ds["extras"]["couverture_territoriale"]
            assert 1 <= len(ds["resources"]) <= 3, ds["name"]
            assert {r["format"] for r in ds["resources"]} <= FORMATS, ds["name"]


def test_summary_is_french():
    assert _summary((6, 0, 0), (23, 0, 0)) == (
        "organisations : 6 créées, 0 mises à jour, 0 inchangées ; "
        "jeux de données : 23 créés, 0 mis à jour, 0 inchangés"
    )
    assert _summary((0, 1, 5), (0, 1, 22)) == (
        "organisations : 0 créées, 1 mise à jour, 5 inchangées ; "
        "jeux de données : 0 créés, 1 mis à jour, 22 inchangés"
    )


def test_malformed_file_is_rejected_before_loading(tmp_path: Path):
    organizations = _small()
    organizations[0]["datasets"][0]["licence"] = "odc-odbl"
    organizations[0]["extras"]["siren"] = 216700015
    del organizations[0]["datasets"][1]["resources"][0]["format"]
    with pytest.raises(loader.DemoFileError) as e:
        loader.read_demo_file(_write(tmp_path / "demo.yaml", organizations))
    problems = "\n".join(e.value.problems)
    assert "clé inconnue « licence »" in problems
    assert "216700015" in problems
    assert "« format » est obligatoire" in problems


# Loading


@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestDemoLoad:
    def test_loading_twice_creates_each_object_once(self, cli: Any):
        first = cli.invoke(ckan, ["territoire", "demo", "load"])
        assert first.exit_code == 0, first.output
        assert _summary((N_ORGS, 0, 0), (N_DATASETS, 0, 0)) in first.output
        modified = {
            ds["name"]: helpers.call_action("package_show", id=ds["name"])[
                "metadata_modified"
            ]
            for org in DEMO
            for ds in org["datasets"]
        }

        second = cli.invoke(ckan, ["territoire", "demo", "load"])
        assert second.exit_code == 0, second.output
        assert _summary((0, 0, N_ORGS), (0, 0, N_DATASETS)) in second.output

        assert _active(model.Group, is_organization=True) == N_ORGS
        assert _active(model.Package) == N_DATASETS
        for name, metadata_modified in modified.items():
            shown = helpers.call_action("package_show", id=name)
            assert shown["metadata_modified"] == metadata_modified

    def test_loaded_content_matches_the_file(self):
        report = loader.load_file()
        assert report.ok

        org = helpers.call_action(
            "organization_show", id="ville-strasbourg", include_datasets=False
        )
        assert org["title"] == "Ville de Strasbourg"
        extras = {e["key"]: e["value"] for e in org["extras"]}
        assert extras["code_insee"] == "67482"
        assert extras["siren"] == "216704825"

        ds = helpers.call_action("package_show", id="strasbourg-prenoms-nouveau-nes")
        assert ds["organization"]["name"] == "ville-strasbourg"
        assert ds["title"] == "Prénoms des enfants nés à Strasbourg"
        assert ds["license_id"] == "odc-odbl"
        assert not ds["private"]
        assert "état civil" in {t["name"] for t in ds["tags"]}
        extras = {e["key"]: e["value"] for e in ds["extras"]}
        assert extras["couverture_territoriale"] == "commune:67482"
        assert [r["format"] for r in ds["resources"]] == ["CSV", "JSON"]

    def test_modified_file_updates_only_what_changed(self, tmp_path: Path):
        loader.load_file()
        before = helpers.call_action("package_show", id="ems-stations-velhop")

        organizations = _raw_demo()
        orgs = {org["name"]: org for org in organizations}
        orgs["ville-schiltigheim"]["description"] += "\n\nTexte ajouté."
        velhop = next(
            ds
            for ds in orgs["eurometropole-strasbourg"]["datasets"]
            if ds["name"] == "ems-stations-velhop"
        )
        velhop["title"] = "Stations Vélhop (location de vélos)"
        velhop["resources"][1]["url"] = "https://data.strasbourg.eu/velhop.csv"
        velhop["resources"].append(
            {
                "name": "Stations (GeoJSON)",
                "format": "GeoJSON",
                "url": "https://data.strasbourg.eu/velhop.geojson",
            }
        )
        report = loader.load_file(_write(tmp_path / "demo.yaml", organizations))

        assert report.summary() == _summary((0, 1, N_ORGS - 1), (0, 1, N_DATASETS - 1))
        org = helpers.call_action("organization_show", id="ville-schiltigheim")
        assert org["description"].endswith("Texte ajouté.")
        after = helpers.call_action("package_show", id="ems-stations-velhop")
        assert after["title"] == "Stations Vélhop (location de vélos)"
        assert [r["url"] for r in after["resources"]][1:] == [
            "https://data.strasbourg.eu/velhop.csv",
            "https://data.strasbourg.eu/velhop.geojson",
        ]
        # Existing resources keep their ids across the update.
        assert [r["id"] for r in after["resources"]][:2] == [
            r["id"] for r in before["resources"]
        ]

        again = loader.load_file(tmp_path / "demo.yaml")
        assert again.summary() == _summary((0, 0, N_ORGS), (0, 0, N_DATASETS))

    def test_removed_field_is_cleared(self, tmp_path: Path):
        organizations = _small()
        loader.load_file(_write(tmp_path / "demo.yaml", organizations))
        del organizations[0]["datasets"][1]["notes"]
        del organizations[0]["datasets"][1]["extras"]

        report = loader.load_file(_write(tmp_path / "demo.yaml", organizations))

        assert report.count("dataset", "updated") == 1
        shown = helpers.call_action("package_show", id="test-jeu-second")
        assert not shown.get("notes")
        assert not shown.get("extras")

    def test_deleted_dataset_is_restored(self):
        loader.load_file()
        helpers.call_action(
            "package_delete",
            context={"user": factories.Sysadmin()["name"]},
            id="cea-colleges-publics",
        )

        report = loader.load_file()

        assert report.summary() == _summary((0, 0, N_ORGS), (0, 1, N_DATASETS - 1))
        shown = helpers.call_action("package_show", id="cea-colleges-publics")
        assert shown["state"] == "active"

    def test_broken_new_dataset_is_reported_and_not_written(
        self, cli: Any, tmp_path: Path
    ):
        path = _write(tmp_path / "demo.yaml", _small(tags=["l'apostrophe"]))

        result = cli.invoke(ckan, ["territoire", "demo", "load", "--file", str(path)])

        assert result.exit_code == 1, result.output
        assert "test-jeu-second" in result.output
        assert "tags" in result.output
        assert (
            "jeux de données : 1 créé, 0 mis à jour, 0 inchangés, 1 en erreur"
            in result.output
        )
        helpers.call_action("package_show", id="test-jeu-valide")
        with pytest.raises(tk.ObjectNotFound):
            helpers.call_action("package_show", id="test-jeu-second")
        assert model.Session.query(model.Package).count() == 1
        assert model.Session.query(model.Resource).count() == 1

    def test_broken_update_leaves_the_dataset_as_it_was(self, tmp_path: Path):
        loader.load_file(_write(tmp_path / "demo.yaml", _small()))
        before = helpers.call_action("package_show", id="test-jeu-second")

        broken = _small(title="Nouveau titre", version="9" * 101)
        report = loader.load_file(_write(tmp_path / "demo.yaml", broken))

        assert not report.ok
        (error,) = [o for o in report.outcomes if o.status == "error"]
        assert error.name == "test-jeu-second"
        assert error.errors and "version" in error.errors
        after = helpers.call_action("package_show", id="test-jeu-second")
        assert after["title"] == before["title"] == "Second jeu"
        assert after["metadata_modified"] == before["metadata_modified"]

    def test_datasets_of_a_broken_organization_are_skipped(self, tmp_path: Path):
        organizations = _small()
        organizations[0]["name"] = "Nom Invalide"

        report = loader.load_file(_write(tmp_path / "demo.yaml", organizations))

        assert [o.status for o in report.outcomes] == ["error", "skipped", "skipped"]
        assert "ignorés" in report.summary()
        assert model.Session.query(model.Package).count() == 0

    def test_malformed_file_writes_nothing(self, cli: Any, tmp_path: Path):
        organizations = _small()
        organizations[0]["datasets"][1]["version"] = 2.0
        path = _write(tmp_path / "demo.yaml", organizations)

        result = cli.invoke(ckan, ["territoire", "demo", "load", "--file", str(path)])

        assert result.exit_code == 1
        assert "« version » doit être un texte" in result.output
        assert _active(model.Group, is_organization=True) == 0
