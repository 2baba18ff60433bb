"""Our configuration options, with their defaults from the declarations.

The options are declared once, with their defaults, in
``config_declaration.yaml`` (plugin ``territoire``) and
``search/config_declaration.yaml`` (plugin ``territoire_pgsearch``). CKAN
fills in declared defaults while the declaring plugin is loaded; code that
runs without it (a test, a benchmark, a command or a patch of another of our
plugins) gets the same defaults here, read from the same files.
"""

from __future__ import annotations

import functools
import pathlib
from typing import Any

import yaml

import ckan.plugins.toolkit as tk

_HERE = pathlib.Path(__file__).parent
DECLARATIONS = {
    "territoire": _HERE / "config_declaration.yaml",
    "territoire_pgsearch": _HERE / "search" / "config_declaration.yaml",
}


@functools.cache
def declaration(plugin: str) -> dict[str, Any]:
    """The declaration of ``plugin``'s options (``IConfigDeclaration`` form)."""
    return yaml.safe_load(DECLARATIONS[plugin].read_text(encoding="utf-8"))


@functools.cache
def _defaults() -> dict[str, Any]:
    return {
        option["key"]: option.get("default")
        for plugin in DECLARATIONS
        for group in declaration(plugin)["groups"]
        for option in group["options"]
    }


def get(key: str) -> Any:
    """The option ``key``, or its declared default."""
    value = tk.config.get(key)
    return _defaults()[key] if value is None else value


def get_int(key: str) -> int:
    return int(get(key))


def get_bool(key: str) -> bool:
    return tk.asbool(get(key))


def get_list(key: str) -> list[str]:
    value = get(key)
    if isinstance(value, str):
        return value.split()
    return [str(v) for v in value or []]


def declared_default(key: str) -> Any:
    """The default the declarations give ``key``, whatever the ini says."""
    return _defaults()[key]
