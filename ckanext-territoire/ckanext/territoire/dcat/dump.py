"""Full-catalogue DCAT dump: ``ckan territoire dcat dump``.

Harvesters that want the whole catalogue at once read
``<ckan.storage_path>/dcat/catalog.ttl`` (Turtle) or ``catalog.rdf``
(RDF/XML), served by ``/catalog/dump.ttl`` and ``/catalog/dump.rdf``.

The dump runs in constant memory: public datasets are read from the search
index in batches, in id order (keyset paging, so a dataset saved meanwhile
moves no other one), and each dataset's graph is built by ckanext-dcat's
profiles (``ckanext.dcat.rdf.profiles``), written out as a block of text and
dropped. The prefixes and the ``dcat:Catalog`` description are written once,
at the top. Our writers emit Turtle and RDF/XML triple by triple rather than
through rdflib's serializers: they are several times faster and let a block be
checked (IRIs, XML characters) before anything of it is written.

Building the graphs is most of the work: it is shared by several processes
(``ckanext.territoire.dcat.dump_workers``, default one per CPU): the dump's
own and workers forked from it once it has built the first dataset, which
share what that loaded (territories, code lists, schema). The dump reads the
datasets, hands them out in chunks, builds a chunk itself when the workers
have enough to do, and writes the blocks in the order it read the datasets:
the files are the same whatever the number of processes. Besides
the page being read, at most ``dump_batch_size`` datasets are handed out and
not yet written.

A dataset whose graph cannot be built or written is skipped, with its reason
logged and counted in the report; the file stays valid RDF. Files are written
to a temporary file next to the target and renamed at the end: readers see the
previous dump or the new one, never a partial file, and a failure (in the
parent or in a worker) keeps the previous file.

Each dump has a generation id, written in the files' header; the datasets it
holds are recorded under it as they are written, and the dump is marked
complete in the transaction that renames the files (``freshness.py``): the
endpoints serve a file only while every dataset it holds is still public.
The datasets read from the search index are checked against the package
table first: a dataset the index still shows but is private is left out.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import datetime as dt
import gc
import itertools
import logging
import multiprocessing
import operator
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD, NamespaceManager
from rdflib.plugins.stores.memory import SimpleMemory
from rdflib.term import Node

import ckan.plugins.toolkit as tk

from ckanext.dcat.processors import RDFSerializer
from ckanext.dcat.profiles.base import DCAT, namespaces
from ckanext.dcat.utils import dataset_uri

from ckanext.territoire.compat import dcat as dcat_compat
from ckanext.territoire.compat.dcat import DatasetSkipped

from . import freshness

log = logging.getLogger(__name__)

FORMATS = ("ttl", "rdf")
MEDIA_TYPES = {"ttl": "text/turtle", "rdf": "application/rdf+xml"}
FILE_NAMES = {"ttl": "catalog.ttl", "rdf": "catalog.rdf"}

RDF_NS = str(RDF)
# a local name we may write as prefix:local in both Turtle and RDF/XML
_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_LOCAL_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
)
_LOCAL_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
# characters XML 1.0 does not allow, even escaped
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# IRIs a writer keeps what it derived from (see _Memo): 2 × this many at most
_MEMO_SIZE = 500


def dump_dir() -> str:
    storage = tk.config.get("ckan.storage_path")
    if not storage:
        raise RuntimeError("ckan.storage_path is not set: nowhere to write the dump")
    return os.path.join(storage, "dcat")


def dump_path(fmt: str) -> str:
    return os.path.join(dump_dir(), FILE_NAMES[fmt])


def is_stale(formats: Iterable[str] = FORMATS) -> bool:
    """Whether a file is missing or older than ``dump_interval`` (0: never
    stale by age), or holds a dataset that is no longer public (whatever the
    interval: the endpoints do not serve it)."""
    interval = int(tk.config.get("ckanext.territoire.dcat.dump_interval"))
    for fmt in formats:
        path = dump_path(fmt)
        try:
            age = time.time() - os.path.getmtime(path)
        except OSError:
            if interval > 0:
                return True
            continue
        if 0 < interval <= age or not freshness.check_file(path).servable:
            return True
    return False


def batch_size() -> int:
    return int(tk.config.get("ckanext.territoire.dcat.dump_batch_size"))


def workers() -> int:
    """Processes that build the graphs, the dump's own included: the setting,
    or one per CPU (0)."""
    configured = int(tk.config.get("ckanext.territoire.dcat.dump_workers") or 0)
    return configured if configured > 0 else os.cpu_count() or 1


# --------------------------------------------------------------------------
# Reading the datasets
# --------------------------------------------------------------------------


def iter_public_datasets(size: int | None = None) -> Iterator[dict[str, Any]]:
    """Every public, active dataset's dict, in id order, ``size`` at a time.

    The dicts are the index's stored ``package_show`` output (what the
    paged ``/catalog.*`` endpoints serialize), read as an anonymous user:
    private, draft and deleted datasets never appear; nor does one that the
    package table says is no longer public when the index lags behind it.
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
        public = freshness.still_public([row["id"] for row in rows])
        yield from (row for row in rows if row["id"] in public)
        if len(rows) < size:
            return
        last = rows[-1]["id"]


