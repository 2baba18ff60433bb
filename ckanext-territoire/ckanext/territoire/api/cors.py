"""CORS for the public reads of the API and of the DCAT endpoints.

flask-cors answers any origin (``Access-Control-Allow-Origin: *``) on the
action API and on the DCAT catalogue, dataset and dump URLs, and never with
``Access-Control-Allow-Credentials``: a browser then neither sends cookies
with a credentialed cross-origin request it means to read, nor lets a page
read an answer obtained with them. Scripts on other sites call the API
anonymously or with an API token (the ``Authorization`` header is allowed in
preflights).

A browser still *sends* a simple cross-origin POST (a form, ``text/plain``)
with the visitor's cookies before CORS is looked at; ``refuse_cookie_writes``
refuses such a write when the user was identified by the session cookie and
the ``Origin`` is not the site's, whatever the CSRF token: CORS alone never
lets a foreign page write as the visitor.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, g, request
from flask_cors import CORS

import ckan.plugins.toolkit as tk
from ckan.common import current_user
from ckan.types import Response

from ..security.api_errors import api_error

# URL rules (flask-cors regular expressions, matched on the path)
PUBLIC_RESOURCES = (
    r"/api/3/action/.*",
    r"/api/action/.*",
    r"/api/openapi\.(json|yaml)",
    r"/catalog\..*",
    r"/catalog/dump\..*",
    r"/dataset/[^/]+\.(ttl|rdf|jsonld|xml|n3|nt)",
)


def init_app(app: Flask) -> None:
    header = tk.config.get("apitoken_header_name") or "Authorization"
    CORS(
        app,
        resources={rule: {} for rule in PUBLIC_RESOURCES},
        origins="*",
        # "*" itself, not the caller's origin echoed back
        send_wildcard=True,
        supports_credentials=False,
        methods=["GET", "POST", "OPTIONS"],
        allow_headers=[header, "Content-Type", "X-CKAN-API-Key"],
        expose_headers=[
            "Retry-After",
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
        ],
        max_age=86400,
        vary_header=True,
    )


def _site_origin() -> str:
    parts = urlsplit(tk.config.get("ckan.site_url") or "")
    return f"{parts.scheme}://{parts.netloc}"


def _own_origin(origin: str) -> bool:
    return origin in (_site_origin(), request.host_url.rstrip("/"))


def refuse_cookie_writes() -> Response | None:
    """403 for a cross-origin write of the action API carrying the session cookie."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    origin = request.headers.get("Origin")
    if not origin or _own_origin(origin):
        return None
    if not current_user.is_authenticated or g.get("login_via_auth_header"):
        return None
    return api_error(
        403,
        "Authorization Error",
        tk._(
            "Écriture refusée : une requête venue d'un autre site ({origin}) "
            "n'écrit jamais avec le cookie de session du portail. Un script "
            "s'authentifie par un jeton d'API (en-tête Authorization)."
        ).format(origin=origin),
    )
