"""DCAT web endpoints: the full-catalogue dump.

``/catalog/dump.ttl`` and ``/catalog/dump.rdf`` serve the files written by
``ckan territoire dcat dump`` (``Last-Modified`` = generation date), as long
as every dataset they hold is still public (``freshness.py``): otherwise 503,
a pointer to the paged catalogue, and a regeneration enqueued. The paged
catalogue (``/catalog.ttl``…) and the datasets' RDF are ckanext-dcat's
views, over our actions (``dcat/actions.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import IO

from flask import Blueprint, Response, request, send_file

import ckan.plugins.toolkit as tk

from . import dump, freshness

log = logging.getLogger(__name__)

dcat_dump = Blueprint("territoire_dcat", __name__)


def _refusal_reason(refused: str) -> str:
    if refused == "private":
        return tk._(
            "un jeu de données qu'il contient a été rendu privé depuis sa génération"
        )
    if refused == "deleted":
        return tk._(
            "un jeu de données qu'il contient a été supprimé ou dépublié depuis sa "
            "génération"
        )
    if refused == "purged":
        return tk._("un jeu de données qu'il contient a été purgé depuis sa génération")
    return tk._(
        "son contenu ne peut pas être vérifié (fichier d'une version antérieure, "
        "génération inachevée, ou contrôle indisponible)"
    )


def _refused(fmt: str, status: freshness.Status) -> Response:
    assert status.refused is not None
    if status.regeneration_helps:
        freshness.request_regeneration()
    message = tk._(
        "Le catalogue complet n'est pas servi pour l'instant : {reason}. Il est "
        "en cours de régénération : réessayez dans quelques minutes, ou "
        "parcourez le catalogue paginé, toujours à jour : /catalog.{fmt}"
    ).format(reason=_refusal_reason(status.refused), fmt=fmt)
    log.info("DCAT dump %s not served: %s", fmt, status.refused)
    response = Response(message + "\n", 503, mimetype="text/plain")
    response.headers["Retry-After"] = str(status.retry_after)
    response.headers["Link"] = f'</catalog.{fmt}>; rel="alternate"'
    # CKAN then marks it private rather than public (its cache headers)
    request.environ["__no_cache__"] = True
    response.cache_control.no_store = True
    return response


def _open(path: str) -> IO[bytes] | None:
    try:
        return open(path, "rb") if path else None
    except (FileNotFoundError, IsADirectoryError):
        return None


def catalog_dump(fmt: str) -> Response:
    try:
        path = dump.dump_path(fmt)
    except RuntimeError:
        path = ""
    for attempt in (1, 2):
        # the file checked is the file sent, even if a new dump replaces it
        f = _open(path)
        if f is None:
            message = tk._(
                "Le catalogue complet n'a pas encore été généré. Réessayez plus "
                "tard, ou parcourez le catalogue paginé : /catalog.{fmt}"
            ).format(fmt=fmt)
            return Response(message + "\n", 404, mimetype="text/plain")
        try:
            generation = freshness.generation_of(f)
            status = freshness.check(generation)
        except BaseException:
            f.close()
            raise
        if status.servable:
            break
        f.close()
        # unrecorded: perhaps replaced since it was opened by a new dump,
        # which forgot this one; the new one is checked in turn
        if status.refused != "unrecorded" or attempt == 2:
            return _refused(fmt, status)
    assert f is not None
    try:
        stat = os.fstat(f.fileno())
        generated = dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc)
        response = send_file(
            f,
            mimetype=dump.MEDIA_TYPES[fmt],
            last_modified=generated,
            max_age=0,
            download_name=dump.FILE_NAMES[fmt],
            etag=f"{generation}-{fmt}",
            conditional=False,
        )
        # what send_file does for a path: length, ranges, 304 (in place)
        response.content_length = stat.st_size
        response.make_conditional(
            request.environ, accept_ranges=True, complete_length=stat.st_size
        )
    except BaseException:
        f.close()
        raise
    response.headers["X-Catalog-Generated"] = generated.isoformat()
    return response


dcat_dump.add_url_rule(
    "/catalog/dump.<any(ttl, rdf):fmt>", view_func=catalog_dump, endpoint="dump"
)


def get_blueprints() -> list[Blueprint]:
    return [dcat_dump]
