"""Our chain over ckanext-scheming's schema action.

Fields whose choices come from a code list (``choices_helper:
territoire_codelist_choices``) have no ``choices`` in the schema file;
``scheming_dataset_schema_show`` would describe them by the helper's name,
which means nothing to an API client. The chained action gives them their
``choices``, as the form shows them, like any other choice field.
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
    if not lacking(schema):
        return schema
    schema = copy.deepcopy(schema)  # scheming's cached schema is shared
    for field in lacking(schema):
        field["choices"] = scheming_field_choices(field)
    return schema


def get_actions() -> dict[str, Any]:
    return {"scheming_dataset_schema_show": scheming_dataset_schema_show}
