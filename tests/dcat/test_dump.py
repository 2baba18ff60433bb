"""The full-catalogue DCAT dump (``ckan territoire dcat dump``) and its endpoints."""

from __future__ import annotations

import concurrent.futures
import email.utils
import os
import random
import re
import tracemalloc

import pytest
import rdflib
from click.testing import CliRunner
from rdflib.compare import isomorphic

import ckan.model as model
from ckan.lib import search
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.dcat.processors import RDFSerializer
from ckanext.dcat.profiles.base import DCAT
from ckanext.dcat.utils import dataset_uri

from ckanext.territoire.compat import dcat as dcat_compat
from ckanext.territoire.dcat import dump

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture
def storage(tmp_path, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckan.storage_path", str(tmp_path))
    return tmp_path


def parse(fmt: str) -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(dump.dump_path(fmt), format="turtle" if fmt == "ttl" else "xml")
    return g


def datasets_in(g: rdflib.Graph) -> list[str]:
    return sorted(str(s) for s in g.subjects(rdflib.RDF.type, DCAT.Dataset))


def corrupt(name: str, **columns: str) -> None:
    """Write metadata no form would accept (as an old import could have)."""
    pkg = model.Package.get(name)
    for key, value in columns.items():
        setattr(pkg, key, value)
    model.Session.commit()
    search.rebuild(pkg.id)


@pytest.fixture
def catalogue():
    org = factories.Organization()
    public = [
        factories.Dataset(
            owner_org=org["id"],
            name=f"public-{i}",
            title=f"Jeu public {i}",
            notes='Description\nsur deux lignes, « guillemets » et "quotes".',
            tags=[{"name": "transport"}],
            resources=[{"url": f"https://exemple.fr/{i}.csv", "format": "CSV"}],
        )
        for i in range(3)
    ]
    factories.Dataset(owner_org=org["id"], name="prive", private=True)
    factories.Dataset(owner_org=org["id"], name="brouillon", state="draft")
    deleted = factories.Dataset(owner_org=org["id"], name="supprime")
    sysadmin = factories.Sysadmin()
    call_action("package_delete", {"user": sysadmin["name"]}, id=deleted["id"])
    return public


def test_dump_holds_every_public_dataset_once(storage, catalogue):
    report = dump.write_dump()
    assert report.written == 3 and report.skipped == []
    expected = sorted(dataset_uri(d) for d in catalogue)
    for fmt in ("ttl", "rdf"):
        g = parse(fmt)
        assert datasets_in(g) == expected
        catalog = next(g.subjects(rdflib.RDF.type, DCAT.Catalog))
        assert sorted(str(o) for o in g.objects(catalog, DCAT.dataset)) == expected
    text = open(dump.dump_path("ttl"), encoding="utf-8").read()
    assert text.count("@prefix dcat:") == 1
    assert f"généré le {report.generated.isoformat()}" in text


def test_dump_has_the_triples_of_ckanext_dcat_serialization(storage, catalogue):
    dump.write_dump()
    dicts = [call_action("package_show", id=d["id"]) for d in catalogue]
    expected = rdflib.Graph()
    expected.parse(
        data=RDFSerializer().serialize_catalog({}, dicts, _format="ttl"),
        format="turtle",
    )
    assert isomorphic(parse("ttl"), expected)
    assert isomorphic(parse("rdf"), expected)


@pytest.mark.usefixtures("cog")
@pytest.mark.parametrize("n_workers", [1, 2])
def test_every_kind_of_dataset_has_the_triples_of_ckanext_dcat(
    storage, dcat_catalogue, n_workers
):
    # contact points, periods, identifiers (blank nodes), every organisation
    # kind, distributions with schemas and sizes: the dump builds the graphs
    # its own way (profiles kept, another store), to the same triples
    dump.write_dump(n_workers=n_workers)
    dicts = [call_action("package_show", id=d["id"]) for d in dcat_catalogue.values()]
    expected = rdflib.Graph()
    expected.parse(
        data=RDFSerializer().serialize_catalog({}, dicts, _format="ttl"),
        format="turtle",
    )
    assert isomorphic(parse("ttl"), expected)
    assert isomorphic(parse("rdf"), expected)


def test_one_format_only(storage, catalogue):
    dump.write_dump(["rdf"])
    assert os.path.exists(dump.dump_path("rdf"))
    assert not os.path.exists(dump.dump_path("ttl"))


def test_a_failure_midway_keeps_the_previous_files(storage, catalogue):
    dump.write_dump()
    before = {fmt: open(dump.dump_path(fmt), "rb").read() for fmt in dump.FORMATS}

    def failing():
        yield call_action("package_show", id=catalogue[0]["id"])
        raise ConnectionError("database gone")

    with pytest.raises(ConnectionError):
        dump.write_dump(datasets=failing())
    for fmt in dump.FORMATS:
        assert open(dump.dump_path(fmt), "rb").read() == before[fmt]
    assert sorted(os.listdir(storage / "dcat")) == ["catalog.rdf", "catalog.ttl"]


@pytest.fixture
def profile_fails_on(monkeypatch):
    """Make the DCAT profile raise on one dataset, as on metadata it does not expect."""
    from ckanext.dcat.profiles import EuropeanDCATAP3Profile

    def install(name: str) -> None:
        original = EuropeanDCATAP3Profile.graph_from_dataset

        def graph_from_dataset(self, dataset_dict, dataset_ref):
            if dataset_dict["name"] == name:
                raise ValueError("invalid literal for int() with base 10: 'abc'")
            return original(self, dataset_dict, dataset_ref)

        monkeypatch.setattr(
            EuropeanDCATAP3Profile, "graph_from_dataset", graph_from_dataset
        )

    return install


def test_broken_datasets_are_skipped_and_reported(storage, catalogue, profile_fails_on):
    # harvested text with a control character: no RDF/XML can carry it
    corrupt("public-0", notes="caractère de contrôle \x0b au milieu")
    profile_fails_on("public-1")
    result = CliRunner().invoke(_cli(), ["dcat", "dump"])
    assert result.exit_code == 0, result.output
    assert "Jeux de données écrits : 1" in result.output
    assert "Jeux de données ignorés : 2" in result.output
    assert "public-0 : caractère de contrôle interdit en XML" in result.output
    assert "public-1 : ValueError: invalid literal" in result.output
    for fmt in ("ttl", "rdf"):
        assert datasets_in(parse(fmt)) == [dataset_uri(catalogue[2])]


def _cli():
    from ckanext.territoire.cli import territoire

    return territoire


def test_cli_fails_on_skip_when_asked(storage, catalogue):
    corrupt("public-0", notes="\x01")
    result = CliRunner().invoke(
        _cli(), ["dcat", "dump", "--format", "ttl", "--fail-on-skip"]
    )
    assert result.exit_code == 1
    assert os.path.exists(dump.dump_path("ttl"))


def test_endpoint_answers_404_before_generation(app, storage):
    resp = app.get("/catalog/dump.ttl", status=404)
    assert "pas encore été généré" in resp.body


def test_endpoints_serve_the_dump_with_its_date(app, storage, catalogue):
    report = dump.write_dump()
    for fmt, media in (("ttl", "text/turtle"), ("rdf", "application/rdf+xml")):
        resp = app.get(f"/catalog/dump.{fmt}")
        assert resp.status_code == 200
        assert resp.headers["Content-Type"].startswith(media)
        modified = email.utils.parsedate_to_datetime(resp.headers["Last-Modified"])
        assert modified == report.generated
        assert resp.headers["X-Catalog-Generated"] == report.generated.isoformat()
        assert report.generated.isoformat() in resp.body
        g = rdflib.Graph().parse(
            data=resp.body, format="turtle" if fmt == "ttl" else "xml"
        )
        assert len(datasets_in(g)) == 3
        again = app.get(
            f"/catalog/dump.{fmt}",
            headers={"If-Modified-Since": resp.headers["Last-Modified"]},
        )
        assert again.status_code == 304
    app.get("/catalog/dump.n3", status=404)


# --------------------------------------------------------------------------
# Constant memory
# --------------------------------------------------------------------------


def _seed_to(total: int, seeded: int) -> None:
    import bench_search as bench

    site_user = call_action("get_site_user", {"ignore_auth": True})
    orgs = [o["id"] for o in call_action("organization_list", all_fields=True)]
    bench.seed(total, seeded, orgs, site_user["id"], random.Random(seeded))
    search.rebuild(defer_commit=True, quiet=True)
    search.commit()


def _public_count() -> int:
    return (
        model.Session.query(model.Package)
        .filter_by(state="active", private=False, type="dataset")
        .count()
    )


def _traced_peak() -> int:
    tracemalloc.start()
    try:
        report = dump.write_dump()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (report.written, report.skipped) == (_public_count(), [])
    return peak


@pytest.mark.usefixtures("cog")
@pytest.mark.ckan_config("ckanext.territoire.dcat.dump_batch_size", "50")
def test_memory_does_not_grow_with_the_catalogue(storage):
    factories.Organization(name="collectivite")
    _seed_to(100, 0)
    small = _traced_peak()
    _seed_to(400, 100)
    large = _traced_peak()
    # four times the datasets: the same batches, so about the same peak
    # (a dump holding its datasets would need ~4× here)
    assert large < small * 1.5, (small, large)


@pytest.mark.ckan_config("ckanext.territoire.dcat.dump_interval", "3600")
def test_if_stale_regenerates_only_old_or_missing_files(storage, catalogue):
    result = CliRunner().invoke(_cli(), ["dcat", "dump", "--if-stale"])
    assert "Jeux de données écrits : 3" in result.output
    result = CliRunner().invoke(_cli(), ["dcat", "dump", "--if-stale"])
    assert "Dump à jour" in result.output
    old = os.path.getmtime(dump.dump_path("rdf")) - 7200
    os.utime(dump.dump_path("rdf"), (old, old))
    result = CliRunner().invoke(_cli(), ["dcat", "dump", "--if-stale"])
    assert "Jeux de données écrits : 3" in result.output


# --------------------------------------------------------------------------
# Worker processes
# --------------------------------------------------------------------------

_BNODE = re.compile(r"(_:b|rdf:nodeID=\"b)N[0-9a-f]+")


def _dump_to(directory, n_workers: int, **kw) -> dump.DumpReport:
    return dump.write_dump(directory=str(directory), n_workers=n_workers, **kw)


_GENERATION_LINES = ("généré le", "generated on", "Vidage / dump")


def _text(directory, fmt: str) -> str:
    """The file but for its generation date and id."""
    with open(os.path.join(directory, dump.FILE_NAMES[fmt]), encoding="utf-8") as f:
        return "".join(
            line for line in f if not any(g in line for g in _GENERATION_LINES)
        )


def _parse_file(directory, fmt: str) -> rdflib.Graph:
    return rdflib.Graph().parse(
        os.path.join(directory, dump.FILE_NAMES[fmt]),
        format="turtle" if fmt == "ttl" else "xml",
    )


@pytest.mark.usefixtures("cog")
@pytest.mark.ckan_config("ckanext.territoire.dcat.dump_batch_size", "20")
def test_workers_write_the_same_files_as_one_process(tmp_path, dcat_catalogue):
    _seed_to(90, 0)
    serial = _dump_to(tmp_path / "serial", 1)
    assert serial.written == _public_count() and serial.skipped == []
    for n_workers in (2, 3):
        parallel = _dump_to(tmp_path / f"parallel-{n_workers}", n_workers)
        assert (parallel.written, parallel.skipped) == (serial.written, [])
        for fmt in dump.FORMATS:
            one = _text(tmp_path / "serial", fmt)
            many = _text(tmp_path / f"parallel-{n_workers}", fmt)
            # the same datasets in the same order (id order)
            links = re.compile(
                r"dcat:dataset <([^>]+)>|rdf:resource=\"([^\"]+/dataset/[^\"]+)\""
            )
            assert links.findall(many) == links.findall(one)
            # the same text, but for the labels of blank nodes (random)
            assert sorted(_BNODE.sub(r"\1", many).splitlines()) == sorted(
                _BNODE.sub(r"\1", one).splitlines()
            )
            assert isomorphic(
                _parse_file(tmp_path / f"parallel-{n_workers}", fmt),
                _parse_file(tmp_path / "serial", fmt),
            )


@pytest.fixture
def in_workers_only(monkeypatch):
    """Patch ``BlockMaker.make`` (inherited by the forked workers) so that it
    calls ``action(maker, dataset)`` in a worker process only."""
    parent = os.getpid()
    original = dump.BlockMaker.make

    def install(action):
        def make(self, dataset):
            if os.getpid() != parent:
                action(self, dataset)
            return original(self, dataset)

        monkeypatch.setattr(dump.BlockMaker, "make", make)

    return install


@pytest.mark.ckan_config("ckanext.territoire.dcat.dump_batch_size", "8")
def test_a_dataset_that_fails_in_a_worker_is_skipped_and_reported(
    storage, catalogue, in_workers_only, caplog
):
    _more = [
        factories.Dataset(owner_org=catalogue[0]["owner_org"], name=f"autre-{i}")
        for i in range(5)
    ]

    def fail(maker, dataset):
        maker.graphs.profiles[0].graph_from_dataset = _raise

    def _raise(dataset_dict, dataset_ref):
        raise ValueError(f"profil en échec sur {dataset_dict['name']}")

    in_workers_only(fail)
    # the worker builds some datasets (the first chunks at least), which all
    # fail there; the dump's own process builds the others (the first one at
    # least), which do not
    report = _dump_to(storage / "dcat", 2)
    total = len(catalogue) + len(_more)
    assert report.written + len(report.skipped) == total
    assert report.skipped
    for name, reason in report.skipped:
        assert reason == f"ValueError: profil en échec sur {name}"
    skipped = {name for name, _reason in report.skipped}
    expected = sorted(
        dataset_uri(d) for d in [*catalogue, *_more] if d["name"] not in skipped
    )
    for fmt in dump.FORMATS:
        assert datasets_in(parse(fmt)) == expected


@pytest.mark.parametrize("how", ["exception", "crash"])
@pytest.mark.ckan_config("ckanext.territoire.dcat.dump_batch_size", "8")
def test_a_failing_worker_keeps_the_previous_files(
    storage, catalogue, in_workers_only, how
):
    factories.Dataset(owner_org=catalogue[0]["owner_org"], name="encore-un")
    dump.write_dump()
    before = {fmt: open(dump.dump_path(fmt), "rb").read() for fmt in dump.FORMATS}

    def fail(maker, dataset):
        if how == "crash":
            os._exit(3)  # the worker dies (killed, out of memory …)
        raise ConnectionError("database gone")

    in_workers_only(fail)
    expected = (
        ConnectionError if how == "exception" else concurrent.futures.BrokenExecutor
    )
    with pytest.raises(expected):
        dump.write_dump(n_workers=2)
    for fmt in dump.FORMATS:
        assert open(dump.dump_path(fmt), "rb").read() == before[fmt]
    assert sorted(os.listdir(storage / "dcat")) == ["catalog.rdf", "catalog.ttl"]


def test_cli_workers_option(storage, catalogue):
    result = CliRunner().invoke(_cli(), ["dcat", "dump", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "Jeux de données écrits : 3" in result.output
    for fmt in dump.FORMATS:
        assert len(datasets_in(parse(fmt))) == 3


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-04T20:10:11.123456",
        "2026-12-04T20:10:11.5",
        "2026-12-04T20:10:11",
        "2026-12-04T20:10",
        "2026-12-04 20:10:11",
        "2026-12-04T20:10:11Z",
        "2026-12-04T20:10:11+00:00",
        "2026-12-04T20:10:11.250-05:30",
        "2026-12-04T20:10:11+0100",
        # not taken by the fast path: dateutil, as ckanext-dcat does
        "2026-12-04",
        "2026-12",
        "2026",
        "4 décembre 2026",
        "2026-12-04T20:10:11.1234567",
        "2026-02-30T10:00:00",
        "",
    ],
)
def test_fast_date_triples_are_ckanext_dcat_s(value):
    from ckanext.dcat.profiles.euro_dcat_ap_3 import EuropeanDCATAP3Profile

    subject, predicate = rdflib.URIRef("urn:x"), rdflib.URIRef("urn:p")
    theirs = EuropeanDCATAP3Profile(rdflib.Graph())
    theirs._add_date_triple(subject, predicate, value)
    ours = EuropeanDCATAP3Profile(rdflib.Graph())
    dcat_compat.replace_date_triples(ours, dump._fast_date_triple)
    ours._add_date_triple(subject, predicate, value)
    assert set(ours.g) == set(theirs.g)
    assert [o.datatype for o in ours.g.objects()] == [
        o.datatype for o in theirs.g.objects()
    ]


def test_the_dump_s_profiles_use_the_fast_date_triples():
    graphs = dump.DatasetGraphs()
    assert all(
        p._add_date_triple.__func__.__wrapped__ is dump._fast_date_triple
        for p in graphs.profiles
    )
