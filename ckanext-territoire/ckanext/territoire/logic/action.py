"""Our chain over ckanext-scheming's schema action.

Fields whose choices come from a code list (``choices_helper:
territoire_codelist_choices``) have no ``choices`` in the schema file;
``scheming_dataset_schema_show`` would describe them by the helper's name,
which means nothing to an API client. The chained action gives them their
``choices``, as the form shows them, like any other choice field.

The action is called on every dataset shown (ckanext-dcat's and scheming's
``after_dataset_show`` read the schema through it): the completed schema is
made once per schema scheming serves, then handed out like scheming's own
(shared, not to be changed by callers).
"""

from __future__ import annotations

import copy
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict


@tk.chained_action
@tk.side_effect_free
def scheming_dataset_schema_show(
    up_func: Any, context: Context, data_dict: DataDict
) -> dict[str, Any]:
    from ckanext.scheming.helpers import scheming_field_choices

    def lacking(schema: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            field
            for key in ("dataset_fields", "resource_fields")
            for field in schema.get(key, [])
            if "choices_helper" in field and "choices" not in field
        ]

    schema = up_func(context, data_dict)
    hit = _COMPLETED.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    if not lacking(schema):
        return schema
    completed = copy.deepcopy(schema)  # scheming's own copy stays as it is
    for field in lacking(completed):
        field["choices"] = scheming_field_choices(field)
    # keyed by the upstream object, kept alive with it: a reloaded schema
    # (another configuration in tests) is a new object and completed anew
    _COMPLETED[id(schema)] = (schema, completed)
    return completed


_COMPLETED: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}


def get_actions() -> dict[str, Any]:
    return {"scheming_dataset_schema_show": scheming_dataset_schema_show}
