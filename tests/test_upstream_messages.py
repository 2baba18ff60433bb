"""The upstream messages our catalogue translates (``upstream_messages.py``)
are upstream's text to the letter, and each has its French.

A msgid that no longer matches upstream's (after an upgrade) would silently
stop translating; the French crawl (``tests/web/test_french.py``) would see
the English come back, this test says which message and where.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from ckanext.territoire import upstream_messages as um

I18N = os.path.join(os.path.dirname(um.__file__), "i18n")

# where each group's messages are found in the installed distributions
SOURCES = {
    "CKAN": [
        ("ckan", [("templates/**.html", "ckan"), ("**.py", "python")]),
        ("ckanext/activity", [("templates/**.html", "ckan"), ("**.py", "python")]),
        ("ckanext/datastore", [("templates/**.html", "ckan"), ("**.py", "python")]),
        ("ckanext/datatablesview", [("templates/**.html", "ckan")]),
    ],
    "CKANEXT_HARVEST": [
        ("ckanext/harvest", [("templates/**.html", "ckan"), ("**.py", "python")])
    ],
    "CKANEXT_SCHEMING": [
        ("ckanext/scheming", [("templates/**.html", "ckan"), ("**.py", "python")])
    ],
    "CKANEXT_XLOADER": [
        ("ckanext/xloader", [("templates/**.html", "ckan"), ("**.py", "python")])
    ],
}

# Upstream templates copied whole (they have no block to extend) or whose
# block was copied: the digest of the upstream file they were taken from.
COPIED = [
    (
        "source/new_source_form.html",
        "ckanext/harvest/templates/source/new_source_form.html",
        "86cb5b61a0a6c46e12879496e061bf2c85128cb219357e3115e6f6f01e2c1e89",
    ),
    (
        "snippets/activity_type_selector.html",
        "ckanext/activity/templates/snippets/activity_type_selector.html",
        "2fe4e7f0a337c0c49aad2b5ce0537ce8f2af5673abb454536228abe50b2f2e98",
    ),
    (
        "admin/index.html",
        "ckan/templates/admin/index.html",
        "2188cf6c8bb6d03410c4d316cc60e89431b25c86e0657356a3eb4f2a5f60ba9c",
    ),
    (
        "snippets/license.html",
        "ckan/templates/snippets/license.html",
        "be23de88bffd76e34460058a33799c35e76f04e15f7f6cfd68534866d48d320b",
    ),
    (
        "macros/form/markdown.html",
        "ckan/templates/macros/form/markdown.html",
        "228c61998411693477a220c0d12c4780a0c5a5e4399b60228d0069800d0897c8",
    ),
    (
        "header.html",
        "ckan/templates/header.html",
        "59119b878acc8f3015cdf965142df4eee3c4fb404161e1bbb4d90991741bf6af",
    ),
    (
        "header.html",
        "ckanext/activity/templates/header.html",
        "f4e72e6583c9c527c56696bd8efb3435c9bd1a31fec97a3074a815a37aa3f37b",
    ),
    (
        "snippets/facet_list.html",
        "ckan/templates/snippets/facet_list.html",
        "199932578af88663d81d70f94d04c60e490b042c0241105fd19198cc478daaa6",
    ),
    (
        "package/snippets/resource_item.html",
        "ckan/templates/package/snippets/resource_item.html",
        "78f730181d0567532626e865f8cac24866d157666c5586fd7fa9afaa7b8c0392",
    ),
]


def _site(path: str) -> str:
    import ckan

    root = os.path.dirname(os.path.dirname(ckan.__file__))
    return os.path.join(root, path)


@cache
def _upstream(group: str) -> frozenset[Any]:
    found = set()
    for directory, methods in SOURCES[group]:
        for _f, _l, message, _c, _ctx in extract_from_dir(
            _site(directory),
            methods,
            options_map={"templates/**.html": {"encoding": "utf-8"}},
        ):
            found.add(message if isinstance(message, str) else tuple(message))
    return frozenset(found)


@pytest.mark.parametrize("group", list(SOURCES))
def test_each_message_is_upstreams_to_the_letter(group):
    missing = [m for m in getattr(um, group) if m not in _upstream(group)]
    assert not missing, f"not found upstream ({group}): {missing}"


def test_messages_built_at_run_time_are_still_built_so():
    missing = []
    for message, path, text in um.RUNTIME:
        with open(_site(path), encoding="utf-8") as f:
            if text not in f.read():
                missing.append((message, path, text))
    assert not missing


def _all() -> list[Any]:
    return [
        *um.CKAN,
        *um.CKANEXT_HARVEST,
        *um.CKANEXT_SCHEMING,
        *um.CKANEXT_XLOADER,
        *(message for message, _path, _text in um.RUNTIME),
    ]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_each_message_is_translated(lang):
    path = os.path.join(I18N, lang, "LC_MESSAGES", "ckanext-territoire.po")
    with open(path, "rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id}
    missing = [
        m
        for m in _all()
        if not (all(po.get(m) or ()) if isinstance(m, tuple) else po.get(m))
    ]
    assert not missing, f"run `make i18n` and translate in i18n/{lang}: {missing}"


def test_french_translations_keep_the_placeholders():
    import re

    path = os.path.join(I18N, "fr", "LC_MESSAGES", "ckanext-territoire.po")
    with open(path, "rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id}
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sdr]")
    wrong = []
    for message in _all():
        ids = message if isinstance(message, tuple) else (message,)
        strings = po[message] if isinstance(message, tuple) else (po[message],)
        for source, french in zip(ids, strings, strict=False):
            # %-style placeholders must all be there ({name} ones may be left
            # out: .format ignores an unused argument)
            if sorted(placeholder.findall(source)) != sorted(
                placeholder.findall(french)
            ):
                wrong.append((source, french))
    assert not wrong


@pytest.mark.parametrize(("ours", "upstream", "digest"), COPIED)
def test_copied_upstream_templates_have_not_changed_upstream(ours, upstream, digest):
    with open(_site(upstream), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == digest, (
            f"{upstream} changed upstream: compare it with our templates/{ours} "
            "(copied from it, whole or a block) and record its new digest here"
        )
