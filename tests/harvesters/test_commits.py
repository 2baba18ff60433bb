"""Harvest object bookkeeping commits asynchronously, everything else durably.

A spy on the engine's commit event, registered after ours, reads the
``synchronous_commit`` the transaction is about to be committed with.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import ckan.model as model

from ckanext.territoire import compat
from ckanext.territoire.compat import commits

BOOKKEEPING = sa.text("UPDATE harvest_object SET state = 'FETCH' WHERE id = :id")


@pytest.fixture
def seen() -> Iterator[list[str]]:
    assert commits.PATCH.is_applied(), "the plugin installs the commit rule at start-up"
    seen: list[str] = []

    def spy(conn: sa.engine.Connection) -> None:
        with conn.connection.dbapi_connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            seen.append(cursor.fetchone()[0])

    # ours first, then the spy: listeners run in registration order
    commits.PATCH.undo()
    commits.PATCH.apply()
    sa.event.listen(Engine, "commit", spy)
    try:
        yield seen
    finally:
        sa.event.remove(Engine, "commit", spy)
        model.Session.rollback()
        commits.PATCH.apply()


def _commit(*statements: sa.TextClause) -> None:
    for statement in statements:
        model.Session.execute(statement, {"id": "no-such-row"})
    model.Session.commit()


def test_only_harvest_object_updates_commit_without_waiting(seen: list[str]) -> None:
    _commit(sa.text("SELECT 1"), BOOKKEEPING, BOOKKEEPING)
    assert seen == ["off"]


def test_the_setting_stays_in_its_transaction(seen: list[str]) -> None:
    _commit(BOOKKEEPING)
    _commit(sa.text("SELECT 1"))
    assert seen == ["off", "on"]


@pytest.mark.parametrize(
    "other",
    [
        "UPDATE package SET title = 'x' WHERE id = :id",
        "INSERT INTO harvest_object_error (id, harvest_object_id, message, stage)"
        " SELECT :id, id, 'x', 'Import' FROM harvest_object WHERE id = :id",
        "UPDATE harvest_object SET state = 'X' FROM package WHERE harvest_object.id = :id",
        "DELETE FROM harvest_object WHERE id = :id",
        "WITH x AS (UPDATE harvest_object SET state = 'X' WHERE id = :id RETURNING id)"
        " SELECT * FROM x",
    ],
    ids=["dataset", "error", "update-from", "delete", "cte"],
)
def test_any_other_write_keeps_the_commit_durable(seen: list[str], other: str) -> None:
    _commit(BOOKKEEPING, sa.text(other))
    _commit(sa.text(other), BOOKKEEPING)
    assert seen == ["on", "on"]


def test_a_rolled_back_write_does_not_leak_into_the_next_transaction(
    seen: list[str],
) -> None:
    model.Session.execute(
        sa.text("UPDATE package SET title = 'x' WHERE id = :id"), {"id": "none"}
    )
    model.Session.rollback()
    _commit(BOOKKEEPING)
    model.Session.execute(BOOKKEEPING, {"id": "none"})
    model.Session.rollback()
    _commit(sa.text("SELECT 1"))
    assert seen == ["off", "on"]


def test_switched_off(seen: list[str]) -> None:
    commits.PATCH.undo()
    _commit(BOOKKEEPING)
    assert seen == ["on"]


def test_the_config_option(ckan_config, monkeypatch) -> None:
    try:
        monkeypatch.setitem(ckan_config, commits.OPTION, "false")
        compat.sync()
        assert not commits.PATCH.is_applied()
        monkeypatch.delitem(ckan_config, commits.OPTION)
        compat.sync()
        assert commits.PATCH.is_applied()
    finally:
        commits.PATCH.apply()
