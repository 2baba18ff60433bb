"""Most viewed datasets on the home page (issue 19, item 2): distinct
visitors of public dataset pages, counted in the project's Redis."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ckan.lib.redis import connect_to_redis
from ckan.tests import factories

from ckanext.territoire.portal import home, popularity

pytestmark = pytest.mark.usefixtures("clean_db", "cog", "clean_views")

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"


@pytest.fixture
def clean_views(ckan_config: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(ckan_config, "ckanext.territoire.home.cache_seconds", "0")
    home.reset()
    redis = connect_to_redis()
    for key in redis.scan_iter(f"{popularity.PREFIX}*"):
        redis.delete(key)


def _visit(app: Any, name: str, agent: str = BROWSER, address: str = "203.0.113.7"):
    res = app.get(
        f"/dataset/{name}",
        headers={"User-Agent": agent},
        environ_overrides={"REMOTE_ADDR": address},
    )
    assert res.status_code == 200
    return res


def test_distinct_visitors_of_public_pages_rank_the_most_viewed(app):
    org = factories.Organization(title="Eurométropole de Strasbourg")
    tram = factories.Dataset(owner_org=org["id"], title="Arrêts de tram")
    velo = factories.Dataset(owner_org=org["id"], title="Stations Vélhop")
    factories.Dataset(owner_org=org["id"], title="Jamais consulté")

    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        _visit(app, velo["name"], address=address)
    _visit(app, tram["name"])
    _visit(app, tram["name"])  # the same visitor again the same day
    _visit(app, tram["name"], agent="Googlebot/2.1 (+http://www.google.com/bot.html)")
    _visit(app, tram["name"], agent="Mozilla/5.0 HeadlessChrome/131.0")

    assert popularity.top(10) == [(velo["id"], 3), (tram["id"], 1)]
    body = app.get("/").body
    section = re.search(r"Les plus consultés</h2>(.*?)</ol>", body, re.S)
    assert section, "no most viewed section"
    titles = re.findall(r'href="/dataset/[^"]+">([^<]+)</a>', section.group(1))
    assert titles == ["Stations Vélhop", "Arrêts de tram"]
    assert "3 visiteurs ces 30 derniers jours" in section.group(1)
    assert "1 visiteur ces 30 derniers jours" in section.group(1)


def test_private_and_withdrawn_datasets_are_never_listed(app):
    user = factories.User()
    member = {"name": user["name"], "capacity": "editor"}
    org = factories.Organization(users=[member])
    draft = factories.Dataset(owner_org=org["id"], title="Brouillon", private=True)
    public = factories.Dataset(owner_org=org["id"], title="Public puis retiré")
    token = factories.APIToken(user=user["name"])["token"]
    res = app.get(
        f"/dataset/{draft['name']}",
        headers={"User-Agent": BROWSER, "Authorization": token},
    )
    assert res.status_code == 200
    _visit(app, public["name"])
    assert popularity.top(10) == [(public["id"], 1)]
    # made private afterwards: counted before, no longer shown
    from ckan.tests.helpers import call_action

    call_action(
        "package_patch",
        {"user": factories.Sysadmin()["name"]},
        id=public["id"],
        private=True,
    )
    assert popularity.most_viewed(5) == []
    assert "Les plus consultés" not in app.get("/").body


def test_the_home_page_has_no_empty_most_viewed_block(app):
    factories.Dataset(owner_org=factories.Organization()["id"])
    assert "Les plus consultés" not in app.get("/").body


def test_a_view_is_never_worth_a_failed_page(app, monkeypatch):
    # Redis unreachable (a real client on a closed port): the page is served,
    # the view is not counted, the home page has no ranking
    import redis

    # built from a URL, as CKAN's connect_to_redis builds its client
    down = redis.Redis.from_url("redis://127.0.0.1:1/0")
    monkeypatch.setattr(popularity, "_redis", lambda: down)
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    _visit(app, dataset["name"])
    assert popularity.top(5) == []
    assert app.get("/").status_code == 200
