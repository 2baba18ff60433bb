"""The portal's background jobs run: ``ckan jobs worker`` with config/ckan.ini.

Each job reloads CKAN in a forked process, which checks the configuration
with no plugin loaded: without a ``solr_url`` CKAN refused to start there and
every job died silently (the DCAT dump regeneration, and the data loads to
come, never ran). This runs a job through the real worker with the portal's
own base configuration (not the tests' one, which has its own ``solr_url``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import redis

from ckan.common import config

from .conftest import REPO_ROOT


def _ini(tmp_path: Path) -> Path:
    ini = tmp_path / "worker.ini"
    ini.write_text(
        "\n".join(
            [
                "[app:main]",
                f"use = config:{REPO_ROOT / 'config' / 'ckan.ini'}",
                f"sqlalchemy.url = {config['sqlalchemy.url']}",
                f"ckan.redis.url = {config['ckan.redis.url']}",
                "ckan.site_url = http://127.0.0.1:5999",
                "ckan.site_id = territoire-jobs-test",
                f"ckan.storage_path = {tmp_path / 'storage'}",
                "SECRET_KEY = test-only-not-a-secret",
                "api_token.jwt.encode.secret = string:test-only-not-a-secret",
                "api_token.jwt.decode.secret = string:test-only-not-a-secret",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return ini


def test_a_background_job_runs_to_the_end(tmp_path: Path):
    ini = _ini(tmp_path)
    ckan = Path(sys.executable).with_name("ckan")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CKAN_INI", "CKAN_SOLR_URL", "CKAN_SITE_ID", "CKAN_SITE_URL")
    }

    def run(*args: str) -> str:
        result = subprocess.run(
            [str(ckan), "-c", str(ini), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout + result.stderr

    added = run("jobs", "test")
    (job_id,) = re.findall(r"Added test job ([0-9a-f-]{36})", added)
    run("jobs", "worker", "--burst")
    status = redis.Redis.from_url(config["ckan.redis.url"]).hget(
        f"rq:job:{job_id}", "status"
    )
    assert status == b"finished", status
