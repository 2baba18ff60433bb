"""Loading without the plugin's tables says which command to run."""

from __future__ import annotations

import pytest

import ckan.model as model

from ckanext.territoire.territories import loader, lookup

from ..conftest import migrate_all


@pytest.fixture
def without_tables(with_plugins):
    # the COG's own schema survives database resets: drop it for this test
    with model.ensure_engine().begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS territoire_ref CASCADE")
        conn.exec_driver_sql("DROP TABLE IF EXISTS territoire_alembic_version")
    lookup.reset()
    yield
    migrate_all()
    lookup.reset()


@pytest.mark.usefixtures("without_tables")
def test_missing_tables():
    with pytest.raises(loader.CogLoadError) as error:
        loader.load()
    assert "ckan db upgrade -p territoire" in str(error.value)
    assert "Tables du COG absentes" in str(error.value)
    assert not lookup.is_loaded()
    assert lookup.search("strasbourg") == []