# --------------------------------------------------------------------------
# Graphs
# --------------------------------------------------------------------------


class _DatasetStore(SimpleMemory):
    """rdflib's ``SimpleMemory`` store, whose matches may be gone through while
    the graph changes (ckanext-dcat adds to a graph as it goes through some of
    its triples), as with rdflib's default store."""

    def triples(
        self, triple_pattern: Any, context: Any = None
    ) -> Iterator[tuple[Any, Any]]:
        return iter(list(super().triples(triple_pattern, context)))


def new_graph(namespace_manager: NamespaceManager | None = None) -> Graph:
    """An empty graph for one dataset.

    A ``SimpleMemory`` store: a dataset's graph is a single graph, it needs
    none of rdflib's default store's bookkeeping of named graphs (contexts),
    which costs on every triple added or looked up.

    ``namespace_manager``: the prefixes of another graph, to share. Each
    graph otherwise gets its own, where ckanext-dcat binds its prefixes
    again for every dataset; and a graph that refers to its own manager,
    which refers to it, is only freed by a garbage collection.
    """
    return Graph(
        store=_DatasetStore(),
        namespace_manager=namespace_manager,
        bind_namespaces="core",
    )


class Namespaces:
    """The prefixes written once at the top of both files."""

    def __init__(self, bindings: Iterable[tuple[str, Any]]) -> None:
        self.prefixes: dict[str, str] = {}
        for prefix, namespace in bindings:
            ns = str(namespace)
            if (
                _PREFIX.match(prefix)
                and dcat_compat.is_valid_iri(ns)
                and ns not in self.prefixes.values()
            ):
                self.prefixes.setdefault(prefix, ns)
        self._by_ns = {ns: p for p, ns in self.prefixes.items()}

    def qname(self, uri: str) -> tuple[str, str] | None:
        """``(prefix, local)`` for ``uri``, in the longest namespace that
        leaves a local name we may write (``_LOCAL``); None if there is none."""
        # the local name is a suffix of local-name characters that starts with
        # a letter or "_": try each such suffix, the shortest first (longest
        # namespace)
        by_ns = self._by_ns
        i = len(uri) - 1
        while i > 0 and uri[i] in _LOCAL_CHARS:
            if uri[i] in _LOCAL_START:
                prefix = by_ns.get(uri[:i])
                if prefix is not None:
                    return prefix, uri[i:]
            i -= 1
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


def _check_iri(term: URIRef) -> None:
    if not dcat_compat.is_valid_iri(term):
        raise DatasetSkipped(f"IRI invalide : <{term}>")
    if _XML_ILLEGAL.search(term):
        raise DatasetSkipped(f"caractère interdit en XML dans <{term!r}>")


def _check_literal(term: Literal) -> None:
    if _XML_ILLEGAL.search(term):
        raise DatasetSkipped(
            f"caractère de contrôle interdit en XML dans le littéral {term[:60]!r}"
        )
    if term.datatype is not None and not dcat_compat.is_valid_iri(term.datatype):
        raise DatasetSkipped(f"type de littéral invalide : <{term.datatype}>")


def check_graph(g: Graph) -> None:
    """Raise ``DatasetSkipped`` if some term cannot be written in every format."""
    for triple in g:
        for term in triple:
            if isinstance(term, URIRef):
                _check_iri(term)
            elif isinstance(term, Literal):
                _check_literal(term)
        _split_predicate(str(triple[1]))


# An ISO 8601 date and time as CKAN writes them (metadata_modified…): the
# only strings the fast path below takes; anything else goes to dateutil.
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?"
)


