"""French everywhere (issue 19): the portal's pages, CKAN's and its
extensions' included, crawled in French as a visitor, an organisation editor
and a sysadmin; no English word may be read on them.

The content is made here with CKAN's factories, in French: any English found
comes from the portal's interface. The same check finds plenty on the
English pages (``/en/…``), so it is not blind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..validation.conftest import (  # noqa: F401 (fixtures)
    clean_validation,
    data,
    empty_queue,
    run_jobs,
    schemas_dir,
    server,
)
from .english import english_words, read_texts

pytestmark = pytest.mark.usefixtures("clean_validation", "schemas_dir", "cog")


@dataclass
class Portal:
    """What the crawl visits: names and ids of the content made for it."""

    org: str
    group: str
    dataset: str
    resource: str
    source: str
    job: str
    editor: dict[str, Any]
    sysadmin: dict[str, Any]
    tokens: dict[str, str]


def _user(fullname: str, **kw: Any) -> dict[str, Any]:
    return (factories.Sysadmin if kw.pop("sysadmin", False) else factories.User)(
        fullname=fullname, about="Chargée des données ouvertes.", image_url="", **kw
    )


@pytest.fixture
def portal(server) -> Portal:  # noqa: F811
    from ckanext.harvest.model import HarvestGatherError, HarvestJob

    sysadmin = _user("Camille Administratrice", sysadmin=True)
    editor = _user("Léa Éditrice")
    org = factories.Organization(
        name="ville-de-colmar",
        title="Ville de Colmar",
        description="Les données ouvertes de la ville.",
        image_url="",
        users=[{"name": editor["name"], "capacity": "editor"}],
    )
    group = factories.Group(
        name="nature-en-ville",
        title="Nature en ville",
        description="Arbres, parcs et jardins.",
        image_url="",
    )
    dataset = factories.Dataset(
        owner_org=org["id"],
        name="arbres-de-colmar",
        title="Arbres de Colmar",
        notes="Inventaire des arbres d'alignement de la ville.",
        license_id="etalab-2.0",
        tags=[{"name": "arbres"}, {"name": "nature"}],
        territories=["commune:68066"],
        themes=["ENVI"],
        groups=[{"id": group["id"]}],
    )
    server.route(
        "/deliberations.csv",
        _answer(data("deliberations-invalid.csv")),
    )
    resource = call_action(
        "resource_create",
        {"user": sysadmin["name"]},
        package_id=dataset["id"],
        name="Délibérations",
        description="Le fichier des délibérations.",
        url=f"{server.url}/deliberations.csv",
        format="CSV",
        schema="scdl/deliberations",
    )
    run_jobs()  # the validation report
    source = call_action(
        "harvest_source_create",
        {"user": sysadmin["name"]},
        name="colmar-dcat",
        title="Catalogue DCAT de Colmar",
        notes="Les jeux de la ville, moissonnés depuis son catalogue.",
        url=server.url + "/catalogue.ttl",
        source_type="territoire_dcat_rdf",
        config=json.dumps({"rdf_format": "turtle"}),
        owner_org=org["id"],
    )
    # a finished job with a gather error: the job pages show their report
    job = HarvestJob(source_id=source["id"], status="Finished")
    job.save()
    HarvestGatherError(
        harvest_job_id=job.id, message="Le portail ne répond pas."
    ).save()
    model.Session.commit()
    tokens = {
        user["name"]: factories.APIToken(user=user["name"])["token"]
        for user in (editor, sysadmin)
    }
    return Portal(
        org=org["name"],
        group=group["name"],
        dataset=dataset["name"],
        resource=resource["id"],
        source=source["name"],
        job=job.id,
        editor=editor,
        sysadmin=sysadmin,
        tokens=tokens,
    )


def _answer(body: bytes) -> Any:
    from ..harvesters.conftest import Answer

    return Answer(body=body, content_type="text/csv; charset=utf-8")


def _pages(role: str, p: Portal) -> list[str]:
    dataset = f"/dataset/{p.dataset}"
    resource = f"{dataset}/resource/{p.resource}"
    public = [
        "/",
        "/dataset/",
        "/dataset/?q=arbres&tags=arbres",
        dataset,
        f"{dataset}/api",
        resource,
        f"{resource}/validation",
        "/organization/",
        f"/organization/{p.org}",
        f"/organization/about/{p.org}",
        "/group/",
        f"/group/{p.group}",
        "/about",
        "/pages/accessibilite",
        "/pages/mentions-legales",
        "/pages/donnees-personnelles",
        "/harvest/",
        f"/harvest/{p.source}",
        f"/harvest/about/{p.source}",
        "/rejoindre",
        "/aide/roles",
        # the developers' page (issue 20): its guide and intro in French
        "/api",
    ]
    if role == "anonymous":
        # registration may be closed (the join pages of issue 18 replace it)
        register = (
            ["/user/register"] if tk.config.get("ckan.auth.create_user_via_web") else []
        )
        return [*public, "/user/login", "/user/reset", *register]
    user = p.editor if role == "editor" else p.sysadmin
    mine = [
        *public,
        f"/user/{user['name']}",
        f"/user/edit/{user['name']}",
        f"/user/{user['name']}/api-tokens",
        "/dashboard/datasets",
        "/dashboard/organizations",
        "/dataset/new",
        f"/dataset/edit/{p.dataset}",
        f"/dataset/resources/{p.dataset}",
        f"{dataset}/resource/new",
        f"{resource}/edit",
        f"/dataset/{p.dataset}/resource_data/{p.resource}",
        f"/dataset/activity/{p.dataset}",
        f"/organization/members/{p.org}",
        "/publier",
        f"/publier/nouveau?schema=scdl/deliberations&organisation={p.org}",
    ]
    if role == "editor":
        return mine
    return [
        *mine,
        f"/organization/edit/{p.org}",
        "/organization/new",
        f"/organization/member_new/{p.org}",
        "/harvest/new",
        f"/harvest/edit/{p.source}",
        f"/harvest/admin/{p.source}",
        f"/harvest/{p.source}/job",
        f"/harvest/{p.source}/job/{p.job}",
        "/ckan-admin/",
        "/ckan-admin/config",
        "/ckan-admin/trash",
        "/ckan-admin/activities",
        "/user/",
        "/rejoindre/demandes",
        f"/organization/{p.org}/equipe",
    ]


def _allowed() -> list[str]:
    """Proper names on the pages: the licences' titles."""
    return [license.title for license in model.Package.get_license_register().values()]


