"""Private data does not leak: every public surface probed after a dataset leaves.

A dataset carrying a marker word everywhere (title, description, tag,
resource name, group) is published, and every surface is first checked to
show it (so the probe can see a leak); then the dataset is made private,
deleted, or withdrawn by a harvest, and no surface may show the marker, its
name or its id any more — to an anonymous visitor or to a registered user
outside the organisation — nor answer a 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.harvesters.conftest import Answer, PartnerServer
from tests.harvesters.test_common import JsonListHarvester

import ckan.model as model
from ckan.common import config
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.harvest.model import HarvestObject

from ckanext.territoire.harvesters.runner import run_source

MARKER = "zorglub"
NAME = "jeu-zorglub"

PLUGINS = " ".join([*config.get("ckan.plugins", []), "territoire_test_json"])
pytestmark = [
    pytest.mark.provide_plugin("territoire_test_json", JsonListHarvester),
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "cog"),
]


@pytest.fixture
def partner() -> Iterator[PartnerServer]:
    server = PartnerServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def world(clean_db):
    sysadmin = factories.Sysadmin(name="gestionnaire")
    editor = factories.User(name="editeur")
    factories.User(name="inscrit")
    org = factories.Organization(
        name="ville", users=[{"name": "editeur", "capacity": "editor"}]
    )
    group = factories.Group(name="transports", title="Transports")
    # another public dataset: pages and feeds are not empty
    factories.Dataset(name="budget", title="Budget primitif", owner_org=org["id"])
    return {"sysadmin": sysadmin, "editor": editor, "org": org, "group": group}


def _dataset_fields(world: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": f"Horaires {MARKER}",
        "notes": f"Les horaires {MARKER} de la ville.",
        "tags": [{"name": MARKER}],
        "groups": [{"name": world["group"]["name"]}],
        "resources": [
            {"url": "https://example.org/horaires.csv", "name": f"{MARKER}.csv"}
        ],
    }


def _surfaces(dataset: dict[str, Any], org: str) -> list[tuple[str, str]]:
    """(label, URL) of every public surface that may show a dataset."""
    ds_id, res_id = dataset["id"], dataset["resources"][0]["id"]
    api = "/api/3/action/"
    facets = json.dumps(["tags", "groups", "res_format", "organization"])
    searches = [
        f"q={MARKER}",
        f"fq=tags:{MARKER}",
        f"q=name:{NAME}",
        f"fq=id:{ds_id}",
        f"q=owner_org:{dataset['owner_org']}&include_private=true",
        f"q=*:*&facet.field={facets}&facet.limit=-1&rows=1000",
        f"q=res_name:{MARKER}.csv",
    ]
    # searches aimed at private data only: no public dataset answers them
    tricks = [
        "q=*:*&fq=capacity:private&include_private=true",
        "q=*:*&fq=-permission_labels:public&include_private=true&include_drafts=true",
        "q=*:*&fq=state:*&include_private=true&include_drafts=true",
        "q=*:*&fq=permission_labels:*&include_private=true",
    ]
    return [
        *[(f"package_search {q}", f"{api}package_search?{q}") for q in searches],
        *[(f"trick {q}", f"{api}package_search?{q}") for q in tricks],
        ("package_autocomplete", f"{api}package_autocomplete?q={MARKER}"),
        ("package_list", f"{api}package_list"),
        ("current_package_list", f"{api}current_package_list_with_resources"),
        ("resource_search", f"{api}resource_search?query=name:{MARKER}"),
        ("package_show", f"{api}package_show?id={ds_id}"),
        ("resource_show", f"{api}resource_show?id={res_id}"),
        ("tags: list", f"{api}tag_list"),
        ("tags: autocomplete", f"{api}tag_autocomplete?q={MARKER[:4]}"),
        ("tags: search", f"{api}tag_search?query={MARKER[:4]}"),
        (
            "tags: autocomplete v2",
            f"/api/2/util/tag/autocomplete?incomplete={MARKER[:4]}",
        ),
        ("member_list org", f"{api}member_list?id={org}"),
        ("member_list group", f"{api}member_list?id=transports"),
        ("organization_show", f"{api}organization_show?id={org}&include_datasets=true"),
        ("group_show", f"{api}group_show?id=transports&include_datasets=true"),
        ("recent activity", f"{api}recently_changed_packages_activity_list?limit=100"),
        ("organization activity", f"{api}organization_activity_list?id={org}"),
        ("group activity", f"{api}group_activity_list?id=transports"),
        ("package activity", f"{api}package_activity_list?id={ds_id}"),
        ("dataset page", f"/dataset/{NAME}"),
        ("search page", f"/dataset/?q={MARKER}"),
        ("tag search page", f"/dataset/?tags={MARKER}"),
        ("organisation page", f"/organization/{org}"),
        ("group page", "/group/transports"),
        ("resource page", f"/dataset/{NAME}/resource/{res_id}"),
        ("resource download", f"/dataset/{ds_id}/resource/{res_id}/download"),
        ("feed", "/feeds/dataset.atom"),
        ("organisation feed", f"/feeds/organization/{org}.atom"),
        ("tag feed", f"/feeds/tag/{MARKER}.atom"),
        ("custom feed", f"/feeds/custom.atom?q={MARKER}"),
        ("DCAT catalogue", "/catalog.ttl"),
        ("DCAT catalogue search", f"/catalog.rdf?q={MARKER}"),
        ("DCAT dataset", f"/dataset/{NAME}.ttl"),
        ("DCAT dataset by id", f"/dataset/{ds_id}.jsonld"),
        ("DCAT dump", "/catalog/dump.ttl"),
    ]


def _fetch(app, url: str, token: str | None) -> tuple[int, str]:
    headers = {"Authorization": token} if token else {}
    response = app.get(url, headers=headers, follow_redirects=False)
    text = response.get_data(as_text=True)
    if 300 <= response.status_code < 400:
        # a download sends the browser on to the file: that tells it exists
        text += f" redirect to {MARKER}.csv"
    return response.status_code, text


def _shows(label: str, text: str, dataset: dict[str, Any]) -> bool:
    """Whether an answer tells about the dataset: its title, description,
    resource or id (which no request of the probe sends to a surface that
    answers 2xx), or, on tag surfaces, its tag."""
    if label.startswith("tags:"):
        return f'"{MARKER}"' in text or f">{MARKER}<" in text
    lowered = text.lower()
    return (
        f"horaires {MARKER}" in lowered
        or f"{MARKER}.csv" in lowered
        or dataset["id"] in text
        or NAME in text
    )


def _probe(
    app,
    dataset: dict[str, Any],
    org: str,
    expect_visible: bool,
    extra: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> None:
    from ckanext.territoire.dcat import dump

    if expect_visible:
        dump.write_dump()
    viewers = {
        "anonyme": None,
        "inscrit": factories.APIToken(user="inscrit")["token"],
    }
    leaks, errors, blind = [], [], []
    for label, url in [*_surfaces(dataset, org), *extra]:
        for who, token in viewers.items():
            status, text = _fetch(app, url, token)
            # the dump refuses (503, Retry-After) until it is written again
            refused = label == "DCAT dump" and status == 503
            if status >= 500 and not refused:
                errors.append(f"{label} ({who}): {status}")
            if expect_visible:
                if not label.startswith("trick") and not _shows(label, text, dataset):
                    blind.append(f"{label} ({who}): {status}")
            elif status < 400 and _shows(label, text, dataset):
                # (an error may repeat what was asked: not a leak)
                leaks.append(f"{label} ({who}): {status}")
    assert not errors, "5xx: " + ", ".join(errors)
    assert not blind, "the probe cannot see a public dataset on: " + ", ".join(blind)
    assert not leaks, "leaks: " + ", ".join(leaks)


def _publish(world: dict[str, Any]) -> dict[str, Any]:
    return call_action(
        "package_create",
        {"user": "editeur"},
        name=NAME,
        owner_org=world["org"]["id"],
        **_dataset_fields(world),
    )


Hide = Callable[[dict[str, Any]], None]


def _make_private(dataset: dict[str, Any]) -> None:
    call_action("package_patch", {"user": "editeur"}, id=dataset["id"], private=True)


def _delete(dataset: dict[str, Any]) -> None:
    call_action("package_delete", {"user": "editeur"}, id=dataset["id"])


def _bulk_private(dataset: dict[str, Any]) -> None:
    call_action(
        "bulk_update_private",
        {"user": "gestionnaire"},
        datasets=[dataset["id"]],
        org_id=dataset["owner_org"],
    )


@pytest.mark.parametrize(
    "hide", [_make_private, _delete, _bulk_private], ids=["private", "deleted", "bulk"]
)
def test_a_dataset_taken_down_leaves_every_surface(app, world, hide: Hide):
    dataset = _publish(world)
    _probe(app, dataset, "ville", expect_visible=True)
    hide(dataset)
    _probe(app, dataset, "ville", expect_visible=False)
    _dump_written_again_leaves_it_out(app, dataset)


def _dump_written_again_leaves_it_out(app, dataset: dict[str, Any]) -> None:
    from ckanext.territoire.dcat import dump

    dump.write_dump()
    response = app.get("/catalog/dump.ttl")
    assert response.status_code == 200
    assert not _shows("DCAT dump", response.get_data(as_text=True), dataset)


def test_a_dataset_withdrawn_by_a_harvest_leaves_every_surface(app, world, partner):
    items = [
        {
            "id": "r1",
            "title": f"Horaires {MARKER}",
            "notes": f"Les horaires {MARKER} de la ville.",
            "keywords": [MARKER],
        }
    ]
    partner.route("/records.json", lambda _r: Answer.json(items))
    source = call_action(
        "harvest_source_create",
        {"user": "gestionnaire"},
        name="source-ville",
        title="Portail de la ville",
        url=partner.url,
        source_type="territoire_test_json",
        owner_org=world["org"]["id"],
        config=json.dumps({"withdraw_after_days": 0, "allow_empty": True}),
    )
    run_source(source["id"])
    (pkg,) = [
        p
        for p in model.Session.query(model.Package).filter_by(
            owner_org=world["org"]["id"]
        )
        if MARKER in (p.title or "").lower()
    ]
    # harvested names come from the title: the probe looks for this one
    global NAME
    saved, NAME = NAME, pkg.name
    try:
        call_action(
            "package_patch",
            {"user": "gestionnaire"},
            id=pkg.id,
            groups=[{"name": world["group"]["name"]}],
            resources=[
                {"url": "https://example.org/horaires.csv", "name": f"{MARKER}.csv"}
            ],
        )
        dataset = call_action("package_show", {"user": "gestionnaire"}, id=pkg.id)
        obj = (
            model.Session.query(HarvestObject)
            .filter_by(package_id=pkg.id, current=True)
            .one()
        )
        harvest = [
            ("harvest object", f"/api/3/action/harvest_object_show?id={obj.id}"),
            ("harvest object page", f"/harvest/object/{obj.id}"),
        ]
        _probe(app, dataset, "ville", expect_visible=True, extra=harvest)
        items.clear()
        run_source(source["id"])
        model.Session.expire_all()
        assert model.Package.get(pkg.id).private  # withdrawn, not deleted
        _probe(app, dataset, "ville", expect_visible=False, extra=harvest)
        _dump_written_again_leaves_it_out(app, dataset)
    finally:
        NAME = saved
