"""Search inputs a careless client sends answer 4xx, never 5xx.

Each case once answered 500 (audit, issue 16, finding 4).
"""

from __future__ import annotations

import pytest

from ckan.tests import factories

pytestmark = pytest.mark.usefixtures("clean_db", "cog")


@pytest.fixture
def org():
    return factories.Organization(name="ville-test", kind="commune", cog_code="67482")


@pytest.mark.parametrize("param", ["ext_territoire", "ext_concerne"])
@pytest.mark.parametrize("value", ["99999", "departement:999", "pas-un-code"])
def test_an_unknown_territory_on_the_search_page_is_a_400(app, param, value):
    response = app.get("/dataset/", query_string={param: value}, status=400)
    assert value in response.get_data(as_text=True)


@pytest.mark.parametrize("param", ["ext_territoire", "ext_concerne"])
def test_an_unknown_territory_on_an_organisation_page_is_no_500(app, org, param):
    response = app.get(
        f"/organization/{org['name']}", query_string={param: "99999"}, status=200
    )
    assert "99999" in response.get_data(as_text=True) or "erreur" in (
        response.get_data(as_text=True).lower()
    )


@pytest.mark.parametrize("param", ["ext_territoire", "ext_concerne"])
def test_an_unknown_territory_in_the_api_is_a_409_naming_it(app, param):
    response = app.get(
        "/api/3/action/package_search", query_string={param: "99999"}, status=409
    )
    error = response.json["error"]
    assert "99999" in error[param][0]


@pytest.mark.parametrize(
    "fq",
    [
        "metadata_modified:[NOW-1000000YEARS TO NOW]",
        "metadata_modified:[* TO NOW+1000000YEARS]",
        "metadata_created:[NOW-20000YEARS/DAY TO *]",
        'metadata_modified:"NOW-9999999DAYS"',
    ],
)
def test_dates_beyond_the_calendar_are_bounds_not_errors(app, org, fq):
    factories.Dataset(title="Arrêts de tram", owner_org=org["id"])
    response = app.get(
        "/api/3/action/package_search", query_string={"fq": fq}, status=200
    )
    expected = 0 if fq.startswith('metadata_modified:"') else 1
    assert response.json["result"]["count"] == expected


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a\x00b"},
        {"fq": "tags:a\x00b"},
        {"q": "x", "sort": "title_string\x00 asc"},
    ],
    ids=["q", "fq", "sort"],
)
def test_a_nul_character_is_a_409_naming_the_parameter(app, params):
    response = app.get("/api/3/action/package_search", query_string=params, status=409)
    error = response.json["error"]
    (param,) = [k for k in params if "\x00" in params[k]]
    assert param in error, error


def test_a_nul_character_on_the_search_page_is_a_400(app):
    app.get("/dataset/", query_string={"q": "a\x00b"}, status=400)
