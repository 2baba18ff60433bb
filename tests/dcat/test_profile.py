"""The ``territoire_dcat_ap`` profile: how our schema is written in DCAT-AP 3."""

from __future__ import annotations

import json
import logging

import pytest
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.dcat.processors import RDFSerializer
from ckanext.dcat.profiles.base import (
    ADMS,
    DCAT,
    DCT,
    FOAF,
    GEOJSON_IMT,
    GSP,
    LOCN,
    VCARD,
)
from ckanext.dcat.utils import dataset_uri

from .conftest import full_dataset

pytestmark = pytest.mark.usefixtures("clean_db", "cog")

EU = "http://publications.europa.eu/resource/authority/"


def graph_of(dataset: dict) -> tuple[rdflib.Graph, URIRef]:
    shown = call_action("package_show", id=dataset["id"])
    serializer = RDFSerializer()
    serializer.graph_from_dataset(shown)
    return serializer.g, URIRef(dataset_uri(shown))


@pytest.fixture
def commune():
    return factories.Organization(
        name="ville-strasbourg",
        title="Ville de Strasbourg",
        kind="commune",
        cog_code="67482",
        siren="216704825",
        website="https://www.strasbourg.eu/",
    )


@pytest.fixture
def full(commune):
    return factories.Dataset(**full_dataset(commune))


def test_spatial_is_one_location_per_territory_with_insee_uris(full):
    g, ref = graph_of(full)
    places = {p for p in g.objects(ref, DCT.spatial) if isinstance(p, URIRef)}
    assert places == {
        URIRef("http://id.insee.fr/geo/commune/67482"),
        URIRef("http://id.insee.fr/geo/departement/67"),
        URIRef("http://id.insee.fr/geo/region/44"),
        URIRef(
            "http://test.ckan.net/api/3/action/territoire_territory_show?code=epci:246700488"
        ),
    }
    strasbourg = URIRef("http://id.insee.fr/geo/commune/67482")
    assert (strasbourg, RDF.type, DCT.Location) in g
    assert g.value(strasbourg, SKOS.prefLabel) == Literal("Strasbourg (67)", lang="fr")
    assert g.value(strasbourg, RDFS.label) == Literal("Strasbourg (67)", lang="fr")


def test_extent_is_a_location_with_box_centroid_and_geometry(full, commune):
    g, ref = graph_of(full)
    [extent] = [p for p in g.objects(ref, DCT.spatial) if isinstance(p, BNode)]
    assert (extent, RDF.type, DCT.Location) in g
    box = g.value(extent, DCAT.bbox)
    assert box.datatype == GSP.wktLiteral
    assert str(box) == (
        "POLYGON((7.68 48.49,7.84 48.49,7.84 48.65,7.68 48.65,7.68 48.49))"
    )
    assert str(g.value(extent, DCAT.centroid)) == "POINT(7.76 48.57)"
    geometry = g.value(extent, LOCN.geometry)
    assert str(geometry.datatype) == GEOJSON_IMT
    assert json.loads(geometry)["coordinates"][0][2] == [7.84, 48.65]
    # one value each, as the DCAT-AP 3 shapes want
    for predicate in (DCAT.bbox, DCAT.centroid, LOCN.geometry):
        assert len(list(g.objects(extent, predicate))) == 1

    # a point has no box; no extent, no extra place
    point = factories.Dataset(
        owner_org=commune["id"],
        territories=["67482"],
        spatial_bbox="7.75,48.58,7.75,48.58",
    )
    g, ref = graph_of(point)
    [extent] = [p for p in g.objects(ref, DCT.spatial) if isinstance(p, BNode)]
    assert g.value(extent, DCAT.bbox) is None
    assert json.loads(g.value(extent, LOCN.geometry)) == {
        "type": "Point",
        "coordinates": [7.75, 48.58],
    }
    plain = factories.Dataset(owner_org=commune["id"], territories=["67482"])
    g, ref = graph_of(plain)
    assert not [p for p in g.objects(ref, DCT.spatial) if isinstance(p, BNode)]


def test_france_is_the_eu_country_authority(commune):
    ds = factories.Dataset(owner_org=commune["id"], territories=["pays:fr"])
    g, ref = graph_of(ds)
    fra = URIRef(EU + "country/FRA")
    assert list(g.objects(ref, DCT.spatial)) == [fra]
    assert (fra, SKOS.inScheme, URIRef(EU + "country")) in g
    assert (fra, RDF.type, DCT.Location) in g


