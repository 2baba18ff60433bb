"""ckanext-harvest's actions without an auth function of their own.

ckanext-harvest 1.6.3 gathers actions and auth functions in one shared dict,
so each such action was its own auth function: checking access ran it with
the caller's context, then failed on its answer (a 500). An anonymous
``harvest_source_index_clear`` cleared a source's datasets from the search
index. Each now follows a rule and is never run to check access.
"""

from __future__ import annotations

import pytest

from ckan.tests.helpers import call_action

from ckanext.harvest.model import HarvestJob

from .conftest import Site

#: (action, who besides sysadmins may call it)
UNGUARDED = [
    # checked under another name, which ckanext-harvest does define
    ("harvest_job_report", {"editeur", "admin"}),
    ("harvest_source_index_clear", {"editeur", "admin"}),
    ("harvest_source_job_history_clear", {"editeur", "admin"}),
    # checked under its own name, which was the action itself
    ("harvest_log_list", set()),
    # never checked: helpers of the harvest run published as actions
    ("harvest_abort_failed_jobs", set()),
    ("send_error_email", set()),
    ("send_summary_email", set()),
    ("send_mail", set()),
    ("prepare_error_mail", set()),
    ("prepare_summary_mail", set()),
    ("get_mail_extra_vars", set()),
    # sysadmin-only rules that failed on an anonymous caller
    ("harvest_sources_job_history_clear", set()),
    ("harvest_job_create_all", set()),
    ("harvest_objects_import", set()),
    ("harvest_jobs_run", set()),
    ("harvest_job_abort", set()),
    ("harvest_sources_reindex", set()),
]

INTERNAL = {
    "send_error_email",
    "send_summary_email",
    "send_mail",
    "prepare_error_mail",
    "prepare_summary_mail",
    "get_mail_extra_vars",
}


@pytest.fixture
def source(site: Site):
    source = call_action(
        "harvest_source_create",
        {"user": "gestionnaire"},
        name="source-ville",
        title="Portail de la ville",
        url="http://127.0.0.1:9/",
        source_type="territoire_opendatasoft",
        owner_org=site.org["id"],
    )
    job = call_action(
        "harvest_job_create", {"user": "gestionnaire"}, source_id=source["id"]
    )
    return {"source": source, "job": job}


@pytest.mark.parametrize(
    ("action", "allowed"), UNGUARDED, ids=[a for a, _ in UNGUARDED]
)
def test_an_unguarded_harvest_action_is_refused_not_run(
    app, site, source, action, allowed
):
    params = {"id": source["source"]["id"], "source_id": source["source"]["id"]}
    if action == "harvest_job_report":
        params["id"] = source["job"]["id"]
    refused = ("anonyme", "inscrit", "membre", "editeur-autre-org")
    for role in refused:
        response = site.api(app, role, action, "POST", **params)
        assert response.status_code == 403, (action, role, response.json)
        assert response.json["success"] is False
    # nothing ran: the job a clear or an abort would have changed is as it was
    job = HarvestJob.get(source["job"]["id"])
    assert job is not None
    assert job.status == source["job"]["status"]
    for role in sorted(allowed):
        response = site.api(app, role, action, "POST", **params)
        assert response.status_code < 500, (action, role, response.json)
        assert response.json["success"] is True, (action, role, response.json)
    response = site.api(app, "gestionnaire", action, "POST", **params)
    if action in INTERNAL:
        # not an action: refused to everyone, sysadmins included
        assert response.status_code == 403, response.json
        assert "interne" in response.json["error"]["message"]
    else:
        assert response.status_code < 500, (action, response.json)


def test_a_sysadmin_aborts_failed_jobs_with_the_default_life_span(app, site, source):
    response = site.api(app, "gestionnaire", "harvest_abort_failed_jobs", "POST")
    assert response.status_code == 200, response.json
    response = site.api(
        app, "gestionnaire", "harvest_abort_failed_jobs", "POST", life_span="x"
    )
    assert response.status_code == 409
    assert "life_span" in response.json["error"]
