"""Full-catalogue DCAT dump: ``ckan territoire dcat dump``.

Harvesters that want the whole catalogue at once read
``<ckan.storage_path>/dcat/catalog.ttl`` (Turtle) or ``catalog.rdf``
(RDF/XML), served by ``/catalog/dump.ttl`` and ``/catalog/dump.rdf``.

The dump runs in constant memory: public datasets are read from the search
index in batches, in id order (keyset paging, so a dataset saved meanwhile
moves no other one), and each dataset's graph is built by ckanext-dcat's
``RDFSerializer`` with the configured profiles (``ckanext.dcat.rdf.profiles``),
written out and dropped. The prefixes and the ``dcat:Catalog`` description are
written once, at the top. Our writers emit Turtle and RDF/XML triple by triple
rather than through rdflib's serializers: they are several times faster and let
a block be checked (IRIs, XML characters) before anything of it is written.

A dataset whose graph cannot be built or written is skipped, with its reason
logged and counted in the report; the file stays valid RDF. Files are written
to a temporary file next to the target and renamed at the end: readers see the
previous dump or the new one, never a partial file, and a failure keeps the
previous file.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node, _is_valid_uri

import ckan.plugins.toolkit as tk

from ckanext.dcat.processors import RDFSerializer
from ckanext.dcat.profiles.base import DCAT, namespaces

log = logging.getLogger(__name__)

FORMATS = ("ttl", "rdf")
MEDIA_TYPES = {"ttl": "text/turtle", "rdf": "application/rdf+xml"}
FILE_NAMES = {"ttl": "catalog.ttl", "rdf": "catalog.rdf"}

RDF_NS = str(RDF)
# a local name we may write as prefix:local in both Turtle and RDF/XML
_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
# characters XML 1.0 does not allow, even escaped
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class DatasetSkipped(Exception):
    """A dataset's graph cannot be written; the message says why."""


def dump_dir() -> str:
    storage = tk.config.get("ckan.storage_path")
    if not storage:
        raise RuntimeError("ckan.storage_path is not set: nowhere to write the dump")
    return os.path.join(storage, "dcat")


def dump_path(fmt: str) -> str:
    return os.path.join(dump_dir(), FILE_NAMES[fmt])


def is_stale(formats: Iterable[str] = FORMATS) -> bool:
    """Whether a file is missing or older than ``dump_interval`` (0: never stale)."""
    interval = int(tk.config.get("ckanext.territoire.dcat.dump_interval"))
    if interval <= 0:
        return False
    for fmt in formats:
        try:
            age = time.time() - os.path.getmtime(dump_path(fmt))
        except OSError:
            return True
        if age >= interval:
            return True
    return False


def batch_size() -> int:
    return int(tk.config.get("ckanext.territoire.dcat.dump_batch_size"))


# --------------------------------------------------------------------------
# Reading the datasets
# --------------------------------------------------------------------------


def iter_public_datasets(size: int | None = None) -> Iterator[dict[str, Any]]:
    """Every public, active dataset's dict, in id order, ``size`` at a time.

    The dicts are the index's stored ``package_show`` output (what the
    paged ``/catalog.*`` endpoints serialize), read as an anonymous user:
    private, draft and deleted datasets never appear.
    """
    size = size or batch_size()
    search = tk.get_action("package_search")
    # territoire_pgsearch keeps recent answers per process: pages of a dump
    # are never asked twice, and kept they would add up to the whole catalogue
    cache_key = "ckanext.territoire.search.cache_size"
    had_key, cache_size = cache_key in tk.config, tk.config.get(cache_key)
    tk.config[cache_key] = 0
    try:
        yield from _pages(search, size)
    finally:
        if had_key:
            tk.config[cache_key] = cache_size
        else:
            tk.config.pop(cache_key, None)