def test_vocabulary_values_are_concepts_of_their_scheme(full):
    g, ref = graph_of(full)
    themes = set(g.objects(ref, DCAT.theme))
    assert themes == {URIRef(EU + "data-theme/EDUC"), URIRef(EU + "data-theme/REGI")}
    for theme in themes:
        assert (theme, RDF.type, SKOS.Concept) in g
        assert (theme, SKOS.inScheme, URIRef(EU + "data-theme")) in g
        assert g.value(theme, SKOS.prefLabel) is not None
    freq = g.value(ref, DCT.accrualPeriodicity)
    assert freq == URIRef(EU + "frequency/ANNUAL")
    assert (freq, SKOS.inScheme, URIRef(EU + "frequency")) in g
    assert list(g.objects(ref, DCT.license)) == [URIRef(EU + "licence/CC_BY_4_0")]


def test_distributions_formats_media_types_sizes_and_schemas(full):
    g, ref = graph_of(full)
    by_url = {
        str(g.value(dist, DCAT.downloadURL)): dist
        for dist in g.objects(ref, DCAT.distribution)
    }
    csv = by_url["https://data.example.fr/equipements.csv"]
    assert list(g.objects(csv, DCT["format"])) == [URIRef(EU + "file-type/CSV")]
    assert list(g.objects(csv, DCAT.mediaType)) == [
        URIRef("https://www.iana.org/assignments/media-types/text/csv")
    ]
    assert g.value(csv, DCAT.accessURL) == URIRef(
        "https://data.example.fr/equipements.csv"
    )
    assert g.value(csv, DCAT.byteSize) == Literal(
        123456, datatype=XSD.nonNegativeInteger
    )
    standard = g.value(csv, DCT.conformsTo)
    assert standard == URIRef(
        "https://schema.data.gouv.fr/schemas/scdl/equipements/0.1.5/schema.json"
    )
    assert (standard, RDF.type, DCT.Standard) in g
    assert list(g.objects(csv, DCT.license)) == [URIRef(EU + "licence/CC_BY_4_0")]
    geojson = by_url["https://data.example.fr/equipements.geojson"]
    assert g.value(geojson, DCT["format"]) == URIRef(EU + "file-type/GEOJSON")
    parquet = by_url["https://data.example.fr/equipements.parquet"]
    assert (
        URIRef(EU + "file-type/PARQUET"),
        SKOS.inScheme,
        URIRef(EU + "file-type"),
    ) in g
    assert g.value(parquet, DCT["format"]) == URIRef(EU + "file-type/PARQUET")


def test_no_duplicate_values_for_the_properties_we_replace(full):
    g, ref = graph_of(full)
    for predicate in (
        DCT.spatial,
        DCAT.theme,
        DCT.license,
        DCT.identifier,
        DCT.issued,
        DCT.modified,
        DCT.accrualPeriodicity,
        DCAT.contactPoint,
        DCT.temporal,
    ):
        values = list(g.objects(ref, predicate))
        assert len(values) == len(set(values)), predicate
    assert len(list(g.objects(ref, DCT.accrualPeriodicity))) == 1
    assert len(list(g.objects(ref, DCT.license))) == 1
    assert len(list(g.objects(ref, DCAT.contactPoint))) == 1
    assert len(list(g.objects(ref, DCT.temporal))) == 1
    for dist in g.objects(ref, DCAT.distribution):
        for predicate in (
            DCT["format"],
            DCAT.mediaType,
            DCT.license,
            DCAT.byteSize,
            DCAT.accessURL,
            DCAT.downloadURL,
        ):
            assert len(list(g.objects(dist, predicate))) <= 1, predicate


def test_contact_point_and_publisher(full, commune):
    g, ref = graph_of(full)
    contact = g.value(ref, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Organization) in g
    assert (contact, RDF.type, VCARD.Kind) in g
    assert g.value(contact, VCARD.fn) == Literal("Service SIG")
    assert g.value(contact, VCARD.hasEmail) == URIRef("mailto:opendata@strasbourg.eu")
    publisher = g.value(ref, DCT.publisher)
    assert (publisher, RDF.type, FOAF.Organization) in g
    assert g.value(publisher, FOAF.name) == Literal("Ville de Strasbourg")
    assert g.value(publisher, DCT.identifier) == Literal("216704825")
    assert g.value(publisher, DCT.type) == URIRef(
        "http://purl.org/adms/publishertype/LocalAuthority"
    )
    assert len(list(g.objects(publisher, FOAF.name))) == 1


