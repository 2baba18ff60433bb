"""deploy/docker/postgres/10-territoire.sh, run as the postgres image runs it
(``POSTGRES_USER``, the server's socket) against a throwaway PostgreSQL 15
cluster: the roles log in over TCP with their passwords, the read-only role
reaches the DataStore database only."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import pg_bin, pg_os_user
from .conftest import DEPLOY, free_port

SCRIPT = DEPLOY / "docker" / "postgres" / "10-territoire.sh"
# characters a careless script would mangle in SQL or in the shell
CKAN_PASSWORD = "ck'an $pw \\ %"
RO_PASSWORD = 'ro"pw;--'


def _as_owner() -> list[str]:
    user = pg_os_user()
    return ["runuser", "-u", user, "--"] if user else []


@pytest.fixture
def cluster() -> Iterator[dict[str, str]]:
    bindir = pg_bin()
    root = Path(tempfile.mkdtemp(prefix="territoire-pg-"))
    user = pg_os_user()
    owner = pwd.getpwnam(user) if user else None
    if owner:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data, sock, port = root / "data", root / "sock", free_port()
    run = [*_as_owner()]
    try:
        subprocess.run(
            [*run, bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust",
             "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True, cwd=root,
        )  # fmt: skip
        subprocess.run([*run, "mkdir", sock], check=True, cwd=root)
        subprocess.run(
            [*run, bindir / "pg_ctl", "-D", data, "-w", "-l", root / "log", "start",
             "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1"],
            check=True, capture_output=True, cwd=root,
        )  # fmt: skip
        try:
            yield {"PGHOST": str(sock), "PGPORT": str(port), "bindir": str(bindir)}
        finally:
            subprocess.run(
                [*run, bindir / "pg_ctl", "-D", data, "-m", "fast", "stop"],
                capture_output=True,
                cwd=root,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _psql(cluster: dict[str, str], url: str, sql: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [Path(cluster["bindir"]) / "psql", url, "-X", "-A", "-t", "-c", sql],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "PGCONNECT_TIMEOUT": "5"},
    )


def test_roles_and_databases_of_a_new_volume(cluster: dict[str, str]):
    env = {
        "PATH": f"{cluster['bindir']}:{os.environ['PATH']}",
        "PGHOST": cluster["PGHOST"],
        "PGPORT": cluster["PGPORT"],
        "POSTGRES_USER": "postgres",
        "CKAN_DB_PASSWORD": CKAN_PASSWORD,
        "DATASTORE_RO_PASSWORD": RO_PASSWORD,
    }
    result = subprocess.run(
        [*_as_owner(), "env", *[f"{k}={v}" for k, v in env.items()], SCRIPT],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert result.returncode == 0, result.stderr

    from urllib.parse import quote

    def url(user: str, password: str, db: str) -> str:
        return (
            f"postgresql://{user}:{quote(password, safe='')}@127.0.0.1:"
            f"{cluster['PGPORT']}/{db}"
        )

    ckan = _psql(cluster, url("ckan", CKAN_PASSWORD, "ckan"), "SELECT current_user")
    assert ckan.stdout.strip() == "ckan", ckan.stderr
    owner = _psql(
        cluster,
        url("ckan", CKAN_PASSWORD, "datastore"),
        "SELECT pg_get_userbyid(datdba) FROM pg_database "
        "WHERE datname = current_database()",
    )
    assert owner.stdout.strip() == "ckan", owner.stderr
    ro = _psql(cluster, url("datastore_ro", RO_PASSWORD, "datastore"), "SELECT 1")
    assert ro.stdout.strip() == "1", ro.stderr
    refused = _psql(cluster, url("datastore_ro", RO_PASSWORD, "ckan"), "SELECT 1")
    assert refused.returncode != 0
    assert "permission denied" in refused.stderr
    wrong = _psql(cluster, url("ckan", "wrong", "ckan"), "SELECT 1")
    assert wrong.returncode != 0

    # a second run (same volume) is not what the image does: it fails loudly
    again = subprocess.run(
        [*_as_owner(), "env", *[f"{k}={v}" for k, v in env.items()], SCRIPT],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert again.returncode != 0
