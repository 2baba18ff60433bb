"""One Redis round trip per rate-limited call instead of two.

limits' sliding window counter first takes an entry in the client's window
(one Lua script), then reads the window again for the ``X-RateLimit-*``
headers (a second script). Here the first script also returns the window as it
leaves it; the figures are kept for the rest of the request (``flask.g``)
and the second read is answered from them. Same keys, same arithmetic as
``limits``' own scripts: the counters stay shared with any other client of
the storage.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from limits.storage import RedisStorage

PREFIX = "territoire+"

# limits' acquire_sliding_window.lua, returning the window after the call:
# {acquired, previous count, previous ttl (ms), current count, current ttl (ms)}
ACQUIRE_AND_READ = """
local limit = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2]) * 1000
local amount = tonumber(ARGV[3])

local function window(acquired)
    return {acquired,
            tonumber(redis.call('get', KEYS[1])) or 0,
            math.max(tonumber(redis.call('pttl', KEYS[1])) or 0, 0),
            tonumber(redis.call('get', KEYS[2])) or 0,
            math.max(tonumber(redis.call('pttl', KEYS[2])) or 0, 0)}
end

if amount > limit then
    return window(0)
end

local current_ttl = tonumber(redis.call('pttl', KEYS[2]))
if current_ttl > 0 and current_ttl < expiry then
    redis.call('rename', KEYS[2], KEYS[1])
    redis.call('set', KEYS[2], 0, 'PX', current_ttl + expiry)
end

local previous_count = tonumber(redis.call('get', KEYS[1])) or 0
local previous_ttl = tonumber(redis.call('pttl', KEYS[1])) or 0
local current_count = tonumber(redis.call('get', KEYS[2])) or 0
if previous_ttl <= 0 then
    previous_ttl = 0
end
local weighted = math.floor(previous_count * previous_ttl / expiry) + current_count
if (weighted + amount) > limit then
    return window(0)
end
if redis.call('exists', KEYS[2]) == 1 then
    redis.call('incrby', KEYS[2], amount)
else
    redis.call('set', KEYS[2], amount, 'PX', expiry * 2)
end
return window(1)
"""


class OneTripRedisStorage(RedisStorage):
    """``territoire+redis://…``: limits' Redis storage, one trip per call."""

    STORAGE_SCHEME = [f"{PREFIX}redis", f"{PREFIX}rediss", f"{PREFIX}redis+unix"]

    def __init__(self, uri: str, **options: Any) -> None:
        super().__init__(uri.removeprefix(PREFIX), **options)

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_acquire_and_read = self.get_connection().register_script(
            ACQUIRE_AND_READ.encode()
        )

    def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        previous = self.prefixed_key(self._previous_window_key(key))
        current = self.prefixed_key(self._current_window_key(key))
        acquired, *window = self.lua_acquire_and_read(
            [previous, current], [limit, expiry, amount]
        )
        if has_request_context():
            seen = g.setdefault("territoire_rate_windows", {})
            seen[(key, expiry)] = (
                int(window[0]),
                float(window[1]) / 1000,
                int(window[2]),
                float(window[3]) / 1000,
            )
        return bool(acquired)

    def get_sliding_window(
        self, key: str, expiry: int
    ) -> tuple[int, float, int, float]:
        if has_request_context():
            seen = g.get("territoire_rate_windows") or {}
            if (key, expiry) in seen:
                return seen.pop((key, expiry))
        return super().get_sliding_window(key, expiry)
