"""Our chain over ckanext-dcat's actions: a catalogue page that always answers.

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

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.territoire.compat import dcat as dcat_compat
from ckanext.territoire.compat.dcat import TolerantRDFSerializer


def _tolerant_catalog(context: Context, data_dict: DataDict) -> str:
    query = dcat_compat.search_datasets(context, data_dict)
    pagination_info = dcat_compat.pagination_info(query, data_dict)
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
