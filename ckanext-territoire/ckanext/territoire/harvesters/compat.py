"""ckanext-harvest 1.6 with redis-py 8 (CKAN 2.12's pin): blocking reads.

ckanext-harvest's Redis consumers wait for work with ``BLPOP`` and no
timeout. redis-py 8 gives every connection a 5 s socket timeout by default,
so an idle gather or fetch consumer fails with "Timeout reading from socket"
after its retries (about a minute) and exits: ``make run`` restarts it, a
production supervisor too, but work can arrive while none is listening and
the logs fill with tracebacks. The queue connections are made here with the
same settings as ckanext-harvest's, but reads that may block: the connection
timeout stays, and TCP keepalive detects a dead server.
"""

from __future__ import annotations

from typing import Any

import redis

import ckan.plugins.toolkit as tk

_PATCHED = False


def harvest_redis_connection() -> redis.Redis:
    config = tk.config
    options: dict[str, Any] = {
        "decode_responses": True,
        "encoding": "utf-8",
        "socket_timeout": None,
        "socket_connect_timeout": 10,
        "socket_keepalive": True,
        "health_check_interval": 30,
    }
    if not config.get("ckan.harvest.mq.hostname") and config.get("ckan.redis.url"):
        return redis.Redis.from_url(config["ckan.redis.url"], **options)
    return redis.Redis(
        host=config.get("ckan.harvest.mq.hostname", "localhost"),
        port=int(config.get("ckan.harvest.mq.port", 6379)),
        password=config.get("ckan.harvest.mq.password", None),
        db=int(config.get("ckan.harvest.mq.redis_db", 0)),
        **options,
    )


def patch_harvest_queue() -> None:
    global _PATCHED
    if _PATCHED:
        return
    try:
        from ckanext.harvest import queue
    except ImportError:  # ckanext-harvest not installed
        return
    queue.get_connection_redis = harvest_redis_connection
    _PATCHED = True
