"""The public territory actions: autocomplete and show.

They are registered by the ``territoire`` plugin (config/test.ini).
"""

from __future__ import annotations

import pytest

import ckan.logic as logic
import ckan.plugins.toolkit as tk
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("cog")


def anonymous(action: str, **data_dict):
    context = {"user": "", "ignore_auth": False}
    return logic.get_action(action)(context, data_dict)


def test_autocomplete():
    result = call_action("territoire_territory_autocomplete", q="st etienne")
    assert result[0] == {
        "code": "commune:42218",
        "level": "commune",
        "level_label": "Commune",
        "insee": "42218",
        "name": "Saint-Étienne",
        "label": "Saint-Étienne (42)",
    }
    assert len(result) == 10


def test_autocomplete_level_and_limit():
    result = call_action(
        "territoire_territory_autocomplete", q="strasbourg", level="epci", limit="5"
    )
    assert [r["code"] for r in result] == ["epci:246700488"]
    assert len(call_action("territoire_territory_autocomplete", q="s", limit=3)) == 3
    # Above the maximum: clamped, like CKAN's own search limits.
    assert len(call_action("territoire_territory_autocomplete", q="s", limit=500)) == 50
    codes = call_action("territoire_territory_autocomplete", q="67")
    assert codes[0]["code"] == "departement:67"
    assert codes[0]["label"] == "Bas-Rhin (67)"


def test_autocomplete_anonymous():
    result = anonymous("territoire_territory_autocomplete", q="epinal")
    assert result[0]["code"] == "commune:88160"
    assert result[0]["label"] == "Épinal (88)"


@pytest.mark.parametrize(
    ("data_dict", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "paris", "level": "canton"}, "level"),
        ({"q": "paris", "limit": "beaucoup"}, "limit"),
        ({"q": "paris", "limit": 0}, "limit"),
        ({"q": "paris", "limit": -3}, "limit"),
    ],
)
def test_autocomplete_validation(data_dict, field):
    with pytest.raises(tk.ValidationError) as error:
        call_action("territoire_territory_autocomplete", **data_dict)
    assert list(error.value.error_dict) == [field]


def test_show():
    result = call_action("territoire_territory_show", id="commune:67482")
    assert result["code"] == "commune:67482"
    assert result["name"] == "Strasbourg" and result["label"] == "Strasbourg (67)"
    assert result["level"] == "commune" and result["insee"] == "67482"
    assert result["parents"] == [
        {"code": "epci:246700488", "label": "Eurométropole de Strasbourg"},
        {"code": "departement:67", "label": "Bas-Rhin (67)"},
        {"code": "region:44", "label": "Grand Est"},
        {"code": "pays:fr", "label": "France"},
    ]
    assert "replaced" not in result
    france = call_action("territoire_territory_show", id="pays:fr")
    assert france["label"] == "France" and france["parents"] == []


def test_show_former_code():
    result = anonymous("territoire_territory_show", id="commune:01340")
    assert result["code"] == "commune:01015"
    assert result["name"] == "Arboys en Bugey"
    assert result["replaced"] == "commune:01340"


def test_show_anonymous_corsica():
    result = anonymous("territoire_territory_show", id="commune:2A004")
    assert result["label"] == "Ajaccio (2A)"
    assert {"code": "departement:2A", "label": "Corse-du-Sud (2A)"} in result["parents"]


@pytest.mark.parametrize(
    "code", ["commune:00000", "67482", "canton:6701", "Strasbourg"]
)
def test_show_not_found(code):
    with pytest.raises(tk.ObjectNotFound) as error:
        call_action("territoire_territory_show", id=code)
    assert "Territoire introuvable" in str(error.value)


def test_show_validation():
    with pytest.raises(tk.ValidationError) as error:
        call_action("territoire_territory_show")
    assert list(error.value.error_dict) == ["id"]


def test_auth_allows_anonymous():
    for action in ("territoire_territory_autocomplete", "territoire_territory_show"):
        assert tk.check_access(action, {"user": ""}, {}) is True


def test_api_get(app):
    response = app.get(
        "/api/3/action/territoire_territory_autocomplete",
        query_string={"q": "strasbourg", "limit": 2},
    )
    assert response.status_code == 200
    assert [r["code"] for r in response.json["result"]] == [
        "commune:67482",
        "epci:246700488",
    ]
    response = app.get(
        "/api/3/action/territoire_territory_show",
        query_string={"id": "commune:00000"},
    )
    assert response.status_code == 404


def test_a_postal_code_offers_the_communes_it_serves():
    # 67000 is Strasbourg's; 67190 serves seven communes, Mutzig the largest
    (first, *_rest) = anonymous("territoire_territory_autocomplete", q="67000")
    assert first["code"] == "commune:67482"
    served = anonymous("territoire_territory_autocomplete", q="67190", limit=20)
    codes = [t["code"] for t in served]
    # 67190 is also an INSEE code (Hengwiller): that commune first, as for
    # every code; then those the postal code serves
    assert codes[0] == "commune:67190", codes
    codes = codes[1:]
    assert codes[0] == "commune:67313", codes  # Mutzig
    assert {
        "commune:67098",
        "commune:67167",
        "commune:67168",
        "commune:67188",
        "commune:67299",
        "commune:67480",
    } <= set(codes)
    # communes only, most populous first
    populations = [
        anonymous("territoire_territory_show", id=code)["population"]
        for code in codes[:7]
    ]
    assert populations == sorted(populations, reverse=True)
    # an unknown postal code finds nothing, and is no error
    assert anonymous("territoire_territory_autocomplete", q="99999") == []


def test_show_gives_a_commune_its_postal_codes():
    shown = anonymous("territoire_territory_show", id="commune:67482")
    assert {"67000", "67100", "67200"} <= set(shown["postal_codes"])
    assert "postal_codes" not in anonymous(
        "territoire_territory_show", id="departement:67"
    )


def test_a_postal_code_given_as_a_territory_code_is_explained(app):
    # the API's territorial filters take INSEE codes; a postal code gets an
    # error that names the communes to use instead
    res = app.get(
        "/api/3/action/package_search",
        query_string={"ext_concerne": "67000"},
        headers={"Accept-Language": "fr"},
    )
    assert res.status_code == 409
    message = res.json["error"]["ext_concerne"][0]
    assert "« 67000 » est un code postal" in message
    assert "Strasbourg (67) : 67482" in message
