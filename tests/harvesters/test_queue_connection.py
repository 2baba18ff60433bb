"""The harvest queues' Redis connections may wait for work (redis-py 8:
``compat/harvest.py``)."""

from __future__ import annotations

import threading
import time

from ckanext.harvest import queue


def test_an_idle_consumer_waits_past_redis_py_default_timeout():
    connection = queue.get_connection()
    assert connection.connection_pool.connection_kwargs["socket_timeout"] is None
    key = "territoire-test:blpop-wait"
    connection.delete(key)
    threading.Timer(6.5, lambda: queue.get_connection().rpush(key, "x")).start()
    started = time.monotonic()
    # more than redis-py 8's default 5 s socket timeout
    assert connection.blpop(key) == (key, "x")
    assert time.monotonic() - started > 6
