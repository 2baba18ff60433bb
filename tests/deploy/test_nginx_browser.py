"""The portal's pages through the shipped nginx, in headless Chromium: they
load with no Content-Security-Policy violation (the policy is the portal's,
passed through nginx; scripts, styles, fonts and the API console all come
from the portal itself) and no request leaves 127.0.0.1."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from ckan.tests import factories

from ..web.test_browser import browser  # noqa: F401 (fixture)
from .conftest import Front

pytestmark = pytest.mark.usefixtures("clean_db", "cog")

# the browser reports each violation as a DOM event: record them all
RECORD = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || ''));
});
"""


def test_pages_through_nginx_pass_the_content_security_policy(
    portal_behind_nginx: Front,
    browser,  # noqa: F811
):
    nginx_front = portal_behind_nginx
    # no image_url: CKAN's factory points it at dummyimage.com
    org = factories.Organization(
        name="ville-de-colmar", title="Ville de Colmar", image_url=""
    )
    dataset = factories.Dataset(
        owner_org=org["id"], title="Marchés publics", territories=["commune:68066"]
    )
    factories.Resource(
        package_id=dataset["id"], format="CSV", url="http://127.0.0.1:9/m.csv"
    )
    context = browser.new_context(locale="fr-FR")
    context.add_init_script(RECORD)
    outside: list[str] = []
    page = context.new_page()
    page.set_default_timeout(20000)
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if urlsplit(r.url).hostname not in ("127.0.0.1", None)
            and not r.url.startswith("data:")
            else None
        ),
    )
    console: list[str] = []
    page.on(
        "console",
        lambda m: (
            console.append(m.text) if "Content Security Policy" in m.text else None
        ),
    )
    for path in (
        "/",
        "/dataset/?q=march%C3%A9s",
        f"/dataset/{dataset['name']}",
        f"/organization/{org['name']}",
        "/api",
    ):
        response = page.goto(nginx_front.url + path, wait_until="load")
        assert response is not None and response.status == 200, path
        assert response.headers.get("content-security-policy"), path
        page.wait_for_timeout(300)  # late scripts (the API console) run too
        violations = page.evaluate("window.__csp")
        assert violations == [] and console == [], (path, violations, console)
    assert outside == []
    context.close()
