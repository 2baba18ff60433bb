"""Accessibility (issue 19, RGAA 4.1 / WCAG 2.1 AA) in headless Chromium.

axe-core (npm, pinned by ``tests/web/axe/package-lock.json``, installed by
``make test``) audits the main pages against its WCAG 2.1 A and AA rules: no
serious or critical violation is allowed. axe is served to the page from
the portal's own origin by Playwright (a routed URL), so the portal's
Content-Security-Policy (``script-src 'self'``) stays as it is. The same
rendered pages, scripts run, are read for English (``english.py``).

The territory picker of the dataset form is used with the keyboard alone:
tab to it, type, arrow keys, Enter, remove a territory with its button.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ckan.model as model
from ckan.tests import factories

from ..validation.conftest import schemas_dir  # noqa: F401 (fixture)
from .english import english_words
from .test_browser import browser  # noqa: F401 (fixture)

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__axe-core.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

pytestmark = pytest.mark.usefixtures("clean_db", "cog")


@pytest.fixture
def audit(live_portal, browser) -> Iterator[Any]:  # noqa: F811
    """``audit(page)``: axe's WCAG 2.1 A/AA violations of the page as it is."""
    if not AXE.exists():
        pytest.fail(
            f"{AXE} introuvable : `make test` l'installe (npm ci dans tests/web/axe) "
            "/ not found: `make test` installs it (npm ci in tests/web/axe)"
        )

    def run(page: Any) -> list[dict[str, Any]]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(url=live_portal + AXE_PATH)
        return page.evaluate(
            """async (tags) => {
                const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
                return r.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary),
                }));
            }""",
            WCAG_21_AA,
        )

    yield run


def _context(browser: Any, live_portal: str, token: str | None = None) -> Any:  # noqa: F811
    context = browser.new_context(
        locale="fr-FR",
        extra_http_headers={"Authorization": token} if token else {},
    )
    context.route(
        live_portal + AXE_PATH,
        lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"),
    )
    context.set_default_timeout(15000)
    return context


def _blocking(violations: list[dict[str, Any]]) -> list[str]:
    return [
        f"{v['impact']} {v['id']} ({v['help']}):\n      "
        + "\n      ".join(v["nodes"][:8])
        for v in violations
        if v["impact"] in BLOCKING
    ]


def _check(page: Any, audit: Any, where: str, allowed: list[str]) -> list[str]:
    problems = [f"{where}: {p}" for p in _blocking(audit(page))]
    english = english_words(page.content(), allowed)
    if english:
        problems.append(
            f"{where}: English {sorted({w for w, _t in english})} in "
            f"{sorted({t for _w, t in english})[:5]}"
        )
    return problems


def _licences() -> list[str]:
    return [lic.title for lic in model.Package.get_license_register().values()]


def _content() -> dict[str, Any]:
    editor = factories.User(fullname="Léa Éditrice", about="", image_url="")
    org = factories.Organization(
        name="ville-de-colmar",
        title="Ville de Colmar",
        description="Les données ouvertes de la ville.",
        image_url="",
        users=[{"name": editor["name"], "capacity": "editor"}],
    )
    datasets = [
        factories.Dataset(
            owner_org=org["id"],
            name=name,
            title=title,
            notes=f"{title} : les données de la ville, mises à jour chaque année.",
            license_id="etalab-2.0",
            tags=[{"name": "nature"}],
            territories=["commune:68066"],
            themes=["ENVI"],
        )
        for name, title in (
            ("arbres-de-colmar", "Arbres de Colmar"),
            ("parcs-de-colmar", "Parcs et jardins de Colmar"),
            ("fontaines-de-colmar", "Fontaines de Colmar"),
        )
    ]
    resource = factories.Resource(
        package_id=datasets[0]["id"],
        name="Inventaire des arbres",
        description="Un arbre par ligne.",
        url="http://127.0.0.1:9/arbres.csv",
        format="CSV",
    )
    return {
        "editor": editor,
        "token": factories.APIToken(user=editor["name"])["token"],
        "org": org,
        "dataset": datasets[0],
        "resource": resource,
    }


# pages of 2 results: the search page has its pager
@pytest.mark.ckan_config("ckan.datasets_per_page", "2")
def test_public_pages_have_no_serious_violation(live_portal, browser, audit):  # noqa: F811
    c = _content()
    dataset = f"/dataset/{c['dataset']['name']}"
    context = _context(browser, live_portal)
    page = context.new_page()
    problems = []
    for path in (
        "/",
        "/dataset/",
        "/dataset/?tags=nature&q=colmar",
        dataset,
        f"{dataset}/resource/{c['resource']['id']}",
        "/organization/",
        f"/organization/{c['org']['name']}",
        "/pages/accessibilite",
    ):
        page.goto(live_portal + path)
        page.wait_for_load_state("networkidle")
        problems += _check(page, audit, path, _licences())
    context.close()
    assert not problems, "\n".join(problems)


