"""Uploads through the API and the form (issue 17, part 1): stored under the
storage path, served with their content type, limited in size with a French
error, and never half-written."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest

from ckan.common import config
from ckan.tests import factories, helpers

from .conftest import DATA, status

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_datastore")


@pytest.fixture
def editor_dataset() -> tuple[dict[str, Any], str]:
    editor = factories.User()
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = factories.Dataset(owner_org=org["id"])
    token = factories.APIToken(user=editor["name"])["token"]
    return dataset, token


def _stored_files() -> list[Path]:
    root = Path(config["ckan.storage_path"]) / "resources"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_an_api_upload_is_stored_served_and_loaded(app, editor_dataset, run_jobs):
    dataset, token = editor_dataset
    body = (DATA / "deliberations_cp1252.csv").read_bytes()
    res = app.post(
        "/api/3/action/resource_create",
        data={
            "package_id": dataset["id"],
            "name": "Délibérations 2024",
            "upload": (io.BytesIO(body), "deliberations.csv"),
        },
        headers={"Authorization": token},
        content_type="multipart/form-data",
    )
    assert res.status_code == 200, res.body
    resource = res.json["result"]
    assert resource["url_type"] == "upload"
    assert resource["format"].upper() == "CSV"
    stored = Path(config["ckan.storage_path"]) / "resources"
    assert any(p.read_bytes() == body for p in stored.rglob("*") if p.is_file())
    served = app.get(
        f"/dataset/{dataset['id']}/resource/{resource['id']}/download/deliberations.csv"
    )
    assert served.status_code == 200
    assert served.headers["Content-Type"].startswith("text/csv")
    assert served.get_data() == body
    run_jobs()
    assert status(resource["id"])["status"] == "complete"
    result = helpers.call_action("datastore_search", resource_id=resource["id"])
    assert result["total"] == 3


@pytest.mark.ckan_config("ckan.max_resource_size", 1)
def test_an_api_upload_over_the_limit_is_refused_in_french(app, editor_dataset):
    dataset, token = editor_dataset
    before = _stored_files()
    res = app.post(
        "/api/3/action/resource_create",
        data={
            "package_id": dataset["id"],
            "upload": (io.BytesIO(b"a;b\n" + b"1;2\n" * 400_000), "gros.csv"),
        },
        headers={"Authorization": token},
        content_type="multipart/form-data",
    )
    assert res.status_code == 409
    message = res.json["error"]["upload"][0]
    assert "dépasse la taille maximale de dépôt (1 Mo)" in message
    # nothing half-written: no resource, no file
    assert helpers.call_action("package_show", id=dataset["id"])["resources"] == []
    assert _stored_files() == before


@pytest.mark.ckan_config("ckan.max_resource_size", 1)
def test_a_form_upload_over_the_limit_is_refused_in_french(app, editor_dataset):
    dataset, token = editor_dataset
    before = _stored_files()
    res = app.post(
        f"/dataset/{dataset['name']}/resource/new",
        data={
            "name": "Gros fichier",
            "upload": (io.BytesIO(b"a;b\n" + b"1;2\n" * 400_000), "gros.csv"),
            "url": "",
            "save": "go-metadata",
            "id": "",
        },
        headers={"Authorization": token},
        content_type="multipart/form-data",
    )
    assert res.status_code in (200, 409, 413)
    assert "dépasse la taille maximale de dépôt (1 Mo)" in res.body
    assert helpers.call_action("package_show", id=dataset["id"])["resources"] == []
    assert _stored_files() == before


def test_storage_path_is_under_var():
    root = Path(__file__).resolve().parents[2] / "var"
    assert os.path.realpath(config["ckan.storage_path"]).startswith(str(root))