def _fast_date_triple(
    profile: Any, subject: Node, predicate: Node, value: Any, _type: Any = Literal
) -> bool:
    """ckanext-dcat's ``_add_date_triple`` for ISO date-times, without dateutil.

    dateutil's parser was a tenth of the dump's time; ``fromisoformat`` gives
    the same ``xsd:dateTime`` for these strings (tested against it). False for
    any other value: ckanext-dcat's own method takes it.
    """
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return False
        profile.g.add(
            (subject, predicate, _type(parsed.isoformat(), datatype=XSD.dateTime))
        )
        return True
    return False


class DatasetGraphs:
    """Builds one graph per dataset with ckanext-dcat's configured profiles.

    What ``RDFSerializer.graph_from_dataset`` does, with the profiles created
    once rather than for each dataset: a profile's set-up (its dataset schema,
    read through ``scheming_dataset_schema_show``) is the same for every
    dataset, and ours keeps what it derives from code lists and territories
    for its whole life. Each graph is a new one, given to the profiles in turn.
    """

    def __init__(self, profiles: list[str] | None = None) -> None:
        self.serializer = RDFSerializer(profiles=profiles)
        self.serializer.g = Graph(bind_namespaces="core")
        self.catalog_ref = self.serializer.graph_from_catalog({})
        self.catalog = self.serializer.g
        self.profiles = dcat_compat.profiles_of(self.serializer, self.catalog)
        for profile in self.profiles:
            dcat_compat.replace_date_triples(profile, _fast_date_triple)
        # the prefixes of every dataset graph (bound by the profiles: the
        # writers use those of the catalogue)
        self._prefixes = new_graph().namespace_manager

    def build(self, dataset_dict: dict[str, Any]) -> Graph:
        """The dataset's graph, with its ``dcat:dataset`` link from the catalogue."""
        g = new_graph(self._prefixes)
        self.serializer.g = g
        try:
            ref = URIRef(dataset_uri(dataset_dict))
            for profile in self.profiles:
                profile.g = g
                profile.graph_from_dataset(dataset_dict, ref)
            if not dcat_compat.add_source_catalog(
                self.serializer, self.catalog_ref, dataset_dict, ref
            ):
                g.add((self.catalog_ref, DCAT.dataset, ref))
        except Exception as e:
            raise DatasetSkipped(f"{type(e).__name__}: {e}") from e
        finally:
            self.serializer.g = self.catalog
            for profile in self.profiles:
                profile.g = self.catalog
        return g

    def namespaces(self) -> Namespaces:
        known = list(namespaces.items())
        bound = [(p, str(ns)) for p, ns in self.catalog.namespaces()]
        return Namespaces(known + bound + [("xsd", str(XSD)), ("rdf", RDF_NS)])


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------

_IRI, _BLANK, _LITERAL = "iri", "blank", "literal"
# rdflib's term classes are abstract base classes, on which isinstance() costs
# several times a dict lookup: the kind of each class met, once
_KINDS: dict[type, str] = {}


def _kind(term: Node) -> str:
    cls = type(term)
    kind = _KINDS.get(cls)
    if kind is None:
        if isinstance(term, URIRef):
            kind = _IRI
        elif isinstance(term, BNode):
            kind = _BLANK
        elif isinstance(term, Literal):
            kind = _LITERAL
        else:
            raise DatasetSkipped(f"terme RDF inattendu : {term!r}")
        _KINDS[cls] = kind
    return kind


# A graph's triples by subject, with the text of each term (a plain string:
# the writers look them up in their memos) and the kind of each node:
# [(subject, its text, its kind, [(predicate text, object text, predicate,
# object, object kind)])]
_Pairs = list[tuple[str, str, URIRef, Node, str]]
_Statements = list[tuple[Node, str, str, _Pairs]]
_BY_TEXT = operator.itemgetter(0, 1)


def _subjects(g: Graph) -> _Statements:
    """The graph's triples by subject; subjects and their (p, o) sorted by
    text, so that the same graph is always written the same way."""
    kinds = _KINDS
    by_subject: dict[Node, _Pairs] = {}
    for s, p, o in g:
        kind = kinds.get(type(o)) or _kind(o)
        by_subject.setdefault(s, []).append((str(p), str(o), p, o, kind))  # type: ignore[arg-type]
    out: _Statements = []
    for s, pairs in by_subject.items():
        pairs.sort(key=_BY_TEXT)
        out.append((s, str(s), kinds.get(type(s)) or _kind(s), pairs))
    out.sort(key=lambda st: (st[2] is _BLANK, st[1]))
    return out


