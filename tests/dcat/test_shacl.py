"""The DCAT-AP export against the official DCAT-AP 3.0.1 SHACL shapes.

The mandatory shapes, the range shapes, the controlled-vocabulary shapes and
the deprecated-URI shapes must report no violation for a representative
catalogue; the recommended shapes are printed as warnings. The EU vocabulary
dumps are the background knowledge (pyshacl's ``ont_graph``), as the EU
validator loads them.
"""

from __future__ import annotations

import time

import pytest
import rdflib
from pyshacl import validate
from rdflib.namespace import RDF, SH

from ckan.tests.helpers import call_action

from ckanext.dcat.processors import RDFSerializer

from .conftest import shared_dir

pytestmark = pytest.mark.usefixtures("clean_db", "cog")

SHAPE_FILES = (
    "shapes.ttl",
    "range.ttl",
    "mdr-vocabularies.shape.ttl",
    "deprecateduris.ttl",
)
VOCABULARY_FILES = ("data-theme-skos.rdf", "filetypes-skos.rdf", "licences-skos.rdf")


def _load(paths) -> rdflib.Graph:
    g = rdflib.Graph()
    for path in paths:
        g.parse(path, format="turtle" if path.suffix == ".ttl" else "xml")
    return g


@pytest.fixture(scope="module")
def shapes() -> tuple[rdflib.Graph, rdflib.Graph, rdflib.Graph]:
    base = shared_dir()
    dcat_ap = base / "dcat-ap" / "3.0.1"
    mandatory = _load(dcat_ap / name for name in SHAPE_FILES)
    recommended = _load([dcat_ap / "shapes_recommended.ttl"])
    vocabularies = _load(base / "eu-vocabularies" / name for name in VOCABULARY_FILES)
    return mandatory, recommended, vocabularies


def _results(report: rdflib.Graph, severity) -> list[str]:
    out = []
    # top-level results only: nested ones (sh:detail) explain them
    for result in report.objects(None, SH.result):
        if report.value(result, SH.resultSeverity) != severity:
            continue
        out.append(
            " | ".join(
                str(report.value(result, p))
                for p in (SH.focusNode, SH.resultPath, SH.resultMessage, SH.sourceShape)
            )
        )
    return sorted(out)


def test_catalogue_passes_the_dcat_ap_3_shapes(dcat_catalogue, shapes):
    mandatory, recommended, vocabularies = shapes
    datasets = [
        call_action("package_show", id=d["id"]) for d in dcat_catalogue.values()
    ]
    serializer = RDFSerializer()
    serializer.serialize_catalog({}, dataset_dicts=datasets)
    data = rdflib.Graph().parse(
        data=serializer.g.serialize(format="turtle"), format="turtle"
    )
    assert len(
        set(data.subjects(RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#Dataset")))
    ) == len(datasets)

    started = time.monotonic()
    _, report, _ = validate(
        data,
        shacl_graph=mandatory,
        ont_graph=vocabularies,
        inference="none",
        advanced=True,
    )
    violations = _results(report, SH.Violation)
    warnings = _results(report, SH.Warning)
    _, rec_report, _ = validate(
        data,
        shacl_graph=recommended,
        ont_graph=vocabularies,
        inference="none",
        advanced=True,
    )
    recommendations = _results(rec_report, SH.Violation) + _results(
        rec_report, SH.Warning
    )
    print(f"\nSHACL: {time.monotonic() - started:.1f} s")
    for line in warnings:
        print("warning:", line)
    for line in recommendations:
        print("recommended:", line)
    assert violations == [], "\n".join(violations)