def _pages(search: Any, size: int) -> Iterator[dict[str, Any]]:
    last: str | None = None
    while True:
        fq = ["-dataset_type:harvest", "-dataset_type:showcase"]
        if last is not None:
            fq.append(f'id:{{"{last}" TO *]')
        result = search(
            {"ignore_auth": True},
            {"q": "*:*", "fq_list": fq, "sort": "id asc", "rows": size},
        )
        rows = result["results"]
        yield from rows
        if len(rows) < size:
            return
        last = rows[-1]["id"]


# --------------------------------------------------------------------------
# Graphs
# --------------------------------------------------------------------------


class Namespaces:
    """The prefixes written once at the top of both files."""

    def __init__(self, bindings: Iterable[tuple[str, Any]]) -> None:
        self.prefixes: dict[str, str] = {}
        for prefix, namespace in bindings:
            ns = str(namespace)
            if (
                _PREFIX.match(prefix)
                and _is_valid_uri(ns)
                and ns not in self.prefixes.values()
            ):
                self.prefixes.setdefault(prefix, ns)
        # longest namespace first, so that nested namespaces pick the closest one
        self._by_ns = sorted(
            ((ns, p) for p, ns in self.prefixes.items()), key=lambda x: -len(x[0])
        )

    def qname(self, uri: str) -> tuple[str, str] | None:
        for ns, prefix in self._by_ns:
            if uri.startswith(ns) and _LOCAL.match(uri[len(ns) :]):
                return prefix, uri[len(ns) :]
        return None


def _split_predicate(uri: str) -> tuple[str, str]:
    """Namespace and local name of a predicate, as RDF/XML needs it."""
    for i in range(len(uri) - 1, -1, -1):
        if not (uri[i].isalnum() or uri[i] in "_-."):
            local = uri[i + 1 :]
            while local and not (local[0].isalpha() or local[0] == "_"):
                local = local[1:]
            if local and _LOCAL.match(local):
                return uri[: len(uri) - len(local)], local
            break
    raise DatasetSkipped(f"prédicat sans nom local XML : <{uri}>")


def check_graph(g: Graph) -> None:
    """Raise ``DatasetSkipped`` if some term cannot be written in every format."""
    for triple in g:
        for term in triple:
            if isinstance(term, URIRef):
                if not _is_valid_uri(term):
                    raise DatasetSkipped(f"IRI invalide : <{term}>")
                if _XML_ILLEGAL.search(term):
                    raise DatasetSkipped(f"caractère interdit en XML dans <{term!r}>")
            elif isinstance(term, Literal):
                if _XML_ILLEGAL.search(term):
                    raise DatasetSkipped(
                        f"caractère de contrôle interdit en XML dans le littéral {term[:60]!r}"
                    )
                if term.datatype is not None and not _is_valid_uri(term.datatype):
                    raise DatasetSkipped(
                        f"type de littéral invalide : <{term.datatype}>"
                    )
        _split_predicate(str(triple[1]))


class DatasetGraphs:
    """Builds one graph per dataset with ckanext-dcat's configured profiles."""

    def __init__(self, profiles: list[str] | None = None) -> None:
        self.serializer = RDFSerializer(profiles=profiles)
        self.serializer.g = Graph(bind_namespaces="core")
        self.catalog_ref = self.serializer.graph_from_catalog({})
        self.catalog = self.serializer.g

    def build(self, dataset_dict: dict[str, Any]) -> Graph:
        """The dataset's graph, with its ``dcat:dataset`` link from the catalogue."""
        g = Graph(bind_namespaces="core")
        self.serializer.g = g
        try:
            ref = self.serializer.graph_from_dataset(dataset_dict)
            if not self.serializer._add_source_catalog(
                self.catalog_ref, dataset_dict, ref
            ):
                g.add((self.catalog_ref, DCAT.dataset, ref))
        except Exception as e:
            raise DatasetSkipped(f"{type(e).__name__}: {e}") from e
        finally:
            self.serializer.g = self.catalog
        check_graph(g)
        return g

    def namespaces(self) -> Namespaces:
        known = list(namespaces.items())
        bound = [(p, str(ns)) for p, ns in self.catalog.namespaces()]
        return Namespaces(known + bound + [("xsd", str(XSD)), ("rdf", RDF_NS)])


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------


