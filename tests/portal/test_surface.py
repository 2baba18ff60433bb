"""What visitors see (issue 19): identity by configuration, the home page,
the legal pages, the territory box, the search page's territorial filters
and results, publication as a separate confirmed action."""

from __future__ import annotations

import re
from typing import Any

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

pytestmark = pytest.mark.usefixtures("clean_db", "cog", "no_home_cache")


@pytest.fixture
def no_home_cache(ckan_config: Any, monkeypatch: Any) -> None:
    from ckanext.territoire.portal import home

    monkeypatch.setitem(ckan_config, "ckanext.territoire.home.cache_seconds", "0")
    home.reset()


def _dataset(org: dict[str, Any], **kw: Any) -> dict[str, Any]:
    kw.setdefault("territories", ["commune:67482"])
    return factories.Dataset(owner_org=org["id"], **kw)


def _auth(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


# --------------------------------------------------------------------------
# Home page and identity


def test_the_home_page_shows_themes_figures_and_producers(app):
    org = factories.Organization(title="Ville de Strasbourg")
    _dataset(org, title="Arrêts de tram", themes=["TRAN"])
    _dataset(org, title="Pistes cyclables", themes=["TRAN", "ENVI"])
    _dataset(org, title="Brouillon privé", themes=["HEAL"], private=True)
    body = app.get("/").body
    # nothing of CKAN's placeholders
    for placeholder in ("420 x 220", "Ceci est une section", "ckan-logo", "featured"):
        assert placeholder not in body
    assert "Les données ouvertes du Grand Est" in body
    assert "/territoire/logo.svg" in body or "ckan.site_logo" not in body
    themes = re.findall(r'href="/dataset/\?vocab_themes=([A-Z_]+)"', body)
    assert themes == ["TRAN", "ENVI"]  # by count; the private one is not counted
    assert "Ville de Strasbourg" in body
    assert "2 jeux de données" in body
    # Strasbourg alone is covered by these datasets
    figures = re.search(r'aria-label="Chiffres clés">(.*?)</ul>', body, re.S).group(1)
    assert re.sub(r"\s+", " ", figures).count("<strong>") == 3
    assert "<strong>2</strong> jeux de données" in re.sub(r"\s+", " ", figures)
    assert "<strong>1</strong> communes couvertes" in re.sub(r"\s+", " ", figures)


def test_a_regional_dataset_covers_every_commune_of_the_region(app):
    from ckanext.territoire.portal import home
    from ckanext.territoire.territories import lookup

    org = factories.Organization()
    _dataset(org, territories=["region:44"])
    grand_est = [c for c in lookup.communes() if "region:44" in lookup.ancestors(c)]
    assert len(grand_est) > 5000
    with app.flask_app.test_request_context():
        assert home.figures()["communes"] == len(grand_est)


@pytest.mark.ckan_config("ckanext.territoire.identity.primary_color", "#123456")
@pytest.mark.ckan_config("ckanext.territoire.identity.accent_color", "rouge")
@pytest.mark.ckan_config(
    "ckanext.territoire.identity.footer_links",
    "Contact | mailto:x@example.org\nRégion | https://www.grandest.fr/\nmauvais lien",
)
@pytest.mark.ckan_config("ckanext.territoire.identity.publisher", "Département test")
def test_colours_and_footer_come_from_the_configuration(app):
    body = app.get("/dataset/").body
    assert "--territoire-primary:#123456" in body
    # an invalid colour falls back to the declared default
    assert "--territoire-accent:#b8d4e6" in body
    assert 'href="https://www.grandest.fr/">Région</a>' in body
    assert "mailto:x@example.org" not in body  # only /, http(s) addresses
    assert "mauvais lien" not in body
    assert "Un service de Département test" in body
    for slug in ("accessibilite", "mentions-legales", "donnees-personnelles"):
        assert f'href="/pages/{slug}"' in body


def test_the_legal_pages_have_defaults_and_can_be_configured(
    app, ckan_config, tmp_path, monkeypatch
):
    body = app.get("/pages/accessibilite").body
    assert (
        "Déclaration d'accessibilité" in body
        or "Déclaration d&#39;accessibilité" in body
    )
    assert "RGAA 4.1" in body and "Région Grand Est" in body
    english = app.get("/en/pages/donnees-personnelles").body
    assert "Your rights" in english
    text = tmp_path / "mentions.md"
    text.write_text("## Hébergeur\n\nOVH, Roubaix.", encoding="utf-8")
    monkeypatch.setitem(ckan_config, "ckanext.territoire.pages.legal_notice", str(text))
    assert "OVH, Roubaix." in app.get("/pages/mentions-legales").body
    monkeypatch.setitem(
        ckan_config, "ckanext.territoire.pages.legal_notice", "/nulle/part.md"
    )
    assert "n'a pas pu être lu" in app.get("/pages/mentions-legales").body.replace(
        "&#39;", "'"
    )
    app.get("/pages/inconnue", status=404)


# --------------------------------------------------------------------------
# The territory box and the search page


@pytest.mark.parametrize(
    "typed,code",
    [
        ("Strasbourg", "commune:67482"),
        ("Strasbourg (67)", "commune:67482"),
        ("sélestat", "commune:67462"),
        ("67462", "commune:67462"),
        ("246700488", "epci:246700488"),
        ("Bas-Rhin", "departement:67"),
        # a postal code: the commune it serves (the most populous of several)
        ("67000", "commune:67482"),
        ("68000", "commune:68066"),
    ],
)
def test_the_territory_box_leads_to_the_concerne_search(app, typed, code):
    response = app.get(
        "/territoire/concerne", query_string={"q": typed}, follow_redirects=False
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        "/dataset/?ext_concerne=" + code.replace(":", "%3A")
    ) or response.headers["Location"].endswith("/dataset/?ext_concerne=" + code)


def test_an_unknown_territory_goes_to_the_text_search(app):
    response = app.get(
        "/territoire/concerne", query_string={"q": "Atlantide"}, follow_redirects=False
    )
    assert response.status_code == 302
    assert "q=Atlantide" in response.headers["Location"]
    page = app.get(response.headers["Location"]).body
    assert "Aucun territoire ne correspond" in page


def test_the_concerne_search_shows_a_removable_pill_and_the_facet_offers_it(app):
    org = factories.Organization()
    _dataset(org, title="Budget de Strasbourg")
    _dataset(org, title="Routes du Bas-Rhin", territories=["departement:67"])
    _dataset(org, title="Budget de Metz", territories=["commune:57463"])
    body = app.get("/dataset/", query_string={"ext_concerne": "commune:67482"}).body
    assert "Budget de Strasbourg" in body and "Routes du Bas-Rhin" in body
    assert "Budget de Metz" not in body
    pill = re.search(r'territoire-territorial-filters">(.*?)</div>', body, re.S).group(
        1
    )
    assert "Concerne" in pill and "Strasbourg (67)" in pill
    assert 'href="/dataset/"' in pill  # removing it: every dataset
    everything = app.get("/dataset/").body
    assert "Tout ce qui concerne Strasbourg (67)" in everything
    assert (
        "ext_concerne=commune%3A67482" in everything
        or "ext_concerne=commune:67482" in everything
    )


def test_results_show_producer_territory_themes_and_no_empty_blocks(app):
    org = factories.Organization(title="Collectivité européenne d'Alsace")
    _dataset(
        org, title="Comptages routiers", themes=["TRAN"], territories=["departement:67"]
    )
    body = app.get("/dataset/").body
    meta = re.search(r'territoire-result-meta small">(.*?)</p>', body, re.S).group(1)
    assert "Collectivité européenne d" in meta
    assert "Bas-Rhin (67)" in meta
    assert "Transports" in meta
    assert "Mis à jour le" in meta
    # no group exists: no "Groupes" block saying there is none
    assert "Il n'y a pas de Groupes" not in body.replace("&#39;", "'")
    # facet names are whole (CKAN cut them at 22 characters)
    assert (
        "Collectivité européenne d&#39;Alsace" in body
        or "Collectivité européenne d'Alsace" in body
    )


def test_transport_finds_the_datasets_of_the_transports_theme():
    org = factories.Organization()
    _dataset(org, title="Stations Vélhop", themes=["TRAN"])
    _dataset(org, title="Itinéraires cyclables", themes=["TRAN"])
    _dataset(org, title="Écoles maternelles", themes=["EDUC"])
    found = helpers.call_action("package_search", q="transport")
    assert sorted(d["title"] for d in found["results"]) == [
        "Itinéraires cyclables",
        "Stations Vélhop",
    ]
    assert helpers.call_action("package_search", q="mobilité")["count"] == 2


# --------------------------------------------------------------------------
# Publication


def test_the_edit_form_has_no_unpublish_button_and_shows_the_licence(app):
    editor = factories.User()
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = _dataset(org)
    form = app.get(f"/dataset/edit/{dataset['name']}", headers=_auth(editor)).body
    assert "go-metadata-unpublish" not in form
    assert "Unpublish" not in form
    new = app.get(f"/dataset/new?owner_org={org['id']}", headers=_auth(editor)).body
    selected = re.search(
        r'<option value="([^"]+)" selected', new[new.index('id="field-license_id"') :]
    )
    assert selected and selected.group(1) == "etalab-2.0"


def test_publishing_and_withdrawing_are_separate_confirmed_actions(app):
    editor = factories.User()
    stranger = factories.User()
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = _dataset(org, private=True)
    page = app.get(f"/dataset/{dataset['name']}", headers=_auth(editor)).body
    assert "Ce jeu de données n’est pas publié." in page
    assert 'data-module="confirm-action"' in page
    app.post(f"/dataset/{dataset['name']}/publier", headers=_auth(stranger), status=403)
    app.post(f"/dataset/{dataset['name']}/publier", status=403)
    assert helpers.call_action("package_show", id=dataset["id"])["private"] is True
    app.post(f"/dataset/{dataset['name']}/publier", headers=_auth(editor))
    assert helpers.call_action("package_show", id=dataset["id"])["private"] is False
    public = app.get(f"/dataset/{dataset['name']}", headers=_auth(editor)).body
    assert "Retirer de la publication" in public
    app.post(f"/dataset/{dataset['name']}/depublier", headers=_auth(editor))
    shown = helpers.call_action("package_show", id=dataset["id"])
    assert shown["private"] is True and shown["state"] == "active"
    # a visitor never sees the buttons
    assert "Retirer de la publication" not in app.get("/dataset/").body
    assert tk.h  # helpers loaded


# --------------------------------------------------------------------------
# The dataset page


def test_the_dataset_page_hides_empty_fields_and_links_the_schema(app):
    org = factories.Organization()
    dataset = _dataset(org, title="Délibérations", frequency="MONTHLY")
    factories.Resource(
        package_id=dataset["id"],
        url="https://example.org/delib.csv",
        format="CSV",
        schema="scdl/deliberations",
        schema_version="2.1.5",
    )
    body = app.get(f"/dataset/{dataset['name']}").body
    rows = re.findall(r'<td class="dataset-details"[^>]*>(.*?)</td>', body, re.S)
    assert rows and all(r.strip() for r in rows), rows
    assert "Emprise géographique" not in body
    assert 'href="https://schema.data.gouv.fr/scdl/deliberations/2.1.5/"' in body


def test_the_api_tab_gives_the_calls_of_the_dataset(app):
    org = factories.Organization()
    dataset = _dataset(org, name="budget-test")
    res = factories.Resource(package_id=dataset["id"], url="https://example.org/b.csv")
    helpers.call_action(
        "datastore_create",
        context={"user": factories.Sysadmin()["name"]},
        resource_id=res["id"],
        force=True,
        records=[{"a": 1}],
    )
    body = app.get("/dataset/budget-test").body
    assert 'href="/dataset/budget-test/api"' in body
    api = app.get("/dataset/budget-test/api").body
    assert "/api/3/action/package_show?id=budget-test" in api
    assert "/dataset/budget-test.ttl" in api
    assert f"datastore_search?resource_id={res['id']}" in api
    assert f"/datastore/dump/{res['id']}?format=csv" in api
    private = _dataset(org, private=True)
    app.get(f"/dataset/{private['name']}/api", status=404)
