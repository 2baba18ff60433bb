"""Run a harvest job through ckanext-harvest's Redis queues, and report on it.

``run_source`` creates a job for a source (``harvest_job_create`` puts it on
the gather queue) and, with ``local=True``, drains the gather and fetch
queues in this process through ckanext-harvest's own callbacks, exactly as
its gather and fetch consumers would; otherwise it waits for the running
consumers (``make run``). Either way it prints progress while the job runs
and finishes the job with ``harvest_jobs_run``, which also times out a job
stuck for longer than ``ckan.harvest.timeout`` minutes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob, HarvestObject

log = logging.getLogger(__name__)

Progress = Callable[["JobStatus"], None]


@dataclass
class JobStatus:
    job_id: str
    status: str
    gathered: bool
    counts: dict[str, int] = field(default_factory=dict)
    gather_errors: list[str] = field(default_factory=list)
    object_errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def done(self) -> bool:
        return self.status == "Finished"

    def line(self) -> str:
        c = self.counts
        return tk._(
            "{status} : {total} objets — {added} ajoutés, {updated} mis à jour, "
            "{unchanged} inchangés, {deleted} retirés, {errored} en erreur, "
            "{pending} en attente"
        ).format(
            status=self.status,
            total=sum(c.values()),
            added=c.get("added", 0),
            updated=c.get("updated", 0),
            unchanged=c.get("not modified", 0),
            deleted=c.get("deleted", 0),
            errored=c.get("errored", 0),
            pending=c.get("pending", 0),
        )


def job_status(job_id: str, started: float | None = None) -> JobStatus:
    model.Session.expire_all()
    job = model.Session.get(HarvestJob, job_id)
    if job is None:
        raise tk.ObjectNotFound(job_id)
    rows = model.Session.execute(
        sa.select(
            sa.case(
                (
                    HarvestObject.state.in_(("COMPLETE", "ERROR")),
                    sa.func.coalesce(HarvestObject.report_status, "errored"),
                ),
                else_="pending",
            ),
            sa.func.count(),
        )
        .where(HarvestObject.harvest_job_id == job_id)
        .group_by(sa.literal_column("1"))
    )
    counts = {str(k): int(n) for k, n in rows}
    status = JobStatus(
        job_id=job.id,
        status=job.status,
        gathered=job.gather_finished is not None,
        counts=counts,
        gather_errors=[e.message for e in job.gather_errors],
        seconds=time.monotonic() - started if started else 0.0,
    )
    errors = model.Session.execute(
        sa.text(
            "SELECT o.guid, e.message FROM harvest_object_error e "
            "JOIN harvest_object o ON o.id = e.harvest_object_id "
            "WHERE o.harvest_job_id = :j ORDER BY e.created"
        ),
        {"j": job_id},
    )
    status.object_errors = [(guid, message) for guid, message in errors]
    return status


def _context() -> dict[str, Any]:
    user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": user["name"], "ignore_auth": True}


def consume(
    consumer: Any,
    callback: Callable[..., Any],
    each: Callable[[int], None] | None = None,
) -> int:
    """Process one queue here, as its consumer would, until it is empty;
    ``each(n)`` after the n-th message. The number of messages processed."""
    n = 0
    while True:
        method, header, body = consumer.basic_get(None)
        if body is None:
            return n
        try:
            callback(consumer, method, header, body)
        finally:
            model.Session.remove()
        n += 1
        if each:
            each(n)


def drain(job_id: str, progress: Progress | None = None, every: int = 100) -> None:
    """Process the gather and fetch queues here until both are empty."""
    started = time.monotonic()

    def each(n: int) -> None:
        if progress and n % every == 0:
            progress(job_status(job_id, started))

    # queue.fetch_callback is looked up now: our pipeline's, once installed
    consume(queue.get_gather_consumer(), queue.gather_callback, each)
    consume(queue.get_fetch_consumer(), queue.fetch_callback, each)


def finish(source_id: str) -> None:
    tk.get_action("harvest_jobs_run")(_context(), {"source_id": source_id})


def run_source(
    source_id: str,
    local: bool = True,
    progress: Progress | None = None,
    poll: float = 2.0,
    wait: float | None = None,
) -> JobStatus:
    """Harvest a source now; return the finished job's status."""
    started = time.monotonic()
    context = _context()
    job = tk.get_action("harvest_job_create")(
        context, {"source_id": source_id, "run": True}
    )
    if local:
        drain(job["id"], progress)
        finish(source_id)
    else:
        while True:
            finish(source_id)
            status = job_status(job["id"], started)
            if progress:
                progress(status)
            if status.done:
                break
            if wait is not None and time.monotonic() - started > wait:
                break
            time.sleep(poll)
    status = job_status(job["id"], started)
    if progress:
        progress(status)
    log.info("harvest job %s: %s", job["id"], json.dumps(status.counts))
    return status
