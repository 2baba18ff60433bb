"""The OpenAPI description (/api/openapi.json|yaml): valid, complete, typed."""

from __future__ import annotations

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from ckanext.territoire.api import docstrings, openapi

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture
def spec(app) -> dict:
    openapi.clear_cache()
    response = app.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json


def _operation(spec: dict, action: str) -> tuple[str, dict]:
    ((method, op),) = spec["paths"][f"/api/3/action/{action}"].items()
    return method, op


def _params(op: dict) -> dict[str, dict]:
    return {p["name"]: p for p in op.get("parameters", [])}


def test_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_the_validator_does_fail_on_a_broken_description(spec):
    spec["paths"]["/api/3/action/package_show"]["get"]["responses"] = "oops"
    with pytest.raises(OpenAPIValidationError):
        validate(spec)


def test_every_registered_action_is_described(spec):
    registered = openapi.registered_actions()
    reads = {n for n, fn in registered.items() if openapi.is_read(fn)}
    # the kinds the issue names are really there (not an empty registry)
    assert {
        "package_show",
        "package_search",
        "organization_list",
        "status_show",
        "tag_autocomplete",
        "territoire_territory_autocomplete",
        "territoire_territory_show",
        "harvest_source_list",
        "datastore_search",
        "datastore_search_sql",
    } <= reads
    missing_reads = {
        n for n in reads if "get" not in spec["paths"].get(f"/api/3/action/{n}", {})
    }
    assert not missing_reads
    writes = set(registered) - reads
    assert {"package_create", "package_patch", "resource_create"} <= writes
    missing_writes = {
        n for n in writes if "post" not in spec["paths"].get(f"/api/3/action/{n}", {})
    }
    assert not missing_writes


def test_an_action_added_by_a_plugin_appears(app, ckan_config, monkeypatch):
    import ckan.logic as logic

    @logic.side_effect_free
    def territoire_test_probe(context, data_dict):
        """A probe.

        :param colour: the colour
        :type colour: string
        :param count: how many
        :type count: int
        """

    openapi.registered_actions()
    monkeypatch.setitem(logic._actions, "territoire_test_probe", territoire_test_probe)
    openapi.clear_cache()
    spec = app.get("/api/openapi.json").json
    _method, op = _operation(spec, "territoire_test_probe")
    params = _params(op)
    assert params["colour"]["schema"] == {"type": "string"}
    assert params["count"]["schema"] == {"type": "integer"}
    assert params["count"]["description"] == "how many"


def test_reads_are_get_writes_post_with_the_token(spec):
    method, op = _operation(spec, "package_show")
    assert method == "get"
    assert {} in op["security"]
    method, op = _operation(spec, "package_create")
    assert method == "post"
    assert op["security"] == [{"ApiToken": []}]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DatasetInput"
    }
    scheme = spec["components"]["securitySchemes"]["ApiToken"]
    assert scheme == {
        **scheme,
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
    }


def test_parameters_from_the_validation_schema_and_docstring(spec):
    _m, op = _operation(spec, "package_search")
    params = _params(op)
    assert params["rows"]["schema"]["type"] == "integer"
    assert params["rows"]["schema"]["minimum"] == 0
    assert params["rows"]["schema"]["maximum"] == 1000
    assert params["start"]["schema"]["type"] == "integer"
    # a list travels as JSON in a URL
    assert params["facet.field"]["schema"] == {"type": "string"}
    assert params["include_private"]["schema"]["type"] == "boolean"
    assert "fq" in params and params["fq"]["description"]
    assert "67482" in params["ext_concerne"]["schema"]["examples"]
    assert "ext_territoire" in params

    _m, op = _operation(spec, "territoire_territory_autocomplete")
    params = _params(op)
    assert params["q"]["required"] is True
    assert params["q"]["schema"]["minLength"] == 1
    assert params["level"]["schema"]["enum"] == [
        "pays",
        "region",
        "departement",
        "epci",
        "commune",
    ]
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 50}


def test_enums_from_the_code_lists(spec):
    dataset = spec["components"]["schemas"]["DatasetInput"]["properties"]
    assert "TRAN" in dataset["themes"]["items"]["enum"]
    assert "ENVI" in dataset["themes"]["items"]["enum"]
    assert "ANNUAL" in dataset["frequency"]["enum"]
    assert "etalab-2.0" in dataset["license_id"]["enum"]
    assert dataset["territories"]["type"] == "array"
    org = spec["components"]["schemas"]["OrganizationInput"]["properties"]
    assert {"region", "commune", "epci"} <= set(org["kind"]["enum"])
    required = spec["components"]["schemas"]["DatasetInput"]["required"]
    assert {"name", "title", "notes", "territories"} <= set(required)


def test_response_schemas(spec):
    _m, op = _operation(spec, "package_search")
    ok = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["properties"]["result"] == {"$ref": "#/components/schemas/SearchResult"}
    assert op["responses"]["429"] == {"$ref": "#/components/responses/429"}
    error = spec["components"]["responses"]["429"]
    assert "Retry-After" in error["headers"]
    _m, op = _operation(spec, "territoire_territory_show")
    ok = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["properties"]["result"] == {
        "$ref": "#/components/schemas/TerritoryDetail"
    }


def test_french_by_default_english_on_request(app):
    openapi.clear_cache()
    fr = app.get("/api/openapi.json").json
    en = app.get("/api/openapi.json?lang=en").json
    _m, op_fr = _operation(fr, "package_search")
    _m, op_en = _operation(en, "package_search")
    assert op_fr["summary"].startswith("Rechercher des jeux de données")
    assert op_en["summary"].startswith("Search datasets")
    prefixed = app.get("/en/api/openapi.json").json
    assert _operation(prefixed, "package_search")[1]["summary"] == op_en["summary"]


def test_yaml_is_the_same_description(app, spec):
    response = app.get("/api/openapi.yaml")
    assert response.headers["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(response.get_data(as_text=True)) == spec


def test_docstring_of_a_chained_action_is_the_original():
    from ckan.plugins import toolkit as tk

    doc = docstrings.parse(tk.get_action("package_search"))
    assert "fq" in doc.params and "rows" in doc.params
    assert doc.params["rows"].type.startswith("int")


def test_the_dump_documents_its_503(app):
    # by design while the full dump is made again: the fuzzer accepts it
    # only because it is documented, with its Retry-After
    spec = app.get("/api/openapi.json").json
    for ext in ("ttl", "rdf"):
        answers = spec["paths"][f"/catalog/dump.{ext}"]["get"]["responses"]
        assert "Retry-After" in answers["503"]["headers"]
