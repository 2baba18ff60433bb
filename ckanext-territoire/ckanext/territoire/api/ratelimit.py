"""Rate limits of the API (``limits``, counters in the project's Redis).

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

A busy client's calls are taken from Redis several at a time by each
process (a lease, see :class:`_Lease`): one Redis trip for up to 32 calls
instead of one per call, the budget never exceeded, and budgets under 100
calls counted exactly.

The check is one ``before_request`` hook of ours on ``limits`` (the library
under Flask-Limiter, same notation, same storage, same sliding window
counter): Flask-Limiter's general machinery (decorators, blueprint and
route limits, exemption scopes) cost more per call than the Redis trip
itself, for two application-wide budgets that need none of it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import threading
import time
from functools import lru_cache

from flask import Flask, g, request
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

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


def _exempt_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    items = settings.get_list("ckanext.territoire.rate_limit.exempt_networks")
    return _networks(tuple(items))


@lru_cache(maxsize=16)
def _networks(
    items: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    nets = []
    for item in items:
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            log.warning("rate_limit.exempt_networks: not a network: %s", item)
    return tuple(nets)


def _exempt_caller() -> bool:
    """Callers never limited: limits disabled, sysadmins, exempt networks."""
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


@lru_cache(maxsize=64)
def _items(limit: str) -> tuple[RateLimitItem, ...]:
    """``600 per minute``, ``10/second;1000/hour`` → limits' items (parsed
    once per distinct value); a value that does not parse limits nothing."""
    if not limit.strip():
        return ()
    try:
        return tuple(parse_many(limit))
    except ValueError:
        log.error(
            "rate_limit: « %s » n'est pas une limite (exemple : 600 per minute) "
            "/ not a limit (e.g. 600 per minute); calls are not limited",
            limit,
        )
        return ()


# Leases: calls a process takes from Redis in one trip for a busy client
LEASE_SECONDS = 2.0  # unused calls of a lease are dropped after this
LEASE_MAX = 32  # calls per trip at most
LEASE_SHARE = 50  # and at most 1/50 of the budget: small budgets stay exact
LEASES_KEPT = 10_000  # clients remembered per process
_clock = time.monotonic


class _Lease:
    """Calls of one client's budget this process took in one Redis trip.

    A trip takes ``size`` calls at once (limits' sliding window counter,
    ``cost=size``): the first is the current call, the others are served
    here without Redis until used or :data:`LEASE_SECONDS` old. A client
    calls one at a time until it proves busy: the size doubles each time a
    lease is used up in time (1, 2, 4… up to :data:`LEASE_MAX` and a
    :data:`LEASE_SHARE`-th of the budget) and falls back to what was used
    when a lease expires unused. Calls are taken before they are served, so
    the budget is never exceeded; a lease dropped unused only spends a
    client's budget early (at most one lease per process, for a client that
    slowed down), and a budget of fewer than 100 calls is counted exactly.
    The ``X-RateLimit-Remaining`` a process tells includes its own unused
    lease, not the other processes'."""

    __slots__ = ("size", "left", "until", "remaining", "reset_at")

    def __init__(
        self, size: int, left: int, until: float, remaining: int, reset_at: float
    ) -> None:
        self.size = size
        self.left = left
        self.until = until
        self.remaining = remaining
        self.reset_at = reset_at


