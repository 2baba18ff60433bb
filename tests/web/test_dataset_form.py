"""The dataset form through CKAN's test app: territorial fields, French errors."""

from __future__ import annotations

import pytest

from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("clean_db", "cog")


@pytest.fixture
def editor():
    user = factories.UserWithToken()
    org = factories.Organization(
        kind="commune",
        cog_code="67447",
        title="Ville de Schiltigheim",
        users=[{"name": user["name"], "capacity": "editor"}],
    )
    return user, org


def _headers(user):
    return {"Authorization": user["token"]}


def test_form_shows_the_territorial_fields(app, editor):
    user, org = editor
    page = app.get("/dataset/new", headers=_headers(user))
    body = page.body
    assert 'name="territories"' in body
    assert 'data-module="territoire-territories"' in body
    assert "territoire_territory_autocomplete" in body
    assert "Couverture territoriale" in body
    assert 'name="frequency"' in body and "Mensuelle" in body
    assert 'name="themes"' in body and "Environnement" in body
    assert "Licence Ouverte / Open Licence 2.0" in body


def _form(org, **fields):
    data = {
        "name": "arbres-remarquables",
        "title": "Arbres remarquables",
        "notes": "Inventaire.",
        "owner_org": org["id"],
        "license_id": "etalab-2.0",
        "save": "continue",
        "_ckan_phase": "dataset_new_1",
    }
    data.update(fields)
    return data


def test_bad_date_is_an_inline_french_error_and_nothing_is_saved(app, editor):
    user, org = editor
    page = app.post(
        "/dataset/new",
        headers=_headers(user),
        data=_form(org, territories="67447", temporal_start="31/12/2024"),
    )
    assert "Date invalide « 31/12/2024 » : format attendu AAAA-MM-JJ" in page.body
    # the form is shown again with what was typed
    assert 'value="67447"' in page.body
    assert (
        call_action("package_search", include_drafts=True, include_private=True)[
            "count"
        ]
        == 0
    )


def test_unknown_territory_is_an_inline_error(app, editor):
    user, org = editor
    page = app.post(
        "/dataset/new",
        headers=_headers(user),
        data=_form(org, territories="67447, 99999"),
    )
    assert "Territoire inconnu : « 99999 »" in page.body


def test_created_dataset_shows_territories_by_name_and_level(app, editor):
    user, org = editor
    app.post(
        "/dataset/new",
        headers=_headers(user),
        data=_form(
            org,
            territories="commune:67447, departement:67",
            frequency="MONTHLY",
            themes="ENVI",
        ),
    )
    shown = call_action("package_show", id="arbres-remarquables")
    assert shown["territories"] == ["commune:67447", "departement:67"]
    # (a draft until its first resource is added: its editor sees it)
    page = app.get("/dataset/arbres-remarquables", headers=_headers(user))
    assert "Schiltigheim (67)" in page.body
    assert "Bas-Rhin (67)" in page.body
    assert "Département" in page.body
    assert "Mensuelle" in page.body


def test_commune_default_coverage_through_the_form(app, editor):
    user, org = editor
    app.post("/dataset/new", headers=_headers(user), data=_form(org))
    assert call_action("package_show", id="arbres-remarquables")["territories"] == [
        "commune:67447"
    ]