def _subjects(g: Graph) -> Iterator[tuple[Node, list[tuple[Node, Node]]]]:
    by_subject: dict[Node, list[tuple[Node, Node]]] = {}
    for s, p, o in g:
        by_subject.setdefault(s, []).append((p, o))
    for s in sorted(by_subject, key=lambda n: (isinstance(n, BNode), str(n))):
        yield s, sorted(by_subject[s], key=lambda po: (str(po[0]), str(po[1])))


class TurtleWriter:
    def __init__(self, out: IO[str], ns: Namespaces) -> None:
        self.out = out
        self.ns = ns

    def _term(self, term: Node) -> str:
        if isinstance(term, URIRef):
            if term == RDF.type:
                return "a"
            q = self.ns.qname(term)
            return f"{q[0]}:{q[1]}" if q else term.n3()
        if isinstance(term, BNode):
            return f"_:b{term}"
        assert isinstance(term, Literal)
        if term.datatype is not None:
            text = Literal(str(term)).n3()
            q = self.ns.qname(term.datatype)
            dt_text = f"{q[0]}:{q[1]}" if q else f"<{term.datatype}>"
            return f"{text}^^{dt_text}"
        return term.n3()

    def header(self, generated: dt.datetime, catalog: Graph) -> None:
        self.out.write(
            f"# Catalogue DCAT complet — généré le {generated.isoformat()}\n"
            f"# Full DCAT catalogue dump — generated on {generated.isoformat()}\n\n"
        )
        for prefix, ns in sorted(self.ns.prefixes.items()):
            self.out.write(f"@prefix {prefix}: <{ns}> .\n")
        self.out.write("\n")
        self.graph(catalog)

    def graph(self, g: Graph) -> None:
        out = []
        for s, pos in _subjects(g):
            lines = [self._term(s)]
            for i, (p, o) in enumerate(pos):
                sep = " " if i == 0 else " ;\n    "
                lines.append(f"{sep}{self._term(p)} {self._term(o)}")
            out.append("".join(lines) + " .\n")
        self.out.write("".join(out) + "\n")

    def footer(self) -> None:
        pass


class RDFXMLWriter:
    def __init__(self, out: IO[str], ns: Namespaces) -> None:
        self.out = out
        self.ns = ns

    def header(self, generated: dt.datetime, catalog: Graph) -> None:
        decls = "".join(
            f"\n    xmlns:{p}={quoteattr(ns)}"
            for p, ns in sorted(self.ns.prefixes.items())
        )
        self.out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f"<!-- Catalogue DCAT complet — généré le {generated.isoformat()} -->\n"
            f"<!-- Full DCAT catalogue dump — generated on {generated.isoformat()} -->\n"
            f"<rdf:RDF{decls}>\n"
        )
        self.graph(catalog)

    def _node_attr(self, node: Node, about: bool) -> str:
        if isinstance(node, BNode):
            return f"rdf:nodeID={quoteattr('b' + str(node))}"
        return f"rdf:{'about' if about else 'resource'}={quoteattr(str(node))}"

    def graph(self, g: Graph) -> None:
        out = []
        for s, pos in _subjects(g):
            out.append(f"  <rdf:Description {self._node_attr(s, True)}>\n")
            for p, o in pos:
                ns, local = _split_predicate(str(p))
                q = self.ns.qname(str(p))
                if q:
                    tag, decl = f"{q[0]}:{q[1]}", ""
                else:
                    tag, decl = f"x:{local}", f" xmlns:x={quoteattr(ns)}"
                if isinstance(o, Literal):
                    attrs = decl
                    if o.language:
                        attrs += f" xml:lang={quoteattr(o.language)}"
                    elif o.datatype is not None:
                        attrs += f" rdf:datatype={quoteattr(str(o.datatype))}"
                    out.append(f"    <{tag}{attrs}>{escape(str(o))}</{tag}>\n")
                else:
                    out.append(f"    <{tag}{decl} {self._node_attr(o, False)}/>\n")
            out.append("  </rdf:Description>\n")
        self.out.write("".join(out))

    def footer(self) -> None:
        self.out.write("</rdf:RDF>\n")


