"""The fetch consumer's work for our harvesters (``compat/harvest.py``).

Jobs are gathered and fetched through ckanext-harvest's Redis queues and its
``queue.fetch_callback``, as its consumers do; for our harvesters' objects
that callback is ours: two commits per object, ckanext-harvest's states,
retry and abort rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob, HarvestObject

from ckanext.territoire.compat import harvest as harvest_compat
from ckanext.territoire.harvesters import runner

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


def _gather(source_id: str) -> str:
    job = tk.get_action("harvest_job_create")(
        runner._context(), {"source_id": source_id, "run": True}
    )
    runner.consume(queue.get_gather_consumer(), queue.gather_callback)
    return job["id"]


def _fetch() -> int:
    return runner.consume(queue.get_fetch_consumer(), queue.fetch_callback)


def _objects(job_id: str) -> dict[str, HarvestObject]:
    model.Session.expire_all()
    return {
        o.guid: o
        for o in model.Session.query(HarvestObject).filter_by(harvest_job_id=job_id)
    }


@pytest.fixture
def commits() -> Iterator[list[str]]:
    seen: list[str] = []

    def spy(conn: sa.engine.Connection) -> None:
        seen.append("commit")

    sa.event.listen(Engine, "commit", spy)
    try:
        yield seen
    finally:
        sa.event.remove(Engine, "commit", spy)


def test_the_fetch_queue_goes_through_our_callback():
    (swap,) = harvest_compat.PATCHES[1].changes
    assert queue.fetch_callback is swap.installed
    assert swap.new is harvest_compat.fetch_callback


def test_each_object_is_committed_twice_and_ends_with_its_report(partner, commits):
    items: list[dict[str, Any]] = _records(3)
    _serve(partner, items)
    # the status of a DataStore load, written after the import, left out
    source = _source(partner, datastore_load="never")
    job_id = _gather(source["id"])
    del commits[:]
    assert _fetch() == 3
    # one bookkeeping commit before each import, one with the dataset
    assert len(commits) == 6
    objects = _objects(job_id)
    for guid, obj in objects.items():
        assert (obj.state, obj.report_status, obj.retry_times) == (
            "COMPLETE",
            "added",
            1,
        )
        assert obj.current and obj.package_id == _datasets(source["id"])[guid].id
        assert obj.fetch_started <= obj.import_started <= obj.import_finished
    runner.finish(source["id"])

    items[0]["title"] = "Jeu 1, nouveau titre"
    items[1]["broken"] = True
    job_id = _gather(source["id"])
    _fetch()
    runner.finish(source["id"])
    objects = _objects(job_id)
    assert (objects["r1"].state, objects["r1"].report_status) == ("COMPLETE", "updated")
    assert (objects["r2"].state, objects["r2"].report_status) == ("ERROR", "errored")
    assert [e.message for e in objects["r2"].errors][0].startswith(
        "Enregistrement cassé"
    )
    assert objects["r3"].report_status == "not modified"
    assert runner.job_status(job_id).counts == {
        "updated": 1,
        "errored": 1,
        "not modified": 1,
    }


def test_an_object_delivered_five_times_is_an_error(partner):
    _serve(partner, _records(2))
    source = _source(partner)
    job_id = _gather(source["id"])
    # four earlier deliveries whose worker died during the import
    model.Session.query(HarvestObject).filter_by(guid="r1").update({"retry_times": 4})
    model.Session.commit()
    _fetch()
    objects = _objects(job_id)
    assert (objects["r1"].state, objects["r1"].retry_times) == ("ERROR", 5)
    assert objects["r2"].report_status == "added"
    assert sorted(_datasets(source["id"])) == ["r2"]


def test_objects_of_a_finished_job_are_errors_and_import_nothing(partner):
    _serve(partner, _records(2))
    source = _source(partner)
    job_id = _gather(source["id"])
    job = model.Session.get(HarvestJob, job_id)
    job.status = "Finished"
    model.Session.commit()
    _fetch()
    objects = _objects(job_id)
    assert {(o.state, o.report_status) for o in objects.values()} == {
        ("ERROR", "errored")
    }
    assert _datasets(source["id"]) == {}
