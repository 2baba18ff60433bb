"""ckanext-harvest's queue, adapted: Redis connections that may wait, a leaner fetch.

**Queue connections** (replaces ``ckanext.harvest.queue.get_connection_redis``,
ckanext-harvest 1.6.3). Its Redis consumers wait for work with ``BLPOP`` and
no timeout, but redis-py 8 (CKAN 2.12's pin) gives every connection a 5 s
socket timeout by default: an idle gather or fetch consumer fails with
"Timeout reading from socket" after its retries (about a minute) and exits;
work can arrive while none is listening and the logs fill with tracebacks.
The connections are made with ckanext-harvest's settings, but reads that may
block: the connection timeout stays, and TCP keepalive detects a dead server.
ckanext-harvest has no setting for the connection's options.

**Fetch consumer** (replaces ``ckanext.harvest.queue.fetch_callback`` and, for
our harvesters' objects, its ``fetch_and_import_stages``). ckanext-harvest
offers no hook into its consumer loop.

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
import importlib.metadata
import json
import logging
from collections.abc import Callable
from typing import Any

import redis
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import HarvestJob, HarvestObject

from . import Patch, Swap

log = logging.getLogger(__name__)

#: ckanext-harvest's limit: an object delivered this many times is an error
MAX_TRIES = 5


def _our_harvesters() -> tuple[str, ...]:
    """Our harvester plugins, as setup.py registers them."""
    return tuple(
        sorted(
            ep.name
            for ep in importlib.metadata.entry_points(group="ckan.plugins")
            if ep.value.startswith("ckanext.territoire.harvesters.")
        )
    )


#: the plugins that need these patches
HARVESTERS = _our_harvesters()


def harvest_redis_connection(original: Callable[..., Any]) -> redis.Redis:
    """ckanext-harvest's ``get_connection_redis``, with reads that may block."""
    config = tk.config
    options: dict[str, Any] = {
        "decode_responses": True,
        "encoding": "utf-8",
        "socket_timeout": None,
        "socket_connect_timeout": 10,
        "socket_keepalive": True,
        "health_check_interval": 30,
    }
    if not config.get("ckan.harvest.mq.hostname") and config.get("ckan.redis.url"):
        return redis.Redis.from_url(config["ckan.redis.url"], **options)
    # ckanext-harvest's own defaults (queue.HOSTNAME, REDIS_PORT, REDIS_DB)
    return redis.Redis(
        host=config.get("ckan.harvest.mq.hostname", "localhost"),
        port=int(config.get("ckan.harvest.mq.port", 6379)),
        password=config.get("ckan.harvest.mq.password", None),
        db=int(config.get("ckan.harvest.mq.redis_db", 0)),
        **options,
    )


def _harvester_for(source_type: str) -> Any:
    from ckanext.territoire.harvesters.base import TerritoireHarvester

    for harvester in p.PluginImplementations(IHarvester):
        if isinstance(harvester, TerritoireHarvester) and (
            harvester.source_type == source_type
        ):
            return harvester
    return None


def fetch_callback(
    original: Callable[..., Any], channel: Any, method: Any, header: Any, body: Any
) -> Any:
    """ckanext-harvest's ``fetch_callback``, leaner for our harvesters."""
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


PATCHES = [
    Patch(
        name="harvest-redis-connection",
        replaces=(
            "ckanext.harvest.queue.get_connection_redis: blocking reads under "
            "redis-py 8; no setting for the connection's options"
        ),
        owners=HARVESTERS,
        upstream=("ckanext-harvest",),
        changes=(
            Swap(
                "ckanext.harvest.queue",
                "get_connection_redis",
                harvest_redis_connection,
            ),
        ),
    ),
    Patch(
        name="harvest-fetch-callback",
        replaces=(
            "ckanext.harvest.queue.fetch_callback (and fetch_and_import_stages "
            "for our objects): two commits per object; no hook in the consumer"
        ),
        owners=HARVESTERS,
        upstream=("ckanext-harvest",),
        changes=(Swap("ckanext.harvest.queue", "fetch_callback", fetch_callback),),
    ),
]
