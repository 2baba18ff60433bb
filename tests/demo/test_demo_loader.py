"""The demo content loader (`ckan territoire demo load`)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan
from ckan.tests import factories, helpers

from ckanext.territoire.demo import loader
from ckanext.territoire.logic import validators
from ckanext.territoire.logic.validators import luhn_ok
from ckanext.territoire.territories import lookup

DEMO = loader.read_demo_file()
N_ORGS = len(DEMO)
N_DATASETS = sum(len(org["datasets"]) for org in DEMO)
FORMATS = {"CSV", "JSON", "GeoJSON", "PDF", "XLSX"}
# The SCDL schemas the demo refers to, at their published versions.
SCDL_VERSIONS = {
    "scdl/budget": "0.8.3",
    "scdl/catalogue": "0.1.3",
    "scdl/deliberations": "2.1.5",
    "scdl/equipements": "0.1.5",
    "scdl/menus-collectifs": "1.2.3",
    "scdl/prenoms": "1.1.6",
    "scdl/subventions": "2.1.1",
}
# The dataset fields that the demo file gives for every dataset.
DATASET_FIELDS = (
    "notes",
    "territories",
    "granularity",
    "frequency",
    "themes",
    "license_id",
    "contact_name",
    "provenance_url",
)


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
    """One commune with two datasets; the second takes the overrides."""
    return [
        {
            "name": "test-commune",
            "title": "Commune d'Achenheim",
            "kind": "commune",
            "cog_code": "commune:67001",
            "siren": "216700013",
            "website": "https://www.achenheim.fr",
            "datasets": [
                {
                    # No territories: the commune's own.
                    "name": "test-jeu-valide",
                    "title": "Jeu valide",
                    "notes": "Un jeu minimal.",
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
                        "territories": ["commune:67001", "epci:246700488"],
                        "granularity": "commune",
                        "temporal_start": "2020-01-01",
                        "temporal_end": "2023-12-31",
                        "frequency": "ANNUAL",
                        "themes": ["REGI", "SOCI"],
                        "contact_name": "Mairie",
                        "contact_email": "donnees@example.org",
                        "tags": ["données", "test"],
                        "resources": [
                            {
                                "name": "Table",
                                "url": "https://example.org/b.csv",
                                "format": "CSV",
                                "schema": "scdl/deliberations",
                                "schema_version": "2.1.5",
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


def _datasets() -> list[dict[str, Any]]:
    return [ds for org in DEMO for ds in org["datasets"]]


# The file itself


def test_demo_file_content_is_well_formed():
    assert N_ORGS == 6
    assert N_DATASETS == 23
    assert all(3 <= len(org["datasets"]) <= 4 for org in DEMO)
    for org in DEMO:
        assert org["description"] and org["kind"] and org["website"], org["name"]
        for ds in org["datasets"]:
            for field in DATASET_FIELDS:
                assert ds.get(field), (ds["name"], field)
            assert 1 <= len(ds["resources"]) <= 3, ds["name"]
            assert {r["format"] for r in ds["resources"]} <= FORMATS, ds["name"]


def test_loader_fields_are_the_schemas():
    assert set(loader.organization_fields()) == {
        "title", "name", "description", "kind", "siren", "cog_code", "territory",
        "website", "image_url",
    }  # fmt: skip
    fields = loader.dataset_fields()
    assert "owner_org" not in fields and "tag_string" not in fields
    assert fields["territories"] == fields["themes"] == "list"
    assert fields["temporal_start"] == fields["temporal_end"] == "date"
    assert fields["frequency"] == fields["license_id"] == "text"
    assert loader.resource_fields()["size"] == "int"
    assert "ANNUAL_2" in loader.choices("frequency")
    assert "association" in loader.choices("kind")


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
    organizations[0]["datasets"][0]["extras"] = {"frequence": "Annuelle"}
    organizations[0]["siren"] = 216700013
    organizations[0]["datasets"][1]["territories"] = "commune:67001"
    del organizations[0]["datasets"][1]["resources"][0]["format"]
    organizations[0]["datasets"][1]["resources"][0]["size"] = "1 Mo"
    with pytest.raises(loader.DemoFileError) as e:
        loader.read_demo_file(_write(tmp_path / "demo.yaml", organizations))
    problems = "\n".join(e.value.problems)
    assert "clé inconnue « licence » (clés possibles : " in problems
    assert "license_id" in problems and "territories" in problems
    assert "clé inconnue « extras »" in problems
    assert "« siren » doit être un texte" in problems and "216700013" in problems
    assert "« territories » doit être une liste de textes" in problems
    assert "« format » est obligatoire" in problems
    assert "« size » doit être un nombre entier" in problems


def test_dates_may_be_written_unquoted(tmp_path: Path):
    path = _write(tmp_path / "demo.yaml", _small())
    path.write_text(
        path.read_text(encoding="utf-8").replace("'2020-01-01'", "2020-01-01"),
        encoding="utf-8",
    )
    assert isinstance(
        yaml.safe_load(path.read_text(encoding="utf-8"))["organizations"][0][
            "datasets"
        ][1]["temporal_start"],
        datetime.date,
    )
    (org,) = loader.read_demo_file(path)
    assert org["datasets"][1]["temporal_start"] == "2020-01-01"


@pytest.mark.usefixtures("cog")
def test_demo_codes_are_valid():
    """Every code of the file is valid, current and canonical (as stored)."""
    licenses = set(model.Package.get_license_register().keys())
    for org in DEMO:
        assert org["kind"] in loader.choices("kind"), org["name"]
        if "siren" in org:
            assert luhn_ok(org["siren"]), org["name"]
        level = validators.KIND_LEVEL.get(org["kind"])
        if level:
            code = org["cog_code"]
            assert validators.resolve_territory(code) == (code, None)
            assert code.split(":")[0] == level
            # A commune's or an EPCI's SIREN is the COG's.
            if level in ("commune", "epci"):
                territory = lookup.get(code)
                assert territory and org["siren"] == territory.siren, org["name"]
        if "territory" in org:
            code = org["territory"]
            assert validators.resolve_territory(code) == (code, None)
        for ds in org["datasets"]:
            name = ds["name"]
            for code in ds["territories"]:
                assert validators.resolve_territory(code) == (code, None), name
            assert set(ds["themes"]) <= set(loader.choices("themes")), name
            assert ds["frequency"] in loader.choices("frequency"), name
            assert ds["granularity"] in loader.choices("granularity"), name
            assert ds["license_id"] in licenses, name
            if "temporal_end" in ds:
                assert ds["temporal_start"] <= ds["temporal_end"], name
            for res in ds["resources"]:
                if "schema" in res:
                    assert SCDL_VERSIONS[res["schema"]] == res["schema_version"]
                    assert res["format"] == "CSV"


def test_demo_organisations():
    orgs = {org["name"]: org for org in DEMO}
    assert orgs["region-grand-est"]["siren"] == "200052264"
    assert orgs["collectivite-europeenne-alsace"]["siren"] == "200094332"
    assert orgs["eurometropole-strasbourg"]["siren"] == "246700488"
    assert orgs["ville-strasbourg"]["siren"] == "216704825"
    assert orgs["ville-schiltigheim"]["siren"] == "216704478"
    assert orgs["atmo-grand-est"]["territory"] == "region:44"
    cea = [
        ds["territories"] for ds in orgs["collectivite-europeenne-alsace"]["datasets"]
    ]
    assert all(t == ["departement:67", "departement:68"] for t in cea)


# Loading


@pytest.mark.usefixtures("with_plugins", "clean_db", "cog")
class TestDemoLoad:
    def test_loading_twice_creates_each_object_once(self, cli: Any):
        first = cli.invoke(ckan, ["territoire", "demo", "load"])
        assert first.exit_code == 0, first.output
        assert _summary((N_ORGS, 0, 0), (N_DATASETS, 0, 0)) in first.output
        modified = {
            ds["name"]: helpers.call_action("package_show", id=ds["name"])[
                "metadata_modified"
            ]
            for ds in _datasets()
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

        for org in DEMO:
            shown = helpers.call_action(
                "organization_show", id=org["name"], include_datasets=False
            )
            for key in ("title", "kind", "siren", "cog_code", "website"):
                assert (shown.get(key) or None) == org.get(key), (org["name"], key)
            assert shown["territory"] == org.get("territory", org.get("cog_code"))
            if org.get("siren"):
                assert luhn_ok(shown["siren"]), org["name"]
        shown = helpers.call_action("organization_show", id="ville-schiltigheim")
        schiltigheim = lookup.get("commune:67447")
        assert schiltigheim and shown["siren"] == schiltigheim.siren == "216704478"

        for ds in _datasets():
            shown = helpers.call_action("package_show", id=ds["name"])
            for key in (*DATASET_FIELDS, "temporal_start", "temporal_end"):
                assert (shown.get(key) or None) == ds.get(key), (ds["name"], key)
            assert sorted(t["name"] for t in shown["tags"]) == sorted(ds["tags"])
            for res, wanted in zip(shown["resources"], ds["resources"], strict=True):
                for key in ("name", "url", "format", "schema", "schema_version"):
                    assert res.get(key) == wanted.get(key), (ds["name"], key)

        ds = helpers.call_action("package_show", id="strasbourg-prenoms-nouveau-nes")
        assert ds["organization"]["name"] == "ville-strasbourg"
        assert ds["license_id"] == "odc-odbl"
        assert ds["territories"] == ["commune:67482"]
        assert not ds["private"]
        assert not ds.get("extras")
        assert ds["resources"][0]["schema"] == "scdl/prenoms"

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
        velhop["themes"] = ["TRAN", "ENVI"]
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
        assert org["siren"] == "216704478"
        after = helpers.call_action("package_show", id="ems-stations-velhop")
        assert after["title"] == "Stations Vélhop (location de vélos)"
        assert after["themes"] == ["TRAN", "ENVI"]
        assert after["territories"] == ["epci:246700488"]
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

    def test_codes_are_compared_as_stored(self, tmp_path: Path):
        """Bare or lower-case codes are stored canonical: reloading them
        changes nothing; nor does reloading a dataset given the defaults."""
        organizations = _small(
            territories=["67001", "246700488", "fr:region:44"],
            themes=["regi", "soci"],
            temporal_start="2020",
            resources=[
                {
                    "name": "Table",
                    "url": "https://example.org/b.csv",
                    "format": "csv",
                    "schema": "https://schema.data.gouv.fr/schemas/scdl/deliberations/2.1.5/schema.json",
                    "schema_version": "2.1.5",
                    "size": 2048,
                }
            ],
        )
        organizations[0]["cog_code"] = "67001"
        organizations[0]["siren"] = "216 700 013"
        path = _write(tmp_path / "demo.yaml", organizations)
        assert loader.load_file(path).summary() == _summary((1, 0, 0), (2, 0, 0))

        org = helpers.call_action("organization_show", id="test-commune")
        assert (org["cog_code"], org["territory"]) == ("commune:67001",) * 2
        assert org["siren"] == "216700013"
        first = helpers.call_action("package_show", id="test-jeu-valide")
        assert first["territories"] == ["commune:67001"]
        assert first["license_id"] == "odc-odbl"
        second = helpers.call_action("package_show", id="test-jeu-second")
        assert second["territories"] == [
            "commune:67001", "epci:246700488", "region:44",
        ]  # fmt: skip
        assert second["themes"] == ["REGI", "SOCI"]
        assert second["temporal_start"] == "2020-01-01"
        assert second["resources"][0]["schema"] == "scdl/deliberations"
        assert second["resources"][0]["size"] == 2048

        assert loader.load_file(path).summary() == _summary((0, 0, 1), (0, 0, 2))

    def test_removed_field_is_cleared(self, tmp_path: Path):
        organizations = _small()
        loader.load_file(_write(tmp_path / "demo.yaml", organizations))
        del organizations[0]["website"]
        second = organizations[0]["datasets"][1]
        for key in ("contact_email", "themes", "temporal_start", "temporal_end"):
            del second[key]
        del second["resources"][0]["schema"]
        del second["resources"][0]["schema_version"]

        report = loader.load_file(_write(tmp_path / "demo.yaml", organizations))

        assert report.summary() == _summary((0, 1, 0), (0, 1, 1))
        org = helpers.call_action("organization_show", id="test-commune")
        assert not org.get("website")
        assert org["cog_code"] == "commune:67001"
        shown = helpers.call_action("package_show", id="test-jeu-second")
        for key in ("contact_email", "themes", "temporal_start", "temporal_end"):
            assert not shown.get(key), key
        assert shown["contact_name"] == "Mairie"
        assert not shown["resources"][0].get("schema")
        assert not shown["resources"][0].get("schema_version")

        again = loader.load_file(tmp_path / "demo.yaml")
        assert again.summary() == _summary((0, 0, 1), (0, 0, 2))

    def test_extras_of_an_older_format_are_dropped(self, tmp_path: Path):
        path = _write(tmp_path / "demo.yaml", _small())
        loader.load_file(path)
        sysadmin = {"user": factories.Sysadmin()["name"]}
        helpers.call_action(
            "organization_patch",
            context=dict(sysadmin),
            id="test-commune",
            extras=[{"key": "code_insee", "value": "67001"}],
        )
        helpers.call_action(
            "package_patch",
            context=dict(sysadmin),
            id="test-jeu-second",
            extras=[{"key": "frequence", "value": "Annuelle"}],
        )

        report = loader.load_file(path)

        assert report.summary() == _summary((0, 1, 0), (0, 1, 1))
        org = helpers.call_action("organization_show", id="test-commune")
        assert not org.get("extras")
        assert org["kind"] == "commune"
        shown = helpers.call_action("package_show", id="test-jeu-second")
        assert not shown.get("extras")
        assert shown["frequency"] == "ANNUAL"
        assert loader.load_file(path).summary() == _summary((0, 0, 1), (0, 0, 2))

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
        path = _write(
            tmp_path / "demo.yaml", _small(territories=["commune:67001", "99999"])
        )

        result = cli.invoke(ckan, ["territoire", "demo", "load", "--file", str(path)])

        assert result.exit_code == 1, result.output
        assert "Erreur de validation, jeu de données « test-jeu-second »" in (
            result.output
        )
        assert "Territoire inconnu : « 99999 »" in result.output
        assert (
            "jeux de données : 1 créé, 0 mis à jour, 0 inchangés, 1 en erreur"
            in result.output
        )
        helpers.call_action("package_show", id="test-jeu-valide")
        with pytest.raises(tk.ObjectNotFound):
            helpers.call_action("package_show", id="test-jeu-second")
        assert model.Session.query(model.Package).count() == 1
        assert model.Session.query(model.Resource).count() == 1

    @pytest.mark.parametrize(
        ("override", "field", "needle"),
        [
            ({"frequency": "Annuelle"}, "frequency", "« Annuelle »"),
            ({"themes": ["SPORT"]}, "themes", "« SPORT »"),
            ({"license_id": "other-at"}, "license_id", "« other-at »"),
            ({"temporal_end": "2019-12-31"}, "temporal_end", "précède son début"),
            ({"contact_email": "mairie@"}, "contact_email", "« mairie@ »"),
            ({"tags": ["l'apostrophe"]}, "tags", ""),
        ],
    )
    def test_broken_update_leaves_the_dataset_as_it_was(
        self, tmp_path: Path, override: dict[str, Any], field: str, needle: str
    ):
        loader.load_file(_write(tmp_path / "demo.yaml", _small()))
        before = helpers.call_action("package_show", id="test-jeu-second")

        broken = _small(title="Nouveau titre", **override)
        report = loader.load_file(_write(tmp_path / "demo.yaml", broken))

        assert not report.ok
        (error,) = [o for o in report.outcomes if o.status == "error"]
        assert error.name == "test-jeu-second"
        assert error.errors and field in error.errors, error.errors
        assert needle in str(error.errors[field])
        after = helpers.call_action("package_show", id="test-jeu-second")
        assert after["title"] == before["title"] == "Second jeu"
        assert after["metadata_modified"] == before["metadata_modified"]

    @pytest.mark.parametrize(
        ("override", "field"),
        [
            ({"name": "Nom Invalide"}, "name"),
            ({"siren": "216700014"}, "siren"),
            ({"cog_code": "commune:99999"}, "cog_code"),
            ({"cog_code": "epci:246700488"}, "cog_code"),
            ({"kind": "mairie"}, "kind"),
        ],
    )
    def test_datasets_of_a_broken_organization_are_skipped(
        self, tmp_path: Path, override: dict[str, Any], field: str
    ):
        organizations = _small()
        organizations[0].update(override)

        report = loader.load_file(_write(tmp_path / "demo.yaml", organizations))

        assert [o.status for o in report.outcomes] == ["error", "skipped", "skipped"]
        assert field in (report.outcomes[0].errors or {})
        assert "ignorés" in report.summary()
        assert model.Session.query(model.Group).count() == 0
        assert model.Session.query(model.Package).count() == 0

    def test_malformed_file_writes_nothing(self, cli: Any, tmp_path: Path):
        organizations = _small()
        organizations[0]["cog_code"] = 67001
        path = _write(tmp_path / "demo.yaml", organizations)

        result = cli.invoke(ckan, ["territoire", "demo", "load", "--file", str(path)])

        assert result.exit_code == 1
        assert "« cog_code » doit être un texte" in result.output
        assert _active(model.Group, is_organization=True) == 0

    def test_cog_is_required(self, cli: Any, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setattr(lookup, "is_loaded", lambda: False)

        result = cli.invoke(ckan, ["territoire", "demo", "load"])

        assert result.exit_code == 1
        assert "n'est pas chargé" in result.output
        assert "is not loaded" in result.output
        assert "ckan territoire cog load" in result.output
        with pytest.raises(loader.CogNotLoaded):
            loader.load_file()
        assert _active(model.Group, is_organization=True) == 0
