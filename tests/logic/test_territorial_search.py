"""Territorial search: roll-up filters both ways, facets by name, other filters.

Runs on the PostgreSQL backend, and on Solr when TEST_SOLR_URL is set.
"""

from __future__ import annotations

import pytest
from tests.conftest import solr_marks

import ckan.logic as logic
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = [pytest.mark.usefixtures("clean_db", "cog"), *solr_marks()]

COVERAGE = {
    "strasbourg": ["commune:67482"],
    "eurometropole": ["epci:246700488"],
    "bas-rhin": ["departement:67"],
    "grand-est": ["region:44"],
    "colmar": ["commune:68066"],
    "france": ["pays:fr"],
    "corse-ajaccio": ["commune:2A004"],
}


@pytest.fixture
def catalogue(clean_db, cog):
    user = factories.Sysadmin()
    commune = factories.Organization(
        kind="commune", cog_code="67482", name="ville-strasbourg"
    )
    agency = factories.Organization(kind="agence", name="atmo")
    for name, territories in COVERAGE.items():
        org = commune if name == "strasbourg" else agency
        call_action(
            "package_create",
            {"user": user["name"]},
            name=name,
            title=name,
            notes="Jeu de test",
            owner_org=org["id"],
            territories=territories,
            frequency="ANNUAL" if name in ("colmar", "france") else "MONTHLY",
            themes=["TRAN"] if name == "eurometropole" else ["ENVI"],
            granularity="commune",
        )
    return user


def names(**params) -> set[str]:
    result = call_action("package_search", rows=100, **params)
    return {d["name"] for d in result["results"]}


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("departement:67", {"strasbourg", "eurometropole", "bas-rhin"}),
        ("246700488", {"strasbourg", "eurometropole"}),
        (
            "region:44",
            {"strasbourg", "eurometropole", "bas-rhin", "grand-est", "colmar"},
        ),
        ("67482", {"strasbourg"}),
        ("departement:2A", {"corse-ajaccio"}),
        ("pays:fr", set(COVERAGE)),
    ],
)
def test_territory_filter_rolls_down(code, expected):
    assert names(ext_territoire=code) == expected


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("67482", {"strasbourg", "eurometropole", "bas-rhin", "grand-est", "france"}),
        ("68066", {"colmar", "grand-est", "france"}),
        ("67447", {"eurometropole", "bas-rhin", "grand-est", "france"}),  # Schiltigheim
        ("departement:67", {"bas-rhin", "grand-est", "france"}),
        ("01340", {"france"}),  # a former code: its current commune, in the Ain
    ],
)
def test_concerne_ma_commune_rolls_up(code, expected):
    assert names(ext_concerne=code) == expected


@pytest.mark.usefixtures("catalogue")
def test_unknown_territory_in_a_filter_is_a_clear_error():
    with pytest.raises(logic.ValidationError) as e:
        names(ext_territoire="99999")
    assert "« 99999 »" in e.value.error_dict["ext_territoire"][0]


@pytest.mark.usefixtures("catalogue")
def test_other_filters_and_facets():
    assert names(fq='vocab_frequency:"ANNUAL"') == {"colmar", "france"}
    assert names(fq='vocab_themes:"TRAN"') == {"eurometropole"}
    assert names(fq='vocab_producer_kind:"commune"') == {"strasbourg"}
    assert names(fq='vocab_granularity:"commune"') == set(COVERAGE)
    result = call_action(
        "package_search",
        rows=0,
        **{"facet.field": '["vocab_territories", "vocab_themes"]'},
    )
    territories = {
        i["name"]: i["display_name"]
        for i in result["search_facets"]["vocab_territories"]["items"]
    }
    assert territories["commune:67482"] == "Strasbourg (67)"
    assert territories["epci:246700488"] == "Eurométropole de Strasbourg"
    themes = {
        i["name"]: i["display_name"]
        for i in result["search_facets"]["vocab_themes"]["items"]
    }
    assert themes["TRAN"] == "Transports"


@pytest.mark.usefixtures("catalogue")
def test_dataset_search_page_filters_and_names(app):
    resp = app.get("/dataset/", params={"ext_territoire": "departement:67"})
    for name in ("strasbourg", "eurometropole", "bas-rhin"):
        assert f'href="/dataset/{name}"' in resp.body
    assert 'href="/dataset/colmar"' not in resp.body
    assert '<span class="item-label">Strasbourg (67)</span>' in resp.body
    page = app.get("/dataset/strasbourg")
    assert "Strasbourg (67)" in page.body
    assert "Commune" in page.body