WRITERS: dict[str, type[TurtleWriter | RDFXMLWriter]] = {
    "ttl": TurtleWriter,
    "rdf": RDFXMLWriter,
}


# --------------------------------------------------------------------------
# The dump
# --------------------------------------------------------------------------


@dataclass
class DumpReport:
    generated: dt.datetime
    formats: tuple[str, ...]
    paths: dict[str, str] = field(default_factory=dict)
    written: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [
            tk._("Jeux de données écrits : {n}").format(n=self.written),
            tk._("Jeux de données ignorés : {n}").format(n=len(self.skipped)),
        ]
        lines += [f"  - {name} : {reason}" for name, reason in self.skipped]
        lines += [f"{fmt}: {self.paths[fmt]}" for fmt in self.formats]
        lines.append(tk._("Durée : {s:.1f} s").format(s=self.seconds))
        return "\n".join(lines)


def write_dump(
    formats: Iterable[str] = FORMATS,
    datasets: Iterable[dict[str, Any]] | None = None,
    directory: str | None = None,
) -> DumpReport:
    """Write the dump in each format, atomically; return what was done.

    ``datasets`` defaults to every public dataset (``iter_public_datasets``).
    """
    formats = tuple(dict.fromkeys(formats))
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown dump format: {fmt}")
    started = time.monotonic()
    generated = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    report = DumpReport(generated=generated, formats=formats)
    directory = directory or dump_dir()
    os.makedirs(directory, exist_ok=True)

    graphs = DatasetGraphs()
    ns = graphs.namespaces()
    temps: dict[str, tuple[IO[str], str]] = {}
    try:
        writers: list[TurtleWriter | RDFXMLWriter] = []
        for fmt in formats:
            fd, tmp = tempfile.mkstemp(
                dir=directory, prefix=f".{FILE_NAMES[fmt]}.", suffix=".tmp"
            )
            out: IO[str] = os.fdopen(fd, "w", encoding="utf-8")
            temps[fmt] = (out, tmp)
            writer = WRITERS[fmt](out, ns)
            writer.header(generated, graphs.catalog)
            writers.append(writer)
        every = batch_size()
        for n, dataset in enumerate(
            iter_public_datasets() if datasets is None else datasets, 1
        ):
            if n % every == 0:
                # an rdflib graph is a web of reference cycles (graph, store,
                # namespace manager): without this, the graphs of every
                # dataset would wait for a full collection, which the
                # interpreter starts late on a large heap
                gc.collect()
            try:
                g = graphs.build(dataset)
            except DatasetSkipped as e:
                name = dataset.get("name") or dataset.get("id") or "?"
                log.warning("DCAT dump: dataset %s skipped: %s", name, e)
                report.skipped.append((name, str(e)))
                continue
            for writer in writers:
                writer.graph(g)
            report.written += 1
        for writer in writers:
            writer.footer()
        for out, tmp in temps.values():
            out.flush()
            os.fsync(out.fileno())
            out.close()
            os.chmod(tmp, 0o644)
            stamp = generated.timestamp()
            os.utime(tmp, (stamp, stamp))
        for fmt, (_out, tmp) in temps.items():
            target = os.path.join(directory, FILE_NAMES[fmt])
            os.replace(tmp, target)
            report.paths[fmt] = target
    finally:
        for out, tmp in temps.values():
            if not out.closed:
                out.close()
            if os.path.exists(tmp):
                os.unlink(tmp)
    report.seconds = time.monotonic() - started
    log.info(
        "DCAT dump: %s datasets written, %s skipped in %.1f s",
        report.written,
        len(report.skipped),
        report.seconds,
    )
    return report
