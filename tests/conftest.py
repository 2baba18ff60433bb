"""Shared fixtures.

CKAN's ``clean_db`` drops every table the first time; later it only empties
the tables SQLAlchemy's metadata knows (CKAN's, harvest's, activity's). The
search backend's tables are created by raw SQL migrations, so ``clean_db``
and ``reset_all`` also empty them here; otherwise index rows of one test
would answer the searches of the next. The COG's reference tables (their own
schema) are kept on purpose: see the ``cog`` fixture.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ckan.tests.helpers import reset_db as _reset_db

REPO_ROOT = Path(__file__).resolve().parent.parent


def worker_ini(tmp_path: Path, site_id: str, *extra: str) -> Path:
    """An ini for a ``ckan jobs worker`` process: the portal's base
    configuration on the test database and Redis, and ``extra`` lines."""
    from ckan.common import config

    ini = tmp_path / "worker.ini"
    lines = [
        "[app:main]",
        f"use = config:{REPO_ROOT / 'config' / 'ckan.ini'}",
        f"sqlalchemy.url = {config['sqlalchemy.url']}",
        f"ckan.redis.url = {config['ckan.redis.url']}",
        "ckan.site_url = http://127.0.0.1:5999",
        f"ckan.site_id = {site_id}",
        f"ckan.storage_path = {tmp_path / 'storage'}",
        *extra,
        "SECRET_KEY = test-only-not-a-secret",
        "api_token.jwt.encode.secret = string:test-only-not-a-secret",
        "api_token.jwt.decode.secret = string:test-only-not-a-secret",
        "",
    ]
    ini.write_text("\n".join(lines), encoding="utf-8")
    return ini


def shared_path(*parts: str) -> Path:
    """A reference file of ``../shared`` (or ``$TERRITOIRE_SHARED``).

    The project's tests read them there and never copy them: a missing file
    fails the test, naming what to set.
    """
    root = Path(os.environ.get("TERRITOIRE_SHARED") or REPO_ROOT.parent / "shared")
    path = root.joinpath(*parts)
    if not path.exists():
        pytest.fail(
            f"{path} not found: set TERRITOIRE_SHARED to the directory holding "
            "the shared reference files (dcat-ap/, eu-vocabularies/, scdl/)"
        )
    return path


PLUGINS_WITH_MIGRATIONS = ("activity", "harvest", "territoire_pgsearch", "territoire")


def migrate_all() -> None:
    from ckan.cli.db import _run_migrations

    for plugin in PLUGINS_WITH_MIGRATIONS:
        _run_migrations(plugin)


def empty_search_tables() -> None:
    import ckan.model as model

    from ckanext.territoire.search import backend
    from ckanext.territoire.territories import lookup

    with model.ensure_engine().begin() as conn:
        conn.exec_driver_sql(
            "TRUNCATE territoire_search_doc, territoire_search_facets, "
            "territoire_harvest_record, territoire_join_request, "
            "territoire_invitation; "
            "UPDATE territoire_search_meta SET facet_fields = NULL, generation = 0, "
            "token = md5(random()::text || clock_timestamp()::text)"
        )
    backend.reset()
    lookup.reset()


def reset_all() -> None:
    _reset_db()
    migrate_all()
    empty_search_tables()


@pytest.fixture
def clean_db(reset_db, migrate_db_for):
    reset_db()
    for plugin in PLUGINS_WITH_MIGRATIONS:
        migrate_db_for(plugin)
    empty_search_tables()


@pytest.fixture
def cog(with_plugins) -> None:
    """The shipped COG in the database.

    Its tables live in their own schema, which ``clean_db`` leaves alone: the
    COG is loaded once per database, not once per test.
    """
    from ckanext.territoire.territories import loader, lookup

    lookup.reset()
    if not lookup.is_loaded():
        from ckan.cli.db import _run_migrations

        _run_migrations("territoire")
        loader.load()
        lookup.reset()
    assert lookup.is_loaded()


@pytest.fixture(autouse=True)
def load_standard_plugins(with_plugins):
    """Every test runs with the portal's plugins (config/test.ini)."""


def solr_marks() -> list:
    """Marks that switch a module to stock CKAN + Solr when TEST_SOLR_URL is set."""
    url = os.environ.get("TEST_SOLR_URL")
    if not url:
        return []
    from ckan.common import config

    plugins = [
        name for name in config.get("ckan.plugins", []) if name != "territoire_pgsearch"
    ] or ["activity"]
    return [
        pytest.mark.ckan_config("solr_url", url),
        pytest.mark.ckan_config("ckan.plugins", " ".join(plugins)),
    ]


@pytest.fixture
def live_portal(ckan_config, make_app, monkeypatch) -> Iterator[str]:
    """The portal served over real HTTP on 127.0.0.1 (test database); its URL.

    ``ckan.site_url`` points at it: pages tell browsers and harvesters where
    the site is (JavaScript loads its translations from there).
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setitem(ckan_config, "ckan.site_url", url)
    app = make_app().app
    # what `ckan run` (not the test app) does: the scripts' strings in each
    # language, our catalogue's included (rebuilt when a catalogue changes)
    from ckan.lib.i18n import build_js_translations

    build_js_translations()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)
