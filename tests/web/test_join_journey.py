"""End to end in headless Chromium: a commune joins the platform and publishes
(issue 18).

A secretary registers, asks to join for Sélestat, which has no organisation
yet; a data manager of the région approves; the secretary logs in as the new
organisation's admin, invites a colleague (the invitation reaches a real SMTP
server on 127.0.0.1), and publishes a délibérations file through the guided
publication. The dataset is then found by « concerne » for Sélestat and in
/catalog.ttl.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import rdflib
import requests

from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..datastore.conftest import clean_datastore  # noqa: F401
from ..join.conftest import smtp  # noqa: F401
from ..validation.conftest import empty_queue, run_jobs, schemas_dir  # noqa: F401
from .test_browser import browser  # noqa: F401

DATA = Path(__file__).resolve().parents[1] / "data" / "validation"
PASSWORD = "Sélestat-Mairie-2026"

pytestmark = pytest.mark.usefixtures(
    "clean_datastore", "empty_queue", "schemas_dir", "cog"
)


def test_a_commune_joins_invites_and_publishes(live_portal, browser, smtp):  # noqa: F811
    started = time.monotonic()
    manager = factories.UserWithToken(fullname="Gestionnaire Région", image_url="")
    group = factories.Group(name="gestionnaires")
    call_action(
        "group_member_create", id=group["id"], username=manager["name"], role="member"
    )

    person = browser.new_context(locale="fr-FR")
    page = person.new_page()
    page.set_default_timeout(20000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # 1. registers
    page.goto(f"{live_portal}/user/register")
    page.fill("#field-username", "claire-martin")
    page.fill("#field-fullname", "Claire Martin")
    page.fill("#field-email", "claire.martin@mairie-selestat.example")
    page.fill("#field-password", PASSWORD)
    page.fill("#field-confirm-password", PASSWORD)
    page.click("form button[name=save]")
    page.wait_for_load_state()

    # 2. asks to join for Sélestat, found with the autocomplete
    page.goto(f"{live_portal}/")
    page.click(".territoire-join-link a[href='/rejoindre']")
    page.wait_for_selector("#territoire-join-form")
    page.fill("#field-territory-search", "sélestat")
    suggestion = page.locator(".territoire-suggestions li[data-code='commune:67462']")
    suggestion.click()
    assert page.input_value("#field-territory") == "commune:67462"
    page.fill("#field-role", "Secrétaire de mairie")
    assert page.input_value("#field-email") == "claire.martin@mairie-selestat.example"
    page.click("#territoire-join-form button[name=save]")
    page.wait_for_load_state()
    assert "gestionnaires de données de la région" in page.inner_text(".flash-messages")
    assert "Sélestat (67)" in page.inner_text(".territoire-my-requests")

    # 3. a data manager approves on the review page
    manager_context = browser.new_context(
        locale="fr-FR", extra_http_headers={"Authorization": manager["token"]}
    )
    review = manager_context.new_page()
    review.set_default_timeout(20000)
    review.goto(f"{live_portal}/rejoindre/demandes")
    card = review.locator("section[data-territory='commune:67462']")
    assert "Commune de Sélestat" in card.inner_text()
    assert "Secrétaire de mairie" in card.inner_text()
    card.locator("button[value=approve]").click()
    review.wait_for_load_state()
    manager_context.close()
    (approval,) = smtp.to("claire.martin@mairie-selestat.example")
    assert "Votre demande est acceptée : Commune de Sélestat" in approval.subject

    # 4. logs in again, as the organisation's admin, and invites a colleague
    person.clear_cookies()
    page.goto(f"{live_portal}/user/login")
    page.fill("#field-login", "claire-martin")
    page.fill("#field-password", PASSWORD)
    page.click("form:has(#field-login) button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_portal}/organization/commune-selestat")
    page.click(".territoire-team-link")
    page.wait_for_selector("#territoire-invite-form")
    page.fill("#field-invite-email", "paul.schmitt@mairie-selestat.example")
    page.select_option("#field-invite-role", "editor")
    page.click("#territoire-invite-form button[type=submit]")
    page.wait_for_load_state()
    assert "Invitation envoyée" in page.inner_text(".flash-messages")
    assert "paul.schmitt@mairie-selestat.example" in page.inner_text(
        ".territoire-invitations"
    )
    (invitation,) = smtp.to("paul.schmitt@mairie-selestat.example")
    assert invitation.subject.startswith("Invitation à publier sur")

    # 5. publishes délibérations through the guided publication
    page.goto(f"{live_portal}/organization/commune-selestat")
    page.click(".territoire-publish-link")
    page.check("#schema-scdl-deliberations")
    page.click("#territoire-publish-start button[type=submit]")
    page.wait_for_selector("#territoire-publish-form")
    title = page.input_value("#field-title")
    assert title.startswith("Délibérations — Commune de Sélestat — ")
    # the coverage is the commune's, shown by name, with the territory picker
    assert page.input_value("#field-territories") == "commune:67462"
    assert "Sélestat (67)" in page.inner_text(
        "#territoire-publish-form .territoire-chosen"
    )
    page.set_input_files("#field-upload", str(DATA / "deliberations-utf8-bom.csv"))
    page.click("#territoire-publish-form button[name=save]")
    page.wait_for_selector(".territoire-publish-check")
    run_jobs()
    page.reload()
    check = page.locator(".territoire-publish-check")
    assert check.get_attribute("data-status") == "success"
    page.click(".territoire-publish-now button")
    page.wait_for_load_state()
    assert "tout le monde peut le voir" in page.inner_text(".flash-messages")
    person.close()
    assert errors == [], errors

    # 6. found by « concerne » for the commune, and in the DCAT catalogue
    found = requests.get(
        f"{live_portal}/api/3/action/package_search",
        params={"ext_concerne": "commune:67462"},
        timeout=30,
    ).json()["result"]
    assert [d["title"] for d in found["results"]] == [title]
    (dataset,) = found["results"]
    assert dataset["private"] is False
    assert dataset["organization"]["name"] == "commune-selestat"
    ttl = requests.get(f"{live_portal}/catalog.ttl", timeout=30)
    graph = rdflib.Graph().parse(data=ttl.content, format="turtle")
    titles = {str(o) for o in graph.objects(None, rdflib.DCTERMS.title)}
    assert title in titles
    assert time.monotonic() - started < 120