class _Memo(dict[str, Any]):
    """What a writer derived from an IRI, by the IRI's text (a plain string:
    rdflib's terms compare in Python).

    Vocabulary IRIs come back in every dataset, those of a dataset's own
    pages do not: two generations of at most ``size`` entries, the young one
    being the dict itself (its ``get`` is the fast path), the old one looked
    up by ``recall`` after a miss. An entry used again moves to the young
    generation; the old one is dropped when the young one is full. The memo
    keeps the IRIs in use, and its size does not grow with the catalogue.
    """

    def __init__(self, size: int = _MEMO_SIZE) -> None:
        super().__init__()
        self.size = size
        self._old: dict[str, Any] = {}

    def recall(self, key: str) -> Any:
        value = self._old.get(key)
        if value is not None:
            self.keep(key, value)
        return value

    def keep(self, key: str, value: Any) -> Any:
        if len(self) >= self.size:
            self._old = dict(self)
            self.clear()
        self[key] = value
        return value


class TurtleWriter:
    def __init__(self, out: IO[str] | None, ns: Namespaces) -> None:
        self.out = out
        self.ns = ns
        self._iris = _Memo()
        self._predicates = _Memo()

    def _iri(self, key: str) -> str:
        """The Turtle of an IRI (its text), after a miss on ``_iris.get``."""
        text = self._iris.recall(key)
        if text is None:
            q = self.ns.qname(key)
            text = self._iris.keep(key, f"{q[0]}:{q[1]}" if q else URIRef(key).n3())
        return text

    def _predicate(self, key: str) -> str:
        """The Turtle of a predicate, after a miss on ``_predicates.get``."""
        text = self._predicates.recall(key)
        if text is None:
            if key == RDF_NS + "type":
                text = "a"
            else:
                text = self._iris.get(key) or self._iri(key)
            self._predicates.keep(key, text)
        return text

    def _node(self, term: Node, kind: str) -> str:
        if kind is _IRI:
            key = str(term)
            return self._iris.get(key) or self._iri(key)
        if kind is _BLANK:
            return f"_:b{term}"
        assert isinstance(term, Literal)
        if term.datatype is not None:
            text = Literal(str(term)).n3()
            key = str(term.datatype)
            return f"{text}^^{self._iris.get(key) or self._iri(key)}"
        return term.n3()

    def header(self, generated: dt.datetime, catalog: Graph, generation: str) -> None:
        assert self.out is not None
        self.out.write(
            f"# Catalogue DCAT complet — généré le {generated.isoformat()}\n"
            f"# Full DCAT catalogue dump — generated on {generated.isoformat()}\n"
            f"# {freshness.MARK} {generation}\n\n"
        )
        for prefix, ns in sorted(self.ns.prefixes.items()):
            self.out.write(f"@prefix {prefix}: <{ns}> .\n")
        self.out.write("\n")
        self.graph(catalog)

    def render(self, statements: _Statements) -> str:
        out: list[str] = []
        node, iris, predicates = self._node, self._iris, self._predicates
        for s, _s_text, s_kind, pairs in statements:
            out.append(node(s, s_kind))
            sep = " "
            for p_text, o_text, _p, o, o_kind in pairs:
                predicate = predicates.get(p_text) or self._predicate(p_text)
                if o_kind is _IRI:
                    obj = iris.get(o_text) or self._iri(o_text)
                else:
                    obj = node(o, o_kind)
                out += (sep, predicate, " ", obj)
                sep = " ;\n    "
            out.append(" .\n")
        out.append("\n")
        return "".join(out)

    def graph(self, g: Graph) -> None:
        assert self.out is not None
        self.out.write(self.render(_subjects(g)))

    def footer(self) -> None:
        pass


