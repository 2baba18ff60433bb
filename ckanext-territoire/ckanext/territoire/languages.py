"""Labels given in several languages, shown in the reader's."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk


def language_text(label: Any) -> str:
    """A {lang: text} label in the request's language (the default one outside a request)."""
    from ckanext.scheming.helpers import scheming_language_text

    try:
        return scheming_language_text(label)
    except RuntimeError:
        if isinstance(label, dict):
            default = tk.config.get("ckan.locale_default")
            return label.get(default) or next(iter(label.values()), "")
        return str(label)
