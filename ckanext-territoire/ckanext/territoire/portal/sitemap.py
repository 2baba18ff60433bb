"""``/sitemap.xml``: the public datasets, organisations and territories.

A sitemap index (``/sitemap.xml``) naming one file per 45,000 datasets
(``/sitemap/datasets-<n>.xml``, under the protocol's 50,000) and one each
for organisations and territories. Each file is written as the rows are
read (``yield_per``), so the memory does not grow with the catalogue. A
territory's entry is its "concerne" search, for every territory some public
dataset covers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

from flask import Blueprint, Response

import ckan.model as model
import ckan.plugins.toolkit as tk

sitemap = Blueprint("territoire_sitemap", __name__)

PER_FILE = 45_000
_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def _site() -> str:
    return (tk.config.get("ckan.site_url") or "").rstrip("/")


def _public_datasets() -> Any:
    return model.Session.query(
        model.Package.name, model.Package.metadata_modified
    ).filter(
        model.Package.state == "active",
        model.Package.private == False,  # noqa: E712
        model.Package.type == "dataset",
    )


def _xml(lines: Iterator[str]) -> Response:
    return Response(lines, mimetype="application/xml")


@sitemap.route("/sitemap.xml")
def index() -> Response:
    count = _public_datasets().count()
    files = [
        f"/sitemap/datasets-{n + 1}.xml" for n in range(max(1, -(-count // PER_FILE)))
    ]
    files += ["/sitemap/organizations.xml", "/sitemap/territories.xml"]

    def lines() -> Iterator[str]:
        yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex {_NS}>\n'
        for path in files:
            yield f"<sitemap><loc>{escape(_site() + path)}</loc></sitemap>\n"
        yield "</sitemapindex>\n"

    return _xml(lines())


def _urlset(entries: Iterator[tuple[str, Any]]) -> Iterator[str]:
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {_NS}>\n'
    for loc, modified in entries:
        lastmod = (
            f"<lastmod>{modified.date().isoformat()}</lastmod>" if modified else ""
        )
        yield f"<url><loc>{escape(loc)}</loc>{lastmod}</url>\n"
    yield "</urlset>\n"


@sitemap.route("/sitemap/datasets-<int:n>.xml")
def datasets(n: int) -> Response:
    if n < 1:
        return tk.abort(404)
    query = (
        _public_datasets()
        .order_by(model.Package.name)
        .offset((n - 1) * PER_FILE)
        .limit(PER_FILE)
        .yield_per(1000)
    )
    site = _site()
    return _xml(
        _urlset((f"{site}/dataset/{name}", modified) for name, modified in query)
    )


@sitemap.route("/sitemap/organizations.xml")
def organizations() -> Response:
    query = (
        model.Session.query(model.Group.name, model.Group.created)
        .filter(
            model.Group.state == "active",
            model.Group.is_organization == True,  # noqa: E712
        )
        .order_by(model.Group.name)
        .yield_per(1000)
    )
    site = _site()
    return _xml(
        _urlset((f"{site}/organization/{name}", None) for name, _created in query)
    )


@sitemap.route("/sitemap/territories.xml")
def territories() -> Response:
    from urllib.parse import quote

    from ..logic import territorial_search

    result = tk.get_action("package_search")(
        {"user": "", "ignore_auth": False},
        {
            "q": "*:*",
            "rows": 0,
            "facet.field": [territorial_search.COVERAGE],
            "facet.limit": -1,
        },
    )
    codes = sorted((result.get("facets") or {}).get(territorial_search.COVERAGE) or {})
    site = _site()
    return _xml(
        _urlset(
            (f"{site}/dataset/?ext_concerne={quote(code, safe='')}", None)
            for code in codes
        )
    )