class RDFXMLWriter:
    def __init__(self, out: IO[str] | None, ns: Namespaces) -> None:
        self.out = out
        self.ns = ns
        self._tags = _Memo()
        self._values = _Memo()

    def header(self, generated: dt.datetime, catalog: Graph, generation: str) -> None:
        assert self.out is not None
        decls = "".join(
            f"\n    xmlns:{p}={quoteattr(ns)}"
            for p, ns in sorted(self.ns.prefixes.items())
        )
        self.out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f"<!-- Catalogue DCAT complet — généré le {generated.isoformat()} -->\n"
            f"<!-- Full DCAT catalogue dump — generated on {generated.isoformat()} -->\n"
            f"<!-- {freshness.MARK} {generation} -->\n"
            f"<rdf:RDF{decls}>\n"
        )
        self.graph(catalog)

    def _value(self, key: str) -> str:
        """An IRI as an attribute value, after a miss on ``_values.get``."""
        value = self._values.recall(key)
        if value is None:
            value = self._values.keep(key, quoteattr(key))
        return value

    def _node_attr(self, node: Node, kind: str, about: bool) -> str:
        if kind is _BLANK:
            return f"rdf:nodeID={quoteattr('b' + str(node))}"
        key = str(node)
        value = self._values.get(key) or self._value(key)
        return f"rdf:{'about' if about else 'resource'}={value}"

    def _tag(self, key: str) -> tuple[str, str]:
        """The element name of a predicate, and the namespace it declares,
        after a miss on ``_tags.get``."""
        found = self._tags.recall(key)
        if found is None:
            ns, local = _split_predicate(key)
            q = self.ns.qname(key)
            if q:
                found = f"{q[0]}:{q[1]}", ""
            else:
                found = f"x:{local}", f" xmlns:x={quoteattr(ns)}"
            self._tags.keep(key, found)
        return found

    def render(self, statements: _Statements) -> str:
        out: list[str] = []
        tags, values = self._tags, self._values
        for s, _s_text, s_kind, pairs in statements:
            out.append(f"  <rdf:Description {self._node_attr(s, s_kind, True)}>\n")
            for p_text, o_text, _p, o, o_kind in pairs:
                tag, decl = tags.get(p_text) or self._tag(p_text)
                if o_kind is _LITERAL:
                    assert isinstance(o, Literal)
                    attrs = decl
                    if o.language:
                        attrs += f" xml:lang={quoteattr(o.language)}"
                    elif o.datatype is not None:
                        attrs += f" rdf:datatype={quoteattr(str(o.datatype))}"
                    out.append(f"    <{tag}{attrs}>{escape(o_text)}</{tag}>\n")
                elif o_kind is _IRI:
                    value = values.get(o_text) or self._value(o_text)
                    out.append(f"    <{tag}{decl} rdf:resource={value}/>\n")
                else:
                    attr = self._node_attr(o, o_kind, False)
                    out.append(f"    <{tag}{decl} {attr}/>\n")
            out.append("  </rdf:Description>\n")
        return "".join(out)

    def graph(self, g: Graph) -> None:
        assert self.out is not None
        self.out.write(self.render(_subjects(g)))

    def footer(self) -> None:
        assert self.out is not None
        self.out.write("</rdf:RDF>\n")


WRITERS: dict[str, type[TurtleWriter | RDFXMLWriter]] = {
    "ttl": TurtleWriter,
    "rdf": RDFXMLWriter,
}


# --------------------------------------------------------------------------
# Blocks: one dataset, checked and rendered in each format
# --------------------------------------------------------------------------


class Block(NamedTuple):
    """A dataset's text in each format, or why it was skipped."""

    name: str
    texts: tuple[str, ...] | None
    reason: str | None = None
    id: str = ""


class BlockMaker:
    """Builds a dataset's graph, checks it, and renders it in each format."""

    def __init__(self, formats: tuple[str, ...]) -> None:
        self.graphs = DatasetGraphs()
        self.ns = self.graphs.namespaces()
        self.renderers = [WRITERS[fmt](None, self.ns) for fmt in formats]
        # IRIs already checked (the same vocabulary IRIs come back in every
        # dataset)
        self._checked = _Memo()
        self._checked_predicates = _Memo()

    def _check_iri(self, term: URIRef) -> None:
        """``_check_iri``, after a miss on ``_checked.get``."""
        key = str(term)
        if self._checked.recall(key) is None:
            _check_iri(term)
            self._checked.keep(key, True)

    def _check_predicate(self, term: URIRef) -> None:
        """``_check_iri`` and ``_split_predicate``, after a miss on
        ``_checked_predicates.get``."""
        key = str(term)
        if self._checked_predicates.recall(key) is None:
            _check_iri(term)
            _split_predicate(key)
            self._checked_predicates.keep(key, True)

    def _check(self, statements: _Statements) -> None:
        """``check_graph``, each IRI once for the whole dump."""
        checked, predicates = self._checked, self._checked_predicates
        for s, s_text, s_kind, pairs in statements:
            if s_kind is _IRI and not checked.get(s_text):
                self._check_iri(s)  # type: ignore[arg-type]
            for p_text, o_text, p, o, o_kind in pairs:
                if not predicates.get(p_text):
                    self._check_predicate(p)
                if o_kind is _LITERAL:
                    _check_literal(o)  # type: ignore[arg-type]
                elif o_kind is _IRI and not checked.get(o_text):
                    self._check_iri(o)  # type: ignore[arg-type]

    def make(self, dataset: dict[str, Any]) -> Block:
        name = dataset.get("name") or dataset.get("id") or "?"
        if not dataset.get("id"):
            # the endpoints could not tell when it stops being public
            return Block(name, None, "jeu de données sans identifiant")
        try:
            statements = _subjects(self.graphs.build(dataset))
            self._check(statements)
            texts = tuple(r.render(statements) for r in self.renderers)
        except DatasetSkipped as e:
            return Block(name, None, str(e))
        return Block(name, texts, id=str(dataset["id"]))


