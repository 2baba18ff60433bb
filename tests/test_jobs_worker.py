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

from .conftest import worker_ini


def test_a_background_job_runs_to_the_end(tmp_path: Path):
    ini = worker_ini(tmp_path, "territoire-jobs-test")
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
