"""Security audit findings on harvest sources, harvested datasets and objects.

Every write path of a harvest source checks its URL; harvested datasets stay
read-only through the bulk actions; a wrong dataset id, a second job for a
source and a harvest object of a dataset one may not read are answered in
CKAN's error format (4xx), never by a 500, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import rq

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import jobs, search
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.harvest.logic import HarvestJobExists
from ckanext.harvest.model import HarvestObject, HarvestSource

from ckanext.territoire.dcat import dump
from ckanext.territoire.harvesters.runner import run_source

from .test_common import (
    PLUGINS,
    JsonListHarvester,
    _datasets,
    _records,
    _serve,
    _source,
)

pytestmark = [
    pytest.mark.provide_plugin("territoire_test_json", JsonListHarvester),
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "cog"),
]

# a public address: accepted without any network allowed, never contacted
PUBLIC_URL = "http://93.184.215.14/catalogue"
INTERNAL_URL = "http://127.0.0.1:5000/"


def _headers(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def _api(
    app, action: str, user: dict[str, Any] | None, expect: int, /, **data: Any
) -> dict[str, Any]:
    resp = app.post(
        f"/api/3/action/{action}",
        json=data,
        headers=_headers(user) if user else {},
        status=expect,
    )
    return resp.json


# --------------------------------------------------------------------------
# 1. A dataset withdrawn by a harvest leaves the full DCAT dump
# --------------------------------------------------------------------------


@pytest.fixture
def dump_queue(tmp_path, ckan_config, monkeypatch) -> Iterator[rq.Queue]:
    """The dump in a storage of its own; the jobs queue and the regeneration
    flag empty before and after."""
    monkeypatch.setitem(ckan_config, "ckan.storage_path", str(tmp_path))
    monkeypatch.setitem(ckan_config, "ckanext.territoire.dcat.dump_workers", "1")

    def empty() -> None:
        jobs.get_queue().empty()
        redis = connect_to_redis()
        for key in redis.scan_iter("ckanext-territoire:*"):
            redis.delete(key)

    empty()
    yield jobs.get_queue()
    empty()


@pytest.mark.parametrize("metadata", ["valid", "invalid since"])
def test_a_withdrawn_dataset_is_not_served_by_the_dump(
    app, partner, dump_queue, metadata
):
    items = _records(2)
    _serve(partner, items)
    source = _source(partner, withdraw_after_days=0)
    run_source(source["id"])
    dump.write_dump()
    assert "Jeu 2" in app.get("/catalog/dump.ttl", status=200).body
    if metadata == "invalid since":
        # metadata an older version accepted: package_patch refuses it
        # now, the withdrawal sets the flag alone
        pkg = _datasets(source["id"])["r2"]
        pkg.name = "Nom d'autrefois"
        model.Session.commit()
        search.rebuild(pkg.id)
        with pytest.raises(tk.ValidationError):
            call_action(
                "package_patch",
                {"user": factories.Sysadmin()["name"]},
                id=pkg.id,
                private=True,
            )
        model.Session.rollback()

    items.pop()
    run_source(source["id"])
    assert _datasets(source["id"])["r2"].private
    assert len(dump_queue.jobs) == 1
    resp = app.get("/catalog/dump.ttl", status=503)
    assert "Jeu 2" not in resp.body and "privé" in resp.body

    job = dump_queue.jobs[0]
    dump_queue.remove(job)
    job.perform()
    body = app.get("/catalog/dump.ttl", status=200).body
    assert "Jeu 1" in body and "Jeu 2" not in body


# --------------------------------------------------------------------------
# 2. The source URL check holds for every write path
# --------------------------------------------------------------------------


@pytest.fixture
def source_admin() -> dict[str, Any]:
    """An admin of the organisation that owns ``public_source``."""
    return factories.User()


@pytest.fixture
def public_source(source_admin) -> dict[str, Any]:
    org = factories.Organization(
        name="ville-source",
        kind="commune",
        cog_code="67447",
        users=[{"name": source_admin["name"], "capacity": "admin"}],
    )
    return call_action(
        "harvest_source_create",
        {"user": factories.Sysadmin()["name"]},
        name="source-publique",
        title="Source publique",
        url=PUBLIC_URL,
        source_type="territoire_test_json",
        owner_org=org["id"],
    )


def _source_urls(source_id: str) -> tuple[str, str]:
    model.Session.expire_all()
    return model.Package.get(source_id).url, HarvestSource.get(source_id).url


@pytest.mark.ckan_config("ckanext.territoire.harvest.allowed_networks", "")
@pytest.mark.parametrize(
    "action",
    [
        "package_patch",
        "package_update",
        "package_revise",
        "harvest_source_patch",
        "harvest_source_update",
    ],
)
@pytest.mark.parametrize("who", ["sysadmin", "organisation admin"])
def test_an_internal_source_url_is_refused_by_every_write_path(
    app, public_source, source_admin, action, who
):
    user = factories.Sysadmin() if who == "sysadmin" else source_admin
    data: dict[str, Any] = {"id": public_source["id"], "url": INTERNAL_URL}
    if action in ("package_update", "harvest_source_update"):
        shown = call_action("harvest_source_show", id=public_source["id"])
        data = {**shown, "url": INTERNAL_URL}
    elif action == "package_revise":
        data = {"match": {"id": public_source["id"]}, "update": {"url": INTERNAL_URL}}
    body = _api(app, action, user, 409, **data)
    assert body["success"] is False
    assert body["error"]["__type"] == "Validation Error"
    assert "127.0.0.1" in " ".join(body["error"]["url"])
    assert _source_urls(public_source["id"]) == (PUBLIC_URL, PUBLIC_URL)


@pytest.mark.ckan_config("ckanext.territoire.harvest.allowed_networks", "")
def test_an_internal_source_url_is_refused_by_package_create(app):
    org = factories.Organization()
    body = _api(
        app,
        "package_create",
        factories.Sysadmin(),
        409,
        type="harvest",
        name="source-interne",
        title="Source interne",
        url=INTERNAL_URL,
        source_type="territoire_test_json",
        owner_org=org["id"],
    )
    assert "url" in body["error"]
    assert model.Package.get("source-interne") is None


@pytest.mark.ckan_config("ckanext.territoire.harvest.allowed_networks", "")
def test_harvest_source_patch_changes_an_accepted_url(app, public_source, source_admin):
    other = "http://93.184.215.15/"
    body = _api(
        app,
        "harvest_source_patch",
        source_admin,
        200,
        id=public_source["id"],
        url=other,
    )
    assert body["result"]["url"] == other
    assert _source_urls(public_source["id"]) == (other, other)
    # a patch that leaves the URL alone is not checked again
    body = _api(
        app,
        "harvest_source_patch",
        source_admin,
        200,
        id=public_source["id"],
        title="Nouveau titre",
    )
    assert body["result"]["title"] == "Nouveau titre"


@pytest.mark.ckan_config("ckanext.territoire.harvest.allowed_networks", "")
def test_harvest_source_patch_by_a_stranger_is_refused_and_writes_nothing(
    app, public_source
):
    _api(
        app,
        "harvest_source_patch",
        factories.User(),
        403,
        id=public_source["id"],
        url="http://93.184.215.15/",
    )
    assert _source_urls(public_source["id"]) == (PUBLIC_URL, PUBLIC_URL)


# --------------------------------------------------------------------------
# 3. Harvested datasets stay read-only through the bulk actions
# --------------------------------------------------------------------------


@pytest.fixture
def harvested_and_own(partner) -> tuple[model.Package, dict[str, Any], dict[str, Any]]:
    _serve(partner, _records(1))
    source = _source(partner)
    run_source(source["id"])
    harvested = _datasets(source["id"])["r1"]
    admin = factories.User()
    call_action(
        "organization_member_create",
        {"ignore_auth": True},
        id=source["owner_org"],
        username=admin["name"],
        role="admin",
    )
    own = call_action(
        "package_create",
        {"user": admin["name"]},
        name="jeu-propre",
        title="Jeu propre",
        notes="n",
        owner_org=source["owner_org"],
    )
    return harvested, own, admin


@pytest.mark.parametrize(
    "action", ["bulk_update_private", "bulk_update_public", "bulk_update_delete"]
)
def test_bulk_actions_naming_a_harvested_dataset_are_refused(
    app, harvested_and_own, action
):
    harvested, own, admin = harvested_and_own
    harvested_id, harvested_title = harvested.id, harvested.title
    if action == "bulk_update_public":
        call_action(
            "package_patch",
            {"user": factories.Sysadmin()["name"]},
            id=own["id"],
            private=True,
        )
    before = {
        pid: (p.private, p.state)
        for pid in (own["id"], harvested_id)
        if (p := model.Package.get(pid)) is not None
    }
    body = _api(
        app,
        action,
        admin,
        403,
        org_id=own["owner_org"],
        datasets=[own["id"], harvested_id],
    )
    assert harvested_title in body["error"]["message"]
    assert "moissonn" in body["error"]["message"]
    model.Session.expire_all()
    after = {
        pid: (model.Package.get(pid).private, model.Package.get(pid).state)
        for pid in before
    }
    assert after == before


def test_bulk_actions_on_own_datasets_and_by_sysadmins_still_work(harvested_and_own):
    harvested, own, admin = harvested_and_own
    call_action(
        "bulk_update_private",
        {"user": admin["name"]},
        org_id=own["owner_org"],
        datasets=[own["id"]],
    )
    assert model.Package.get(own["id"]).private
    call_action(
        "bulk_update_private",
        {"user": factories.Sysadmin()["name"]},
        org_id=own["owner_org"],
        datasets=[harvested.id],
    )
    model.Session.expire_all()
    assert model.Package.get(harvested.id).private


# --------------------------------------------------------------------------
# 4. A dataset id that is not a string
# --------------------------------------------------------------------------


@pytest.mark.parametrize("ref", [5, 5.5, ["x"], {"a": 1}, True])
@pytest.mark.parametrize(
    ("action", "key"),
    # the actions that check access before any lookup of their own
    [("package_patch", "id"), ("resource_patch", "id")],
)
def test_a_non_string_dataset_id_is_a_client_error(app, ref, action, key):
    org = factories.Organization()
    editor = factories.User()
    call_action(
        "organization_member_create",
        {"ignore_auth": True},
        id=org["id"],
        username=editor["name"],
        role="editor",
    )
    factories.Dataset(name="un-jeu", owner_org=org["id"])
    body = {key: ref, "url": "https://x.org/a"}
    if isinstance(ref, (list, dict)):
        # a list or an object is a malformed field, named in the error
        body = _api(app, action, editor, 409, **body)
        assert body["error"]["__type"] == "Validation Error"
        assert key in body["error"]
    else:
        # a number names nothing: answered as any wrong id
        body = _api(app, action, editor, 404, **body)
        assert body["error"]["__type"] == "Not Found Error"
        assert "texte" in body["error"]["message"]
    assert body["success"] is False
    # as a wrong id of the right type is answered
    body = _api(
        app, action, editor, 404, **{key: "pas-un-jeu", "url": "https://x.org/a"}
    )
    assert body["error"]["__type"] == "Not Found Error"


# --------------------------------------------------------------------------
# 5. A second job for a source
# --------------------------------------------------------------------------


def test_a_second_job_for_a_source_is_a_conflict(app, partner):
    _serve(partner, _records(1))
    source = _source(partner)
    sysadmin = factories.Sysadmin()
    _api(app, "harvest_job_create", sysadmin, 200, source_id=source["id"], run=False)
    body = _api(
        app, "harvest_job_create", sysadmin, 409, source_id=source["id"], run=False
    )
    assert body["error"]["__type"] == "Validation Error"
    assert "déjà" in " ".join(body["error"]["source_id"])
    jobs = call_action(
        "harvest_job_list", {"ignore_auth": True}, source_id=source["id"]
    )
    assert len(jobs) == 1
    # ckanext-harvest's own callers (scheduler, web page, command) still
    # recognise it
    with pytest.raises(HarvestJobExists):
        call_action(
            "harvest_job_create",
            {"user": sysadmin["name"]},
            source_id=source["id"],
            run=False,
        )


def test_a_second_job_message_is_in_english_too(app, partner):
    _serve(partner, _records(1))
    source = _source(partner)
    sysadmin = factories.Sysadmin()
    _api(app, "harvest_job_create", sysadmin, 200, source_id=source["id"], run=False)
    resp = app.post(
        "/en/api/3/action/harvest_job_create",
        json={"source_id": source["id"], "run": False},
        headers=_headers(sysadmin),
        status=409,
    )
    assert "already" in " ".join(resp.json["error"]["source_id"])


def test_a_job_for_an_inactive_source_is_a_conflict(app, partner):
    _serve(partner, _records(1))
    source = _source(partner)
    sysadmin = factories.Sysadmin()
    HarvestSource.get(source["id"]).active = False
    model.Session.commit()
    body = _api(
        app, "harvest_job_create", sysadmin, 409, source_id=source["id"], run=False
    )
    assert "désactivée" in " ".join(body["error"]["source_id"])
    assert call_action("harvest_job_list", {"ignore_auth": True}) == []


# --------------------------------------------------------------------------
# 6. Harvest objects follow their dataset's authorisation
# --------------------------------------------------------------------------


@pytest.fixture
def withdrawn(partner) -> tuple[model.Package, model.Package, dict[str, Any]]:
    items = _records(2)
    _serve(partner, items)
    source = _source(partner, withdraw_after_days=0)
    run_source(source["id"])
    items.pop()
    run_source(source["id"])
    kept, gone = _datasets(source["id"])["r1"], _datasets(source["id"])["r2"]
    assert gone.private and not kept.private
    return kept, gone, source


def _object_of(package_id: str) -> str:
    obj = (
        model.Session.query(HarvestObject)
        .filter(HarvestObject.package_id == package_id)
        .filter(HarvestObject.content.isnot(None))
        .first()
    )
    assert obj is not None
    return obj.id


def test_the_remote_content_of_a_withdrawn_dataset_is_not_public(app, withdrawn):
    kept, gone, source = withdrawn
    member = factories.User()
    call_action(
        "organization_member_create",
        {"ignore_auth": True},
        id=source["owner_org"],
        username=member["name"],
        role="member",
    )
    gone_object, kept_object = _object_of(gone.id), _object_of(kept.id)
    stranger = factories.User()
    for user in (None, stranger):
        body = _api(app, "harvest_object_show", user, 403, id=gone_object)
        assert "Jeu 2" not in str(body)
        _api(app, "harvest_object_show", user, 403, dataset_id=gone.id)
        headers = _headers(user) if user else {}
        app.get(f"/harvest/object/{gone_object}", headers=headers, status=403)
        # a public dataset's object stays public
        body = _api(app, "harvest_object_show", user, 200, id=kept_object)
        assert "Jeu 1" in body["result"]["content"]
    # by guid (several objects may share it): the same rule
    _api(app, "harvest_object_show", None, 403, id="r2", attr="guid")
    _api(app, "harvest_object_show", None, 200, id="r1", attr="guid")
    for user in (member, factories.Sysadmin()):
        body = _api(app, "harvest_object_show", user, 200, id=gone_object)
        assert "Jeu 2" in body["result"]["content"]
        _api(app, "harvest_object_show", user, 200, dataset_id=gone.id)


def test_objects_without_dataset_follow_their_source(app, partner):
    _serve(partner, [{"id": "r1", "title": "Cassé", "broken": True}])
    source = _source(partner)
    run_source(source["id"])
    obj = (
        model.Session.query(HarvestObject)
        .filter(HarvestObject.harvest_source_id == source["id"])
        .one()
    )
    assert obj.package_id is None
    body = _api(app, "harvest_object_show", None, 200, id=obj.id)
    assert "Cassé" in body["result"]["content"]
    # the source made private: its objects with it
    pkg = model.Package.get(source["id"])
    pkg.private = True
    model.Session.commit()
    _api(app, "harvest_object_show", None, 403, id=obj.id)
    _api(app, "harvest_object_show", factories.Sysadmin(), 200, id=obj.id)


def test_an_unknown_object_is_still_not_found(app):
    _api(app, "harvest_object_show", None, 404, id="pas-un-objet")
    with pytest.raises(tk.ObjectNotFound):
        call_action("harvest_object_show", {"user": ""}, id="pas-un-objet")
