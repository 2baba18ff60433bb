"""Most viewed datasets: distinct visitors per public dataset and day, in Redis.

Counted on the server when a public dataset page is served (no script, no
extra request, no row written in PostgreSQL per view), unlike CKAN's
``tracking`` plugin, whose package hooks add queries to every
``package_show`` and search result. A visitor is a salted hash of address,
browser and language kept only until the next day, to count them once per
day; what stays is one sorted set per day (dataset id → visitors), kept
``ckanext.territoire.popularity.days`` days plus a margin. Robots and
previews (``HEAD``, prefetch) are not counted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from typing import Any

import ckan.plugins.toolkit as tk

from .. import settings

log = logging.getLogger(__name__)

PREFIX = "territoire:views"
_ROBOTS = re.compile(
    r"bot|crawl|spider|slurp|preview|monitor|curl|wget|python-requests|headless",
    re.I,
)
# one round trip: remember the visitor for the day; count them if new
_RECORD = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], 172800)
  redis.call('ZINCRBY', KEYS[2], 1, ARGV[2])
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
end
return 1
"""


#: CKAN's dataset page, and ckanext-dcat's which replaces it (content
#: negotiation)
_DATASET_PAGES = frozenset({"dataset.read", "dcat.read_dataset"})


def _redis() -> Any:
    from ckan.lib.redis import connect_to_redis

    return connect_to_redis()


def _days() -> int:
    return max(1, settings.get_int("ckanext.territoire.popularity.days"))


def _day_key(day: dt.date) -> str:
    return f"{PREFIX}:{day.isoformat()}"


def visitor(environ: dict[str, Any]) -> str:
    """Anonymous key of a visitor for one day (salted with the site's secret)."""
    salt = str(tk.config.get("SECRET_KEY") or "")
    raw = "|".join(
        (
            salt,
            dt.date.today().isoformat(),
            environ.get("REMOTE_ADDR") or "",
            environ.get("HTTP_USER_AGENT") or "",
            environ.get("HTTP_ACCEPT_LANGUAGE") or "",
        )
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def countable(environ: dict[str, Any]) -> bool:
    agent = environ.get("HTTP_USER_AGENT") or ""
    purpose = (
        environ.get("HTTP_SEC_PURPOSE") or environ.get("HTTP_PURPOSE") or ""
    ).lower()
    return bool(agent) and not _ROBOTS.search(agent) and "prefetch" not in purpose


def record(package_id: str, environ: dict[str, Any]) -> None:
    """Count this visitor for this dataset today (never fails the page)."""
    if not countable(environ):
        return
    today = dt.date.today()
    key = _day_key(today)
    try:
        _redis().eval(
            _RECORD,
            2,
            f"{key}:{package_id}",
            key,
            visitor(environ),
            package_id,
            str((_days() + 2) * 86400),
        )
    except Exception as error:  # a view count is not worth a failed page
        log.warning("popularity: view not counted (%s)", error)


def after_request(response: Any) -> Any:
    """Flask hook: a public dataset page served with success is a view."""
    from flask import g, request

    if (
        request.method == "GET"
        and response.status_code == 200
        and request.endpoint in _DATASET_PAGES
        and response.mimetype == "text/html"  # not an RDF fetch by a harvester
    ):
        pkg = getattr(g, "pkg_dict", None)
        if isinstance(pkg, dict) and pkg.get("id") and not pkg.get("private"):
            if pkg.get("state", "active") == "active":
                record(pkg["id"], request.environ)
    return response


def top(limit: int) -> list[tuple[str, int]]:
    """(dataset id, visitors) over the last days, most viewed first."""
    today = dt.date.today()
    keys = [_day_key(today - dt.timedelta(days=n)) for n in range(_days())]
    redis = _redis()
    scratch = f"{PREFIX}:top:{today.isoformat()}"
    try:
        pipe = redis.pipeline()
        pipe.zunionstore(scratch, keys)
        pipe.expire(scratch, 60)
        pipe.zrevrange(scratch, 0, limit - 1, withscores=True)
        *_stored, ranked = pipe.execute()
    except Exception as error:
        log.warning("popularity: no ranking (%s)", error)
        return []
    return [
        (name.decode() if isinstance(name, bytes) else name, int(score))
        for name, score in ranked
    ]


def most_viewed(limit: int = 5) -> list[dict[str, Any]]:
    """Public datasets most viewed lately, with ``views`` (distinct visitors).

    Read through ``package_search`` as an anonymous visitor: a dataset made
    private or deleted since is left out.
    """
    ranked = top(limit * 3)
    if not ranked:
        return []
    views = dict(ranked)
    ids = " OR ".join(f'"{package_id}"' for package_id in views)
    found = tk.get_action("package_search")(
        {"user": "", "ignore_auth": False},
        {"fq": f"id:({ids})", "rows": len(views), "include_private": False},
    )["results"]
    found.sort(key=lambda pkg: -views.get(pkg["id"], 0))
    for pkg in found:
        pkg["views"] = views.get(pkg["id"], 0)
    return found[:limit]
