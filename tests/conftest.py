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


def pg_bin() -> Path:
    """The directory of PostgreSQL's programs (initdb, pg_ctl…) for tests that
    start a cluster of their own: the project's (``make test`` exports
    ``TERRITOIRE_PG_BIN``), else the newest Debian install. Absent is a
    broken set-up, not a reason to skip."""
    configured = os.environ.get("TERRITOIRE_PG_BIN")
    if configured:
        return Path(configured)
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name),
    )
    if not found:
        pytest.fail("initdb introuvable / not found (TERRITOIRE_PG_BIN)")
    return found[-1].parent


def pg_os_user() -> str | None:
    """PostgreSQL refuses to run as root: the account its programs run as
    then (``TERRITOIRE_PG_OS_USER``, else ``postgres``); None otherwise."""
    if os.geteuid() != 0:
        return None
    return os.environ.get("TERRITOIRE_PG_OS_USER") or "postgres"


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
    _migrated[:] = [_schema_versions()]


# the revisions seen right after the plugins' migrations last ran: while the
# database still shows them, the schema is at head and running alembic again
# (80 ms a plugin, four plugins, before each of ~1,000 tests) changes nothing
_migrated: list[object] = []


def _schema_versions() -> object:
    """Every alembic version table of the database and what it holds."""
    import ckan.model as model

    with model.ensure_engine().connect() as conn:
        tables = [
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) "
                "FROM information_schema.tables "
                "WHERE position('alembic_version' in table_name) > 0 ORDER BY 1"
            )
        ]
        if not tables:
            return ()
        union = " UNION ALL ".join(
            f"SELECT '{t}', version_num::text FROM {t}" for t in tables
        )
        return tuple(sorted(tuple(r) for r in conn.exec_driver_sql(union)))


def migrate_if_needed() -> None:
    if not _migrated or _schema_versions() != _migrated[0]:
        migrate_all()


def empty_search_tables() -> None:
    import ckan.model as model

    from ckanext.territoire.search import backend
    from ckanext.territoire.territories import lookup

    with model.ensure_engine().begin() as conn:
        # DELETE: a few rows per test, where TRUNCATE's file work costs 45 ms
        conn.exec_driver_sql(
            "DELETE FROM territoire_search_doc; DELETE FROM territoire_search_facets; "
            "DELETE FROM territoire_harvest_record; "
            "DELETE FROM territoire_join_request; DELETE FROM territoire_invitation; "
            "UPDATE territoire_search_meta SET facet_fields = NULL, generation = 0, "
            "token = md5(random()::text || clock_timestamp()::text)"
        )
    backend.reset()
    lookup.reset()


def reset_all() -> None:
    _reset_db()
    migrate_if_needed()
    empty_search_tables()


@pytest.fixture
def clean_db(reset_db):
    reset_db()
    migrate_if_needed()
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


@pytest.fixture(scope="session", autouse=True)
def plugin_entry_points_read_once() -> Iterator[None]:
    """CKAN looks up each plugin's entry point by scanning every installed
    distribution, at each of the suite's ~1,500 loads of the plugins
    (``with_plugins``, ``make_app``): a third of a load's time. The installed
    distributions do not change during the session (``provide_plugin``
    replaces the lookup itself), so the answers are kept for it."""
    import functools

    import ckan.plugins.core as core

    patch = pytest.MonkeyPatch()
    patch.setattr(
        core, "entry_points", functools.lru_cache(maxsize=None)(core.entry_points)
    )
    yield
    patch.undo()


@pytest.fixture(scope="session", autouse=True)
def yaml_documents_parsed_once() -> Iterator[None]:
    """Each load of the plugins parses the same YAML documents again (CKAN's
    config declarations, the scheming schemas, the webassets bundles) with
    PyYAML's pure-Python parser: half a load's time. The same text read by
    the same loader gives the same document, so each is parsed once and a
    deep copy handed out (``yaml.load``, which ``safe_load`` calls); a
    document that does not parse is parsed, and fails, every time."""
    import copy
    import io

    import yaml

    parse = yaml.load
    parsed: dict[tuple[object, str], object] = {}

    def load(stream, Loader):  # type: ignore[no-untyped-def]  # noqa: N803
        text = stream.read() if hasattr(stream, "read") else stream
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError:
                return parse(text, Loader)
        if not isinstance(text, str):
            return parse(text, Loader)
        key = (Loader, text)
        if key not in parsed:
            named = io.StringIO(text)
            # an error names the file, as it would have
            named.name = getattr(stream, "name", "<unicode string>")
            parsed[key] = parse(named, Loader)
        return copy.deepcopy(parsed[key])

    patch = pytest.MonkeyPatch()
    patch.setattr(yaml, "load", load)
    yield
    patch.undo()


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