@pytest.mark.parametrize(
    ("kind", "extra", "expected"),
    [
        ("region", {"cog_code": "44"}, "RegionalAuthority"),
        ("departement", {"cog_code": "67"}, "LocalAuthority"),
        ("epci", {"cog_code": "246700488"}, "LocalAuthority"),
        ("syndicat", {}, "LocalAuthority"),
        ("etat", {}, "NationalAuthority"),
        ("association", {}, "NonProfitOrganisation"),
        ("entreprise", {}, "Company"),
        ("agence", {"territory": "region:44"}, "RegionalAuthority"),
        ("agence", {}, "NationalAuthority"),
    ],
)
def test_publisher_type_of_each_kind(kind, extra, expected):
    org = factories.Organization(kind=kind, **extra)
    g, ref = graph_of(factories.Dataset(owner_org=org["id"], territories=["pays:fr"]))
    publisher_type = g.value(g.value(ref, DCT.publisher), DCT.type)
    assert publisher_type == URIRef(f"http://purl.org/adms/publishertype/{expected}")
    assert (
        publisher_type,
        SKOS.inScheme,
        URIRef("http://purl.org/adms/publishertype/1.0"),
    ) in g


def test_identifier_and_uri_are_stable_across_updates(full):
    g, ref = graph_of(full)
    identifier = g.value(ref, DCT.identifier)
    assert identifier == Literal(str(ref))
    call_action(
        "package_patch",
        {"user": factories.Sysadmin()["name"]},
        id=full["id"],
        name="renomme",
        title="Nouveau titre",
    )
    g2, ref2 = graph_of(full)
    assert ref2 == ref
    assert g2.value(ref2, DCT.identifier) == identifier
    assert g2.value(ref2, DCAT.landingPage) == g.value(ref, DCAT.landingPage)


def test_harvested_dataset_keeps_its_original_identifier(commune):
    ds = factories.Dataset(
        owner_org=commune["id"],
        territories=["commune:67482"],
        provenance_identifier="abc@partenaire",
        provenance_url="https://partenaire.example.fr/abc",
    )
    g, ref = graph_of(ds)
    assert list(g.objects(ref, DCT.identifier)) == [Literal("abc@partenaire")]
    other = g.value(ref, ADMS.identifier)
    assert (other, RDF.type, ADMS.Identifier) in g
    assert g.value(other, SKOS.notation) == Literal(
        "https://partenaire.example.fr/abc", datatype=XSD.anyURI
    )


def test_dates_fall_back_to_the_metadata_dates(commune):
    ds = factories.Dataset(owner_org=commune["id"], territories=["pays:fr"])
    g, ref = graph_of(ds)
    assert g.value(ref, DCT.issued).datatype == XSD.dateTime
    assert g.value(ref, DCT.modified).datatype == XSD.dateTime
    g, ref = graph_of(factories.Dataset(**full_dataset(commune, name="autre")))
    assert g.value(ref, DCT.issued) == Literal("2021-03-01", datatype=XSD.date)
    period = g.value(ref, DCT.temporal)
    assert g.value(period, DCAT.startDate) == Literal("2020-01-01", datatype=XSD.date)


def test_a_broken_value_is_left_out_with_a_log_line(full, caplog, monkeypatch):
    # metadata no form would accept, as an old import could have written
    shown = call_action("package_show", id=full["id"])
    shown.update(
        frequency="EVERY_FULL_MOON", issued="pas une date", contact_email="x y"
    )
    shown["resources"][0]["size"] = "beaucoup"
    serializer = RDFSerializer()
    # the ckanext loggers do not propagate (config/test.ini)
    logger = logging.getLogger("ckanext.territoire.dcat.profile")
    # (and loading the ini's logging config disables loggers created before it)
    monkeypatch.setattr(logger, "disabled", False)
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING, logger=logger.name):
            serializer.graph_from_dataset(shown)
    finally:
        logger.removeHandler(caplog.handler)
    g, ref = serializer.g, URIRef(dataset_uri(shown))
    assert (ref, DCT.accrualPeriodicity, None) not in g
    assert (ref, DCAT.contactPoint, None) not in g
    assert g.value(ref, DCT.issued).datatype == XSD.dateTime
    assert (ref, DCT.title, Literal("Équipements sportifs")) in g
    assert len(list(g.objects(ref, DCAT.theme))) == 2
    assert len(list(g.objects(ref, DCAT.distribution))) == 4
    assert (None, DCAT.byteSize, Literal("beaucoup")) not in g
    messages = [r.getMessage() for r in caplog.records]
    assert any("frequency left out" in m for m in messages), messages
    assert any("contactPoint left out" in m for m in messages), messages


