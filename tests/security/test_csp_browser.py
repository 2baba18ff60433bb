"""The portal's pages pass its Content-Security-Policy, in Chromium.

The pages are served with the policy the portal sends
(``ckanext.territoire.headers.content_security_policy``), CSRF checks on, to
a sysadmin logged in through the login form (session cookie). Every page is
loaded and every CSP violation the browser reports fails the test; then
CKAN's own cookie-authenticated writes are done through the pages (follow
button, resource form, API tokens, CKAN's JavaScript API client), after an
anonymous API call (which made CKAN 2.12 drop CSRF checks on the API).
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect
from tests.web.test_browser import browser  # noqa: F401 (the fixture)

from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.territoire import settings

pytestmark = [
    pytest.mark.usefixtures("clean_db", "cog"),
    pytest.mark.ckan_config("WTF_CSRF_ENABLED", True),
]

PASSWORD = "correct123"

# collects what the browser reports, before any script of the page runs
COLLECT_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push([e.violatedDirective, e.blockedURI, e.sourceFile,
                            e.lineNumber, (e.sample || '').slice(0, 80)].join(' '));
});
"""


@pytest.fixture
def portal(live_portal, browser):  # noqa: F811
    admin = factories.Sysadmin(name="admin-region", password=PASSWORD)
    org = factories.Organization(
        name="region",
        image_url="",
        users=[{"name": admin["name"], "capacity": "admin"}],
    )
    dataset = factories.Dataset(
        name="arbres", owner_org=org["id"], tags=[{"name": "nature"}]
    )
    for name in ("Inventaire", "Carte"):
        factories.Resource(
            package_id=dataset["id"], name=name, url=f"https://example.org/{name}"
        )
    context = browser.new_context(locale="fr-FR")
    # nothing leaves the machine (organisation images, avatars)
    context.route(lambda url: not url.startswith(live_portal), lambda r: r.abort())
    context.add_init_script(COLLECT_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15000)
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.on("pageerror", lambda e: messages.append(str(e)))
    page.goto(f"{live_portal}/user/login")
    page.fill("#field-login", admin["name"])
    page.fill("#field-password", PASSWORD)
    page.click("form button[type=submit].btn-primary")
    page.wait_for_url(lambda url: "/user/login" not in url)
    yield {
        "url": live_portal,
        "page": page,
        "messages": messages,
        "admin": admin,
        "dataset": call_action("package_show", id="arbres"),
    }
    context.close()


def _csp_problems(page, messages: list[str]) -> list[str]:
    found = list(page.evaluate("window.__violations"))
    found += [m for m in messages if "Content Security Policy" in m]
    return found


def _pages(portal) -> list[str]:
    dataset = portal["dataset"]
    resource = dataset["resources"][0]["id"]
    admin = portal["admin"]["name"]
    return [
        "/",
        "/dataset/",
        "/dataset/?q=arbres&tags=nature",
        "/dataset/arbres",
        f"/dataset/arbres/resource/{resource}",
        "/dataset/new",
        "/dataset/edit/arbres",
        "/dataset/resources/arbres",
        "/dataset/arbres/resource/new",
        f"/dataset/arbres/resource/{resource}/edit",
        "/dataset/activity/arbres",
        "/dataset/groups/arbres",
        "/organization/",
        "/organization/region",
        "/organization/new",
        "/organization/edit/region",
        "/organization/members/region",
        "/group/",
        "/user/",
        f"/user/{admin}",
        f"/user/edit/{admin}",
        f"/user/{admin}/api-tokens",
        "/dashboard/datasets",
        "/ckan-admin",
        "/ckan-admin/config",
        "/harvest",
        "/harvest/new",
        "/about",
        "/api/action/status_show",
    ]


def test_every_page_passes_the_content_security_policy(portal):
    page, messages = portal["page"], portal["messages"]
    # a token, so that the API tokens page lists one
    call_action(
        "api_token_create",
        context={"user": portal["admin"]["name"]},
        user=portal["admin"]["name"],
        name="script",
    )
    policy = settings.get("ckanext.territoire.headers.content_security_policy")
    problems = {}
    for path in _pages(portal):
        messages.clear()
        response = page.goto(portal["url"] + path)
        assert response is not None and response.status == 200, path
        assert response.headers.get("content-security-policy") == policy, path
        page.wait_for_load_state("networkidle")
        found = _csp_problems(page, messages)
        if found:
            problems[path] = found
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


