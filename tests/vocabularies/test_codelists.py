"""One source of truth: the schema, the harvesters and the DCAT export read the
code lists of ``schemas/codelists/`` and nothing else."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.dcat.processors import RDFSerializer
from ckanext.dcat.profiles.base import DCAT, DCT
from ckanext.dcat.utils import dataset_uri
from ckanext.scheming.helpers import (
    scheming_field_choices,
    scheming_get_dataset_schema,
)

from ckanext.territoire.logic.facets import choice_labels
from ckanext.territoire.vocabularies import codelists, free_text, partners

from ..conftest import REPO_ROOT

CODELISTS = REPO_ROOT / "schemas" / "codelists"
FIELDS = {"frequency": codelists.FREQUENCIES, "themes": codelists.THEMES}


def _json(name: str) -> Any:
    return json.loads((CODELISTS / f"{name}.json").read_text(encoding="utf-8"))


def _field(name: str) -> dict[str, Any]:
    schema = scheming_get_dataset_schema("dataset")
    return next(f for f in schema["dataset_fields"] if f["field_name"] == name)


def _graph(dataset: dict[str, Any]) -> tuple[Any, URIRef]:
    shown = call_action("package_show", id=dataset["id"])
    serializer = RDFSerializer()
    serializer.graph_from_dataset(shown)
    return serializer.g, URIRef(dataset_uri(shown))


@pytest.fixture
def org() -> dict[str, Any]:
    return factories.Organization(kind="association")


@pytest.mark.parametrize("field_name", sorted(FIELDS))
def test_schema_choices_are_the_code_list(field_name):
    doc = _json(FIELDS[field_name])
    field = _field(field_name)
    assert "choices" not in field  # nowhere else to drift from
    choices = scheming_field_choices(field)
    assert [c["value"] for c in choices] == list(doc["concepts"])
    assert codelists.codes(FIELDS[field_name]) == tuple(doc["concepts"])
    form_labels = doc.get("choice_labels", {})
    assert {c["value"]: c["label"] for c in choices} == {
        code: form_labels.get(code, labels) for code, labels in doc["concepts"].items()
    }
    index_field = "vocab_" + field_name
    assert choice_labels(index_field) == {c["value"]: c["label"] for c in choices}


def test_form_labels_and_eu_labels_are_both_kept():
    choices = {c["value"]: c["label"] for c in codelists.choices("eu-frequencies")}
    assert choices["DAILY"] == {"fr": "Quotidienne", "en": "Daily"}
    assert choices["NEVER"] == {
        "fr": "Ponctuelle (pas de mise à jour)",
        "en": "Never (one-off)",
    }
    assert codelists.frequency("DAILY").labels == {"en": "daily", "fr": "quotidien"}


@pytest.mark.usefixtures("clean_db")
def test_dcat_export_writes_the_code_list_concepts(org):
    frequencies, themes = _json("eu-frequencies"), _json("eu-data-themes")
    dataset = factories.Dataset(
        owner_org=org["id"],
        territories=["pays:fr"],
        frequency="DAILY",
        themes=["TRAN", "ENVI"],
    )
    g, ref = _graph(dataset)
    daily = URIRef(frequencies["scheme"] + "/DAILY")
    assert list(g.objects(ref, DCT.accrualPeriodicity)) == [daily]
    assert set(g.objects(daily, SKOS.prefLabel)) == {
        Literal(text, lang=lang)
        for lang, text in frequencies["concepts"]["DAILY"].items()
    }
    assert set(g.objects(ref, DCAT.theme)) == {
        URIRef(themes["scheme"] + "/TRAN"),
        URIRef(themes["scheme"] + "/ENVI"),
    }


def test_every_partner_value_maps_to_a_code_of_the_lists():
    frequencies = set(_json("eu-frequencies")["concepts"])
    themes = set(_json("eu-data-themes")["concepts"])
    licences = {row["id"] for row in _json("licenses")}
    granularities = {c["value"] for c in scheming_field_choices(_field("granularity"))}

    assert set(partners.UDATA_FREQUENCIES.values()) <= frequencies
    assert set(partners.SCDL_FREQUENCIES.values()) - {None} <= frequencies
    assert set(free_text.FREQUENCY_WORDS.values()) <= frequencies
    assert set(free_text.DURATIONS.values()) <= frequencies
    assert set(free_text.THEME_WORDS.values()) <= themes
    assert {c for codes in free_text.ODS_THEMES.values() for c in codes} <= themes
    assert set(free_text.THEME_STEMS) <= themes
    for table in (
        partners.UDATA_LICENSES,
        partners.CKAN_LICENSE_IDS,
        partners.SCDL_LICENCES,
    ):
        assert set(table.values()) <= licences
    assert set(_json("eu-licences")["licences"]) <= licences
    assert codelists.license_ids() == tuple(row["id"] for row in _json("licenses"))
    for table in (
        partners.UDATA_GRANULARITIES,
        partners.SCDL_GRANULARITIES,
        free_text.GRANULARITY_WORDS,
    ):
        assert set(table.values()) <= granularities


@pytest.mark.usefixtures("clean_db")
def test_a_code_list_change_reaches_the_schema_the_harvesters_and_dcat(
    org, monkeypatch
):
    with pytest.raises(tk.ValidationError) as refused:
        factories.Dataset(
            owner_org=org["id"], territories=["pays:fr"], frequency="TRIENNIAL"
        )
    assert list(refused.value.error_dict) == ["frequency"]
    _with_triennial(monkeypatch)
    labels = {"fr": "Triennale", "en": "Triennial"}
    choices = scheming_field_choices(_field("frequency"))
    assert {"value": "TRIENNIAL", "label": labels} in choices
    assert choice_labels("vocab_frequency")["TRIENNIAL"] == labels
    uri = "http://publications.europa.eu/resource/authority/frequency/TRIENNIAL"
    assert free_text.frequency_code(uri) == "TRIENNIAL"

    dataset = factories.Dataset(
        owner_org=org["id"], territories=["pays:fr"], frequency="TRIENNIAL"
    )
    assert dataset["frequency"] == "TRIENNIAL"
    g, ref = _graph(dataset)
    assert list(g.objects(ref, DCT.accrualPeriodicity)) == [URIRef(uri)]
    assert Literal("triennal", lang="fr") in set(g.objects(URIRef(uri), SKOS.prefLabel))


def _with_triennial(monkeypatch: pytest.MonkeyPatch) -> None:
    """The frequency list with one more concept, as if its JSON had it."""
    original = codelists.read

    def read(name: str) -> Any:
        doc = original(name)
        if name != codelists.FREQUENCIES:
            return doc
        doc = copy.deepcopy(doc)
        doc["concepts"]["TRIENNIAL"] = {"en": "triennial", "fr": "triennal"}
        doc["choice_labels"]["TRIENNIAL"] = {"fr": "Triennale", "en": "Triennial"}
        return doc

    monkeypatch.setattr(codelists, "read", read)


def test_the_schema_api_lists_the_code_list_choices(app):
    """An API client reads the choices of every field, code lists included."""
    response = app.get(
        "/api/3/action/scheming_dataset_schema_show", query_string={"type": "dataset"}
    )
    fields = {f["field_name"]: f for f in response.json["result"]["dataset_fields"]}
    for name, codelist in FIELDS.items():
        assert fields[name]["choices"] == codelists.choices(codelist), name
    # the cached schema scheming serves its own pages from is left as it was
    assert "choices" not in _field("frequency")