def test_parse_reads_our_own_export_back(full):
    from ckanext.dcat.processors import RDFParser

    shown = call_action("package_show", id=full["id"])
    serializer = RDFSerializer()
    turtle = serializer.serialize_dataset(shown, _format="turtle")
    parser = RDFParser()
    parser.parse(turtle, _format="turtle")
    (parsed,) = list(parser.datasets())
    assert sorted(parsed["territories"]) == sorted(shown["territories"])
    assert sorted(parsed["themes"]) == ["EDUC", "REGI"]
    assert parsed["frequency"] == "ANNUAL"
    assert parsed["license_id"] == "cc-by-4.0"
    assert parsed["contact_name"] == "Service SIG"
    assert parsed["contact_email"] == "opendata@strasbourg.eu"
    assert parsed["temporal_start"] == "2020-01-01"
    assert parsed["spatial_bbox"] == "7.68,48.49,7.84,48.65"
    assert parsed["provenance_identifier"] == dataset_uri(shown)
    # only the URI, the identity ckanext-dcat's harvester keys records on
    assert parsed["extras"] == [{"key": "uri", "value": dataset_uri(shown)}]
    csv = next(r for r in parsed["resources"] if r["url"].endswith(".csv"))
    assert csv["format"] == "CSV"
    assert csv["schema"] == "scdl/equipements"
    assert csv["schema_version"] == "0.1.5"
    assert csv["size"] == 123456


def test_parse_tolerates_unknown_values():
    from ckanext.dcat.processors import RDFParser

    turtle = """
    @prefix dcat: <http://www.w3.org/ns/dcat#> .
    @prefix dct: <http://purl.org/dc/terms/> .
    <https://ailleurs.example/ds/1> a dcat:Dataset ;
        dct:title "Ailleurs" ;
        dct:spatial <https://sws.geonames.org/2973783/>, <http://id.insee.fr/geo/commune/67482> ;
        dcat:theme <https://ailleurs.example/theme/x> ;
        dct:accrualPeriodicity <https://ailleurs.example/En%20continu> ;
        dct:license <https://ailleurs.example/licence.pdf> .
    """
    parser = RDFParser()
    parser.parse(turtle, _format="turtle")
    (parsed,) = list(parser.datasets())
    assert parsed["territories"] == ["commune:67482"]
    assert "themes" not in parsed
    assert "frequency" not in parsed
    assert parsed["license_id"] == "other"


def test_parse_reads_the_extent_of_other_portals():
    from ckanext.dcat.processors import RDFParser

    turtle = """
    @prefix dcat: <http://www.w3.org/ns/dcat#> .
    @prefix dct: <http://purl.org/dc/terms/> .
    @prefix locn: <http://www.w3.org/ns/locn#> .
    @prefix gsp: <http://www.opengis.net/ont/geosparql#> .
    <https://ailleurs.example/ds/1> a dcat:Dataset ;
        dct:title "Avec géométrie WKT" ;
        dct:spatial [ a dct:Location ;
            locn:geometry '''<http://www.opengis.net/def/crs/OGC/1.3/CRS84>
                MULTIPOLYGON(((7.1 48.1, 7.4 48.1, 7.3 48.35, 7.1 48.1)))'''^^gsp:wktLiteral
        ] .
    <https://ailleurs.example/ds/2> a dcat:Dataset ;
        dct:title "Géométrie illisible" ;
        dct:spatial [ a dct:Location ; locn:geometry "quelque part en Alsace" ] .
    """
    parser = RDFParser()
    parser.parse(turtle, _format="turtle")
    parsed = {d["title"]: d for d in parser.datasets()}
    assert parsed["Avec géométrie WKT"]["spatial_bbox"] == "7.1,48.1,7.4,48.35"
    assert "spatial_bbox" not in parsed["Géométrie illisible"]
