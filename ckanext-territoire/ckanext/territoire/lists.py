"""Lists of values, however they come: one reader for the whole extension.

A list arrives as a list (the API, a partner's JSON), as a JSON array in a
string (scheming's stored form of multi-valued fields, a form's hidden
input), or as separated text (a form's text input, a partner's
``"a;b"``). :func:`as_list` reads all three the same way everywhere: the
validators, the index, the templates and the harvesters.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ckan.lib.navl.dictization_functions import missing

#: what separates values typed in a form: commas, semicolons, white space
FORM_SEPARATORS = ",; \t\r\n\f\v"


def as_list(
    value: Any,
    separators: str = FORM_SEPARATORS,
    *,
    json_arrays: bool = True,
    strings_only: bool = False,
) -> list[str]:
    """The non-empty, stripped values of ``value``.

    - nothing (``None``, ``""``, ``[]``, scheming's ``missing``): ``[]``;
    - a list or tuple: its items as text (with ``strings_only``, its strings
      only: a partner's numbers or objects are not values);
    - text: with ``json_arrays``, a JSON array when it starts with ``[``
      (``ValueError`` when it does not parse: the caller says what to do);
      otherwise split on any run of ``separators`` (``""``: kept whole);
    - anything else: itself as text (``[]`` with ``strings_only``).
    """
    if value is None or value is missing or value == "" or value == []:
        return []
    if isinstance(value, str):
        text = value.strip()
        if json_arrays and text.startswith("["):
            loaded = json.loads(text)
            items: list[Any] = loaded if isinstance(loaded, list) else [loaded]
        elif separators:
            items = re.split(f"[{re.escape(separators)}]+", text)
        else:
            items = [text]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [] if strings_only else [value]
    if strings_only:
        items = [item for item in items if isinstance(item, str)]
    return [text for text in (str(item).strip() for item in items) if text]


def partner_values(value: Any, separators: str = ";") -> list[str]:
    """A partner's list field: a list of strings, or text split on ``separators``."""
    return as_list(value, separators, json_arrays=False, strings_only=True)
