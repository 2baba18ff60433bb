"""deploy/solr/schema.xml: CKAN 2.12's schema, with French analysis of the
``text`` field type (as the PostgreSQL backend's territoire_fr configuration:
unaccent + French stemming); everything else as upstream."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import ckan

from .conftest import DEPLOY

UPSTREAM = os.path.join(os.path.dirname(ckan.__file__), "config", "solr", "schema.xml")
OURS = DEPLOY / "solr" / "schema.xml"


def _types(root: ET.Element) -> dict[str, ET.Element]:
    return {t.get("name"): t for t in root.iter() if t.tag.lower() == "fieldtype"}


def _xml(element: ET.Element) -> bytes:
    """The element without the whitespace that follows it."""
    tail, element.tail = element.tail, None
    try:
        return ET.tostring(element)
    finally:
        element.tail = tail


def test_schema_is_upstream_but_for_the_text_type():
    upstream, ours = ET.parse(UPSTREAM).getroot(), ET.parse(OURS).getroot()
    assert ours.get("name") == upstream.get("name") == "ckan-2.12"
    up_types, our_types = _types(upstream), _types(ours)
    assert set(up_types) == set(our_types)
    for name, element in up_types.items():
        if name != "text":
            assert _xml(element) == _xml(our_types[name]), name

    def rest(root: ET.Element) -> list[bytes]:
        return [_xml(e) for e in root if e.tag != "types"]

    assert rest(upstream) == rest(ours)


def test_text_is_analysed_in_french():
    text = _types(ET.parse(OURS).getroot())["text"]
    analyzers = {a.get("type"): a for a in text.findall("analyzer")}
    assert set(analyzers) == {"index", "query"}
    for kind, analyzer in analyzers.items():
        filters = [f.get("class") for f in analyzer.findall("filter")]
        elision = analyzer.find("filter[@class='solr.ElisionFilterFactory']")
        assert (
            elision is not None
            and elision.get("articles") == "lang/contractions_fr.txt"
        )
        assert "solr.ASCIIFoldingFilterFactory" in filters or (
            "solr.ICUFoldingFilterFactory" in filters
        )
        # folded before stemming, as unaccent runs before french_stem
        assert (
            filters.index("solr.LowerCaseFilterFactory")
            < filters.index("solr.ASCIIFoldingFilterFactory")
            < filters.index("solr.FrenchLightStemFilterFactory")
        ), kind
        assert not [f for f in filters if "English" in str(f) or "Porter" in str(f)]
