"""Backups that restore (issue 21, item 5): a drill.

The portal is populated as users would (an uploaded file, a DataStore table
loaded by the worker, a partner harvested from a real HTTP server on
127.0.0.1), backed up with ``ckan territoire backup create``, then restored
into a new PostgreSQL cluster started for the test, with an empty storage
folder. Counts, checksums and the data itself are compared: nothing lost.
"""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.territoire.backup import core

from ..conftest import pg_bin, pg_os_user
from ..datastore.test_harvest_to_datastore import (
    FILE,
    ROWS,
    _harvest,
    _serve,
)

pytestmark = [
    pytest.mark.usefixtures(
        "with_plugins", "with_extended_cli", "clean_datastore", "cog"
    ),
    pytest.mark.ckan_config(
        "ckanext.territoire.harvest.allowed_networks", "127.0.0.1/32"
    ),
]

PASSWORD = "mot-de-passe-du-test"
RO_PASSWORD = "lecture-du-test"
UPLOAD = "Année;Montant (€)\r\n2024;1 250,50\r\n2025;980\r\n".encode("cp1252")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A new PostgreSQL cluster: the "empty instance" restored into."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        self.user = pg_os_user()
        self.root = Path(tempfile.mkdtemp(prefix="territoire-restore-"))
        self.data = self.root / "data"
        self.port = _free_port()
        if self.user:
            shutil.chown(self.root, self.user)

    def _as_owner(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        subprocess.run(
            [*prefix, *command], check=True, capture_output=True, cwd=self.root
        )

    def start(self) -> None:
        self._as_owner(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
        )
        self._as_owner(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.root / "log"),
            "-o",
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )

    def stop(self) -> None:
        try:
            self._as_owner(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "stop",
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def superuser(self, db: str = "postgres") -> Any:
        conn = psycopg2.connect(
            host=str(self.root), port=self.port, user="postgres", dbname=db
        )
        conn.autocommit = True
        return conn

    def url(self, user: str, password: str, db: str) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{db}"

    def prepare(self) -> None:
        """Roles and databases as an instance's set-up makes them: the CKAN
        and DataStore databases owned by ``ckan``, a read-only role, and the
        DataStore permissions of CKAN's ``datastore set-permissions``."""
        from ckanext.datastore.cli import permissions_sql

        conn = self.superuser()
        with conn.cursor() as cur:
            cur.execute(f"CREATE ROLE ckan LOGIN PASSWORD '{PASSWORD}'")
            cur.execute(f"CREATE ROLE datastore_ro LOGIN PASSWORD '{RO_PASSWORD}'")
            cur.execute("CREATE DATABASE ckan OWNER ckan")
            cur.execute("CREATE DATABASE datastore OWNER ckan")
        conn.close()
        sql = permissions_sql(
            maindb="ckan",
            datastoredb="datastore",
            mainuser="ckan",
            writeuser="ckan",
            readuser="datastore_ro",
        )
        sql = sql.split("\n", 1)[1] if sql.startswith("\\connect") else sql
        sql = "\n".join(
            line for line in sql.splitlines() if not line.startswith("\\connect")
        )
        conn = self.superuser("datastore")
        with conn.cursor() as cur:
            cur.execute(sql)
        conn.close()


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    new = Cluster()
    new.start()
    try:
        new.prepare()
        yield new
    finally:
        new.stop()


def _populate(app: Any, partner: Any, run_jobs: Any) -> dict[str, Any]:
    """What a working portal holds: an upload, DataStore tables, a harvest."""
    editor = factories.User()
    org = factories.Organization(
        name="ville-de-selestat",
        kind="commune",
        cog_code="67462",
        users=[{"name": editor["name"], "capacity": "editor"}],
    )
    dataset = factories.Dataset(owner_org=org["id"], title="Subventions 2025")
    token = factories.APIToken(user=editor["name"])["token"]
    answer = app.post(
        "/api/3/action/resource_create",
        data={
            "package_id": dataset["id"],
            "name": "Subventions (CSV)",
            "upload": (io.BytesIO(UPLOAD), "subventions.csv"),
        },
        headers={"Authorization": token},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200, answer.body
    upload = answer.json["result"]
    _serve(partner)
    harvested = _harvest(partner, datastore_load="auto")
    run_jobs()
    for resource in (upload, harvested):
        assert call_action("datastore_search", resource_id=resource["id"])["total"]
    return {"upload": upload, "harvested": harvested, "dataset": dataset}


def _restore_config(cluster: Cluster, storage: Path, monkeypatch: Any) -> None:
    """This process becomes the new instance: its databases and storage."""
    for key, value in {
        "sqlalchemy.url": cluster.url("ckan", PASSWORD, "ckan"),
        "ckan.datastore.write_url": cluster.url("ckan", PASSWORD, "datastore"),
        "ckan.datastore.read_url": cluster.url(
            "datastore_ro", RO_PASSWORD, "datastore"
        ),
        "ckan.storage_path": str(storage),
    }.items():
        monkeypatch.setitem(tk.config, key, value)


def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(query))]


