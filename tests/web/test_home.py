"""The French home page lists the latest datasets."""

from __future__ import annotations

import pytest

from ckan.tests import factories


@pytest.mark.usefixtures("clean_db")
def test_home_page_is_french_and_lists_latest_datasets(app):
    org = factories.Organization()
    factories.Dataset(title="Arrêts de tram", owner_org=org["id"])
    body = app.get("/").body
    assert '<html lang="fr"' in body
    assert "Derniers jeux de données publiés" in body
    assert "Arrêts de tram" in body
