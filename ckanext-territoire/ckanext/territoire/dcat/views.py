"""DCAT web endpoints: the full-catalogue dump.

``/catalog/dump.ttl`` and ``/catalog/dump.rdf`` serve the files written by
``ckan territoire dcat dump`` (``Last-Modified`` = generation date). The
paged catalogue (``/catalog.ttl``…) and the datasets' RDF are ckanext-dcat's
views, over our actions (``dcat/actions.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os

from flask import Blueprint, Response, send_file

import ckan.plugins.toolkit as tk

from . import dump

log = logging.getLogger(__name__)

dcat_dump = Blueprint("territoire_dcat", __name__)


def catalog_dump(fmt: str) -> Response:
    try:
        path = dump.dump_path(fmt)
    except RuntimeError:
        path = ""
    if not path or not os.path.isfile(path):
        message = tk._(
            "Le catalogue complet n'a pas encore été généré. Réessayez plus tard, "
            "ou parcourez le catalogue paginé : /catalog.{fmt}"
        ).format(fmt=fmt)
        return Response(message + "\n", 404, mimetype="text/plain")
    generated = dt.datetime.fromtimestamp(os.path.getmtime(path), dt.timezone.utc)
    response = send_file(
        path,
        mimetype=dump.MEDIA_TYPES[fmt],
        conditional=True,
        last_modified=generated,
        max_age=0,
        download_name=dump.FILE_NAMES[fmt],
    )
    response.headers["X-Catalog-Generated"] = generated.isoformat()
    return response


dcat_dump.add_url_rule(
    "/catalog/dump.<any(ttl, rdf):fmt>", view_func=catalog_dump, endpoint="dump"
)


def get_blueprints() -> list[Blueprint]:
    return [dcat_dump]