def test_a_backup_restores_into_a_new_instance_with_nothing_lost(
    app, partner, run_jobs, cluster, cli, tmp_path, monkeypatch
):
    made = _populate(app, partner, run_jobs)
    source_ckan = str(tk.config["sqlalchemy.url"])
    source_ds = str(tk.config["ckan.datastore.write_url"])
    source_storage = Path(tk.config["ckan.storage_path"])
    model.Session.remove()

    backup = tmp_path / "sauvegarde"
    result = cli.invoke(ckan, ["territoire", "backup", "create", str(backup)])
    assert result.exit_code == 0, result.output
    manifest = core.read_manifest(backup)
    assert manifest["summary"]["harvest_sources"] == 1
    assert manifest["summary"]["users"] >= 2 and manifest["summary"]["groups"] >= 1
    assert manifest["summary"]["datastore_tables"] >= 2
    assert manifest["files"]["count"] >= 1
    assert oct(backup.stat().st_mode & 0o777) == "0o700"
    # no secret in what the backup writes in clear
    config_copy = (backup / "ckan.ini").read_text(encoding="utf-8")
    password = sa.engine.make_url(source_ckan).password
    for secret in (password, tk.config.get("SECRET_KEY"), RO_PASSWORD):
        if secret:
            assert str(secret) not in config_copy
            assert str(secret) not in (backup / "manifest.json").read_text()
    assert "sqlalchemy.url" in config_copy or "ckan.plugins" in config_copy

    before_packages = _rows(
        source_ckan, "SELECT name, state FROM package ORDER BY name"
    )
    before_rows = {
        res["id"]: _rows(source_ds, f'SELECT * FROM "{res["id"]}" ORDER BY _id')
        for res in (made["upload"], made["harvested"])
    }
    upload_path = next(
        p
        for p in (source_storage / "resources").rglob("*")
        if p.is_file() and p.read_bytes() == UPLOAD
    )

    # -- the new instance
    storage = tmp_path / "storage-neuf"
    _restore_config(cluster, storage, monkeypatch)
    said: list[str] = []
    core.restore(backup, say=said.append)
    assert any("lit les tables" in line for line in said), said

    new_ckan = cluster.url("ckan", PASSWORD, "ckan")
    new_ro = cluster.url("datastore_ro", RO_PASSWORD, "datastore")
    assert (
        _rows(new_ckan, "SELECT name, state FROM package ORDER BY name")
        == before_packages
    )
    assert _rows(new_ckan, "SELECT url, type FROM harvest_source") == [
        (partner.url + "/", "territoire_ckan")
    ]
    for resource_id, rows in before_rows.items():
        # read back by the read-only role, as datastore_search does
        assert _rows(new_ro, f'SELECT * FROM "{resource_id}" ORDER BY _id') == rows
    harvested_rows = before_rows[made["harvested"]["id"]]
    assert len(harvested_rows) == len(ROWS) - 1
    restored_upload = storage / upload_path.relative_to(source_storage)
    assert restored_upload.read_bytes() == UPLOAD
    assert made["harvested"]["url"].endswith(FILE)


