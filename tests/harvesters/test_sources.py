"""``ckan territoire harvest-sources sync`` and ``ckan territoire harvest run``."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.territoire.harvesters.cli import (
    SourceFileError,
    read_sources,
    sync_sources,
)

from .conftest import Answer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))

pytestmark = pytest.mark.usefixtures("clean_db", "cog")


def _write(directory, name: str, **data) -> None:
    with open(os.path.join(directory, f"{name}.yaml"), "w", encoding="utf-8") as f:
        yaml.safe_dump({"name": name, **data}, f, allow_unicode=True)


def _scdl(partner_url: str, **extra):
    return {
        "title": "Schiltigheim — catalogue",
        "url": partner_url + "/catalogue.csv",
        "type": "territoire_scdl",
        "owner_org": "ville-schiltigheim",
        "frequency": "MONTHLY",
        **extra,
    }


def test_shipped_partner_sources_are_valid():
    files = read_sources(os.path.join(REPO, "harvesters"))
    assert len(files) >= 3
    assert all(not f.enabled for f in files)  # no internet on our machines


def test_sync_creates_updates_and_is_idempotent(tmp_path, partner):
    factories.Organization(name="ville-schiltigheim", kind="commune", cog_code="67447")
    _write(tmp_path, "schiltigheim-scdl", **_scdl(partner.url))
    _write(tmp_path, "exemple", **_scdl(partner.url, enabled=False))

    report = sync_sources(str(tmp_path))
    assert report.created == ["schiltigheim-scdl"]
    assert report.disabled == ["exemple"]
    source = call_action(
        "harvest_source_show", {"ignore_auth": True}, id="schiltigheim-scdl"
    )
    assert source["source_type"] == "territoire_scdl"
    assert source["frequency"] == "MONTHLY"

    report = sync_sources(str(tmp_path))
    assert report.created == [] and report.unchanged == ["schiltigheim-scdl"]

    _write(
        tmp_path,
        "schiltigheim-scdl",
        **_scdl(partner.url, frequency="WEEKLY", config={"withdraw_after_days": 3}),
    )
    report = sync_sources(str(tmp_path), dry_run=True)
    assert report.updated == [("schiltigheim-scdl", ["frequency", "config"])]
    assert (
        call_action(
            "harvest_source_show", {"ignore_auth": True}, id="schiltigheim-scdl"
        )["frequency"]
        == "MONTHLY"
    )
    report = sync_sources(str(tmp_path))
    assert report.updated == [("schiltigheim-scdl", ["frequency", "config"])]
    source = call_action(
        "harvest_source_show", {"ignore_auth": True}, id="schiltigheim-scdl"
    )
    assert source["frequency"] == "WEEKLY"
    assert json.loads(source["config"]) == {"withdraw_after_days": 3}


def test_one_invalid_file_changes_nothing(tmp_path, partner):
    factories.Organization(name="ville-schiltigheim", kind="commune", cog_code="67447")
    _write(tmp_path, "bonne", **_scdl(partner.url))
    _write(tmp_path, "mauvaise", **_scdl(partner.url, type="ftp", frequnecy="DAILY"))
    with pytest.raises(SourceFileError) as e:
        sync_sources(str(tmp_path))
    assert "mauvaise.yaml" in str(e.value)
    assert "frequnecy" in str(e.value) and "ftp" in str(e.value)
    assert call_action("harvest_source_list", {"ignore_auth": True}) == []


def test_an_unknown_organisation_changes_nothing(tmp_path, partner):
    _write(tmp_path, "orpheline", **_scdl(partner.url, owner_org="nulle-part"))
    with pytest.raises(SourceFileError, match="nulle-part"):
        sync_sources(str(tmp_path))


@pytest.mark.ckan_config("ckanext.territoire.harvest.allowed_networks", "")
def test_a_source_url_inside_our_network_is_refused_by_sync(tmp_path, partner):
    factories.Organization(name="ville-schiltigheim", kind="commune", cog_code="67447")
    _write(tmp_path, "interne", **_scdl(partner.url))
    with pytest.raises(SourceFileError, match="interne"):
        sync_sources(str(tmp_path))


def test_cli_sync_and_run_print_what_happens(tmp_path, partner, cli, ckan_config):
    from ckanext.territoire.cli import territoire

    factories.Organization(name="ville-schiltigheim", kind="commune", cog_code="67447")
    partner.route(
        "/catalogue.csv",
        Answer(
            body=(
                "COLL_NOM;COLL_SIRET;ID;TITRE;DESCRIPTION;THEME;PRODUCTEUR_NOM;"
                "PRODUCTEUR_SIRET;COUV_SPAT_MAILLE;COUV_SPAT_NOM;COUV_TEMP_DEBUT;"
                "COUV_TEMP_FIN;DATE_PUBL;FREQ_MAJ;DATE_MAJ;MOTS_CLES;LICENCE;"
                "NOMBRE_RESSOURCES;FORMAT_RESSOURCES;URL\n"
                "Ville de Schiltigheim;21670447800017;cat-1;Équipements sportifs;"
                "Liste des équipements sportifs;Sport;Ville de Schiltigheim;"
                "21670447800017;Communale;Schiltigheim;2023-01-01;2023-12-31;"
                "2023-01-15;Annuelle;2024-01-10;sport;Licence Ouverte-LO;1;csv;"
                "https://example.org/equipements.csv\n"
            ),
            content_type="text/csv; charset=utf-8",
        ),
    )
    _write(tmp_path, "schiltigheim-scdl", **_scdl(partner.url))
    result = cli.invoke(territoire, ["harvest-sources", "sync", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Source créée : schiltigheim-scdl" in result.output

    result = cli.invoke(territoire, ["harvest", "run", "schiltigheim-scdl", "--local"])
    assert result.exit_code == 0, result.output
    assert "1 ajoutés" in result.output

    result = cli.invoke(territoire, ["harvest", "run", "inconnue", "--local"])
    assert result.exit_code != 0 and "inconnue" in result.output
