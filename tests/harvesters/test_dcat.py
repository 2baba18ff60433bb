"""``territoire_dcat_rdf``: ckanext-dcat's RDF harvester with our hooks.

The feed is an RDF/XML catalogue shaped like an Opendatasoft portal's DCAT
export (``tests/data/dcat/ods-catalog.rdf``): language-tagged titles, HTML in
CDATA, non-IRI values used as IRIs (``dct:Frequency rdf:about="En
continu"``, a ``dct:spatial`` that is a phrase), themes as portal URLs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.territoire.harvesters import records
from ckanext.territoire.harvesters.dcat import xml_problem
from ckanext.territoire.harvesters.runner import run_source

from .conftest import Answer, PartnerServer, read_data

pytestmark = pytest.mark.usefixtures("clean_db", "cog")

RDF = "application/rdf+xml; charset=utf-8"


def _serve(partner: PartnerServer, body: bytes | str) -> None:
    partner.route("/catalog.rdf", Answer(body=body, content_type=RDF))


def _source(partner: PartnerServer, **config: Any) -> dict[str, Any]:
    org = factories.Organization(name="metropole", kind="epci", cog_code="246700488")
    return call_action(
        "harvest_source_create",
        {"user": factories.Sysadmin()["name"]},
        name="metropole-dcat",
        title="Métropole (DCAT)",
        url=partner.url + "/catalog.rdf",
        source_type="territoire_dcat_rdf",
        owner_org=org["id"],
        config=json.dumps(config) if config else "",
    )


def _harvested(source_id: str) -> dict[str, dict[str, Any]]:
    """Harvested datasets by their original identifier (dct:identifier)."""
    out = {}
    for record in records.for_source(source_id).values():
        pkg = call_action("package_show", {"ignore_auth": True}, id=record.package_id)
        out[pkg["provenance_identifier"]] = pkg
    return out


def test_an_opendatasoft_dcat_export_is_harvested_despite_its_quirks(partner):
    _serve(partner, read_data("dcat", "ods-catalog.rdf"))
    source = _source(partner)
    status = run_source(source["id"])
    assert status.gather_errors == []
    assert status.counts == {"added": 2}
    datasets = _harvested(source["id"])
    pool = datasets["piscines-municipales@example-metropole"]
    assert pool["title"] == "Piscines municipales"
    assert pool["notes"] == "Liste des **piscines** de la métropole."
    assert pool["owner_org"] == source["owner_org"]
    assert pool["frequency"] == "CONT"
    assert pool["themes"] == ["EDUC"]
    assert pool["license_id"] == "etalab-2.0"
    assert pool["contact_email"] == "opendata@example-metropole.fr"
    # the phrase "France entière et hors territoire" used as an IRI
    assert pool["territories"] == ["pays:fr"]
    assert sorted(t["name"] for t in pool["tags"]) == ["loisirs", "piscine", "sport"]
    bus = datasets["arrets-de-bus@example-metropole"]
    assert bus["territories"] == ["commune:67482"]
    assert bus["themes"] == ["TRAN"]
    assert bus["frequency"] == "ANNUAL"
    assert bus["license_id"] == "odc-odbl"

    status = run_source(source["id"])
    assert status.counts == {"not modified": 2}


def test_a_dataset_gone_from_the_feed_is_withdrawn_not_deleted(partner):
    full = read_data("dcat", "ods-catalog.rdf").decode("utf-8")
    _serve(partner, full)
    source = _source(partner, withdraw_after_days=0)
    run_source(source["id"])
    start = full.index(
        '    <dcat:dataset>\n      <dcat:Dataset rdf:about="https://data.example-metropole.fr/explore/dataset/arrets'
    )
    end = full.index("    </dcat:dataset>", start) + len("    </dcat:dataset>")
    _serve(partner, full[:start] + full[end:])

    status = run_source(source["id"])
    assert status.counts == {"deleted": 1, "not modified": 1}
    record = records.get(
        source["id"], "https://data.example-metropole.fr/explore/dataset/arrets-de-bus/"
    )
    pkg = model.Package.get(record.package_id)
    assert pkg.state == "active" and pkg.private

    _serve(partner, full)
    status = run_source(source["id"])
    assert status.counts == {"updated": 1, "not modified": 1}
    model.Session.expire_all()
    assert not model.Package.get(record.package_id).private


def test_pages_are_followed_and_a_dataset_listed_twice_is_an_item_error(partner):
    full = read_data("dcat", "ods-catalog.rdf").decode("utf-8")
    pools = full[full.index("    <dcat:dataset>") : full.index("    </dcat:dataset>")]
    paging = (
        '  <hydra:PagedCollection xmlns:hydra="http://www.w3.org/ns/hydra/core#" '
        'rdf:about="{url}/catalog.rdf?page=1">\n'
        "    <hydra:next>{url}/catalog.rdf?page=2</hydra:next>\n"
        "  </hydra:PagedCollection>\n</rdf:RDF>"
    )
    page1 = full.replace("</rdf:RDF>", paging.format(url=partner.url))
    page2 = (
        full[: full.index("    <dcat:dataset>")]
        + pools
        + "    </dcat:dataset>\n  </dcat:Catalog>\n</rdf:RDF>\n"
    )

    def pages(request):
        body = page2 if request.arg("page") == "2" else page1
        return Answer(body=body, content_type=RDF)

    partner.route("/catalog.rdf", pages)
    source = _source(partner)
    status = run_source(source["id"])
    assert [r.arg("page") for r in partner.hits("/catalog.rdf")] == [None, "2"]
    assert status.counts == {"added": 2, "errored": 1}
    [(guid, message)] = status.object_errors
    assert guid.endswith("/piscines-municipales/") and "double" in message


XXE = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="https://example.org/d/1">
    <dct:identifier>d1</dct:identifier><dct:title>&secret;</dct:title>
  </dcat:Dataset>
</rdf:RDF>"""

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><x>&lol3;</x></rdf:RDF>"""


@pytest.mark.parametrize(
    "payload, expected",
    [(XXE, "entité externe"), (BOMB, "imbriquées")],
    ids=["xxe", "entity-bomb"],
)
def test_hostile_xml_is_refused_and_changes_nothing(partner, payload, expected):
    _serve(partner, read_data("dcat", "ods-catalog.rdf"))
    source = _source(partner, withdraw_after_days=0)
    run_source(source["id"])
    _serve(partner, payload)
    status = run_source(source["id"])
    assert any(expected in e for e in status.gather_errors), status.gather_errors
    assert status.counts == {}
    assert all(not p["private"] for p in _harvested(source["id"]).values())


def test_namespace_entities_of_ordinary_rdf_xml_are_accepted():
    doc = (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY xsd '
        '"http://www.w3.org/2001/XMLSchema#">]>\n<rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    )
    assert xml_problem(doc) is None
    assert xml_problem("@prefix dcat: <http://www.w3.org/ns/dcat#> .") is None