def _lease_size(item: RateLimitItem, last: _Lease | None) -> int:
    cap = min(LEASE_MAX, item.amount // LEASE_SHARE)
    if last is None or cap <= 1:
        return 1
    if last.left == 0:  # used up: the client keeps up, take more
        return min(cap, last.size * 2)
    return max(1, min(cap, last.size - last.left))  # expired: what it used


class RateLimiter:
    """Both budgets of one Flask app (one per app: tests make several)."""

    SCOPES = {READ: "territoire-read", WRITE: "territoire-write"}

    def __init__(self) -> None:
        site = tk.config.get("ckan.site_id") or "default"
        self.prefix = f"territoire:{site}"
        self.uri = _storage_uri()
        self._storage: Storage | None = None
        self._strategy: SlidingWindowCounterRateLimiter | None = None
        self._lock = threading.Lock()
        self._last_error = 0.0
        self._leases: dict[str, _Lease] = {}

    @property
    def storage(self) -> Storage:
        """limits' storage, made on first use (no Redis connection at import)."""
        storage = self._storage
        if storage is None:
            with self._lock:
                storage = self._storage
                if storage is None:
                    made = storage_from_string(
                        self.uri, socket_connect_timeout=2, socket_timeout=2
                    )
                    assert isinstance(made, Storage)  # not an asyncio storage
                    storage = made
                    self._strategy = SlidingWindowCounterRateLimiter(storage)
                    self._storage = storage
        return storage

    @property
    def strategy(self) -> SlidingWindowCounterRateLimiter:
        self.storage  # noqa: B018 - makes both
        assert self._strategy is not None
        return self._strategy

    def check(self) -> Response | None:
        """Count the call; the 429 answer when a budget is spent."""
        kind = budget()
        if kind is None or _exempt_caller():
            return None
        items = _items(_limit_for(kind))
        if not items:
            return None
        identity = (self.prefix, self.SCOPES[kind], client_key())
        try:
            stats = [(*self._take(item, identity), item) for item in items]
        except Exception:  # noqa: BLE001 - a Redis outage lets the API answer
            now = time.monotonic()
            if now - self._last_error > 60:
                self._last_error = now
                log.exception("rate limit storage unavailable; call not limited")
            return None
        # the headers tell the budget nearest to its end (the spent one first)
        taken, remaining, reset_at, item = min(stats, key=lambda s: (s[0], s[1], -s[2]))
        g.territoire_rate_limit = (item, remaining, reset_at)
        if not taken:
            return _breached(item, reset_at)
        return None

    def _take(
        self, item: RateLimitItem, identity: tuple[str, ...]
    ) -> tuple[bool, int, float]:
        """One call from the budget ``item``: (taken, remaining, reset time).

        Served from this process's lease when it holds one; otherwise one
        Redis trip takes the next lease (see :class:`_Lease`)."""
        key = item.key_for(*identity)
        now = _clock()
        with self._lock:
            lease = self._leases.get(key)
            if lease is not None and lease.left > 0 and now < lease.until:
                lease.left -= 1
                return True, lease.remaining + lease.left, lease.reset_at
        size = _lease_size(item, lease)
        taken = self.strategy.hit(item, *identity, cost=size)
        if not taken and size > 1:
            # near the end of the budget: the last calls one at a time
            size = 1
            taken = self.strategy.hit(item, *identity, cost=1)
        window = self.strategy.get_window_stats(item, *identity)
        with self._lock:
            if taken:
                if len(self._leases) >= LEASES_KEPT:
                    self._forget_expired(now)
                self._leases[key] = _Lease(
                    size,
                    size - 1,
                    now + LEASE_SECONDS,
                    window.remaining,
                    window.reset_time,
                )
            else:
                self._leases.pop(key, None)
        return taken, window.remaining + (size - 1 if taken else 0), window.reset_time

    def _forget_expired(self, now: float) -> None:
        for key in [k for k, v in self._leases.items() if v.until <= now]:
            del self._leases[key]
        if len(self._leases) >= LEASES_KEPT:
            self._leases.clear()

    @staticmethod
    def headers(response: Response) -> Response:
        seen = g.pop("territoire_rate_limit", None)
        if seen is None:
            return response
        item, remaining, reset_at = seen
        response.headers.setdefault("X-RateLimit-Limit", str(item.amount))
        response.headers.setdefault("X-RateLimit-Remaining", str(remaining))
        response.headers.setdefault("X-RateLimit-Reset", str(math.ceil(reset_at)))
        return response


def _breached(limit: RateLimitItem, reset_at: float) -> Response:
    """429 for the budget ``limit``, whose window frees a call at ``reset_at``."""
    retry_after = max(1, math.ceil(reset_at - time.time()))
    fr = tk._(
        "Trop de requêtes : la limite de l'API est de {limit}. Réessayez dans "
        "{seconds} s (en-tête Retry-After). Limites et exemptions : /api."
    ).format(limit=str(limit), seconds=retry_after)
    en = (
        f"Too many requests: the API allows {limit}. Retry in "
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


def init_app(app: Flask) -> RateLimiter:
    """Count every call of the app, after CKAN identified the caller."""
    limiter = RateLimiter()
    app.before_request(limiter.check)
    app.after_request(limiter.headers)
    app.extensions["territoire_limiter"] = limiter
    return limiter
