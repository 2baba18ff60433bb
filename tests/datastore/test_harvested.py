"""Harvested resources are loaded per their source's setting (issue 17, part 3)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories

from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestSource

from ckanext.territoire.datastore.load import TASK
from ckanext.territoire.datastore.logic import harvest_allows

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_datastore")


def _harvested(config: dict[str, Any], size: int | None) -> dict[str, Any]:
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    resource = factories.Resource(
        package_id=dataset["id"], url="http://192.0.2.10/f.csv", format="TXT"
    )
    source = HarvestSource(
        url="http://192.0.2.10/", type="territoire_udata", config=json.dumps(config)
    )
    model.Session.add(source)
    model.Session.flush()
    job = HarvestJob(source=source)
    model.Session.add(job)
    model.Session.flush()
    model.Session.add(
        HarvestObject(package_id=dataset["id"], current=True, source=source, job=job)
    )
    model.Session.commit()
    return dict(resource, size=size)


@pytest.mark.parametrize(
    "config,size,expected",
    [
        ({}, 1000, True),
        ({}, None, False),  # unknown size: not loaded by default
        (
            {},
            50_000_000,
            False,
        ),  # above ckanext.territoire.datastore.harvested_max_size
        ({"datastore_load": "always"}, None, True),
        ({"datastore_load": "never"}, 10, False),
        ({"datastore_max_size": 100}, 1000, False),
        ({"datastore_max_size": 100_000_000}, 50_000_000, True),
    ],
)
def test_the_harvest_source_decides(config, size, expected):
    assert harvest_allows(_harvested(config, size)) is expected


def test_a_resource_not_harvested_is_always_loaded():
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    resource = factories.Resource(package_id=dataset["id"], format="TXT")
    assert harvest_allows(resource) is True


def test_a_refused_harvested_resource_is_not_queued():
    from ckan.tests import helpers

    resource = _harvested({"datastore_load": "never"}, 10)
    assert helpers.call_action("xloader_submit", resource_id=resource["id"]) is False
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action(
            "task_status_show",
            entity_id=resource["id"],
            task_type=TASK["task_type"],
            key=TASK["key"],
        )
