"""Territorial search: what datasets add to the index, and the roll-up filters.

Index fields are ``vocab_*`` names, multi-valued strings in CKAN's Solr
schema and in the PostgreSQL backend alike, so the same filters and facets
work on both:

* ``vocab_territories``: the coverage codes as entered (``commune:67482``);
* ``vocab_territories_rollup``: those codes plus every territory containing
  them (EPCI, département, région, ``pays:fr``). Filtering it on a
  département finds datasets about the département *and* about its communes;
* ``vocab_granularity``, ``vocab_frequency``, ``vocab_themes``,
  ``vocab_producer_kind``.

Search parameters (web page or API, ``ext_`` like every CKAN search extra):

* ``ext_territoire=<code>``: datasets covering that territory or any
  territory inside it (roll-up downwards);
* ``ext_concerne=<code>``: "concerne ma commune": datasets covering that
  territory or any territory containing it (roll-up upwards).
"""

from __future__ import annotations

import json
import time
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ..territories import lookup
from . import codes

TERRITORY_FIELDS = ("vocab_territories", "vocab_territories_rollup")
CHOICE_FIELDS = {
    "vocab_granularity": ("dataset", "granularity"),
    "vocab_frequency": ("dataset", "frequency"),
    "vocab_themes": ("dataset", "themes"),
    "vocab_producer_kind": ("organization", "kind"),
}

_ORG_KINDS: dict[str, tuple[float, str | None]] = {}
_ORG_TTL = 60.0


def _org_kind(org_id: str | None) -> str | None:
    if not org_id:
        return None
    hit = _ORG_KINDS.get(org_id)
    if hit and time.monotonic() - hit[0] < _ORG_TTL:
        return hit[1]
    group = model.Session.get(model.Group, org_id)
    kind = (group.extras or {}).get("kind") if group is not None else None
    _ORG_KINDS[org_id] = (time.monotonic(), kind)
    return kind


def forget_org(org_id: str) -> None:
    _ORG_KINDS.pop(org_id, None)


def _as_list(value: Any) -> list[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        if value.startswith("["):
            try:
                value = json.loads(value)
            except ValueError:
                return [value]
        else:
            return [value]
    return [str(v) for v in value if v]


def index_fields(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """The territorial fields of one dataset's index document."""
    try:
        validated = json.loads(pkg_dict.get("validated_data_dict") or "{}")
    except ValueError:
        validated = {}
    out: dict[str, Any] = {}
    territories = _as_list(validated.get("territories"))
    if territories:
        out["vocab_territories"] = territories
        rollup: dict[str, None] = dict.fromkeys(territories)
        for code in territories:
            rollup.update(dict.fromkeys(lookup.ancestors(code)))
        out["vocab_territories_rollup"] = list(rollup)
    for field, source in (
        ("vocab_granularity", "granularity"),
        ("vocab_frequency", "frequency"),
        ("vocab_themes", "themes"),
    ):
        values = _as_list(validated.get(source))
        if values:
            out[field] = values
    kind = _org_kind(pkg_dict.get("owner_org"))
    if kind:
        out["vocab_producer_kind"] = [kind]
    return out


def _quote(code: str) -> str:
    return '"' + code.replace('"', "") + '"'


def _codes(param: str, raw: str) -> list[str]:
    out = []
    for item in raw.split(","):
        if not item.strip():
            continue
        try:
            code = codes.normalize(item)
        except tk.Invalid as e:
            raise tk.ValidationError({param: [e.error]})
        current = lookup.former(code)
        if lookup.get(code) is None and current is None:
            raise tk.ValidationError(
                {
                    param: [
                        tk._("Territoire inconnu : « {value} ». {expected}").format(
                            value=item.strip(), expected=codes.expected_form()
                        )
                    ]
                }
            )
        out.append(current or code)
    return out


def search_filters(extras: dict[str, Any]) -> list[str]:
    """``fq`` clauses for the territorial search parameters in ``extras``."""
    clauses = []
    raw = extras.get("ext_territoire")
    if raw:
        found = _codes("ext_territoire", str(raw))
        if found:
            clauses.append(
                "vocab_territories_rollup:("
                + " OR ".join(_quote(c) for c in found)
                + ")"
            )
    raw = extras.get("ext_concerne")
    if raw:
        wanted: dict[str, None] = {}
        for code in _codes("ext_concerne", str(raw)):
            wanted[code] = None
            wanted.update(dict.fromkeys(lookup.ancestors(code)))
        if wanted:
            clauses.append(
                "vocab_territories:(" + " OR ".join(_quote(c) for c in wanted) + ")"
            )
    return clauses


def _choice_labels() -> dict[str, dict[str, Any]]:
    from ckanext.scheming.helpers import (
        scheming_field_choices,
        scheming_get_dataset_schema,
        scheming_get_organization_schema,
    )

    out: dict[str, dict[str, Any]] = {}
    for index_field, (kind, field_name) in CHOICE_FIELDS.items():
        schema = (
            scheming_get_dataset_schema("dataset")
            if kind == "dataset"
            else scheming_get_organization_schema("organization")
        )
        if not schema:
            continue
        fields = schema.get("dataset_fields" if kind == "dataset" else "fields", [])
        for field in fields:
            if field["field_name"] == field_name:
                out[index_field] = {
                    c["value"]: c["label"] for c in scheming_field_choices(field) or []
                }
    return out


def language_text(label: Any) -> str:
    """A {lang: text} label in the request's language (the default one outside a request)."""
    from ckanext.scheming.helpers import scheming_language_text

    try:
        return scheming_language_text(label)
    except RuntimeError:
        if isinstance(label, dict):
            default = tk.config.get("ckan.locale_default", "fr")
            return label.get(default) or next(iter(label.values()), "")
        return str(label)


def label_facets(search_results: dict[str, Any]) -> None:
    """Names instead of raw codes in the territorial facets."""
    facets = search_results.get("search_facets") or {}
    labels = None
    for field, facet in facets.items():
        if field in TERRITORY_FIELDS:
            for item in facet.get("items", []):
                territory = lookup.get(item["name"])
                if territory is not None:
                    item["display_name"] = territory.label
        elif field in CHOICE_FIELDS:
            labels = labels if labels is not None else _choice_labels()
            for item in facet.get("items", []):
                label = labels.get(field, {}).get(item["name"])
                if label:
                    item["display_name"] = language_text(label)