def _get(app: Any, url: str, token: str | None) -> str:
    headers = {"Authorization": token} if token else {}
    response = app.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    if token:  # the page itself, not the login form it would send others to
        assert response.request.path != "/user/login", url
    return response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["anonymous", "editor", "sysadmin"])
def test_every_page_reads_in_french(app, portal, role):
    user = {"editor": portal.editor, "sysadmin": portal.sysadmin}.get(role)
    token = portal.tokens[user["name"]] if user else None
    allowed = _allowed()
    english: dict[str, list[str]] = {}
    for url in _pages(role, portal):
        html = _get(app, url, token)
        assert '<html lang="fr"' in html, url
        found = english_words(html, allowed)
        if found:
            english[url] = sorted({f"{word!r} in {text!r}" for word, text in found})
    assert not english, "English on French pages:\n" + "\n".join(
        f"{url}\n    " + "\n    ".join(lines) for url, lines in english.items()
    )


def test_the_check_finds_english_on_english_pages(app, portal):
    token = portal.tokens[portal.sysadmin["name"]]
    allowed = _allowed()
    for url in (
        "/en/",
        "/en/dataset/",
        f"/en/dataset/{portal.dataset}",
        f"/en/organization/{portal.org}",
        "/en/harvest/",
        f"/en/harvest/admin/{portal.source}",
        "/en/ckan-admin/",
        "/en/dataset/new",
    ):
        words = {
            w.lower() for w, _text in english_words(_get(app, url, token), allowed)
        }
        assert len(words) >= 5, (url, words)
        assert words & {"search", "dataset", "datasets", "harvest", "the", "add"}, url


# --------------------------------------------------------------------------
# The check itself


def test_text_and_attributes_read_to_people_are_checked():
    html = """<html><head><title>Accueil</title><script>var x = "Search";</script>
    <style>.show{}</style></head><body>
    <input type="search" placeholder="Search Datasets..." value="arbres">
    <button aria-label="Close">×</button><img src="a.png" alt="[Open Data]">
    <a title="Edit">Modifier</a><input type="submit" value="Save">
    <code>package_show?id=the-dataset</code><p>Les données du Grand Est</p>
    </body></html>"""
    words = [w for w, _t in english_words(html)]
    assert words == ["Search", "Datasets", "Close", "Open", "Data", "Edit", "Save"]
    assert "Les données du Grand Est" in read_texts(html)


def test_french_proper_nouns_and_addresses_pass():
    html = (
        "<p>Licence : Open Data Commons Open Database License (ODbL)</p>"
        "<p>Le thé est servi à l'hôtel ; l'Isère, Orléans, Artois.</p>"
        "<p>Format CSV, GeoJSON ou JSON par l'API CKAN, DCAT-AP.</p>"
        "<p>Voir https://www.data.gouv.fr/api/1/datasets/?organization=the-org"
        " ou écrire à contact@the-region.fr ; option ckan.site_title.</p>"
        "<p>Autre licence / Other licence</p>"
        "<p>La description OpenAPI 3.1 de l'API.</p>"
    )
    assert english_words(html, ["Autre licence / Other licence"]) == []


def test_english_phrases_are_whole_words():
    assert english_words("<p>Showing 3 results</p>")[0][0] == "Showing"
    assert english_words("<p>Log\n  in</p>")[0][0] == "Log in"
    # parts of French words are not English words
    assert english_words("<p>Forme, adresse, théâtre, fortune, tôt</p>") == []
    assert english_words("<button>Go</button><p>Fichier de 5 Go</p>") == [("Go", "Go")]


def test_dates_in_the_english_order_are_english():
    assert english_words("<p>Mis à jour le décembre 6, 2026, 19:47</p>")
    assert english_words("<p>Mis à jour le 6 décembre 2026, 19:47</p>") == []


# --------------------------------------------------------------------------
# Our catalogue over CKAN's


def test_our_french_overrides_ckans_for_the_same_message(app):
    """Flask-Babel merges CKAN's catalogue, then the plugins' in reverse
    ``ckan.plugins`` order, a later one winning: ours, first in the list,
    has the last word over CKAN's own French."""
    import os

    from babel.messages.mofile import read_mo

    import ckan

    ckan_mo = os.path.join(
        os.path.dirname(ckan.__file__), "i18n", "fr", "LC_MESSAGES", "ckan.mo"
    )
    with open(ckan_mo, "rb") as f:
        ckans = {m.id: m.string for m in read_mo(f) if isinstance(m.id, str)}
    assert ckans["Filter Results"] == "Filtrer les resultats"  # sic
    assert ckans["Licenses"] == "Licenses"

    factories.Dataset(license_id="etalab-2.0", owner_org=factories.Organization()["id"])
    page = app.get("/dataset/").get_data(as_text=True)
    assert "Filtrer les résultats" in page and "Filtrer les resultats" not in page
    assert "Licences" in page and "Licenses" not in page
    english = app.get("/en/dataset/").get_data(as_text=True)
    assert "Filter Results" in english and "Licenses" in english
