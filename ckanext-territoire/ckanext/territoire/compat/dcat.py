"""ckanext-dcat's and rdflib's internals that our DCAT code relies on.

ckanext-dcat 2.4.4 offers profiles (``ckan.rdf.profiles``) and harvester hooks
(``IDCATRDFHarvester``); these needs have none:

- **a tolerant catalogue page** (``dcat_catalog_show``/``_search``,
  ``dcat_dataset_show``): ``RDFSerializer.serialize_catalog`` builds a page's
  datasets in one graph, so one dataset a profile cannot export, or that
  holds an IRI no serializer writes, turns the page into a 500.
  :class:`TolerantRDFSerializer` is that method and ``serialize_dataset``
  copied, each dataset's graph built apart and checked; it calls the
  serializer's private ``_add_source_catalog`` and
  ``_add_pagination_triples``, and ckanext-dcat's private
  ``logic._search_ckan_datasets`` and ``_pagination_info``, which the
  catalogue actions use;
- **the full dump** (``dcat/dump.py``) builds the profiles once
  (``RDFSerializer._profiles``), links datasets to their source catalogue
  (``_add_source_catalog``), and gives each profile a faster
  ``_add_date_triple`` for ISO date-times, falling back to ckanext-dcat's;
- **IRIs rdflib cannot write**: rdflib's private ``term._is_valid_uri`` is the
  rule its serializers apply;
- **our DCAT harvester** (``harvesters/dcat.py``) overrides
  ``DCATRDFHarvester._get_existing_dataset`` and
  ``_mark_datasets_for_deletion`` and calls ``_read_datasets_from_db``:
  withdrawn datasets must be found, and datasets missing from a feed
  withdrawn rather than deleted.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Callable
from typing import Any

from rdflib import Graph, Literal
from rdflib.term import _is_valid_uri

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.dcat import logic as dcat_logic
from ckanext.dcat.exceptions import RDFProfileException
from ckanext.dcat.processors import RDFSerializer
from ckanext.dcat.profiles.base import DCAT
from ckanext.dcat.utils import url_to_rdflib_format

from . import Patch

log = logging.getLogger(__name__)


#: whether rdflib's serializers write a text as an IRI (called for every term
#: of the dump: rdflib's function itself, not a wrapper)
is_valid_iri = _is_valid_uri


def search_datasets(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """ckanext-dcat's search behind the catalogue endpoints (page, q, fq, modified_since)."""
    return dcat_logic._search_ckan_datasets(context, data_dict)


def pagination_info(query: dict[str, Any], data_dict: DataDict) -> dict[str, Any]:
    """ckanext-dcat's Hydra paging of a catalogue page."""
    return dcat_logic._pagination_info(query, data_dict)


def profiles_of(serializer: RDFSerializer, graph: Graph) -> list[Any]:
    """The serializer's configured profiles, each created once on ``graph``."""
    return [
        profile_class(graph, compatibility_mode=serializer.compatibility_mode)
        for profile_class in serializer._profiles
    ]


def add_source_catalog(
    serializer: RDFSerializer, catalog_ref: Any, dataset_dict: dict[str, Any], ref: Any
) -> bool:
    """Links a harvested dataset to its source catalogue, when configured to."""
    return bool(serializer._add_source_catalog(catalog_ref, dataset_dict, ref))


def replace_date_triples(profile: Any, fast: Callable[..., bool]) -> None:
    """Give one profile instance a faster ``_add_date_triple``.

    ``fast(profile, subject, predicate, value, _type)`` adds the triple and
    returns True, or returns False to let ckanext-dcat's own method do it.
    """
    upstream = type(profile)._add_date_triple

    def add_date_triple(
        self: Any, subject: Any, predicate: Any, value: Any, _type: Any = Literal
    ) -> None:
        if not fast(self, subject, predicate, value, _type):
            upstream(self, subject, predicate, value, _type)

    add_date_triple.__wrapped__ = fast  # type: ignore[attr-defined]
    profile._add_date_triple = types.MethodType(add_date_triple, profile)


class DatasetSkipped(Exception):
    """A dataset's graph cannot be written; the message says why."""


