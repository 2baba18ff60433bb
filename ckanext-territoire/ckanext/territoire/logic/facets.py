"""The portal's own search facets, in one table.

Each facet is an index field (``vocab_*``: multi-valued strings in CKAN's
Solr schema and in ``territoire_pgsearch`` alike, so the same ``fq`` and
``facet.field`` work on both) filled from a field of the dataset's schema or
of its organisation's. The table says which; everything else follows from
it:

- the index documents (``index_fields``, from ``before_dataset_index``);
- the facet blocks of the dataset, organisation and group pages, in the
  table's order (``dataset_facets``), titled by the schema field's label
  unless the table gives a title;
- the names shown for the values (``label_facets``, from
  ``after_dataset_search``): territory names from the COG, otherwise the
  schema field's choices (code lists included);
- the facet counts ``territoire_pgsearch`` keeps up to date (its
  ``facet_summary_fields = auto`` asks the plugins for their facets).

A new faceted field is a schema field with choices and one line here.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ..languages import language_text
from ..lists import as_list
from ..territories import lookup
from . import territorial_search

DATASET = "dataset"
ORGANIZATION = "organization"


@dataclass(frozen=True)
class Facet:
    #: the index field, filtered with ``fq=<index_field>:<value>``
    index_field: str
    #: the schema field it is read from
    field: str
    #: whose schema: the dataset's or its organisation's
    of: str = DATASET
    #: the facet block's title (a translated message); None: the field's label
    title: Callable[[], str] | None = None
    #: shown before CKAN's own facets (organisation, tags…) rather than after
    first: bool = False
    #: values are territory codes, named from the COG (and rolled up)
    territorial: bool = False


FACETS: tuple[Facet, ...] = (
    Facet(
        territorial_search.COVERAGE,
        "territories",
        title=lambda: tk._("Territoires"),
        first=True,
        territorial=True,
    ),
    Facet("vocab_themes", "themes"),
    Facet("vocab_granularity", "granularity"),
    Facet("vocab_frequency", "frequency"),
    Facet(
        "vocab_producer_kind",
        "kind",
        of=ORGANIZATION,
        title=lambda: tk._("Nature du producteur"),
    ),
)

_BY_INDEX_FIELD = {facet.index_field: facet for facet in FACETS}
for _facet in FACETS:
    if _facet.territorial:
        # facet.field=vocab_territories_rollup gets the same names
        _BY_INDEX_FIELD.setdefault(territorial_search.ROLLUP, _facet)


# --------------------------------------------------------------------------
# Schemas


def _schema_field(facet: Facet) -> dict[str, Any] | None:
    from ckanext.scheming.helpers import (
        scheming_get_dataset_schema,
        scheming_get_organization_schema,
    )

    if facet.of == DATASET:
        schema = scheming_get_dataset_schema("dataset") or {}
        fields = schema.get("dataset_fields", [])
    else:
        schema = scheming_get_organization_schema("organization") or {}
        fields = schema.get("fields", [])
    return next((f for f in fields if f["field_name"] == facet.field), None)


def title(facet: Facet) -> str:
    if facet.title is not None:
        return facet.title()
    field = _schema_field(facet)
    return language_text(field["label"]) if field else facet.index_field


def choice_labels(index_field: str) -> dict[str, Any]:
    """``{value: {lang: label}}`` of a facet's schema field choices."""
    from ckanext.scheming.helpers import scheming_field_choices

    field = _schema_field(_BY_INDEX_FIELD[index_field])
    if field is None:
        return {}
    return {c["value"]: c["label"] for c in scheming_field_choices(field) or []}


# --------------------------------------------------------------------------
# Pages


def dataset_facets(facets: OrderedDict[str, Any]) -> OrderedDict[str, Any]:
    """CKAN's facets with ours: the ``first`` ones before, the others after."""
    out: OrderedDict[str, Any] = OrderedDict()
    for facet in FACETS:
        if facet.first:
            out[facet.index_field] = title(facet)
    out.update(facets)
    for facet in FACETS:
        if not facet.first:
            out[facet.index_field] = title(facet)
    return out


# --------------------------------------------------------------------------
# Index

_ORG_EXTRAS: dict[str, tuple[float, dict[str, Any]]] = {}
_ORG_TTL = 60.0


def _org_extras(org_id: str | None) -> dict[str, Any]:
    """An organisation's extras, kept a minute per process (``forget_org``)."""
    if not org_id:
        return {}
    hit = _ORG_EXTRAS.get(org_id)
    if hit and time.monotonic() - hit[0] < _ORG_TTL:
        return hit[1]
    group = model.Session.get(model.Group, org_id)
    extras = dict(group.extras or {}) if group is not None else {}
    _ORG_EXTRAS[org_id] = (time.monotonic(), extras)
    return extras


def forget_org(org_id: str) -> None:
    _ORG_EXTRAS.pop(org_id, None)


def _values(value: Any) -> list[str]:
    try:
        return as_list(value, separators="")
    except ValueError:
        return [str(value)]


def index_fields(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """The facet fields of one dataset's index document."""
    try:
        validated = json.loads(pkg_dict.get("validated_data_dict") or "{}")
    except ValueError:
        validated = {}
    out: dict[str, Any] = {}
    for facet in FACETS:
        if facet.of == DATASET:
            values = _values(validated.get(facet.field))
        else:
            values = _values(_org_extras(pkg_dict.get("owner_org")).get(facet.field))
        if not values:
            continue
        out[facet.index_field] = values
        if facet.territorial:
            out[territorial_search.ROLLUP] = territorial_search.rollup(values)
    words = theme_words(_values(validated.get("themes")))
    if words:
        # an extras_* field is full text for Solr's schema and ours alike
        out["extras_territoire_themes"] = words
    return out


def theme_words(codes: list[str]) -> str:
    """The themes' names (French, English) and French synonyms, for the full text.

    "transport" then finds the datasets of the Transports theme, whatever
    their titles say.
    """
    from ..vocabularies import codelists, free_text

    words: list[str] = []
    for code in codes:
        concept = codelists.theme(code)
        if concept is None:
            continue
        words.extend(concept.labels.values())
        words.extend(free_text.THEME_SYNONYMS.get(code, ()))
    return " ".join(words)


# --------------------------------------------------------------------------
# Search results


def label_facets(search_results: dict[str, Any]) -> None:
    """Names instead of raw codes in our facets."""
    labels: dict[str, dict[str, Any]] = {}
    for field, block in (search_results.get("search_facets") or {}).items():
        facet = _BY_INDEX_FIELD.get(field)
        if facet is None:
            continue
        for item in block.get("items", []):
            if facet.territorial:
                territory = lookup.get(item["name"])
                if territory is not None:
                    item["display_name"] = territory.label
                continue
            if facet.index_field not in labels:
                labels[facet.index_field] = choice_labels(facet.index_field)
            label = labels[facet.index_field].get(item["name"])
            if label:
                item["display_name"] = language_text(label)