def test_dataset_form_with_the_territory_picker(live_portal, browser, audit):  # noqa: F811
    c = _content()
    context = _context(browser, live_portal, c["token"])
    page = context.new_page()
    page.goto(live_portal + "/dataset/new")
    page.wait_for_load_state("networkidle")
    problems = _check(page, audit, "/dataset/new", _licences())
    # the picker with its suggestions open, then with a territory chosen
    page.fill("#field-territories", "")
    page.fill("#field-territories-search", "colm")
    page.locator("#field-territories-suggestions li[data-code]").first.wait_for()
    problems += _check(page, audit, "/dataset/new (suggestions)", _licences())
    page.keyboard.press("Enter")
    page.locator(".territoire-chosen li[data-code] button").first.wait_for()
    problems += _check(page, audit, "/dataset/new (chosen)", _licences())
    page.goto(live_portal + f"/dataset/edit/{c['dataset']['name']}")
    problems += _check(page, audit, "/dataset/edit", _licences())
    context.close()
    assert not problems, "\n".join(problems)


def test_join_and_publication_pages(live_portal, browser, audit, app, schemas_dir):  # noqa: F811
    c = _content()
    admin = factories.Sysadmin(fullname="Camille Administratrice", image_url="")
    admin_token = factories.APIToken(user=admin["name"])["token"]
    org = c["org"]["name"]
    problems = []
    for token, paths in (
        (
            c["token"],
            [
                "/rejoindre",
                "/publier",
                f"/publier/nouveau?schema=scdl/deliberations&organisation={org}",
            ],
        ),
        (admin_token, ["/rejoindre/demandes", f"/organization/{org}/equipe"]),
    ):
        context = _context(browser, live_portal, token)
        page = context.new_page()
        for path in paths:
            page.goto(live_portal + path)
            page.wait_for_load_state("networkidle")
            assert "/user/login" not in page.url, path
            problems += _check(page, audit, path, _licences())
        context.close()
    assert not problems, "\n".join(problems)


def _focused(page: Any) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def test_the_territory_picker_with_the_keyboard_alone(live_portal, browser):  # noqa: F811
    c = _content()
    context = _context(browser, live_portal, c["token"])
    page = context.new_page()
    page.goto(live_portal + "/dataset/new")
    page.wait_for_load_state("networkidle")
    page.fill("#field-territories", "")

    # tab from the title to the picker's search box
    page.focus("#field-title")
    for _ in range(40):
        if _focused(page) == "field-territories-search":
            break
        page.keyboard.press("Tab")
    assert _focused(page) == "field-territories-search"
    search = page.locator("#field-territories-search")
    assert search.get_attribute("role") == "combobox"
    assert search.get_attribute("aria-expanded") == "false"

    page.keyboard.type("strasb")
    options = page.locator("#field-territories-suggestions li[role=option]")
    options.first.wait_for()
    assert search.get_attribute("aria-expanded") == "true"
    assert page.locator("#field-territories-suggestions").is_visible()
    count = options.count()
    assert count >= 2, "Strasbourg: the commune and its EPCI at least"
    assert "proposés" in page.inner_text(".territoire-status")

    # arrow keys move the active option; the focus stays in the box
    page.keyboard.press("ArrowDown")
    first = options.nth(0)
    assert search.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert first.get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowDown")
    second = options.nth(1)
    assert search.get_attribute("aria-activedescendant") == second.get_attribute("id")
    assert first.get_attribute("aria-selected") == "false"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    assert _focused(page) == "field-territories-search"
    picked_code = second.get_attribute("data-code")
    picked_label = second.get_attribute("data-label")

    # Enter picks the active one, without submitting the form
    page.keyboard.press("Enter")
    assert page.url.endswith("/dataset/new")
    assert page.input_value("#field-territories") == picked_code
    chosen = page.locator(f".territoire-chosen li[data-code='{picked_code}']")
    assert picked_label in chosen.inner_text()
    assert search.get_attribute("aria-expanded") == "false"
    assert _focused(page) == "field-territories-search"
    assert page.input_value("#field-territories-search") == ""
    assert f"{picked_label} : ajouté" in page.inner_text(".territoire-status")

    # Escape closes the suggestions
    page.keyboard.type("colm")
    options.first.wait_for()
    page.keyboard.press("Escape")
    assert search.get_attribute("aria-expanded") == "false"
    assert not page.locator("#field-territories-suggestions").is_visible()
    page.keyboard.press("Enter")  # nothing open: nothing picked
    assert page.input_value("#field-territories") == picked_code

    # back to the territory's remove button, named after it, and Enter
    page.fill("#field-territories-search", "")
    page.focus("#field-territories-search")
    page.keyboard.press("Shift+Tab")
    button = chosen.locator("button")
    assert button.evaluate("b => b === document.activeElement")
    name = " ".join(button.text_content().split())
    assert name == f"Retirer {picked_label}"
    page.keyboard.press("Enter")
    assert page.input_value("#field-territories") == ""
    assert chosen.count() == 0
    assert _focused(page) == "field-territories-search"
    assert f"{picked_label} : retiré" in page.inner_text(".territoire-status")
    context.close()


def test_axe_finds_what_it_should(live_portal, browser, audit):  # noqa: F811
    """The audit is not blind: a page with an unnamed field and a link
    without text, under the portal's own CSP."""
    context = _context(browser, live_portal)
    page = context.new_page()
    page.goto(live_portal + "/pages/accessibilite")
    page.evaluate(
        """() => {
            const main = document.querySelector('main') || document.body;
            main.insertAdjacentHTML('beforeend',
                '<input type="text" id="x-unnamed"><a href="/x"><i class="fa fa-x"></i></a>');
        }"""
    )
    ids = {v["id"] for v in audit(page) if v["impact"] in BLOCKING}
    assert {"label", "link-name"} <= ids
    context.close()
