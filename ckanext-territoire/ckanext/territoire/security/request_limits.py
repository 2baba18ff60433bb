"""The action API's request body size and JSON nesting depth.

Both are checked before CKAN's API view reads the body: the size from
``Content-Length`` (a streamed body is read up to the limit), the depth on
the text itself, without parsing it. A body read here is cached by Flask for
the view; a multipart upload is parsed (its files spooled) only once.
"""

from __future__ import annotations

import re

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

import ckan.plugins.toolkit as tk
from ckan.types import Response

from . import limits
from .api_errors import api_error

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MB = 1024 * 1024

# a JSON string literal (unrolled: linear on any input)
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def check() -> Response | None:
    """413 or 400 in the API's format for an oversized or too deep request."""
    try:
        return _body_size() or _json_depth()
    except RequestEntityTooLarge:  # a text field of a multipart request
        return _too_large(None, upload=request.mimetype == "multipart/form-data")


def _upload_limit() -> int:
    # the file itself (ckan.max_resource_size, MB) and the request's other fields
    return int(tk.config.get("ckan.max_resource_size")) * MB + limits.get(
        "api_body_size"
    )


def _body_size() -> Response | None:
    upload = request.mimetype == "multipart/form-data"
    limit = _upload_limit() if upload else limits.get("api_body_size")
    length = request.content_length
    if length is not None and length > limit:
        return _too_large(length, upload)
    if upload:
        request.max_content_length = limit
        # a text field as long as a JSON body; never under Flask's default,
        # which Werkzeug also applies to each chunk it reads of a file
        request.max_form_memory_size = max(
            limits.get("api_body_size"),
            current_app.config.get("MAX_FORM_MEMORY_SIZE") or 0,
        )
        return None
    if length is not None:
        request.max_content_length = limit
        return None
    # a streamed body (no Content-Length): Werkzeug's limited stream stops at
    # the limit without an error, so one byte more tells; the body is cached
    # for the view (a form is parsed from the cache)
    request.max_content_length = limit + 1
    if len(request.get_data(cache=True)) > limit:
        return _too_large(None, upload=False)
    return None


def _too_large(length: int | None, upload: bool) -> Response:
    if upload:
        message = tk._(
            "Envoi trop volumineux : au plus {size} Mo par fichier, et {limit} "
            "octets pour un champ de texte."
        ).format(
            size=limits.number(int(tk.config.get("ckan.max_resource_size"))),
            limit=limits.number(limits.get("api_body_size")),
        )
    elif length is None:
        message = tk._(
            "Requête trop volumineuse : l'API accepte au plus {limit} octets."
        ).format(limit=limits.number(limits.get("api_body_size")))
    else:
        message = tk._(
            "Requête trop volumineuse : {size} octets ; l'API accepte au plus "
            "{limit} octets."
        ).format(
            size=limits.number(length),
            limit=limits.number(limits.get("api_body_size")),
        )
    return api_error(413, "Request Entity Too Large", message)


def _texts() -> list[str]:
    """Every text of the request that CKAN's API may read as JSON."""
    texts = [value for _key, values in request.args.lists() for value in values]
    if request.method in WRITE_METHODS:
        if request.mimetype in FORM_TYPES:
            for key, values in request.form.lists():
                # a lone key is read as a JSON document (ckanapi's form)
                texts.append(key)
                texts.extend(values)
        else:
            texts.append(request.get_data(cache=True, as_text=True))
    return texts


def too_deep(text: str, limit: int) -> bool:
    """Whether ``text`` opens more than ``limit`` nested JSON arrays or objects."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for char in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif depth:
            depth -= 1
    return False


def _json_depth() -> Response | None:
    limit = limits.get("json_depth")
    if any(too_deep(text, limit) for text in _texts()):
        return api_error(
            400,
            "Bad Request",
            tk._(
                "JSON trop imbriqué : l'API accepte au plus {limit} niveaux de "
                "tableaux et d'objets."
            ).format(limit=limits.number(limit)),
        )
    return None
