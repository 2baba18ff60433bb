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

``package_delete``, ``dataset_purge``, ``bulk_update_private`` and
``bulk_update_delete`` are chained to enqueue a regeneration of the full
dump when a dataset it holds leaves the public set (``freshness.py``;
``package_update`` is seen by the plugin's ``after_dataset_update``).
"""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.territoire.compat import dcat as dcat_compat
from ckanext.territoire.compat.dcat import TolerantRDFSerializer

from . import freshness


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


def _package_id(data_dict: DataDict) -> str | None:
    ref = data_dict.get("id")
    if not isinstance(ref, str) or not ref:
        return None
    pkg = model.Package.get(ref)
    return pkg.id if pkg is not None else None


@tk.chained_action
def package_delete(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    result = up_func(context, data_dict)
    freshness.note_unpublished([_package_id(data_dict)])
    return result


@tk.chained_action
def dataset_purge(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    # its id, while it still has one
    package_id = _package_id(data_dict)
    result = up_func(context, data_dict)
    freshness.note_unpublished([package_id])
    return result


def _bulk_unpublish(action: str) -> Any:
    @tk.chained_action
    def bulk(up_func: Any, context: Context, data_dict: DataDict) -> Any:
        result = up_func(context, data_dict)
        datasets = data_dict.get("datasets")
        if isinstance(datasets, (list, tuple)):
            freshness.note_unpublished(datasets)
        return result

    bulk.__name__ = action
    return bulk


def get_actions() -> dict[str, Any]:
    return {
        "dcat_dataset_show": dcat_dataset_show,
        "dcat_catalog_show": dcat_catalog_show,
        "dcat_catalog_search": dcat_catalog_search,
        "package_delete": package_delete,
        "dataset_purge": dataset_purge,
        "bulk_update_private": _bulk_unpublish("bulk_update_private"),
        "bulk_update_delete": _bulk_unpublish("bulk_update_delete"),
    }
