"""How each field of CKAN's search document is stored and queried.

The field types mirror CKAN's Solr schema (``ckan/config/solr/schema.xml``):
``string`` fields match exactly, ``text`` fields are analysed, ``date`` fields
take ranges. Hot fields get typed columns; every other string value lands in
the ``terms`` array as ``"field:value"`` (GIN-indexed), which is how dynamic
fields (``extras_*``, ``res_*``, ``vocab_*``, anything a ``before_dataset_index``
hook adds) are filtered and faceted.
"""

from __future__ import annotations

import json
from typing import Any

# Scalar string columns of territoire_search_doc.
SCALAR_COLUMNS = (
    "index_id",
    "id",
    "site_id",
    "entity_type",
    "dataset_type",
    "state",
    "capacity",
    "name",
    "title_string",
    "owner_org",
    "organization",
    "license_id",
    "creator_user_id",
)
ARRAY_COLUMNS = ("tags", "groups", "res_format", "permission_labels")
DATE_COLUMNS = ("metadata_created", "metadata_modified", "indexed_ts")

# Analysed (text) fields and the tsvector weight their words carry; None means
# the whole vector (Solr's catch-all ``text`` field).
TEXT_FIELDS: dict[str, str | None] = {
    "text": None,
    "title": "A",
    "notes": "C",
    "res_name": "C",
    "res_description": "C",
    "author": "D",
    "author_email": "D",
    "maintainer": "D",
    "maintainer_email": "D",
    "urls": "D",
}
TEXT_PREFIXES = ("extras_", "res_extras_")
NGRAM_FIELDS = ("title_ngram", "name_ngram")
INT_FIELDS = (
    "views_total",
    "views_recent",
    "resources_accessed_total",
    "resources_accessed_recent",
)
STORED_ONLY = ("data_dict", "validated_data_dict")

# Fields whose words go into each weight of the tsvector (Solr's qf:
# name^4 title^4 tags^2 groups^2 text).
WEIGHT_A = ("title", "name")
WEIGHT_B = ("tags", "groups", "organization")
WEIGHT_C = ("notes", "res_name", "res_description")
WEIGHT_D = (
    "author",
    "maintainer",
    "license",
    "url",
    "res_url",
    "urls",
    "text",
    "version",
)
WEIGHT_D_PREFIXES = ("extras_", "res_extras_")
WEIGHT_B_PREFIXES = ("vocab_",)

MAX_TERM_LENGTH = 512


def kind(field: str) -> str:
    """The storage kind of a field: scalar, array, date, text, ngram, int, dynamic."""
    if field in SCALAR_COLUMNS:
        return "scalar"
    if field in ARRAY_COLUMNS:
        return "array"
    if field in DATE_COLUMNS:
        return "date"
    if field in TEXT_FIELDS or field.startswith(TEXT_PREFIXES):
        return "text"
    if field in NGRAM_FIELDS:
        return "ngram"
    if field in INT_FIELDS:
        return "int"
    if field.endswith("_date"):
        return "dyndate"
    return "dynamic"


def text_weight(field: str) -> str | None:
    if field in TEXT_FIELDS:
        return TEXT_FIELDS[field]
    return "D"


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        out: list[str] = []
        for item in value:
            out.extend(_strings(item))
        return out
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, (int, float, str)):
        return [str(value)]
    return []


def _join(
    doc: dict[str, Any], names: tuple[str, ...], prefixes: tuple[str, ...] = ()
) -> str:
    parts: list[str] = []
    for key, value in doc.items():
        if key in names or (prefixes and key.startswith(prefixes)):
            parts.extend(_strings(value))
    return "\n".join(parts)


def _organization_title(doc: dict[str, Any]) -> str:
    raw = doc.get("validated_data_dict") or doc.get("data_dict")
    if not isinstance(raw, str):
        return ""
    try:
        org = json.loads(raw).get("organization") or {}
    except ValueError:
        return ""
    return org.get("title") or "" if isinstance(org, dict) else ""


def to_row(doc: dict[str, Any]) -> dict[str, Any]:
    """Turn one CKAN search document into the parameters of one table row."""
    row: dict[str, Any] = {}
    for col in SCALAR_COLUMNS:
        value = doc.get(col)
        row[col] = None if value is None else str(value)
    for col in ARRAY_COLUMNS:
        row[col] = [s for s in _strings(doc.get(col)) if s != ""]
    for col in ("metadata_created", "metadata_modified"):
        row[col] = doc.get(col) or None
    row["title"] = doc.get("title")

    skip = set(SCALAR_COLUMNS) | set(ARRAY_COLUMNS) | set(STORED_ONLY)
    terms: list[str] = []
    for key, value in doc.items():
        if key in skip or key in ("title", "notes", "text"):
            continue
        for item in _strings(value):
            if item and len(item) <= MAX_TERM_LENGTH:
                terms.append(f"{key}:{item}")
    row["terms"] = sorted(set(terms))

    name = (doc.get("name") or "").replace("-", " ").replace("_", " ")
    row["w_a"] = "\n".join(filter(None, [doc.get("title") or "", name]))
    row["w_b"] = "\n".join(
        filter(
            None,
            [
                _join(doc, WEIGHT_B, WEIGHT_B_PREFIXES).replace("-", " "),
                _organization_title(doc),
            ],
        )
    )
    row["w_c"] = _join(doc, WEIGHT_C)
    row["w_d"] = _join(doc, WEIGHT_D, WEIGHT_D_PREFIXES)
    row["ac"] = row["w_a"]
    row["doc"] = {k: v for k, v in doc.items() if k not in STORED_ONLY}
    row["data_dict"] = doc.get("data_dict")
    row["validated_data_dict"] = doc.get("validated_data_dict")
    return row
