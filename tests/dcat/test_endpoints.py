"""ckanext-dcat's endpoints on our portal: paged catalogue, filters, datasets.

The catalogue pages go through our chained ``dcat_catalog_show``, which
leaves out a dataset it cannot serialize instead of failing the page.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import rdflib
from rdflib.namespace import Namespace

import ckan.model as model
from ckan.lib import search
from ckan.tests import factories

from ckanext.dcat.profiles.base import DCAT
from ckanext.dcat.utils import dataset_uri

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")

pytestmark = pytest.mark.usefixtures("clean_db")

PARSERS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}


def get_graph(app, url: str, fmt: str = "ttl", **kw) -> rdflib.Graph:
    resp = app.get(url, **kw)
    assert resp.status_code == 200, resp.body[:500]
    return rdflib.Graph().parse(data=resp.body, format=PARSERS[fmt])


def datasets_in(g: rdflib.Graph) -> set[str]:
    return {str(s) for s in g.subjects(rdflib.RDF.type, DCAT.Dataset)}


@pytest.fixture
def org():
    return factories.Organization()


def make(org, name: str, **kw) -> dict:
    return factories.Dataset(owner_org=org["id"], name=name, title=name, **kw)


@pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", "2")
def test_catalogue_is_paged_with_hydra_links(app, org):
    created = [make(org, f"jeu-{i}") for i in range(5)]
    seen: set[str] = set()
    for page in (1, 2, 3):
        g = get_graph(app, f"/catalog.ttl?page={page}")
        seen |= datasets_in(g)
        view = next(g.subjects(rdflib.RDF.type, HYDRA.PagedCollection))
        assert int(g.value(view, HYDRA.totalItems)) == 5
        assert str(g.value(view, HYDRA.last)).endswith("/catalog.ttl?page=3")
        next_page = g.value(view, HYDRA.next)
        if page < 3:
            assert str(next_page).endswith(f"/catalog.ttl?page={page + 1}")
        else:
            assert next_page is None
    assert seen == {dataset_uri(d) for d in created}


def test_catalogue_in_every_format(app, org):
    ds = make(org, "arrets-tram")
    for fmt in PARSERS:
        g = get_graph(app, f"/catalog.{fmt}", fmt)
        assert datasets_in(g) == {dataset_uri(ds)}
        assert next(g.subjects(rdflib.RDF.type, DCAT.Catalog), None) is not None


def test_catalogue_filters_q_fq_and_modified_since(app, org):
    tram = make(org, "arrets-tram", notes="Arrêts du tramway", tags=[{"name": "tram"}])
    velo = make(org, "pistes-cyclables", notes="Pistes", tags=[{"name": "velo"}])
    assert datasets_in(get_graph(app, "/catalog.ttl?q=tramway")) == {dataset_uri(tram)}
    assert datasets_in(get_graph(app, "/catalog.ttl?fq=tags:velo")) == {
        dataset_uri(velo)
    }
    # an old modification date on one of them
    pkg = model.Package.get("pistes-cyclables")
    pkg.metadata_modified = dt.datetime(2020, 1, 1)
    model.Session.commit()
    search.rebuild(pkg.id)
    since = (dt.datetime.utcnow() - dt.timedelta(days=1)).date().isoformat()
    g = get_graph(app, f"/catalog.ttl?modified_since={since}")
    assert datasets_in(g) == {dataset_uri(tram)}
    g = get_graph(app, "/catalog.ttl?modified_since=2019-06-01")
    assert datasets_in(g) == {dataset_uri(tram), dataset_uri(velo)}
    app.get("/catalog.ttl?modified_since=pas-une-date", status=409)


def test_catalogue_hides_private_datasets(app, org):
    public = make(org, "public")
    make(org, "prive", private=True)
    assert datasets_in(get_graph(app, "/catalog.ttl")) == {dataset_uri(public)}


def test_dataset_by_extension_and_content_negotiation(app, org):
    ds = make(org, "arrets-tram", resources=[{"url": "https://exemple.fr/a.csv"}])
    for fmt in PARSERS:
        g = get_graph(app, f"/dataset/arrets-tram.{fmt}", fmt)
        assert datasets_in(g) == {dataset_uri(ds)}
        assert len(list(g.subjects(rdflib.RDF.type, DCAT.Distribution))) == 1
    resp = app.get("/dataset/arrets-tram", headers={"Accept": "text/turtle"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=resp.body, format="turtle")
    assert datasets_in(g) == {dataset_uri(ds)}
    # a browser still gets the HTML page
    resp = app.get("/dataset/arrets-tram", headers={"Accept": "text/html"})
    assert "<html" in resp.body
    app.get("/dataset/prive-ou-absent.ttl", status=404)


def test_catalogue_by_content_negotiation_on_root(app, org):
    ds = make(org, "arrets-tram")
    resp = app.get("/", headers={"Accept": "text/turtle"})
    assert resp.headers["Content-Type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=resp.body, format="turtle")
    assert datasets_in(g) == {dataset_uri(ds)}


def test_one_broken_dataset_does_not_break_the_page(app, org, monkeypatch, caplog):
    from ckanext.dcat.profiles import EuropeanDCATAP3Profile

    good = make(org, "bon")
    make(org, "texte-casse")
    make(org, "profil-casse")
    # harvested text with a control character: RDF/XML cannot carry it
    pkg = model.Package.get("texte-casse")
    pkg.notes = "Arrêts\x0b de tram"
    model.Session.commit()
    search.rebuild(pkg.id)
    # metadata the profile does not expect makes it raise
    original = EuropeanDCATAP3Profile.graph_from_dataset

    def graph_from_dataset(self, dataset_dict, dataset_ref):
        if dataset_dict["name"] == "profil-casse":
            raise ValueError("invalid literal for int() with base 10: 'abc'")
        return original(self, dataset_dict, dataset_ref)

    monkeypatch.setattr(
        EuropeanDCATAP3Profile, "graph_from_dataset", graph_from_dataset
    )

    # (config/test.ini stops ckanext records from reaching the root logger)
    logger = logging.getLogger("ckanext.territoire.compat.dcat")
    monkeypatch.setattr(logger, "handlers", [*logger.handlers, caplog.handler])
    monkeypatch.setattr(logger, "disabled", False)
    caplog.set_level(logging.WARNING, logger=logger.name)
    for fmt in PARSERS:
        g = get_graph(app, f"/catalog.{fmt}", fmt)
        assert datasets_in(g) == {dataset_uri(good)}
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "texte-casse left out: caractère de contrôle interdit en XML" in messages
    assert "profil-casse left out: ValueError" in messages


def test_a_broken_dataset_answers_409_with_its_reason(app, org, monkeypatch):
    from ckanext.dcat.profiles import EuropeanDCATAP3Profile

    good = make(org, "bon")
    make(org, "texte-casse")
    make(org, "profil-casse")
    pkg = model.Package.get("texte-casse")
    pkg.notes = "Arrêts\x0b de tram"
    model.Session.commit()
    search.rebuild(pkg.id)
    original = EuropeanDCATAP3Profile.graph_from_dataset

    def graph_from_dataset(self, dataset_dict, dataset_ref):
        if dataset_dict["name"] == "profil-casse":
            raise ValueError("invalid literal for int() with base 10: 'abc'")
        return original(self, dataset_dict, dataset_ref)

    monkeypatch.setattr(
        EuropeanDCATAP3Profile, "graph_from_dataset", graph_from_dataset
    )
    for fmt in PARSERS:
        g = get_graph(app, f"/dataset/bon.{fmt}", fmt)
        assert datasets_in(g) == {dataset_uri(good)}
        resp = app.get(f"/dataset/texte-casse.{fmt}", status=409)
        assert "texte-casse ne peut pas être exporté en DCAT" in resp.body
        assert "caractère de contrôle interdit en XML" in resp.body
        resp = app.get(f"/dataset/profil-casse.{fmt}", status=409)
        assert "ValueError" in resp.body and "package_show" in resp.body
    # by content negotiation too, and in English for an English reader
    resp = app.get(
        "/dataset/profil-casse", headers={"Accept": "text/turtle"}, status=409
    )
    assert "profil-casse ne peut pas être exporté" in resp.body
    resp = app.get("/en/dataset/profil-casse.ttl", status=409)
    assert "profil-casse cannot be exported as DCAT" in resp.body