def test_a_damaged_or_misplaced_restore_changes_nothing(
    cluster, cli, tmp_path, monkeypatch
):
    factories.Dataset(
        owner_org=factories.Organization()["id"], title="Budget primitif 2025"
    )
    backup = tmp_path / "sauvegarde"
    assert (
        cli.invoke(ckan, ["territoire", "backup", "create", str(backup)]).exit_code == 0
    )

    # a backup is never written over another, nor over anything
    again = cli.invoke(ckan, ["territoire", "backup", "create", str(backup)])
    assert again.exit_code != 0 and "dossier vide" in again.output
    assert not list(tmp_path.glob(".sauvegarde.partial-*"))

    # a byte changed in the dump: refused before anything is touched
    damaged = tmp_path / "abimee"
    shutil.copytree(backup, damaged)
    with (damaged / "ckan.dump").open("r+b") as handle:
        handle.seek(200)
        byte = handle.read(1)
        handle.seek(200)
        handle.write(bytes([byte[0] ^ 0xFF]))
    storage = tmp_path / "storage-neuf"
    _restore_config(cluster, storage, monkeypatch)
    with pytest.raises(core.BackupError, match="ckan.dump ne correspond pas"):
        core.restore(damaged)
    new_ckan = cluster.url("ckan", PASSWORD, "ckan")
    assert _rows(new_ckan, "SELECT to_regclass('public.package') IS NULL") == [(True,)]

    # restored once; a second restore into what is no longer empty is refused
    core.restore(backup)
    count = _rows(new_ckan, "SELECT count(*) FROM package")
    assert count[0][0] >= 1
    with pytest.raises(core.BackupError, match="pas vide.*--force"):
        core.restore(backup)
    assert _rows(new_ckan, "SELECT count(*) FROM package") == count
    # --force replaces it; the files it held are moved aside, not deleted
    (storage / "resources").mkdir(parents=True, exist_ok=True)
    (storage / "resources" / "a-garder.txt").write_text("à garder")
    core.restore(backup, force=True)
    assert _rows(new_ckan, "SELECT count(*) FROM package") == count
    kept = list(storage.glob(".avant-restauration-*/resources/a-garder.txt"))
    assert [p.read_text() for p in kept] == ["à garder"]


def test_secrets_are_redacted_from_the_config_copy():
    assert core.redact("SECRET_KEY", "abc") == core.SECRET_PLACEHOLDER
    assert core.redact("smtp.password", "x") == core.SECRET_PLACEHOLDER
    assert (
        core.redact("api_token.jwt.encode.secret", "string:x")
        == core.SECRET_PLACEHOLDER
    )
    url = core.redact("sqlalchemy.url", "postgresql://ckan:s3cr3t@db:5432/ckan")
    assert "s3cr3t" not in url and url.startswith("postgresql://ckan:")
    assert core.redact("ckan.site_url", "https://data.grandest.fr") == (
        "https://data.grandest.fr"
    )


def test_prune_keeps_the_newest_of_each_day_week_and_month(tmp_path):
    def made(name: str, created: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "manifest.json").write_text(
            '{"format": 1, "created": "%s"}' % created, encoding="utf-8"
        )
        return folder

    days = [
        made(f"2026-12-{d:02d}", f"2026-12-{d:02d}T02:30:00+00:00") for d in range(1, 7)
    ]
    second_run = made("2026-12-06-bis", "2026-12-06T14:00:00+00:00")
    november = made("2026-11-15", "2026-11-15T02:30:00+00:00")
    october = made("2026-10-20", "2026-10-20T02:30:00+00:00")
    unfinished = tmp_path / ".2026-12-07.partial-x"
    unfinished.mkdir()
    stranger = tmp_path / "notes"
    stranger.mkdir()

    kept, deleted = core.prune(tmp_path, daily=3, weekly=2, monthly=2, dry_run=True)
    assert deleted and all(p.exists() for p in deleted)
    kept, deleted = core.prune(tmp_path, daily=3, weekly=2, monthly=2)
    # 30 Nov–6 Dec 2026 is one ISO week. 3 days: the 6th (its later run),
    # the 5th, the 4th; 2 weeks: that week and November's 15th; 2 months:
    # December and November. October goes, and the rest of December.
    assert second_run in kept and days[5] not in kept
    assert {days[4], days[3]} <= set(kept)
    assert november in kept
    assert october not in kept and not october.exists()
    assert {days[0], days[1], days[2]}.isdisjoint(kept)
    assert unfinished.exists() and stranger.exists()
