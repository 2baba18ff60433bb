"""The reST fields of an action's docstring (``:param x:``, ``:type x:``).

CKAN documents its actions this way (``help_show`` serves the same text);
the OpenAPI description reads parameters and their types from it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
from typing import Any

_FIELD = re.compile(r"^:(param|type|returns|rtype)(?:\s+([^:]+?))?\s*:\s*(.*)$")


@dataclasses.dataclass
class Param:
    name: str
    description: str = ""
    type: str = ""


@dataclasses.dataclass
class Doc:
    summary: str = ""
    description: str = ""
    params: dict[str, Param] = dataclasses.field(default_factory=dict)
    returns: str = ""
    rtype: str = ""


def original(action: Any) -> Any:
    """The function an action of CKAN's registry was made from.

    The registry holds wrappers (``functools.wraps``) of partials for the
    chained actions (``partial(chained, previous)``): the documented one is
    the innermost, the action as first defined.
    """
    fn = action
    for _ in range(50):
        if isinstance(fn, functools.partial):
            fn = fn.args[0] if fn.args else fn.func
        elif hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
        else:
            break
    return fn


def parse(action: Any) -> Doc:
    """The docstring of ``action`` (a registered action) in fields."""
    text = inspect.cleandoc(original(action).__doc__ or "")
    doc = Doc()
    prose: list[str] = []
    current: list[str] | None = None
    fields: list[tuple[str, str, list[str]]] = []
    for line in text.splitlines():
        found = _FIELD.match(line.strip())
        if found and not line.startswith(" "):
            current = [found.group(3)]
            fields.append((found.group(1), (found.group(2) or "").strip(), current))
        elif current is not None and (line.startswith(" ") or not line.strip()):
            current.append(line.strip())
        elif current is None:
            prose.append(line)
        else:
            # prose after the fields (rare): kept with the description
            current = None
            prose.append(line)
    body = "\n".join(prose).strip()
    doc.description = body
    doc.summary = _first_sentence(body)
    for kind, name, lines in fields:
        value = " ".join(x for x in lines if x).strip()
        if kind in ("param", "type"):
            # ":param int limit:" (Sphinx's inline type) is read too
            parts = name.split()
            if not parts:
                continue
            pname = parts[-1]
            param = doc.params.setdefault(pname, Param(pname))
            if kind == "param":
                param.description = value
                if len(parts) == 2 and not param.type:
                    param.type = parts[0]
            else:
                param.type = value
        elif kind == "returns":
            doc.returns = value
        elif kind == "rtype":
            doc.rtype = value
    return doc


def _first_sentence(text: str) -> str:
    paragraph = text.split("\n\n", 1)[0].replace("\n", " ").strip()
    found = re.match(r"(.+?[.!?])(\s|$)", paragraph)
    sentence = found.group(1) if found else paragraph
    return sentence[:200]


def json_type(text: str) -> dict[str, Any]:
    """A JSON Schema type for a docstring's ``:type:`` text (loosely written)."""
    t = text.lower().strip()
    if not t:
        return {}
    if t.startswith(("list", "iterable")) or t.endswith("list"):
        return {"type": "array"}
    if t in ("int", "integer", "int or string", "number") or t.startswith("int "):
        return {"type": "integer"}
    if t.startswith("float"):
        return {"type": "number"}
    if t.startswith("bool"):
        return {"type": "boolean"}
    if t.startswith(("dict", "dictionary", "object")):
        return {"type": "object"}
    if "string" in t or t.startswith("str") or t in ("unicode", "text"):
        return {"type": "string"}
    return {}
