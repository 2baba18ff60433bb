"""Bad files and bad links: a clear French error, nothing else changes, the
worker goes on (issue 17, part 6)."""

from __future__ import annotations

from typing import Any

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from .conftest import status

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_datastore")


def _load(url: str, org: dict[str, Any], run_jobs: Any, fmt: str = "CSV") -> tuple:
    dataset = factories.Dataset(owner_org=org["id"])
    res = factories.Resource(package_id=dataset["id"], url=url, format=fmt)
    before = helpers.call_action("package_show", id=dataset["id"])
    run_jobs()
    after = helpers.call_action("package_show", id=dataset["id"])
    return res, status(res["id"]), before, after


def _unchanged(before: dict[str, Any], after: dict[str, Any]) -> None:
    for key in ("title", "notes", "metadata_modified", "private", "state"):
        assert before[key] == after[key], key
    assert [r["url"] for r in before["resources"]] == [
        r["url"] for r in after["resources"]
    ]
    assert not any(r.get("datastore_active") for r in after["resources"])


@pytest.mark.parametrize(
    "path,expected",
    [
        ("/malforme.csv", "Ligne 3 : 4 valeurs pour 2 colonnes"),
        ("/image.csv", "contenu binaire"),
        ("/vide.csv", "vide (0 octet)"),
        ("/absent.csv", "a répondu « 404"),
        ("/erreur.csv", "a répondu « 500"),
        ("/page.csv", "page HTML"),
    ],
)
def test_each_bad_file_gets_a_clear_french_error(
    path, expected, files_server, routes, run_jobs, org_and_editor
):
    routes["/erreur.csv"] = (500, "text/plain", b"boom")
    routes["/page.csv"] = (
        200,
        "text/html",
        b"<!DOCTYPE html><html><body>Maintenance</body></html>",
    )
    org, _ = org_and_editor
    res, st, before, after = _load(files_server + path, org, run_jobs)
    assert st["status"] == "error"
    message = st["error"]["message"]
    assert expected in message, message
    # French first, the English translation on the next line
    assert "\n" in message
    _unchanged(before, after)
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("datastore_search", resource_id=res["id"])


def test_an_xlsx_with_merged_header_cells_is_refused(
    files_server, routes, run_jobs, org_and_editor, tmp_path
):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Budget 2024", None, "Commune"])
    sheet.merge_cells("A1:B1")
    sheet.append([12, 13, "Sélestat"])
    path = tmp_path / "fusion.xlsx"
    book.save(path)
    routes["/fusion.xlsx"] = (200, "application/octet-stream", path.read_bytes())
    org, _ = org_and_editor
    _res, st, before, after = _load(
        files_server + "/fusion.xlsx", org, run_jobs, fmt="XLSX"
    )
    assert st["status"] == "error"
    assert "La colonne 2 n'a pas de nom" in st["error"]["message"]
    _unchanged(before, after)


@pytest.mark.ckan_config("ckanext.territoire.datastore.max_size", 100)
def test_a_file_over_the_datastore_limit_is_not_loaded(
    files_server, run_jobs, org_and_editor
):
    org, _ = org_and_editor
    _res, st, before, after = _load(
        files_server + "/deliberations_cp1252.csv", org, run_jobs
    )
    assert st["status"] == "error"
    assert "ckanext.territoire.datastore.max_size" in st["error"]["message"]
    _unchanged(before, after)


# the allow-list of the tests (127.0.0.1) replaced by an unrelated network
@pytest.mark.ckan_config("ckanext.territoire.harvest.allowed_networks", "192.0.2.1/32")
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/donnees.csv",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/interne.csv",
        "http://[::1]/donnees.csv",
    ],
)
def test_links_to_internal_addresses_are_not_fetched(url, run_jobs, org_and_editor):
    org, _ = org_and_editor
    _res, st, before, after = _load(url, org, run_jobs)
    assert st["status"] == "error"
    assert "adresse interne" in st["error"]["message"], st["error"]
    _unchanged(before, after)


def test_a_redirect_to_an_internal_address_is_not_followed(
    files_server, routes, run_jobs, org_and_editor, ckan_config, monkeypatch
):
    # the test server itself is allowed; what it redirects to is not
    monkeypatch.setitem(
        ckan_config, "ckanext.territoire.harvest.allowed_networks", "127.0.0.1/32"
    )
    routes["/redirection.csv"] = (302, "text/plain", b"")
    org, _ = org_and_editor

    class _Redirect:
        pass

    from . import conftest

    original = conftest._Handler.do_GET

    def do_get(self: Any) -> None:
        if self.path.startswith("/redirection.csv"):
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        original(self)

    monkeypatch.setattr(conftest._Handler, "do_GET", do_get)
    _res, st, _before, _after = _load(files_server + "/redirection.csv", org, run_jobs)
    assert st["status"] == "error"
    assert "169.254.169.254" in st["error"]["message"]


def test_the_worker_goes_on_after_a_bad_file(files_server, run_jobs, org_and_editor):
    org, _ = org_and_editor
    dataset = factories.Dataset(owner_org=org["id"])
    bad = factories.Resource(
        package_id=dataset["id"], url=files_server + "/image.csv", format="CSV"
    )
    good = factories.Resource(
        package_id=dataset["id"],
        url=files_server + "/deliberations_cp1252.csv",
        format="CSV",
    )
    run_jobs()  # one worker run, both jobs
    assert status(bad["id"])["status"] == "error"
    assert status(good["id"])["status"] == "complete"
    assert helpers.call_action("datastore_search", resource_id=good["id"])["total"] == 3