# The worker processes' BlockMaker: the parent's, inherited when they are forked.
_MAKER: BlockMaker | None = None


def _worker_init() -> None:
    # Forked from the parent: its database connections are not ours (closing
    # or using them would break the parent's); the search index rebuild's
    # workers forget them in the same way.
    from ckanext.territoire.search import rebuild

    rebuild._child_init()


def _worker_blocks(datasets: list[dict[str, Any]]) -> list[Block]:
    assert _MAKER is not None, "dump worker not forked from a dump"
    return [_MAKER.make(dataset) for dataset in datasets]


def _chunks(
    datasets: Iterator[dict[str, Any]], size: int
) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(itertools.islice(datasets, size)):
        yield chunk


# Datasets per chunk handed to a worker: small enough for the work to stay
# balanced between the processes, large enough for the hand-over to cost little
_CHUNK = 50
# Chunks handed to each worker and not yet done before the dump builds one
_QUEUED = 4
# Interpreter lock switch interval (s) while workers run (see _parallel_blocks)
_SWITCH_INTERVAL = 0.0005


def _ready(item: concurrent.futures.Future[list[Block]] | list[Block]) -> bool:
    return not isinstance(item, concurrent.futures.Future) or item.done()


def _result(item: concurrent.futures.Future[list[Block]] | list[Block]) -> list[Block]:
    return item.result() if isinstance(item, concurrent.futures.Future) else item


