"""Every message of the extension has an English translation, compiled; every
plural one follows the French plural rule in French."""

from __future__ import annotations

import os
from typing import Any

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = os.path.join(os.path.dirname(__file__), "..")
PACKAGE = os.path.join(ROOT, "ckanext-territoire", "ckanext", "territoire")
I18N = os.path.join(PACKAGE, "i18n")
METHODS = [
    ("**.py", "python"),
    ("**.js", "javascript"),
    ("**/templates/**.html", "ckan"),
    ("**/templates/**.txt", "ckan"),
]


# make i18n's keywords: ``_`` and ``tk._``, and pybabel's defaults (plurals)
KEYWORDS = {
    "_": None,
    "tk._": None,
    "ngettext": (1, 2),
    "ungettext": (1, 2),
    "tk.ngettext": (1, 2),
    "tk.ungettext": (1, 2),
}


def _source_messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        PACKAGE,
        METHODS,
        keywords=KEYWORDS,
        options_map={
            "**/templates/**.html": {"encoding": "utf-8"},
            "**/templates/**.txt": {"encoding": "utf-8"},
        },
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def _translated(value: Any) -> bool:
    return all(value) if isinstance(value, list | tuple) else bool(value)


def _catalogue(lang: str, ext: str):
    path = os.path.join(I18N, lang, "LC_MESSAGES", f"ckanext-territoire.{ext}")
    with open(path, "rb") as f:
        return read_po(f) if ext == "po" else read_mo(f)


def test_every_message_is_translated_into_english():
    po = _catalogue("en", "po")
    translated = {m.id: m.string for m in po if m.id}
    missing = sorted(
        str(m) for m in _source_messages() if not _translated(translated.get(m))
    )
    assert not missing, "run `make i18n` and translate: " + "; ".join(missing)


def test_plural_messages_follow_the_french_rule_in_french():
    # Without a French entry, gettext picks the form by the English rule
    # (n != 1): "0 erreurs". The fr catalogue repeats each plural message of
    # ours, so that its rule (n > 1) applies.
    po = {m.id: m.string for m in _catalogue("fr", "po") if m.id}
    missing = sorted(
        str(m)
        for m in _source_messages()
        if isinstance(m, tuple) and not _translated(po.get(m))
    )
    assert not missing, "give their forms in i18n/fr: " + "; ".join(missing)


def _hashable(value: Any) -> Any:
    # plural messages: a tuple in the .po reader, a list in the .mo one
    return tuple(value) if isinstance(value, list | tuple) else value


def test_compiled_catalogue_matches_the_po():
    po = {_hashable(m.id): _hashable(m.string) for m in _catalogue("en", "po") if m.id}
    mo = {_hashable(m.id): _hashable(m.string) for m in _catalogue("en", "mo") if m.id}
    assert po == mo, "run `make i18n` (pybabel compile)"
