"""``territoire_ckan``: a partner CKAN read through its action API.

The partner is played by an HTTP server answering ``package_search`` with
the real envelope (``help``, ``success``, ``result``), paged by ``start``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.territoire.harvesters import records
from ckanext.territoire.harvesters.runner import run_source

from .conftest import Answer, PartnerServer, read_data

pytestmark = pytest.mark.usefixtures("clean_db", "cog")

PATH = "/api/3/action/package_search"


def _serve(partner: PartnerServer, results: list[dict[str, Any]]) -> None:
    def search(request):
        start = int(request.arg("start", "0"))
        rows = int(request.arg("rows", "10"))
        ordered = sorted(results, key=lambda d: d["id"])
        body = {
            "help": "…",
            "success": True,
            "result": {
                "count": len(ordered),
                "results": ordered[start : start + rows],
                "sort": request.arg("sort"),
            },
        }
        return Answer.json(body)

    partner.route(PATH, search)


def _results() -> list[dict[str, Any]]:
    return json.loads(read_data("ckan", "package_search.json"))["result"]["results"]


def _source(partner: PartnerServer, **config: Any) -> dict[str, Any]:
    org = factories.Organization(
        name="ville-de-colmar", kind="commune", cog_code="68066"
    )
    return call_action(
        "harvest_source_create",
        {"user": factories.Sysadmin()["name"]},
        name="colmar-ckan",
        title="Colmar (CKAN)",
        url=partner.url + "/",
        source_type="territoire_ckan",
        owner_org=org["id"],
        config=json.dumps({"page_size": 2, **config}),
    )


def _by_remote(source_id: str) -> dict[str, dict[str, Any]]:
    return {
        remote: call_action("package_show", {"ignore_auth": True}, id=r.package_id)
        for remote, r in records.for_source(source_id).items()
    }


def test_a_partner_ckan_is_harvested_page_by_page(partner):
    _serve(partner, _results())
    source = _source(partner)
    status = run_source(source["id"])
    assert status.gather_errors == [] and status.counts == {"added": 3}
    assert [r.arg("start") for r in partner.hits(PATH)] == ["0", "2"]
    assert partner.hits(PATH)[0].arg("sort") == "id asc"
    datasets = _by_remote(source["id"])
    trees = datasets["0b6f1c7e-3f0a-4b61-9d3e-1f2c3d4e5f60"]
    assert trees["title"] == "Arbres remarquables"
    assert "<script>" not in trees["notes"] and "**remarquables**" in trees["notes"]
    assert trees["license_id"] == "odc-odbl"
    assert trees["contact_name"] == "Service SIG"
    assert trees["contact_email"] == "sig@colmar.example"
    assert trees["territories"] == ["commune:68066"]  # the organisation's
    assert trees["provenance_url"] == partner.url + "/dataset/arbres-remarquables"
    assert [(r["name"], r["format"], r["size"]) for r in trees["resources"]] == [
        ("Arbres (CSV)", "CSV", 20480)
    ]
    assert sorted(t["name"] for t in trees["tags"]) == ["arbres", "nature en ville"]
    bikes = datasets["5a1e2b3c-4d5e-4f60-8172-839405162738"]
    assert bikes["license_id"] == "cc-by-4.0"
    assert bikes["contact_name"] == "Direction des mobilités"
    # a partner running our schema: its fields as they are
    budget = datasets["f0e1d2c3-b4a5-4968-8778-695a4b3c2d1e"]
    assert budget["themes"] == ["ECON", "GOVE"]
    assert budget["frequency"] == "ANNUAL"
    assert budget["resources"][0]["schema"] == "scdl/budget"

    assert run_source(source["id"]).counts == {"not modified": 3}


def test_a_dataset_deleted_at_the_source_is_withdrawn_then_restored(partner):
    results = _results()
    _serve(partner, results)
    source = _source(partner, withdraw_after_days=0)
    run_source(source["id"])
    gone = results.pop(1)

    status = run_source(source["id"])
    assert status.counts == {"deleted": 1, "not modified": 2}
    pkg = model.Package.get(records.get(source["id"], gone["id"]).package_id)
    assert pkg.state == "active" and pkg.private

    returned = copy.deepcopy(gone)
    returned["title"] = "Stationnements vélos (mis à jour)"
    results.append(returned)
    status = run_source(source["id"])
    assert status.counts == {"updated": 1, "not modified": 2}
    model.Session.expire_all()
    pkg = model.Package.get(pkg.id)
    assert not pkg.private and pkg.title == "Stationnements vélos (mis à jour)"


def test_an_api_error_is_a_gather_error_that_changes_nothing(partner):
    _serve(partner, _results())
    source = _source(partner, withdraw_after_days=0)
    run_source(source["id"])
    partner.route(
        PATH,
        Answer.json(
            {
                "help": "…",
                "success": False,
                "error": {"__type": "Search Query Error", "message": "Invalid fq"},
            }
        ),
    )
    status = run_source(source["id"])
    [message] = status.gather_errors
    assert "Invalid fq" in message
    assert all(not d["private"] for d in _by_remote(source["id"]).values())


def test_filters_are_sent_as_fq(partner):
    _serve(partner, _results())
    source = _source(partner, organizations=["ville-de-colmar"], fq="tags:arbres")
    run_source(source["id"])
    assert partner.hits(PATH)[0].arg("fq") == (
        '(tags:arbres) AND (organization:("ville-de-colmar"))'
    )
