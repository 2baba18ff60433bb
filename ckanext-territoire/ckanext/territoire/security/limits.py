"""The size limits of ``ckanext.territoire.limits.*`` and their numbers in messages."""

from __future__ import annotations

from babel.numbers import format_decimal

import ckan.plugins.toolkit as tk
from ckan.lib import i18n

from .. import settings


def get(name: str) -> int:
    """The limit ``ckanext.territoire.limits.<name>``."""
    return settings.get_int(f"ckanext.territoire.limits.{name}")


def number(value: int) -> str:
    """``value`` grouped as the request's language writes it (10 000, 10,000)."""
    try:
        lang = i18n.get_lang()
    except RuntimeError:  # no request (a command, a harvest): the portal's
        lang = tk.config.get("ckan.locale_default") or "fr"
    return format_decimal(value, locale=lang)
