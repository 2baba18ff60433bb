"""Shared fixtures.

CKAN's ``clean_db`` drops every table, extension tables included: the tables
of the plugins that have migrations are created again after each reset.
"""
from __future__ import annotations

import os

import pytest

from ckan.tests.helpers import reset_db as _reset_db

PLUGINS_WITH_MIGRATIONS = ("activity", "harvest", "territoire_pgsearch")


def migrate_all() -> None:
    from ckan.cli.db import _run_migrations

    for plugin in PLUGINS_WITH_MIGRATIONS:
        _run_migrations(plugin)


def reset_all() -> None:
    from ckanext.territoire.search import backend

    _reset_db()
    migrate_all()
    backend.reset()


@pytest.fixture
def clean_db(reset_db, migrate_db_for):
    reset_db()
    for plugin in PLUGINS_WITH_MIGRATIONS:
        migrate_db_for(plugin)
    from ckanext.territoire.search import backend

    backend.reset()


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
