"""The DataTables preview, created after loading, local assets, in French
(issue 17, part 5); the load's status on the resource page (part 3)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ckan.tests import factories, helpers

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_datastore")


@pytest.fixture
def loaded(files_server: str, run_jobs: Any) -> dict[str, Any]:
    editor = factories.User()
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = factories.Dataset(owner_org=org["id"])
    good = factories.Resource(
        package_id=dataset["id"],
        url=f"{files_server}/deliberations_cp1252.csv",
        format="CSV",
    )
    bad = factories.Resource(
        package_id=dataset["id"], url=f"{files_server}/vide.csv", format="CSV"
    )
    run_jobs()
    return {
        "dataset": dataset,
        "good": good,
        "bad": bad,
        "token": factories.APIToken(user=editor["name"])["token"],
    }


def test_a_datatables_view_is_created_after_loading(app, loaded):
    views = helpers.call_action("resource_view_list", id=loaded["good"]["id"])
    assert [v["view_type"] for v in views] == ["datatables_view"]
    # none for the file that failed
    assert helpers.call_action("resource_view_list", id=loaded["bad"]["id"]) == []
    page = app.get(
        f"/dataset/{loaded['dataset']['name']}/resource/{loaded['good']['id']}"
        f"/view/{views[0]['id']}"
    )
    assert page.status_code == 200
    html = page.body
    # French strings of DataTables, from the portal itself
    match = re.search(r'data-languagefile="([^"]+)"', html)
    assert match and match.group(1).endswith("/datatablesview/i18n/fr.json")
    strings = app.get(match.group(1))
    assert strings.status_code == 200
    assert "Rechercher" in strings.get_data(as_text=True)
    # no script or style sheet from another site
    for url in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http://", "https://", "//")) or url.startswith(
            "http://test.ckan.net"
        ), url


def test_the_resource_page_shows_the_status_in_french(app, loaded):
    ds = loaded["dataset"]["name"]
    good = app.get(f"/dataset/{ds}/resource/{loaded['good']['id']}").body
    assert "Données dans le DataStore :" in good
    assert "données chargées" in good
    assert "(3 lignes)" in good
    bad = app.get(f"/dataset/{ds}/resource/{loaded['bad']['id']}").body
    assert "échec du chargement" in bad
    assert "Le fichier est vide (0 octet)" in bad
    # the retry button is for editors only
    assert "Relancer le chargement" not in bad
    as_editor = app.get(
        f"/dataset/{ds}/resource/{loaded['bad']['id']}",
        headers={"Authorization": loaded["token"]},
    ).body
    assert "Relancer le chargement" in as_editor


def test_the_datastore_page_is_in_french(app, loaded):
    ds = loaded["dataset"]["name"]
    headers = {"Authorization": loaded["token"]}
    good = app.get(
        f"/dataset/{ds}/resource_data/{loaded['good']['id']}", headers=headers
    )
    assert good.status_code == 200
    assert "Colonnes chargées" in good.body
    assert "<code>numeric</code>" in good.body
    assert "Supprimer du DataStore" in good.body
    bad = app.get(f"/dataset/{ds}/resource_data/{loaded['bad']['id']}", headers=headers)
    assert "Le fichier est vide (0 octet)" in bad.body
    assert "Relancer le chargement" in bad.body


def test_the_retry_button_loads_again(app, loaded, files_server, routes, run_jobs):
    ds = loaded["dataset"]["name"]
    rid = loaded["bad"]["id"]
    # the partner fixed the file behind the link
    routes["/vide.csv"] = (200, "text/csv", "nom;valeur\nÉcole;1\n".encode())
    res = app.post(
        f"/dataset/{ds}/resource_data/{rid}",
        headers={"Authorization": loaded["token"]},
        follow_redirects=False,
    )
    assert res.status_code == 302
    run_jobs()
    result = helpers.call_action("datastore_search", resource_id=rid)
    assert result["records"][0]["nom"] == "École"
    # anonymous users cannot (xloader's view lets the refusal through)
    from ckan.logic import NotAuthorized

    try:
        res = app.post(f"/dataset/{ds}/resource_data/{rid}", follow_redirects=False)
        assert res.status_code == 403
    except NotAuthorized:
        pass
    task = helpers.call_action(
        "task_status_show", entity_id=rid, task_type="xloader", key="xloader"
    )
    assert task["state"] == "complete"
