"""DataStore tests: files served by a real HTTP server on 127.0.0.1, jobs run
by CKAN's own worker (``ckan jobs worker --burst``, which forks per job as
in production), the DataStore on the project's PostgreSQL.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories

from ..conftest import shared_path

DATA = Path(__file__).resolve().parent.parent / "data" / "datastore"

# path -> (status, content type, body), or with a 4th item: seconds to wait
# before answering (a partner that is slow)
ROUTES: dict[str, tuple[Any, ...]] = {}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        if path in ROUTES:
            status, ctype, body, *delay = ROUTES[path]
            if delay:
                import time

                time.sleep(delay[0])
        elif (DATA / path.lstrip("/")).is_file():
            status, ctype, body = (
                200,
                "text/csv",
                (DATA / path.lstrip("/")).read_bytes(),
            )
        else:
            status, ctype, body = 404, "text/html", b"<html>introuvable</html>"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def files_server() -> Iterator[str]:
    """Base URL of an HTTP server on 127.0.0.1 serving tests/data/datastore."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def routes() -> Iterator[dict[str, tuple[Any, ...]]]:
    ROUTES.clear()
    yield ROUTES
    ROUTES.clear()


@pytest.fixture
def run_jobs(clean_datastore: None) -> Any:
    """Run the queued jobs with CKAN's worker (what ``ckan jobs worker`` runs).

    In this process rather than through the CLI, which would read the ini
    again and lose the settings a test changed (``ckan_config``); the worker
    still forks a process per job, as in production.
    """
    from ckan.lib import jobs

    def run() -> None:
        # rq's worker installs its SIGINT/SIGTERM handlers in this process;
        # left in place, processes forked later (multiprocessing pools of
        # the search rebuild) would ignore terminate() and hang the suite
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            jobs.Worker().work(burst=True)
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    return run


@pytest.fixture
def clean_datastore(clean_db: None) -> None:
    """No DataStore table left by an earlier test."""
    from sqlalchemy import orm

    from ckanext.datastore.backend.postgres import get_write_engine
    from ckanext.datastore.tests.helpers import clear_db

    clear_db(orm.scoped_session(orm.sessionmaker(bind=get_write_engine())))


@pytest.fixture
def scdl_dir(ckan_config: Any, monkeypatch: Any) -> Path:
    """The local schema catalogue is ../shared (scdl/<name>.json), never copied."""
    path = shared_path("scdl")
    monkeypatch.setitem(
        ckan_config, "ckanext.territoire.schemas.directory", str(path.parent)
    )
    return path


@pytest.fixture
def org_and_editor() -> tuple[dict[str, Any], dict[str, Any]]:
    editor = factories.User()
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    return org, editor


def status(resource_id: str) -> dict[str, Any]:
    return tk.get_action("xloader_status")(
        {"ignore_auth": True}, {"resource_id": resource_id}
    )
