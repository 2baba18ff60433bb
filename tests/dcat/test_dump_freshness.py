"""The full-catalogue dump is never served once a dataset it holds is no
longer public, whatever made it so; a regeneration is enqueued (once) and
serves the dump again without it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import rdflib
import rq
import sqlalchemy as sa
from click.testing import CliRunner

import ckan.model as model
from ckan.lib import jobs
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.dcat.profiles.base import DCAT
from ckanext.dcat.utils import dataset_uri

from ckanext.territoire.dcat import dump

pytestmark = [
    pytest.mark.usefixtures("clean_db"),
    # the regeneration job builds the graphs in its own process
    pytest.mark.ckan_config("ckanext.territoire.dcat.dump_workers", "1"),
]

HIDDEN = "Jeu bientôt retiré"


@pytest.fixture
def storage(tmp_path, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckan.storage_path", str(tmp_path))
    return tmp_path


@pytest.fixture
def queue() -> Iterator[rq.Queue]:
    """The jobs queue, and no regeneration marked as waiting, before and after."""

    def empty() -> None:
        jobs.get_queue().empty()
        redis = connect_to_redis()
        for key in redis.scan_iter("ckanext-territoire:*"):
            redis.delete(key)

    empty()
    yield jobs.get_queue()
    empty()


def run_jobs(q: rq.Queue) -> int:
    """What ``ckan jobs worker`` does with the queued jobs, in this process."""
    done = 0
    while q.jobs:
        job = q.jobs[0]
        q.remove(job)
        job.perform()
        job.delete()
        done += 1
    return done


@pytest.fixture
def sysadmin() -> dict[str, Any]:
    return factories.Sysadmin()


@pytest.fixture
def catalogue(sysadmin) -> dict[str, Any]:
    org = factories.Organization(name="collectivite")
    kept = [
        factories.Dataset(owner_org=org["id"], name=f"jeu-{i}", title=f"Jeu public {i}")
        for i in range(2)
    ]
    hidden = factories.Dataset(owner_org=org["id"], name="a-retirer", title=HIDDEN)
    return {"org": org, "kept": kept, "hidden": hidden}


def departures() -> list[str]:
    rows = model.Session.execute(
        sa.text("SELECT package_id FROM territoire_dcat_unpublished")
    )
    return [row[0] for row in rows]


def datasets_in(body: str, fmt: str) -> set[str]:
    g = rdflib.Graph().parse(data=body, format="turtle" if fmt == "ttl" else "xml")
    return {str(s) for s in g.subjects(rdflib.RDF.type, DCAT.Dataset)}


def served(app, fmt: str = "ttl") -> str:
    resp = app.get(f"/catalog/dump.{fmt}")
    assert resp.status_code == 200, resp.body[:300]
    return resp.body


def refused(app, fmt: str = "ttl", prefix: str = "") -> Any:
    resp = app.get(f"{prefix}/catalog/dump.{fmt}", status=503)
    assert HIDDEN not in resp.body
    assert int(resp.headers["Retry-After"]) >= 60
    assert f"/catalog.{fmt}" in resp.body
    cache = resp.headers["Cache-Control"]
    assert "no-store" in cache and "public" not in cache
    return resp


def _private_by_patch(c: dict[str, Any], user: dict[str, Any]) -> None:
    call_action(
        "package_patch", {"user": user["name"]}, id=c["hidden"]["id"], private=True
    )


def _deleted(c: dict[str, Any], user: dict[str, Any]) -> None:
    call_action("package_delete", {"user": user["name"]}, id=c["hidden"]["name"])


def _purged(c: dict[str, Any], user: dict[str, Any]) -> None:
    call_action("dataset_purge", {"user": user["name"]}, id=c["hidden"]["name"])


def _bulk_private(c: dict[str, Any], user: dict[str, Any]) -> None:
    call_action(
        "bulk_update_private",
        {"user": user["name"]},
        datasets=[c["hidden"]["id"]],
        org_id=c["org"]["id"],
    )


def _bulk_deleted(c: dict[str, Any], user: dict[str, Any]) -> None:
    call_action(
        "bulk_update_delete",
        {"user": user["name"]},
        datasets=[c["hidden"]["id"]],
        org_id=c["org"]["id"],
    )


def _private_in_the_model(c: dict[str, Any], user: dict[str, Any]) -> None:
    # no action, no hook, the index not told: only the package table knows
    pkg = model.Package.get(c["hidden"]["id"])
    pkg.private = True
    model.Session.commit()


UNPUBLISH: dict[str, tuple[Callable[[dict[str, Any], dict[str, Any]], None], str]] = {
    "package_patch private": (_private_by_patch, "privé"),
    "package_delete": (_deleted, "supprimé"),
    "dataset_purge": (_purged, "purgé"),
    "bulk_update_private": (_bulk_private, "privé"),
    "bulk_update_delete": (_bulk_deleted, "supprimé"),
    "model change": (_private_in_the_model, "privé"),
}


@pytest.mark.parametrize("path", list(UNPUBLISH))
def test_a_dataset_no_longer_public_is_never_served_by_the_dump(
    app, storage, queue, catalogue, sysadmin, path
):
    unpublish, reason = UNPUBLISH[path]
    dump.write_dump()
    for fmt in dump.FORMATS:
        assert HIDDEN in served(app, fmt)

    unpublish(catalogue, sysadmin)
    assert departures() == [catalogue["hidden"]["id"]]
    if path != "model change":
        # told at once: the regeneration is already waiting
        assert len(queue.jobs) == 1
    for fmt in dump.FORMATS:
        resp = refused(app, fmt)
        assert reason in resp.body
    # however many refusals, one regeneration
    assert len(queue.jobs) == 1

    assert run_jobs(queue) == 1
    for fmt in dump.FORMATS:
        body = served(app, fmt)
        assert HIDDEN not in body
        assert datasets_in(body, fmt) == {dataset_uri(d) for d in catalogue["kept"]}
    # no dump left can hold it: its departure is forgotten
    assert departures() == []


def test_a_burst_of_withdrawals_regenerates_once(app, storage, queue, sysadmin):
    org = factories.Organization()
    datasets = [
        factories.Dataset(owner_org=org["id"], name=f"jeu-{i}", title=f"Jeu {i}")
        for i in range(4)
    ]
    dump.write_dump()
    for d in datasets[:3]:
        call_action(
            "package_patch", {"user": sysadmin["name"]}, id=d["id"], private=True
        )
        refused(app)
    assert len(queue.jobs) == 1
    run_jobs(queue)
    assert datasets_in(served(app), "ttl") == {dataset_uri(datasets[3])}
    assert queue.jobs == []


def test_changes_that_keep_the_dump_public_enqueue_nothing(
    app, storage, queue, catalogue, sysadmin
):
    dump.write_dump()
    context = {"user": sysadmin["name"]}
    call_action("package_patch", context, id=catalogue["kept"][0]["id"], title="Autre")
    # not in the dump: its being private changes nothing there
    late = factories.Dataset(owner_org=catalogue["org"]["id"], name="tardif")
    call_action("package_patch", context, id=late["id"], private=True)
    call_action("package_delete", context, id=late["id"])
    assert queue.jobs == []
    assert HIDDEN in served(app)


def test_a_dump_whose_contents_are_not_recorded_is_not_served(
    app, storage, queue, catalogue
):
    dump.write_dump()
    # as written by an earlier version: no record of what it holds
    for fmt in dump.FORMATS:
        path = dump.dump_path(fmt)
        with open(path, encoding="utf-8") as f:
            text = "".join(line for line in f if "Vidage / dump" not in line)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    for fmt in dump.FORMATS:
        assert "pas être vérifié" in refused(app, fmt).body
    assert run_jobs(queue) == 1
    assert HIDDEN in served(app)


def test_the_refusal_is_in_english_too(app, storage, queue, catalogue, sysadmin):
    dump.write_dump()
    _private_by_patch(catalogue, sysadmin)
    resp = refused(app, "ttl", prefix="/en")
    assert "made private" in resp.body and "/catalog.ttl" in resp.body


def test_the_dump_leaves_out_what_the_index_still_shows_as_public(
    storage, queue, catalogue
):
    _private_in_the_model(catalogue, {})
    report = dump.write_dump()
    assert report.written == 2
    with open(dump.dump_path("ttl"), encoding="utf-8") as f:
        assert HIDDEN not in f.read()


@pytest.mark.ckan_config("ckanext.territoire.dcat.dump_interval", "3600")
def test_if_stale_regenerates_a_dump_that_holds_a_dataset_no_longer_public(
    app, storage, queue, catalogue
):
    from ckanext.territoire.cli import territoire

    dump.write_dump()
    result = CliRunner().invoke(territoire, ["dcat", "dump", "--if-stale"])
    assert "Dump à jour" in result.output
    _private_in_the_model(catalogue, {})
    result = CliRunner().invoke(territoire, ["dcat", "dump", "--if-stale"])
    assert "Jeux de données écrits : 2" in result.output, result.output
    assert HIDDEN not in served(app)


def test_a_job_after_a_newer_dump_leaves_it_alone(
    app, storage, queue, catalogue, sysadmin
):
    dump.write_dump()
    _private_by_patch(catalogue, sysadmin)
    assert len(queue.jobs) == 1
    # someone ran the command meanwhile
    dump.write_dump()
    before = {fmt: os.stat(dump.dump_path(fmt)).st_ino for fmt in dump.FORMATS}
    run_jobs(queue)
    after = {fmt: os.stat(dump.dump_path(fmt)).st_ino for fmt in dump.FORMATS}
    assert before == after
    assert HIDDEN not in served(app)


def test_a_failed_dump_keeps_the_served_one_and_its_record(
    app, storage, queue, catalogue
):
    dump.write_dump()

    def failing():
        yield call_action("package_show", id=catalogue["kept"][0]["id"])
        raise ConnectionError("database gone")

    with pytest.raises(ConnectionError):
        dump.write_dump(datasets=failing())
    assert HIDDEN in served(app)


def test_the_served_dump_answers_conditional_and_range_requests(
    app, storage, queue, catalogue
):
    dump.write_dump()
    resp = app.get("/catalog/dump.ttl", status=200)
    etag = resp.headers["ETag"]
    assert int(resp.headers["Content-Length"]) == os.path.getsize(dump.dump_path("ttl"))
    app.get("/catalog/dump.ttl", headers={"If-None-Match": etag}, status=304)
    part = app.get("/catalog/dump.ttl", headers={"Range": "bytes=0-9"}, status=206)
    assert part.body == "# Catalogu"
    # a new dump is a new ETag
    dump.write_dump()
    assert app.get("/catalog/dump.ttl", status=200).headers["ETag"] != etag


@pytest.fixture
def without_triggers() -> Iterator[None]:
    """The package table's triggers dropped (as by a restore that left them
    out), put back afterwards."""
    import importlib.util

    import ckanext.territoire as root

    path = os.path.join(
        os.path.dirname(root.__file__),
        "migration",
        "territoire",
        "versions",
        "0003_dcat_dump.py",
    )
    spec = importlib.util.spec_from_file_location("dcat_dump_migration", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    engine = model.ensure_engine()
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "DROP TRIGGER territoire_dcat_unpublished_update ON package; "
            "DROP TRIGGER territoire_dcat_unpublished_delete ON package"
        )
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(migration.SQL)


def test_without_its_triggers_the_dump_is_not_served(
    app, storage, queue, catalogue, without_triggers
):
    dump.write_dump()
    assert "pas être vérifié" in refused(app).body
    # a regeneration could not be checked either: none is enqueued
    assert queue.jobs == []


def test_reading_the_generation_leaves_the_file_where_it_was(storage, catalogue):
    from ckanext.territoire.dcat import freshness

    report = dump.write_dump()
    with open(dump.dump_path("ttl"), "rb") as f:
        assert freshness.generation_of(f) == report.generation
        # gunicorn sends the file from the descriptor's offset (sendfile)
        assert os.lseek(f.fileno(), 0, os.SEEK_CUR) == 0
        assert f.read(10) == b"# Catalogu"
