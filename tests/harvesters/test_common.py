"""What every harvester of ours does, checked with a minimal protocol.

``territoire_test_json`` lists records from ``GET /records.json`` (a JSON
array of ``{"id", "title", "notes", ...}``): everything else is the base's
(identity, unchanged records, withdrawal, errors, safety). The jobs run
through ckanext-harvest's gather and fetch callbacks over the real Redis
queues (``runner.run_source``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.common import config
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.harvest.model import HarvestJob

from ckanext.territoire.harvesters import records
from ckanext.territoire.harvesters.base import (
    RecordError,
    RemoteDataset,
    Source,
    TerritoireHarvester,
)
from ckanext.territoire.harvesters.http import SafeHTTP
from ckanext.territoire.harvesters.messages import _
from ckanext.territoire.harvesters.runner import run_source

from .conftest import Answer, PartnerServer


class JsonListHarvester(TerritoireHarvester):
    source_type = "territoire_test_json"
    titles = {"fr": "Liste JSON (tests)", "en": "JSON list (tests)"}
    config_properties = {"path": {"type": "string"}}

    def gather_remote(self, source: Source, http: SafeHTTP):
        path = source.config.get("path", "/records.json")
        data = http.get_json(source.url.rstrip("/") + path)
        if not isinstance(data, list):
            raise RecordError(_("pas une liste"))
        for item in data:
            yield RemoteDataset(remote_id=item.get("id", ""), payload=item)

    def to_package(self, payload: dict[str, Any], source: Source, warnings: list[str]):
        if payload.get("broken"):
            raise RecordError(_("Enregistrement cassé : {id}"), id=payload["id"])
        return {
            "title": payload["title"],
            "notes": payload.get("notes", ""),
            "territories": payload.get("territories", []),
            "tags": payload.get("keywords", []),
            "license_id": payload.get("license", "etalab-2.0"),
            "resources": [
                {
                    "url": payload.get("url", "https://example.org/a.csv"),
                    "name": "Données",
                    "format": "CSV",
                }
            ],
            **({"temporal_start": payload["start"]} if "start" in payload else {}),
        }


PLUGINS = " ".join([*config.get("ckan.plugins", []), "territoire_test_json"])
pytestmark = [
    pytest.mark.provide_plugin("territoire_test_json", JsonListHarvester),
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "cog"),
]


def _records(n: int = 3) -> list[dict[str, Any]]:
    return [
        {"id": f"r{i}", "title": f"Jeu {i}", "notes": f"<p>Description <b>{i}</b></p>"}
        for i in range(1, n + 1)
    ]


def _serve(partner: PartnerServer, items: list[dict[str, Any]] | Answer) -> None:
    # served as they are at each request: tests change the list between runs
    partner.route(
        "/records.json",
        items if isinstance(items, Answer) else (lambda _r: Answer.json(items)),
    )


def _source(partner: PartnerServer, **config: Any) -> dict[str, Any]:
    org = factories.Organization(
        name="ville-schiltigheim", kind="commune", cog_code="67447"
    )
    return call_action(
        "harvest_source_create",
        {"user": factories.Sysadmin()["name"]},
        name="schiltigheim-json",
        title="Schiltigheim",
        url=partner.url,
        source_type="territoire_test_json",
        owner_org=org["id"],
        config=json.dumps(config) if config else "",
    )


def _datasets(source_id: str) -> dict[str, model.Package]:
    rows = model.Session.execute(
        sa.text(
            "SELECT remote_id, package_id FROM territoire_harvest_record "
            "WHERE source_id = :s"
        ),
        {"s": source_id},
    )
    return {r: model.Package.get(p) for r, p in rows}


def _show(package_id: str) -> dict[str, Any]:
    return call_action("package_show", {"ignore_auth": True}, id=package_id)


def test_first_harvest_then_unchanged_rerun_writes_nothing(partner):
    _serve(partner, _records())
    source = _source(partner)
    status = run_source(source["id"])
    assert status.done and status.counts == {"added": 3}
    datasets = _datasets(source["id"])
    assert sorted(datasets) == ["r1", "r2", "r3"]
    first = _show(datasets["r1"].id)
    assert first["title"] == "Jeu 1"
    assert first["notes"] == "Description **1**"
    assert first["owner_org"] == source["owner_org"]
    assert first["provenance_identifier"] == "r1"
    # no coverage from the source: the organisation's commune
    assert first["territories"] == ["commune:67447"]
    modified = {k: p.metadata_modified for k, p in datasets.items()}

    status = run_source(source["id"])
    assert status.counts == {"not modified": 3}
    model.Session.expire_all()
    assert {
        k: p.metadata_modified for k, p in _datasets(source["id"]).items()
    } == modified


def test_remote_change_updates_the_same_dataset(partner):
    items = _records()
    _serve(partner, items)
    source = _source(partner)
    run_source(source["id"])
    before = _datasets(source["id"])["r2"]
    name, pid = before.name, before.id

    items[1]["title"] = "Jeu deux, renommé"
    items[1]["url"] = "https://example.org/nouvelle-adresse.csv"
    status = run_source(source["id"])
    assert status.counts == {"updated": 1, "not modified": 2}
    after = _show(pid)
    assert after["title"] == "Jeu deux, renommé"
    assert after["name"] == name  # the identity is the remote id, not the title
    assert after["resources"][0]["url"] == "https://example.org/nouvelle-adresse.csv"
    assert call_action("package_search", {}, q="*:*")["count"] == 3


def test_record_gone_is_withdrawn_after_grace_and_restored_on_return(partner):
    items = _records()
    _serve(partner, items)
    source = _source(partner, withdraw_after_days=0)
    run_source(source["id"])
    gone = items.pop(0)

    status = run_source(source["id"])
    assert status.counts == {"deleted": 1, "not modified": 2}
    pkg = _datasets(source["id"])["r1"]
    assert pkg.state == "active" and pkg.private  # withdrawn, not deleted
    record = records.get(source["id"], "r1")
    assert record is not None and record.withdrawn_at is not None
    assert call_action("package_search", {}, q="*:*")["count"] == 2

    items.insert(0, gone)
    status = run_source(source["id"])
    assert status.counts == {"updated": 1, "not modified": 2}
    model.Session.expire_all()
    pkg = _datasets(source["id"])["r1"]
    assert not pkg.private
    assert records.get(source["id"], "r1").withdrawn_at is None
    assert call_action("package_search", {}, q="*:*")["count"] == 3


def test_record_gone_stays_public_during_the_grace_period(partner):
    items = _records()
    _serve(partner, items)
    source = _source(partner)  # 7 days by default
    run_source(source["id"])
    items.pop()
    status = run_source(source["id"])
    assert status.counts == {"not modified": 2}
    pkg = _datasets(source["id"])["r3"]
    assert not pkg.private
    assert records.get(source["id"], "r3").missing_since is not None


@pytest.mark.parametrize(
    "answer, expected",
    [
        (Answer(status=500, body='{"message": "Internal error"}'), "500"),
        (Answer(body="{not json"), "JSON"),
        (
            Answer(body="<html>maintenance</html>", content_type="text/html"),
            "text/html",
        ),
        (Answer.json([]), "allow_empty"),
    ],
    ids=["http-500", "malformed-json", "html-instead-of-json", "suddenly-empty"],
)
def test_failed_gather_changes_nothing(partner, answer, expected):
    items = _records()
    _serve(partner, items)
    source = _source(partner, withdraw_after_days=0)
    run_source(source["id"])
    before = {
        k: (p.metadata_modified, p.private) for k, p in _datasets(source["id"]).items()
    }

    _serve(partner, answer)
    status = run_source(source["id"])
    assert status.done
    assert len(status.gather_errors) == 1 and expected in status.gather_errors[0]
    assert status.counts == {}
    model.Session.expire_all()
    after = {
        k: (p.metadata_modified, p.private) for k, p in _datasets(source["id"]).items()
    }
    assert after == before


def test_partner_down_is_a_gather_error_in_french_and_english(partner):
    _serve(partner, _records())
    source = _source(partner)
    partner.stop()
    status = run_source(source["id"])
    [message] = status.gather_errors
    assert "injoignable" in message and "cannot be reached" in message


def test_duplicate_remote_ids_and_broken_records_are_item_errors(partner):
    items = _records()
    items.append({"id": "r1", "title": "Doublon"})
    items.append({"id": "r9", "title": "Cassé", "broken": True})
    items.append({"id": "r10", "title": "Mauvais territoire", "territories": ["99999"]})
    items.append({"id": "r11", "title": "Mauvaise date", "start": "2024-13-45"})
    _serve(partner, items)
    source = _source(partner)
    status = run_source(source["id"])
    assert status.counts == {"added": 4, "errored": 3}
    messages = dict(status.object_errors)
    assert "double" in messages["r1"]
    assert "cassé" in messages["r9"]
    assert "Date invalide" in messages["r11"]
    # an unknown territory is dropped with a warning, the record imported
    assert "99999" in messages["r10"]
    assert _show(_datasets(source["id"])["r10"].id)["territories"] == ["commune:67447"]
    assert _datasets(source["id"])["r1"].title == "Jeu 1"


def test_oversize_answer_is_aborted(partner):
    _serve(partner, _records(50))
    source = _source(partner, max_response_size=1024)
    status = run_source(source["id"])
    assert "1024" in status.gather_errors[0]
    assert status.counts == {}


def test_redirect_to_a_private_address_is_refused(partner):
    partner.route(
        "/records.json",
        Answer(status=302, headers={"Location": "http://127.0.0.2:9/secret"}),
    )
    source = _source(partner)
    status = run_source(source["id"])
    [message] = status.gather_errors
    assert "127.0.0.2" in message and "interne" in message


@pytest.mark.ckan_config("ckanext.territoire.harvest.allowed_networks", "")
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://[::1]/",
        "file:///etc/passwd",
    ],
)
def test_source_urls_inside_our_network_are_refused(url):
    org = factories.Organization()
    with pytest.raises(tk.ValidationError) as e:
        call_action(
            "harvest_source_create",
            {"user": factories.Sysadmin()["name"]},
            name="interne",
            title="Interne",
            url=url,
            source_type="territoire_test_json",
            owner_org=org["id"],
        )
    assert "url" in e.value.error_dict


def test_invalid_source_config_is_explained(partner):
    with pytest.raises(tk.ValidationError) as e:
        _source(partner, withdraw_after_dayz=3)
    assert "withdraw_after_dayz" in str(e.value.error_dict)


def test_harvested_datasets_are_read_only_for_the_organisation(partner):
    _serve(partner, _records(1))
    source = _source(partner)
    run_source(source["id"])
    pkg = _datasets(source["id"])["r1"]
    editor = factories.User()
    call_action(
        "organization_member_create",
        {"ignore_auth": True},
        id=source["owner_org"],
        username=editor["name"],
        role="admin",
    )
    context = {"user": editor["name"], "ignore_auth": False}
    with pytest.raises(tk.NotAuthorized, match="moissonné"):
        call_action("package_patch", dict(context), id=pkg.id, title="Modifié")
    with pytest.raises(tk.NotAuthorized):
        call_action(
            "resource_create",
            dict(context),
            package_id=pkg.id,
            url="https://x.org/b.csv",
        )
    with pytest.raises(tk.NotAuthorized):
        call_action("package_delete", dict(context), id=pkg.id)
    # a dataset of their own stays theirs
    own = call_action(
        "package_create",
        dict(context),
        name="propre",
        title="Propre",
        notes="n",
        owner_org=source["owner_org"],
    )
    call_action("package_patch", dict(context), id=own["id"], title="Modifié")


@pytest.mark.ckan_config("ckan.harvest.timeout", "5")
def test_a_stuck_job_is_timed_out_and_reported(partner):
    _serve(partner, _records(1))
    source = _source(partner)
    job = call_action(
        "harvest_job_create",
        {"user": factories.Sysadmin()["name"]},
        source_id=source["id"],
        run=True,
    )
    # the gather worker died: the job stays Running with no progress
    stuck = model.Session.get(HarvestJob, job["id"])
    stuck.created = stuck.gather_started = dt.datetime.utcnow() - dt.timedelta(hours=2)
    model.Session.commit()
    call_action("harvest_jobs_run", {"ignore_auth": True}, source_id=source["id"])
    model.Session.expire_all()
    stuck = model.Session.get(HarvestJob, job["id"])
    assert stuck.status == "Finished"
    assert "timeout" in stuck.gather_errors[0].message


def test_dataset_page_says_where_it_comes_from_and_that_it_was_withdrawn(partner, app):
    items = _records(2)
    _serve(partner, items)
    source = _source(partner, withdraw_after_days=0)
    run_source(source["id"])
    items.pop()
    run_source(source["id"])
    kept, gone = _datasets(source["id"])["r1"], _datasets(source["id"])["r2"]
    sysadmin = factories.Sysadmin()
    headers = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}

    page = app.get(f"/dataset/{kept.name}", headers=headers).body
    assert "moissonné depuis" in page and "/harvest/schiltigheim-json" in page
    assert "Retiré" not in page
    page = app.get(f"/dataset/{gone.name}", headers=headers).body
    assert "Retiré" in page
    # anonymous visitors do not see a withdrawn dataset at all
    assert app.get(f"/dataset/{gone.name}", status=404)