@contextlib.contextmanager
def _parallel_blocks(
    maker: BlockMaker, datasets: Iterator[dict[str, Any]], n_workers: int, limit: int
) -> Iterator[Iterator[Block]]:
    """The datasets' blocks, in order, built by ``n_workers`` processes: this
    one and ``n_workers - 1`` forked ones.

    The datasets go in chunks to the forked workers until each has
    ``_QUEUED`` chunks not yet done (so that none waits for the next one);
    then this process builds the next chunk itself rather than wait. It
    writes the blocks that are ready, in order. At most ``limit`` datasets
    are handed out and not yet written.
    """
    global _MAKER
    forked = n_workers - 1
    chunk_size = max(1, min(_CHUNK, limit // (4 * n_workers)))
    max_pending = max(2, limit // chunk_size)
    _MAKER = maker
    executor = concurrent.futures.ProcessPoolExecutor(
        forked,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_worker_init,
    )

    def blocks() -> Iterator[Block]:
        Pending = concurrent.futures.Future[list[Block]] | list[Block]
        pending: collections.deque[Pending] = collections.deque()
        for chunk in _chunks(datasets, chunk_size):
            busy = sum(not _ready(item) for item in pending)
            if busy < _QUEUED * forked:
                pending.append(executor.submit(_worker_blocks, chunk))
            else:
                pending.append([maker.make(dataset) for dataset in chunk])
            while pending and (len(pending) >= max_pending or _ready(pending[0])):
                yield from _result(pending.popleft())
        while pending:
            yield from _result(pending.popleft())

    # The executor's threads in this process send the chunks and read the
    # blocks back, a pipe's worth at a time, each time taking the interpreter
    # lock from the thread building a chunk: let them have it sooner than the
    # default 5 ms, or the workers wait for their next chunk.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(min(switch_interval, _SWITCH_INTERVAL))
    try:
        yield blocks()
    finally:
        sys.setswitchinterval(switch_interval)
        executor.shutdown(wait=True, cancel_futures=True)
        _MAKER = None


def _collect(
    report: DumpReport,
    writers: list[TurtleWriter | RDFXMLWriter],
    block: Block,
    recorder: freshness.Recorder,
) -> None:
    if block.texts is None:
        log.warning("DCAT dump: dataset %s skipped: %s", block.name, block.reason)
        report.skipped.append((block.name, block.reason or "?"))
        return
    for writer, text in zip(writers, block.texts, strict=True):
        assert writer.out is not None
        writer.out.write(text)
    report.written += 1
    recorder.add(block.id)


# --------------------------------------------------------------------------
# The dump
# --------------------------------------------------------------------------


@dataclass
class DumpReport:
    generated: dt.datetime
    formats: tuple[str, ...]
    generation: str = ""
    paths: dict[str, str] = field(default_factory=dict)
    written: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1

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
    n_workers: int | None = None,
) -> DumpReport:
    """Write the dump in each format, atomically; return what was done.

    ``datasets`` defaults to every public dataset (``iter_public_datasets``);
    ``n_workers`` to ``workers()`` (1: everything in this process).
    """
    formats = tuple(dict.fromkeys(formats))
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown dump format: {fmt}")
    started = time.monotonic()
    started_at = dt.datetime.now(dt.timezone.utc)
    generated = started_at.replace(microsecond=0)
    n_workers = workers() if n_workers is None else max(1, n_workers)
    generation = freshness.new_generation()
    report = DumpReport(
        generated=generated, formats=formats, generation=generation, workers=n_workers
    )
    directory = directory or dump_dir()
    os.makedirs(directory, exist_ok=True)
    every = batch_size()
    recorder = freshness.Recorder(generation, started_at)

    # What is in memory now (CKAN, the plugins, the caches) stays: garbage
    # collections need not go through it again and again, and forked workers
    # leave its pages shared with the parent. (A dataset's graph holds no
    # reference cycle: it is freed as soon as it is written.)
    gc.collect()
    gc.freeze()
    temps: dict[str, tuple[IO[str], str]] = {}
    try:
        maker = BlockMaker(formats)
        writers: list[TurtleWriter | RDFXMLWriter] = []
        for fmt in formats:
            fd, tmp = tempfile.mkstemp(
                dir=directory, prefix=f".{FILE_NAMES[fmt]}.", suffix=".tmp"
            )
            out: IO[str] = os.fdopen(fd, "w", encoding="utf-8")
            temps[fmt] = (out, tmp)
            writer = WRITERS[fmt](out, maker.ns)
            writer.header(generated, maker.graphs.catalog, generation)
            writers.append(writer)

        stream = iter(iter_public_datasets() if datasets is None else datasets)
        if n_workers > 1:
            # the first dataset is built here: the workers share what it
            # loaded (the territories above all), frozen like the rest so that
            # garbage collections do not copy its pages into each worker
            for dataset in itertools.islice(stream, 1):
                _collect(report, writers, maker.make(dataset), recorder)
            gc.freeze()
            with _parallel_blocks(maker, stream, n_workers, every) as blocks:
                for block in blocks:
                    _collect(report, writers, block, recorder)
        else:
            for dataset in stream:
                _collect(report, writers, maker.make(dataset), recorder)

        for writer in writers:
            writer.footer()
        for out, tmp in temps.values():
            out.flush()
            os.fsync(out.fileno())
            out.close()
            os.chmod(tmp, 0o644)
            stamp = generated.timestamp()
            os.utime(tmp, (stamp, stamp))

        def install() -> None:
            for fmt, (_out, tmp) in temps.items():
                target = os.path.join(directory, FILE_NAMES[fmt])
                os.replace(tmp, target)
                report.paths[fmt] = target

        recorder.complete(install, time.monotonic() - started, [directory])
    except BaseException:
        try:
            recorder.discard()
        except Exception:
            log.exception("DCAT dump: the failed dump's entries were left")
        raise
    finally:
        gc.unfreeze()
        for out, tmp in temps.values():
            if not out.closed:
                out.close()
            if os.path.exists(tmp):
                os.unlink(tmp)
    report.seconds = time.monotonic() - started
    log.info(
        "DCAT dump: %s datasets written, %s skipped in %.1f s (%s processes)",
        report.written,
        len(report.skipped),
        report.seconds,
        report.workers,
    )
    return report
