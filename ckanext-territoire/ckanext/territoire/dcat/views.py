"""DCAT web endpoints: the full-catalogue dump and a tolerant catalogue page.

``/catalog/dump.ttl`` and ``/catalog/dump.rdf`` serve the files written by
``ckan territoire dcat dump`` (``Last-Modified`` = generation date).

``dcat_catalog_show`` / ``dcat_catalog_search`` are chained over
ckanext-dcat's actions (behind ``/catalog.{ttl,rdf,jsonld}`` and the content
negotiation on ``/``): ckanext-dcat serializes a page of datasets in one graph,
so one dataset whose metadata makes a profile fail, or that holds an IRI no
serializer can write, turns the whole page into a 500. Here each dataset's
graph is built apart and checked; a broken one is left out of the page with
its reason logged, and the page answers.

``dcat_dataset_show`` (``/dataset/<id>.<fmt>`` and its content negotiation)
checks the dataset's graph the same way: a dataset that cannot be written
answers 409 with the reason, which ckanext-dcat's view shows, rather than a
500 or an RDF/XML file no parser reads.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

from flask import Blueprint, Response, send_file

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.dcat import logic as dcat_logic
from ckanext.dcat.exceptions import RDFProfileException
from ckanext.dcat.processors import RDFSerializer
from ckanext.dcat.profiles.base import DCAT
from ckanext.dcat.utils import url_to_rdflib_format

from . import dump

log = logging.getLogger(__name__)

dcat_dump = Blueprint("territoire_dcat", __name__)


def catalog_dump(fmt: str) -> Response:
    try:
        path = dump.dump_path(fmt)
    except RuntimeError:
        path = ""
    if not path or not os.path.isfile(path):
        message = tk._(
            "Le catalogue complet n'a pas encore été généré. Réessayez plus tard, "
            "ou parcourez le catalogue paginé : /catalog.{fmt}"
        ).format(fmt=fmt)
        return Response(message + "\n", 404, mimetype="text/plain")
    generated = dt.datetime.fromtimestamp(os.path.getmtime(path), dt.timezone.utc)
    response = send_file(
        path,
        mimetype=dump.MEDIA_TYPES[fmt],
        conditional=True,
        last_modified=generated,
        max_age=0,
        download_name=dump.FILE_NAMES[fmt],
    )
    response.headers["X-Catalog-Generated"] = generated.isoformat()
    return response


dcat_dump.add_url_rule(
    "/catalog/dump.<any(ttl, rdf):fmt>", view_func=catalog_dump, endpoint="dump"
)


def get_blueprints() -> list[Blueprint]:
    return [dcat_dump]


class TolerantRDFSerializer(RDFSerializer):
    """``RDFSerializer`` that leaves out the datasets it cannot serialize."""

    skipped: list[tuple[str, str]]
    g: Any

    def _checked_graph(self, dataset_dict: dict[str, Any]) -> Any:
        """The dataset's graph, built in ``self.g`` and checked: raises
        ``DatasetSkipped`` with the reason when it cannot be written."""
        try:
            dataset_ref = self.graph_from_dataset(dataset_dict)
            dump.check_graph(self.g)
        except dump.DatasetSkipped:
            raise
        except Exception as e:
            raise dump.DatasetSkipped(repr(e)) from e
        return dataset_ref

    def serialize_dataset(
        self,
        dataset_dict: dict[str, Any],
        _format: str = "xml",
        context: Any = None,
    ) -> str:
        try:
            self._checked_graph(dataset_dict)
        except dump.DatasetSkipped as e:
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
            self.g = dump.Graph(bind_namespaces="core")
            try:
                dataset_ref = self._checked_graph(dataset_dict)
            except dump.DatasetSkipped as e:
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


def _tolerant_catalog(context: Context, data_dict: DataDict) -> str:
    query = dcat_logic._search_ckan_datasets(context, data_dict)
    pagination_info = dcat_logic._pagination_info(query, data_dict)
    serializer = TolerantRDFSerializer(profiles=data_dict.get("profiles"))
    return serializer.serialize_catalog(
        {},
        query["results"],
        _format=data_dict.get("format") or "xml",
        pagination_info=pagination_info,
    )


@tk.chained_action
@tk.side_effect_free
def dcat_catalog_show(up_func: Any, context: Context, data_dict: DataDict) -> str:
    tk.check_access("dcat_catalog_show", context, data_dict)
    return _tolerant_catalog(context, data_dict)


@tk.chained_action
@tk.side_effect_free
def dcat_catalog_search(up_func: Any, context: Context, data_dict: DataDict) -> str:
    tk.check_access("dcat_catalog_search", context, data_dict)
    return _tolerant_catalog(context, data_dict)


@tk.chained_action
def dcat_dataset_show(up_func: Any, context: Context, data_dict: DataDict) -> str:
    tk.check_access("dcat_dataset_show", context, data_dict)
    dataset_dict = tk.get_action("package_show")(context, data_dict)
    serializer = TolerantRDFSerializer(profiles=data_dict.get("profiles"))
    return serializer.serialize_dataset(dataset_dict, _format=data_dict.get("format"))


def get_actions() -> dict[str, Any]:
    return {
        "dcat_dataset_show": dcat_dataset_show,
        "dcat_catalog_show": dcat_catalog_show,
        "dcat_catalog_search": dcat_catalog_search,
    }
