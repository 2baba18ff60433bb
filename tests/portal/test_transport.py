"""Fast pages (issue 19, item 8): cached assets, compressed answers, the sitemap."""

from __future__ import annotations

import gzip
import re
from typing import Any

import pytest

from ckan.tests import factories

pytestmark = pytest.mark.usefixtures("clean_db")

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def _asset(app: Any) -> str:
    page = app.get("/").body
    return re.search(r'href="(/webassets/base/[0-9a-f]{8}_main\.css)"', page).group(1)


def test_fingerprinted_assets_are_cached_a_year_and_compressed(app):
    path = _asset(app)
    plain = app.get(path)
    packed = app.get(path, headers=GZIP)
    assert packed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert int(packed.headers["Content-Length"]) < len(plain.get_data()) / 4
    assert "Content-Encoding" not in plain.headers
    # revalidation with the compressed form's tag
    again = app.get(
        path, headers=dict(GZIP, **{"If-None-Match": packed.headers["ETag"]})
    )
    assert again.status_code == 304
    assert again.headers["ETag"] == packed.headers["ETag"]


def test_other_static_files_are_cached_a_day(app):
    logo = app.get("/territoire/logo.svg", headers=GZIP)
    assert logo.headers["Cache-Control"] == "public, max-age=86400"


def test_pages_are_compressed_but_stay_uncached(app):
    page = app.get("/dataset/", headers=GZIP)
    assert page.headers["Content-Encoding"] == "gzip"
    assert "Jeux de données" in gzip.decompress(page.get_data()).decode()
    assert "immutable" not in page.headers.get("Cache-Control", "")


@pytest.mark.ckan_config("ckanext.territoire.compression", "false")
def test_compression_can_be_left_to_the_proxy(app):
    path = _asset(app)
    packed = app.get(path, headers=GZIP)
    assert "Content-Encoding" not in packed.headers
    assert packed.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.usefixtures("cog")
def test_the_sitemap_lists_public_datasets_organisations_and_territories(app):
    org = factories.Organization(name="ville-test")
    factories.Dataset(
        owner_org=org["id"], name="public-a", territories=["commune:67482"]
    )
    factories.Dataset(
        owner_org=org["id"], name="prive-b", private=True, territories=["commune:57463"]
    )
    index = app.get("/sitemap.xml", headers=GZIP)
    assert index.headers["Content-Type"].startswith("application/xml")
    # streamed: never held in memory to be compressed
    assert "Content-Encoding" not in index.headers
    files = re.findall(r"<loc>http://[^/]+(/[^<]+)</loc>", index.get_data(as_text=True))
    assert files == [
        "/sitemap/datasets-1.xml",
        "/sitemap/organizations.xml",
        "/sitemap/territories.xml",
    ]
    datasets = app.get(files[0]).body
    assert "/dataset/public-a</loc><lastmod>" in datasets
    assert "prive-b" not in datasets
    assert "/organization/ville-test<" in app.get(files[1]).body
    territories = app.get(files[2]).body
    assert "ext_concerne=commune%3A67482" in territories
    assert "57463" not in territories
    assert "Sitemap: http" in app.get("/robots.txt").body
    app.get("/sitemap/datasets-0.xml", status=404)


def _assets(body: str) -> set[str]:
    return set(re.findall(r"/webassets/([\w-]+)/[0-9a-f]+_([\w.-]+)", body))


def test_public_pages_load_only_the_stylesheets_and_scripts_they_use(app):
    sysadmin = factories.Sysadmin()
    org = factories.Organization()
    dataset = factories.Dataset(owner_org=org["id"])
    factories.Resource(package_id=dataset["id"], format="CSV", url="http://a.b/c.csv")
    plugin_assets = {
        ("ckanext-harvest", "harvest_css.css"),
        ("ckanext-activity", "activity.css"),
        ("activity", "activity.js"),
        ("ckanext-scheming", "scheming_css.css"),
    }
    for url in (
        "/",
        "/dataset/",
        f"/dataset/{dataset['name']}",
        f"/organization/{org['name']}",
    ):
        found = _assets(app.get(url).body)
        assert not found & plugin_assets, (url, found & plugin_assets)
    # each still comes with the screens that use it
    auth = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
    assert ("ckanext-harvest", "harvest_css.css") in _assets(app.get("/harvest/").body)
    form = app.get("/dataset/new", headers=auth).body
    assert ("ckanext-scheming", "scheming_css.css") in _assets(form)
    activity = app.get(f"/dataset/activity/{dataset['name']}", headers=auth).body
    assert ("activity", "activity.js") in _assets(activity)


def test_a_dataset_page_needs_no_icon_sprite_nor_brand_font(app):
    # CKAN's format sprite (318 KB) and brand icons font (119 KB) made the
    # dataset page the only one over the 800 KB first-visit budget
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    factories.Resource(package_id=dataset["id"], format="CSV", url="http://a.b/c.csv")
    body = app.get(f"/dataset/{dataset['name']}").body
    assert "fa-brands" not in body
    assert 'class="format-label"' in body and ">CSV</span>" in body
    css = app.get(
        "/webassets/territoire/"
        + re.search(r"/webassets/territoire/([0-9a-f]+_portal\.css)", body).group(1)
    ).get_data(as_text=True)
    assert "background: var(--territoire-primary-dark, #1b3f6e) none;" in css
