"""Rate limits of the API (flask-limiter, counters in the project's Redis).

Two budgets, counted separately:

- **reads** (every side-effect-free action, search included, whatever the
  HTTP method: ``ckanapi`` POSTs its reads; the DCAT endpoints):
  ``ckanext.territoire.rate_limit.anonymous`` per client IP address for
  anonymous calls, ``…authenticated`` per API token (per user for a browser
  session); the OpenAPI description (``/api/openapi.json|yaml``) counts as a
  read;
- **writes** (every other action): ``…write`` per API token or user.

Limits use flask-limiter's notation (``600 per minute``, ``10/second;
1000/hour``) and are read from the configuration on every request, so
``CKANEXT__TERRITOIRE__RATE_LIMIT__ANONYMOUS`` and ``ckan_config`` apply.
Sysadmins and the addresses of ``…rate_limit.exempt_networks`` are never
limited. The counters live in Redis (``ckan.redis.url``, or
``…rate_limit.storage_url``), under a key prefix naming the site: every
gunicorn worker shares them, and they outlive a worker's restart.

A refused call gets ``429`` with ``Retry-After`` (seconds) and the API's
error format, in French then English; the ``X-RateLimit-*`` headers tell
every limited answer where its budget stands.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from typing import Any

from flask import Flask, g, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded

import ckan.plugins.toolkit as tk
from ckan.common import current_user
from ckan.types import Response

from .. import settings
from ..security.api_errors import api_error

log = logging.getLogger(__name__)

READ = "read"
WRITE = "write"

_ACTION_PREFIXES = (
    "/api/3/action/",
    "/api/action/",
    "/api/2/action/",
    "/api/1/action/",
)
_DCAT_PREFIXES = ("/catalog.", "/catalog/dump.")
# the API's description, a read like any other (built for each language)
_DESCRIPTIONS = ("/api/openapi.json", "/api/openapi.yaml")


def _action_name() -> str | None:
    path = request.path
    for prefix in _ACTION_PREFIXES:
        if path.startswith(prefix):
            return path[len(prefix) :].strip("/") or None
    return None


def budget() -> str | None:
    """``read``, ``write`` or None (not limited) for the current request."""
    if request.method == "OPTIONS":
        return None
    name = _action_name()
    if name is not None:
        try:
            action = tk.get_action(name)
        except KeyError:
            return READ  # unknown actions cost a read: probing is not free
        return READ if getattr(action, "side_effect_free", False) else WRITE
    if request.path.startswith(_DCAT_PREFIXES) or request.path in _DESCRIPTIONS:
        return READ
    return None


def _token() -> str | None:
    header = tk.config.get("apitoken_header_name") or "Authorization"
    value = request.headers.get(header) or request.headers.get("X-CKAN-API-Key")
    return value or None


def client_key() -> str:
    """Who is counted: the API token (hashed), the user, or the IP address."""
    if current_user.is_authenticated:
        token = _token() if g.get("login_via_auth_header") else None
        if token:
            return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
        return "user:" + str(current_user.id)  # type: ignore[union-attr]
    return "ip:" + (request.remote_addr or "unknown")


def _limit_for(kind: str) -> str:
    if kind == WRITE:
        return str(settings.get("ckanext.territoire.rate_limit.write") or "")
    if current_user.is_authenticated:
        return str(settings.get("ckanext.territoire.rate_limit.authenticated") or "")
    return str(settings.get("ckanext.territoire.rate_limit.anonymous") or "")


def _exempt_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for item in settings.get_list("ckanext.territoire.rate_limit.exempt_networks"):
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            log.warning("rate_limit.exempt_networks: not a network: %s", item)
    return nets


def exempt() -> bool:
    """Requests never limited: not the API, disabled, sysadmins, exempt networks."""
    if budget() is None:
        return True
    if not settings.get_bool("ckanext.territoire.rate_limit.enabled"):
        return True
    if current_user.is_authenticated and getattr(current_user, "sysadmin", False):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in net for net in _exempt_networks())


def _storage_uri() -> str:
    from . import ratestore

    uri = str(
        settings.get("ckanext.territoire.rate_limit.storage_url")
        or tk.config.get("ckan.redis.url")
        or "memory://"
    )
    # Redis: the storage that takes and reads a window in one trip
    return ratestore.PREFIX + uri if uri.startswith("redis") else uri


def _breached(limit: Any) -> Response:
    reset = limit.reset_at if hasattr(limit, "reset_at") else time.time() + 60
    retry_after = max(1, math.ceil(reset - time.time()))
    fr = tk._(
        "Trop de requêtes : la limite de l'API est de {limit}. Réessayez dans "
        "{seconds} s (en-tête Retry-After). Limites et exemptions : /api."
    ).format(limit=str(limit.limit), seconds=retry_after)
    en = (
        f"Too many requests: the API allows {limit.limit}. Retry in "
        f"{retry_after} s (Retry-After header). Limits and exemptions: /api."
    )
    # French then English; English alone for an English request (/en/…)
    message = en if _language() == "en" else f"{fr} / {en}"
    response = api_error(429, "Rate Limit Exceeded", message)
    response.headers["Retry-After"] = str(retry_after)
    return response


def _language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale.language) if locale else "fr"


def _on_breach(request_limit: Any) -> Response:
    return _breached(request_limit)


def init_app(app: Flask) -> Limiter:
    """The limiter of one Flask app (one per app: tests make several)."""
    site = tk.config.get("ckan.site_id") or "default"
    limiter = Limiter(
        key_func=client_key,
        storage_uri=_storage_uri(),
        # the Redis client is made on first use, not at import
        storage_options={"socket_connect_timeout": 2, "socket_timeout": 2},
        # a weighted pair of counters per client: constant cost per call,
        # where the moving window keeps (and reads) one entry per call
        strategy="sliding-window-counter",
        headers_enabled=True,
        retry_after="delta-seconds",
        # a Redis outage lets the API answer rather than fail
        swallow_errors=True,
        key_prefix=f"territoire:{site}",
        on_breach=_on_breach,
        application_limits=[
            ApplicationLimit(
                lambda: _limit_for(READ),
                scope="territoire-read",
                exempt_when=lambda: budget() != READ,
            ),
            ApplicationLimit(
                lambda: _limit_for(WRITE),
                scope="territoire-write",
                exempt_when=lambda: budget() != WRITE,
            ),
        ],
    )
    limiter.request_filter(exempt)
    limiter.init_app(app)

    # CKAN's error handler renders an HTML page for every status code; the
    # handler of the exception's own class is looked up first
    @app.errorhandler(RateLimitExceeded)
    def too_many(e: RateLimitExceeded) -> Response:
        if e.response is not None:
            return e.response
        return _breached(getattr(limiter, "current_limit", None) or e)

    app.extensions["territoire_limiter"] = limiter
    return limiter
