"""The portal's surface in headless Chromium (issue 19): the home page's
territory box leads to the "concerne" results and their pill; no page
scrolls sideways on a 390 px phone."""

from __future__ import annotations

import pytest

from ckan.tests import factories

from .test_browser import browser  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("clean_db", "cog")


def test_the_territory_box_leads_to_what_concerns_the_commune(live_portal, browser):  # noqa: F811
    org = factories.Organization(title="Ville de Strasbourg")
    factories.Dataset(
        owner_org=org["id"], title="Budget de Strasbourg", territories=["commune:67482"]
    )
    factories.Dataset(
        owner_org=org["id"], title="Routes du Bas-Rhin", territories=["departement:67"]
    )
    factories.Dataset(
        owner_org=org["id"], title="Budget de Metz", territories=["commune:57463"]
    )
    page = browser.new_page()
    page.goto(live_portal + "/")
    box = page.get_by_label("Toutes les données qui concernent votre territoire")
    box.fill("Strasb")
    # the suggestions come from the territory API into the input's datalist
    page.wait_for_selector(
        "#territoire-home-territory-suggestions option", state="attached"
    )
    labels = page.eval_on_selector_all(
        "#territoire-home-territory-suggestions option", "els => els.map(e => e.value)"
    )
    assert "Strasbourg (67)" in labels
    box.fill("Strasbourg (67)")
    box.press("Enter")
    page.wait_for_url("**ext_concerne=commune*67482*")
    text = page.inner_text("#search-results")
    assert "Budget de Strasbourg" in text and "Routes du Bas-Rhin" in text
    assert "Budget de Metz" not in text
    pill = page.locator(".territoire-territorial-filters")
    assert "Strasbourg (67)" in pill.inner_text()
    pill.locator("a.remove").click()
    page.wait_for_url("**/dataset/")
    assert "Budget de Metz" in page.inner_text("#search-results")


def test_no_page_scrolls_sideways_on_a_phone(live_portal, browser):  # noqa: F811
    org = factories.Organization(
        name="ville-de-strasbourg", title="Ville de Strasbourg"
    )
    dataset = factories.Dataset(
        owner_org=org["id"],
        name="budget-strasbourg",
        title="Budget primitif de la Ville de Strasbourg, présenté par nature et par fonction",
        territories=["commune:67482"],
        themes=["GOVE", "ECON"],
    )
    factories.Resource(
        package_id=dataset["id"],
        url="https://data.strasbourg.eu/explore/dataset/budget-primitif-2024-de-la-ville-de-strasbourg/download/?format=csv",
        format="CSV",
        schema="scdl/budget",
        schema_version="1.0.0",
    )
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for path in (
        "/",
        "/dataset/",
        "/dataset/?ext_concerne=commune:67482",
        "/dataset/budget-strasbourg",
        "/dataset/budget-strasbourg/api",
        "/organization/",
        "/organization/ville-de-strasbourg",
        "/pages/accessibilite",
    ):
        page.goto(live_portal + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