def _anonymous_api_call(url: str) -> None:
    request = urllib.request.Request(
        f"{url}/api/action/package_search",
        data=b"{}",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def test_follow_button_works_with_the_cookie(portal):
    page, url = portal["page"], portal["url"]
    _anonymous_api_call(url)
    page.goto(f"{url}/dataset/arbres")
    page.click("a[hx-post*='/dataset/follow/']")
    page.wait_for_selector("a[hx-post*='/dataset/unfollow/']")
    assert call_action("dataset_follower_count", id="arbres") == 1
    assert not _csp_problems(page, portal["messages"])


def test_ckan_s_javascript_api_client_posts_with_the_cookie(portal):
    # CKAN's own API POSTs (resource reordering) send the page's CSRF token
    page, url = portal["page"], portal["url"]
    _anonymous_api_call(url)
    dataset = portal["dataset"]
    order = [r["id"] for r in reversed(dataset["resources"])]
    page.goto(f"{url}/dataset/resources/arbres")
    status = page.evaluate(
        """(order) => new Promise((resolve) => {
            ckan.sandbox().client.call('POST', 'package_resource_reorder',
                {id: 'arbres', order: order},
                () => resolve('ok'), (xhr) => resolve(xhr.status));
        })""",
        order,
    )
    assert status == "ok"
    shown = call_action("package_show", id="arbres")["resources"]
    assert [r["id"] for r in shown] == order

    # the same call without the token is refused
    status = page.evaluate(
        """() => fetch('/api/action/package_resource_reorder', {
              method: 'POST', headers: {'Content-Type': 'application/json'},
              body: JSON.stringify({id: 'arbres', order: []})}
            ).then((r) => r.status)"""
    )
    assert status == 403


def test_resource_form_link_and_remove_buttons_work(portal):
    page, url = portal["page"], portal["url"]
    page.goto(f"{url}/dataset/arbres/resource/new")
    url_field = page.locator("#field-resource-url")
    assert not url_field.is_visible()
    page.click("#resource-link-button")
    assert url_field.is_visible()
    assert page.evaluate("document.activeElement.id") == "field-resource-url"
    url_field.fill("https://example.org/plan.pdf")
    # "remove" empties the link and goes back to the choice
    page.locator(".select-type .btn-remove-url").last.click()
    assert not url_field.is_visible()
    page.click("#resource-link-button")
    assert url_field.input_value() == ""
    url_field.fill("https://example.org/plan.pdf")
    page.fill("#field-name", "Plan")
    page.click("button.btn-primary[name=save]")
    page.wait_for_url(f"{url}/dataset/arbres")
    names = [r["name"] for r in call_action("package_show", id="arbres")["resources"]]
    assert names[-1] == "Plan"
    assert not _csp_problems(page, portal["messages"])


def test_resource_form_upload_button_opens_the_file_chooser(portal):
    page, url = portal["page"], portal["url"]
    page.goto(f"{url}/dataset/arbres/resource/new")
    with page.expect_file_chooser() as chooser:
        page.click("#resource-upload-button")
    chooser.value.set_files(
        files=[{"name": "arbres.csv", "mimeType": "text/csv", "buffer": b"a;b\n1;2\n"}]
    )
    assert page.is_checked("#resource-url-upload")
    page.click("button.btn-primary[name=save]")
    page.wait_for_url(f"{url}/dataset/arbres")
    last = call_action("package_show", id="arbres")["resources"][-1]
    assert last["url_type"] == "upload" and last["name"] == "arbres.csv"
    assert not _csp_problems(page, portal["messages"])


def test_api_tokens_can_be_created_and_revoked(portal):
    page, url, admin = portal["page"], portal["url"], portal["admin"]["name"]
    page.goto(f"{url}/user/{admin}/api-tokens")
    page.fill("form[hx-post$='/api-tokens'] input[name=name]", "moissonneur")
    page.click("form[hx-post$='/api-tokens'] button[type=submit]")
    checkbox = page.locator("input[name=token]")
    checkbox.wait_for()
    revoke = page.locator("#revoke-tokens-button")
    assert revoke.is_disabled()
    checkbox.check()
    assert revoke.is_enabled()
    checkbox.uncheck()
    assert revoke.is_disabled()
    checkbox.check()
    revoke.click()
    with page.expect_response(lambda r: r.url.endswith("/api-tokens/revoke")) as done:
        page.click(".modal.show .btn-primary")
    assert done.value.status == 200
    expect(revoke).to_be_disabled()
    tokens = call_action("api_token_list", context={"user": admin}, user_id=admin)
    assert tokens == []
    assert not _csp_problems(page, portal["messages"])
