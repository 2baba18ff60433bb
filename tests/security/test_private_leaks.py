"""Tags, members and activity say nothing about datasets the caller cannot read.

Stock CKAN told (audit, issue 16, finding 9); ``logic/privacy.py`` closes it.
"""

from __future__ import annotations

import pytest

from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture
def site():
    admin = factories.User(name="admin-ville")
    editor = factories.User(name="editeur-ville")
    stranger = factories.User(name="inconnu")
    sysadmin = factories.Sysadmin(name="gestionnaire")
    org = factories.Organization(
        name="ville",
        users=[
            {"name": admin["name"], "capacity": "admin"},
            {"name": editor["name"], "capacity": "editor"},
        ],
    )
    public = factories.Dataset(
        name="budget",
        owner_org=org["id"],
        tags=[{"name": "finances"}],
        user=admin,
    )
    private = factories.Dataset(
        name="projet-confidentiel",
        owner_org=org["id"],
        private=True,
        tags=[{"name": "fusion-secrete"}],
        user=admin,
    )
    return {
        "org": org,
        "public": public,
        "private": private,
        "users": {
            "anonyme": None,
            "inconnu": stranger,
            "editeur": editor,
            "gestionnaire": sysadmin,
        },
    }


def _as(who):
    return {"user": who["name"]} if who else {"user": "", "ignore_auth": False}


def _api(app, action, who=None, **params):
    headers = {}
    if who:
        token = factories.APIToken(user=who["name"])["token"]
        headers["Authorization"] = token
    response = app.get(f"/api/3/action/{action}", query_string=params, headers=headers)
    return response.json["result"]


SEES_PRIVATE = {
    "anonyme": False,
    "inconnu": False,
    "editeur": True,
    "gestionnaire": True,
}


@pytest.mark.parametrize("who", list(SEES_PRIVATE))
def test_tag_list_names_only_tags_of_readable_datasets(app, site, who):
    tags = _api(app, "tag_list", site["users"][who])
    assert "finances" in tags
    assert ("fusion-secrete" in tags) is SEES_PRIVATE[who]


@pytest.mark.parametrize("who", list(SEES_PRIVATE))
def test_tag_autocomplete_and_search_too(app, site, who):
    user = site["users"][who]
    assert (_api(app, "tag_autocomplete", user, q="fusion") == ["fusion-secrete"]) is (
        SEES_PRIVATE[who]
    )
    found = _api(app, "tag_search", user, query="fusion")
    assert (found["count"] == 1) is SEES_PRIVATE[who]
    assert _api(app, "tag_autocomplete", user, q="fin") == ["finances"]


def test_the_legacy_tag_autocomplete_too(app, site):
    response = app.get(
        "/api/2/util/tag/autocomplete", query_string={"incomplete": "fus"}
    )
    assert "fusion" not in response.get_data(as_text=True)


def test_paging_applies_after_filtering(app, site):
    org = site["org"]
    for n in range(3):
        factories.Dataset(owner_org=org["id"], tags=[{"name": f"fusion-{n}"}])
    assert _api(app, "tag_autocomplete", q="fusion", limit=2) == [
        "fusion-0",
        "fusion-1",
    ]
    found = _api(app, "tag_search", query="fusion", limit=2, offset=2)
    assert found["count"] == 3
    assert [t["name"] for t in found["results"]] == ["fusion-2"]


@pytest.mark.parametrize("who", list(SEES_PRIVATE))
def test_member_list_shows_readable_datasets_and_users_to_members(app, site, who):
    members = _api(app, "member_list", site["users"][who], id=site["org"]["name"])
    datasets = {m[0] for m in members if m[1] == "package"}
    users = {m[0] for m in members if m[1] == "user"}
    assert site["public"]["id"] in datasets
    assert (site["private"]["id"] in datasets) is SEES_PRIVATE[who]
    assert bool(users) is SEES_PRIVATE[who]


def _recent(app, who=None):
    found = _api(app, "recently_changed_packages_activity_list", who, limit=100)
    return {a["object_id"] for a in found}


def test_activity_of_a_dataset_made_private_disappears(app, site):
    dataset = site["public"]
    assert dataset["id"] in _recent(app)
    call_action(
        "package_patch", {"user": "gestionnaire"}, id=dataset["id"], private=True
    )
    assert dataset["id"] not in _recent(app)
    assert dataset["id"] not in _recent(app, site["users"]["inconnu"])
    assert dataset["id"] in _recent(app, site["users"]["editeur"])
    # published again: its history is public again
    call_action(
        "package_patch", {"user": "gestionnaire"}, id=dataset["id"], private=False
    )
    assert dataset["id"] in _recent(app)


def test_activity_of_a_deleted_or_purged_dataset_disappears(app, site):
    dataset = site["public"]
    call_action("package_delete", {"user": "gestionnaire"}, id=dataset["id"])
    assert dataset["id"] not in _recent(app)
    assert dataset["id"] in _recent(app, site["users"]["editeur"])
    call_action("dataset_purge", {"user": "gestionnaire"}, id=dataset["id"])
    assert dataset["id"] not in _recent(app, site["users"]["editeur"])


def test_a_bulk_change_relabels_the_activity_too(app, site):
    dataset = site["public"]
    call_action(
        "bulk_update_private",
        {"user": "gestionnaire"},
        datasets=[dataset["id"]],
        org_id=site["org"]["id"],
    )
    assert dataset["id"] not in _recent(app)