class TolerantRDFSerializer(RDFSerializer):
    """``RDFSerializer`` that leaves out the datasets it cannot serialize."""

    skipped: list[tuple[str, str]]
    g: Any

    def _checked_graph(self, dataset_dict: dict[str, Any]) -> Any:
        """The dataset's graph, built in ``self.g`` and checked: raises
        ``DatasetSkipped`` with the reason when it cannot be written."""
        # the dump's writers make the same checks (imported here: the dump
        # imports this module)
        from ckanext.territoire.dcat.dump import check_graph

        try:
            dataset_ref = self.graph_from_dataset(dataset_dict)
            check_graph(self.g)
        except DatasetSkipped:
            raise
        except Exception as e:
            raise DatasetSkipped(repr(e)) from e
        return dataset_ref

    def serialize_dataset(
        self,
        dataset_dict: dict[str, Any],
        _format: str = "xml",
        context: Any = None,
    ) -> str:
        try:
            self._checked_graph(dataset_dict)
        except DatasetSkipped as e:
            name = dataset_dict.get("name") or dataset_dict.get("id") or "?"
            log.warning("DCAT: dataset %s cannot be exported: %s", name, e)
            raise RDFProfileException(
                tk._(
                    "Le jeu de données {name} ne peut pas être exporté en DCAT : "
                    "{reason}. Ses métadonnées restent disponibles par l'API "
                    "(package_show) ; signalez-le aux gestionnaires du portail."
                ).format(name=name, reason=e)
            ) from e
        # what RDFSerializer.serialize_dataset does once the graph is built
        rdflib_format = url_to_rdflib_format(_format or "xml")
        if rdflib_format == "json-ld":
            return self.g.serialize(
                format=rdflib_format, auto_compact=True, context=context
            )
        return self.g.serialize(format=rdflib_format)

    def serialize_catalog(
        self,
        catalog_dict: dict[str, Any] | None = None,
        dataset_dicts: list[dict[str, Any]] | None = None,
        _format: str = "xml",
        pagination_info: dict[str, Any] | None = None,
    ) -> str:
        # RDFSerializer.serialize_catalog, with each dataset's graph built on a
        # graph of its own and checked before it joins the page's graph
        self.skipped = []
        catalog_ref = self.graph_from_catalog(catalog_dict)
        page_graph = self.g
        for dataset_dict in dataset_dicts or []:
            self.g = Graph(bind_namespaces="core")
            try:
                dataset_ref = self._checked_graph(dataset_dict)
            except DatasetSkipped as e:
                name = dataset_dict.get("name") or dataset_dict.get("id") or "?"
                log.warning("DCAT catalogue: dataset %s left out: %s", name, e)
                self.skipped.append((name, str(e)))
                continue
            finally:
                dataset_graph, self.g = self.g, page_graph
            for triple in dataset_graph:
                page_graph.add(triple)
            if not self._add_source_catalog(catalog_ref, dataset_dict, dataset_ref):
                page_graph.add((catalog_ref, DCAT.dataset, dataset_ref))
        if pagination_info:
            self._add_pagination_triples(pagination_info)
        return page_graph.serialize(format=url_to_rdflib_format(_format or "xml"))


PATCHES = [
    Patch(
        name="dcat-serializer-internals",
        replaces=(
            "copies ckanext.dcat.processors.RDFSerializer.serialize_catalog and "
            "serialize_dataset (TolerantRDFSerializer); calls its _profiles, "
            "_add_source_catalog, _add_pagination_triples, ckanext.dcat.logic."
            "_search_ckan_datasets and _pagination_info, and overrides profiles' "
            "_add_date_triple; rdflib.term._is_valid_uri"
        ),
        owners=("territoire",),
        upstream=("ckanext-dcat", "rdflib"),
    ),
    Patch(
        name="dcat-harvester-internals",
        replaces=(
            "overrides ckanext.dcat.harvesters.rdf.DCATRDFHarvester."
            "_get_existing_dataset and _mark_datasets_for_deletion, calls "
            "_read_datasets_from_db: no hook finds withdrawn datasets or "
            "replaces deletion"
        ),
        owners=("territoire_dcat_rdf",),
        upstream=("ckanext-dcat",),
    ),
]
