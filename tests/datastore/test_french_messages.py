"""What ckanext-xloader says on a resource's DataStore page, in French.

xloader's views hand English strings to CKAN's gettext; our catalogue
translates them (datastore/xloader_messages.py) and our template replaces
its confirmation page (templates/xloader/).
"""

from __future__ import annotations

import os
from html import unescape
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir

from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.territoire.datastore import xloader_messages

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_datastore")


@pytest.fixture
def loaded(files_server: str, run_jobs: Any) -> dict[str, Any]:
    editor = factories.User()
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = factories.Dataset(owner_org=org["id"])
    resource = factories.Resource(
        package_id=dataset["id"],
        url=f"{files_server}/deliberations_cp1252.csv",
        format="CSV",
    )
    run_jobs()
    return {
        "dataset": dataset["name"],
        "dataset_id": dataset["id"],
        "resource": resource["id"],
        "headers": {"Authorization": factories.APIToken(user=editor["name"])["token"]},
    }


def test_the_messages_are_xloaders_own():
    """Our catalogue can only translate xloader's exact text."""
    import ckanext.xloader

    upstream = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            os.path.dirname(ckanext.xloader.__file__),
            [("**/tests/**", "ignore"), ("**.py", "python")],
            keywords={"_": None},
        )
    }
    assert set(xloader_messages.MESSAGES) <= upstream


def test_deleting_the_table_says_so_in_french(app, loaded):
    # xloader's delete view wants the dataset's id, not its name
    url = f"/dataset/{loaded['dataset_id']}/delete-datastore/{loaded['resource']}"
    # without JavaScript, xloader's confirmation page, in our words
    page = unescape(app.get(url, headers=loaded["headers"]).get_data(as_text=True))
    assert "Supprimer la table du DataStore et son dictionnaire de données ?" in page
    assert "Are you sure" not in page
    assert "Annuler" in page
    answer = app.post(url, headers=loaded["headers"], follow_redirects=True)
    html = unescape(answer.get_data(as_text=True))
    assert (
        "Table du DataStore et dictionnaire de données supprimés pour la "
        f"ressource {loaded['resource']}" in html
    )
    assert "deleted for resource" not in html
    assert (
        call_action("resource_show", id=loaded["resource"])["datastore_active"] is False
    )


@pytest.mark.ckan_config(
    "ckanext.xloader.validation.requires_successful_report", "true"
)
def test_a_reload_before_validation_says_why_in_french(app, loaded):
    url = f"/dataset/{loaded['dataset']}/resource_data/{loaded['resource']}"
    answer = app.post(url, headers=loaded["headers"], follow_redirects=True)
    html = unescape(answer.get_data(as_text=True))
    assert (
        f"Le fichier de la ressource {loaded['resource']} n'est pas chargé dans le "
        "DataStore : sa validation par rapport à son schéma n'a pas encore réussi."
    ) in html
    assert "did not pass validation" not in html
