"""The fetch consumer's work for our harvesters: two commits per object, not seven.

ckanext-harvest's fetch consumer (``queue.fetch_callback`` then
``fetch_and_import_stages``) loads a harvest object, its job and its source
in three queries, then commits the object six times on its way (retry
count, FETCH, fetch finished, IMPORT, state, report status, after a query
that tells "added" from "updated"), besides the import's own commit: seven
in all. Each commit expires the session, so the next step reads everything
again.

Our harvesters (``TerritoireHarvester``) gather whole records and have an
empty fetch stage, so for their objects this module does the same steps with:

- one query for the object with its job and source;
- one bookkeeping commit before the import: retry count, fetch and import
  start, state ``IMPORT``. As with ckanext-harvest, a worker that dies during
  the import leaves an object that the next delivery retries (five tries) or
  that ``harvest_jobs_run`` times out;
- the final state (``COMPLETE`` / ``ERROR``, ``import_finished``, report
  status ``added`` / ``updated`` / ``errored``) written by ``import_stage`` in
  the import's own transaction, committed with the dataset, its record and
  any error.

The states an object goes through, the retry and abort rules and what the
job report shows are ckanext-harvest's. Objects of any other harvester
(ckanext-dcat's DCAT RDF, a third-party one) go through ckanext-harvest's own
code, unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

import ckan.model as model
import ckan.plugins as p

from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import HarvestJob, HarvestObject

log = logging.getLogger(__name__)

#: ckanext-harvest's limit: an object delivered this many times is an error
MAX_TRIES = 5

_original: dict[str, Any] = {}


def install() -> None:
    """Route the fetch queue's messages through ``fetch_callback``; idempotent.

    ckanext-harvest's consumers (``ckan harvester fetch-consumer``), our
    runner and benchmark all look ``queue.fetch_callback`` up when they start.
    """
    from ckanext.harvest import queue

    if "fetch_callback" not in _original:
        _original["fetch_callback"] = queue.fetch_callback
    queue.fetch_callback = fetch_callback


def _harvester_for(source_type: str) -> Any:
    from .base import TerritoireHarvester

    for harvester in p.PluginImplementations(IHarvester):
        if isinstance(harvester, TerritoireHarvester) and (
            harvester.source_type == source_type
        ):
            return harvester
    return None


def fetch_callback(channel: Any, method: Any, header: Any, body: Any) -> Any:
    """ckanext-harvest's ``fetch_callback``, leaner for our harvesters."""
    original = _original["fetch_callback"]
    try:
        object_id = json.loads(body)["harvest_object_id"]
    except (ValueError, KeyError, TypeError):
        return original(channel, method, header, body)
    try:
        obj = (
            model.Session.query(HarvestObject)
            .options(
                joinedload(HarvestObject.job).joinedload(HarvestJob.source),
                joinedload(HarvestObject.source),
            )
            .filter(HarvestObject.id == object_id)
            .first()
        )
    except sa.exc.DatabaseError:
        # as ckanext-harvest does: not acknowledged, so delivered again
        log.exception("Connection error while reading harvest object %s", object_id)
        model.Session.remove()
        return None
    source = obj.source if obj is not None else None
    harvester = _harvester_for(source.type) if source is not None else None
    if obj is None or obj.job is None or harvester is None:
        # not ours (or nothing to do): ckanext-harvest's own path, which also
        # logs and acknowledges a message for a missing object
        model.Session.rollback()
        return original(channel, method, header, body)

    obj.retry_times = (obj.retry_times or 0) + 1
    if obj.retry_times >= MAX_TRIES:
        obj.state = "ERROR"
        model.Session.commit()
        log.error("Too many consecutive retries for object %s", obj.id)
        channel.basic_ack(method.delivery_tag)
        return False
    if obj.job.status == "Finished":
        obj.state = "ERROR"
        obj.report_status = "errored"
        model.Session.commit()
        log.error(
            "Job %s was aborted or timed out, object %s set to error",
            obj.job.id,
            obj.id,
        )
        channel.basic_ack(method.delivery_tag)
        return False

    now = dt.datetime.utcnow()
    obj.fetch_started = now
    obj.fetch_finished = now
    obj.import_started = now
    obj.state = "IMPORT"
    # the import reads the object, its job and source again: keep them loaded
    session = model.Session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    try:
        # sets the final state and report status, and commits them with the
        # dataset (or with the object's error)
        harvester.import_stage(obj)
    finally:
        model.Session.remove()
    channel.basic_ack(method.delivery_tag)
    return None


def finished(harvest_object: HarvestObject, report_status: str) -> None:
    """The object's final state, to be committed with the import's writes."""
    harvest_object.import_finished = dt.datetime.utcnow()
    harvest_object.state = "ERROR" if report_status == "errored" else "COMPLETE"
    harvest_object.report_status = report_status
