"""End to end: the validation job enqueued by resource_create runs in the
real ``ckan jobs worker`` (a separate process, the portal's base config)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import ckan.model as model
from ckan.common import config
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ..conftest import worker_ini
from .conftest import Answer, PartnerServer, data


@pytest.mark.usefixtures("clean_validation")
def test_the_worker_validates_a_linked_file(tmp_path: Path, schemas_dir: str):
    server = PartnerServer()
    server.start()
    try:
        server.route(
            "/delib.csv",
            Answer(body=data("deliberations-invalid.csv"), content_type="text/csv"),
        )
        admin = factories.Sysadmin()
        pkg = factories.Dataset(owner_org=factories.Organization()["id"])
        res = call_action(
            "resource_create",
            {"user": admin["name"]},
            package_id=pkg["id"],
            url=f"{server.url}/delib.csv",
            schema="scdl/deliberations",
            format="CSV",
        )
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("CKAN_INI", "CKAN_SOLR_URL", "CKAN_SITE_ID", "CKAN_SITE_URL")
        }
        ckan = Path(sys.executable).with_name("ckan")
        result = subprocess.run(
            [
                str(ckan),
                "-c",
                str(
                    worker_ini(
                        tmp_path,
                        # the queue's name carries the site id: the test's one
                        config["ckan.site_id"],
                        f"ckanext.territoire.schemas.directory = {schemas_dir}",
                        "ckanext.territoire.harvest.allowed_networks = 127.0.0.1/32",
                    )
                ),
                "jobs",
                "worker",
                "--burst",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert server.hits("/delib.csv"), result.stderr[-3000:]
    finally:
        server.stop()
    model.Session.remove()
    shown = call_action("resource_validation_show", id=res["id"])
    assert shown["status"] == "failure", result.stderr[-3000:]
    assert shown["error_count"] == 5
    assert call_action("resource_show", id=res["id"])["validation_status"] == "failure"
