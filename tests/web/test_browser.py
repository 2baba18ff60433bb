"""End to end in headless Chromium: a commune editor creates a dataset.

The portal is served by a real HTTP server on 127.0.0.1 (CKAN's WSGI app,
test database); Debian's Chromium is driven by Playwright's Python package
(`executable_path`, no browser download). The editor picks the territory with
the autocomplete widget, first gets a French error for a period that ends
before it starts, corrects it, and the dataset is created.
"""

from __future__ import annotations

import os

import pytest

from ckan.tests import factories
from ckan.tests.helpers import call_action

CHROMIUM = os.environ.get("TERRITOIRE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.usefixtures("clean_db", "cog")


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium introuvable ({CHROMIUM}) : `make test` installe le paquet "
            "Debian chromium / Chromium not found: `make test` installs it"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_commune_editor_creates_a_dataset_with_the_territory_widget(
    live_portal, browser
):
    editor = factories.UserWithToken()
    factories.Organization(
        name="ville-schiltigheim",
        title="Ville de Schiltigheim",
        kind="commune",
        cog_code="67447",
        users=[{"name": editor["name"], "capacity": "editor"}],
    )
    context = browser.new_context(
        locale="fr-FR", extra_http_headers={"Authorization": editor["token"]}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_portal}/dataset/new")

    page.fill("#field-title", "Arbres remarquables")
    page.fill("#field-notes", "Inventaire des arbres remarquables de la commune.")
    # the autocomplete widget: type part of a name, pick the suggestion
    page.fill("#field-territories", "")
    page.fill("#field-territories-search", "schilti")
    suggestion = page.locator(".territoire-suggestions li[data-code='commune:67447']")
    suggestion.wait_for()
    assert "Schiltigheim" in suggestion.inner_text()
    suggestion.click()
    assert page.input_value("#field-territories") == "commune:67447"
    assert "Schiltigheim (67)" in page.inner_text(".territoire-chosen")

    # a period that ends before it starts
    page.fill("#field-temporal_start", "2024-12-31")
    page.fill("#field-temporal_end", "2024-01-01")
    page.click("button.btn-primary[name=save]")
    page.wait_for_load_state()
    error = "La fin de la période (2024-01-01) précède son début (2024-12-31)."
    assert error in page.content()
    assert (
        call_action("package_search", include_drafts=True, include_private=True)[
            "count"
        ]
        == 0
    )
    # what was typed is still there
    assert page.input_value("#field-territories") == "commune:67447"

    page.fill("#field-temporal_end", "2025-06-30")
    page.click("button.btn-primary[name=save]")
    page.wait_for_url("**/resource/new**")

    found = call_action("package_search", include_drafts=True, include_private=True)
    assert found["count"] == 1
    dataset = call_action("package_show", id=found["results"][0]["id"])
    assert dataset["territories"] == ["commune:67447"]
    assert (dataset["temporal_start"], dataset["temporal_end"]) == (
        "2024-12-31",
        "2025-06-30",
    )
    context.close()
