"""Validation fixtures: the SCDL schemas of ../shared as the local catalogue,
linked files served by a real HTTP server on 127.0.0.1, queued jobs run."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ..conftest import shared_path
from ..harvesters.conftest import Answer, PartnerServer

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "validation")

__all__ = ["Answer", "PartnerServer", "data", "run_jobs"]


def data(name: str) -> bytes:
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def run_jobs() -> int:
    """Run the jobs waiting in CKAN's queue, in this process, as the worker
    would (the job functions and arguments enqueued by the real code); the
    number of validation jobs among them (the DataStore loads queued beside
    them run too)."""
    from ckan.lib import jobs

    queue = jobs.get_queue()
    ran = 0
    while queue.job_ids:
        for job_id in list(queue.job_ids):
            job = queue.fetch_job(job_id)
            queue.remove(job_id)
            if job is not None:
                job.perform()
                ran += job.func_name.startswith("ckanext.territoire.validation.")
    return ran


@pytest.fixture
def schemas_dir(ckan_config, monkeypatch) -> str:
    """The local catalogue is ../shared (scdl/<name>.json), never copied."""
    root = str(shared_path("scdl").parent)
    monkeypatch.setitem(ckan_config, "ckanext.territoire.schemas.directory", root)
    return root


@pytest.fixture
def server() -> Iterator[PartnerServer]:
    srv = PartnerServer()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def empty_queue(with_plugins) -> Iterator[None]:
    from ckan.lib import jobs

    jobs.get_queue().empty()
    yield
    jobs.get_queue().empty()


@pytest.fixture
def clean_validation(clean_db, empty_queue) -> None:
    import ckan.model as model

    with model.ensure_engine().begin() as conn:
        conn.exec_driver_sql("TRUNCATE territoire_validation_report")
