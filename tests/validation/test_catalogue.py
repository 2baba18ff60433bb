"""The local schema catalogue and its refresh from a local server playing
schema.data.gouv.fr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ckan.cli.cli import ckan as ckan_cli

from ckanext.territoire.validation import catalogue

from ..conftest import shared_path
from .conftest import Answer, PartnerServer


def _schema(version: str) -> dict:
    doc = json.loads(shared_path("scdl", "deliberations.json").read_text("utf-8"))
    doc["version"] = version
    return doc


def test_resolves_latest_and_versions(schemas_dir):
    assert catalogue.resolve("scdl/deliberations")["version"] == "2.1.5"
    assert catalogue.resolve("scdl/deliberations", "2.1.5")["name"] == "deliberations"
    assert catalogue.resolve("scdl/prenoms", "1.1.6")["name"] == "prenoms"  # v1.1.6
    with pytest.raises(catalogue.SchemaNotFound, match="schemas refresh"):
        catalogue.resolve("scdl/deliberations", "2.0.0")
    with pytest.raises(catalogue.SchemaNotFound):
        catalogue.resolve("scdl/../../etc/passwd")
    assert "scdl/deliberations" in catalogue.local_names()


@pytest.fixture
def official(ckan_config, monkeypatch, tmp_path) -> tuple[PartnerServer, Path]:
    server = PartnerServer()
    server.start()
    monkeypatch.setitem(
        ckan_config, "ckanext.territoire.schemas.catalogue_url", server.url + "/schemas"
    )
    monkeypatch.setitem(
        ckan_config, "ckanext.territoire.schemas.directory", str(tmp_path / "cat")
    )
    yield server, tmp_path / "cat"
    server.stop()


@pytest.mark.usefixtures("clean_db")
def test_refresh_writes_latest_and_pinned_versions(official, cli):
    server, root = official
    server.route(
        "/schemas/scdl/deliberations/latest/schema.json", Answer.json(_schema("2.1.5"))
    )
    server.route(
        "/schemas/scdl/deliberations/2.1.4/schema.json", Answer.json(_schema("2.1.4"))
    )
    result = cli.invoke(
        ckan_cli, ["territoire", "schemas", "refresh", "scdl/deliberations"]
    )
    assert result.exit_code == 0, result.output
    result = cli.invoke(
        ckan_cli,
        [
            "territoire",
            "schemas",
            "refresh",
            "scdl/deliberations",
            "--version",
            "2.1.4",
        ],
    )
    assert result.exit_code == 0, result.output
    assert catalogue.resolve("scdl/deliberations")["version"] == "2.1.5"
    assert catalogue.resolve("scdl/deliberations", "2.1.4")["version"] == "2.1.4"
    assert (root / "scdl" / "deliberations" / "2.1.4.json").is_file()
    assert not list(root.rglob("*.tmp"))


@pytest.mark.usefixtures("clean_db")
def test_failed_refresh_keeps_the_previous_copy(official, cli):
    server, root = official
    server.route(
        "/schemas/scdl/deliberations/latest/schema.json", Answer.json(_schema("2.1.5"))
    )
    assert (
        cli.invoke(
            ckan_cli, ["territoire", "schemas", "refresh", "scdl/deliberations"]
        ).exit_code
        == 0
    )
    before = (root / "scdl" / "deliberations.json").read_bytes()

    for answer in (
        Answer(status=500, body="panne", content_type="text/plain"),
        Answer(body="<html>maintenance</html>", content_type="text/html"),
        Answer.json({"not": "a schema"}),
    ):
        server.route("/schemas/scdl/deliberations/latest/schema.json", answer)
        result = cli.invoke(ckan_cli, ["territoire", "schemas", "refresh"])
        assert result.exit_code == 1
        assert "copie précédente conservée" in result.output
        assert (root / "scdl" / "deliberations.json").read_bytes() == before
    assert catalogue.resolve("scdl/deliberations")["version"] == "2.1.5"


@pytest.mark.usefixtures("clean_db")
def test_import_from_a_local_mirror(official, cli, tmp_path):
    _server, root = official
    mirror = tmp_path / "miroir"
    (mirror / "scdl" / "deliberations").mkdir(parents=True)
    (mirror / "scdl" / "deliberations.json").write_text(
        json.dumps(_schema("2.1.5")), "utf-8"
    )
    (mirror / "scdl" / "deliberations" / "2.1.4.json").write_text(
        json.dumps(_schema("2.1.4")), "utf-8"
    )
    result = cli.invoke(ckan_cli, ["territoire", "schemas", "import", str(mirror)])
    assert result.exit_code == 0, result.output
    assert "2 schéma(s) copié(s)" in result.output
    assert catalogue.resolve("scdl/deliberations", "2.1.4")["version"] == "2.1.4"
    assert catalogue.resolve("scdl/deliberations")["version"] == "2.1.5"

    # a file that is not a schema is reported, the copy in place stays
    before = (root / "scdl" / "deliberations.json").read_bytes()
    (mirror / "scdl" / "deliberations.json").write_text('{"not": 1}', "utf-8")
    result = cli.invoke(ckan_cli, ["territoire", "schemas", "import", str(mirror)])
    assert result.exit_code == 1
    assert "scdl/deliberations" in result.output
    assert "copie précédente conservée" in result.output
    assert (root / "scdl" / "deliberations.json").read_bytes() == before
