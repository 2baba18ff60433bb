"""Rate limits: budgets per IP / token, reads apart from writes, 429 with
Retry-After in CKAN's error format, counters shared through Redis."""

from __future__ import annotations

import logging

import pytest

import ckan.lib.redis as ckan_redis
from ckan.tests import factories

from ckanext.territoire.plugin import env_overrides

pytestmark = [
    pytest.mark.usefixtures("clean_db", "empty_counters"),
    pytest.mark.ckan_config("ckanext.territoire.rate_limit.anonymous", "3 per minute"),
    pytest.mark.ckan_config(
        "ckanext.territoire.rate_limit.authenticated", "4 per minute"
    ),
    pytest.mark.ckan_config("ckanext.territoire.rate_limit.write", "2 per minute"),
]


def limited(enabled: bool = True, exempt: str = ""):
    """The limits on, no exempt network (test.ini exempts 127.0.0.1)."""

    def mark(fn):
        fn = pytest.mark.ckan_config("ckanext.territoire.rate_limit.enabled", enabled)(
            fn
        )
        return pytest.mark.ckan_config(
            "ckanext.territoire.rate_limit.exempt_networks", exempt
        )(fn)

    return mark


SEARCH = "/api/3/action/package_search"


@pytest.fixture
def empty_counters(ckan_config):
    """No count left by another test (the windows last a minute)."""
    conn = ckan_redis.connect_to_redis()
    site = ckan_config["ckan.site_id"]
    for key in conn.scan_iter(match=f"*territoire:{site}*"):
        conn.delete(key)
    yield conn


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged():
    """The limiter's log records (test.ini stops ckanext's at its handler)."""
    logger = logging.getLogger("ckanext.territoire.api.ratelimit")
    # test.ini's logging is loaded after this module's import, which disables
    # its logger (fileConfig's disable_existing_loggers)
    disabled, logger.disabled = logger.disabled, False
    handler = _Records()
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)
    logger.disabled = disabled


def _ip(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _refused(res) -> None:
    assert res.status_code == 429, res.get_data(as_text=True)[:300]
    retry = int(res.headers["Retry-After"])
    assert 0 < retry <= 60
    body = res.json
    assert body["success"] is False
    assert body["error"]["__type"] == "Rate Limit Exceeded"
    message = body["error"]["message"]
    assert "Trop de requêtes" in message and "Too many requests" in message
    assert "3 per 1 minute" in message or "per" in message


@limited()
def test_anonymous_budget_per_ip(app):
    for _ in range(3):
        res = app.get(SEARCH, **_ip("203.0.113.5"))
        assert res.status_code == 200
    assert res.headers["X-RateLimit-Limit"] == "3"
    assert res.headers["X-RateLimit-Remaining"] == "0"
    _refused(app.get(SEARCH, **_ip("203.0.113.5")))
    # ckanapi's way (POST) is the same budget
    _refused(app.post(SEARCH, json={}, **_ip("203.0.113.5")))
    # another address has its own budget
    assert app.get(SEARCH, **_ip("203.0.113.6")).status_code == 200


@limited()
def test_pages_are_not_limited(app):
    for _ in range(5):
        assert app.get("/api", **_ip("203.0.113.5")).status_code == 200


@limited()
def test_the_description_is_a_read(app):
    # /api/openapi.json|yaml count against the same budget as the API's reads
    assert app.get("/api/openapi.json", **_ip("203.0.113.6")).status_code == 200
    assert app.get("/api/openapi.yaml", **_ip("203.0.113.6")).status_code == 200
    assert app.get(SEARCH, **_ip("203.0.113.6")).status_code == 200
    _refused(app.get("/api/openapi.json", **_ip("203.0.113.6")))
    _refused(app.get(SEARCH, **_ip("203.0.113.6")))


@limited()
def test_per_token_and_reads_apart_from_writes(app):
    user = factories.UserWithToken()
    other = factories.UserWithToken()
    org = factories.Organization(users=[{"name": user["name"], "capacity": "admin"}])
    auth = {"headers": {"Authorization": user["token"]}, **_ip("203.0.113.7")}
    for _ in range(4):
        assert app.get(SEARCH, **auth).status_code == 200
    _refused_any = app.get(SEARCH, **auth)
    assert _refused_any.status_code == 429
    # the same address, anonymously or with another token: other budgets
    assert app.get(SEARCH, **_ip("203.0.113.7")).status_code == 200
    other_auth = {"headers": {"Authorization": other["token"]}, **_ip("203.0.113.7")}
    assert app.get(SEARCH, **other_auth).status_code == 200
    # writes have their own budget
    for title in ("Un", "Deux"):
        res = app.post(
            "/api/3/action/organization_patch",
            json={"id": org["id"], "title": title},
            **auth,
        )
        assert res.status_code == 200, res.get_data(as_text=True)[:300]
    res = app.post(
        "/api/3/action/organization_patch",
        json={"id": org["id"], "title": "Trois"},
        **auth,
    )
    assert res.status_code == 429
    assert res.headers["X-RateLimit-Limit"] == "2"


@limited()
def test_sysadmin_tokens_are_exempt(app):
    admin = factories.SysadminWithToken()
    for _ in range(6):
        res = app.get(
            SEARCH, headers={"Authorization": admin["token"]}, **_ip("203.0.113.8")
        )
        assert res.status_code == 200


@limited(exempt="198.51.100.0/24")
def test_configured_networks_are_exempt(app):
    for _ in range(6):
        assert app.get(SEARCH, **_ip("198.51.100.20")).status_code == 200
    for _ in range(3):
        app.get(SEARCH, **_ip("203.0.113.9"))
    assert app.get(SEARCH, **_ip("203.0.113.9")).status_code == 429


@limited(enabled=False)
def test_disabled(app):
    for _ in range(6):
        assert app.get(SEARCH, **_ip("203.0.113.10")).status_code == 200


@limited()
def test_two_workers_share_the_budget(make_app, empty_counters):
    # two apps: two gunicorn workers, or one worker before and after a restart
    first, second = make_app(), make_app()
    assert first.flask_app is not second.flask_app
    for app in (first, second, first):
        assert app.get(SEARCH, **_ip("203.0.113.11")).status_code == 200
    _refused(second.get(SEARCH, **_ip("203.0.113.11")))
    assert any(empty_counters.scan_iter(match="*territoire-read*"))


def test_the_environment_overrides_the_limit():
    found = env_overrides(
        {"CKANEXT__TERRITOIRE__RATE_LIMIT__ANONYMOUS": "5 per second"}
    )
    assert found == {"ckanext.territoire.rate_limit.anonymous": "5 per second"}


@limited()
def test_english_alone_for_an_english_request(app):
    for _ in range(3):
        app.get("/en" + SEARCH, **_ip("203.0.113.12"))
    res = app.get("/en" + SEARCH, **_ip("203.0.113.12"))
    assert res.status_code == 429
    assert res.json["error"]["message"].startswith("Too many requests")


@limited()
def test_one_redis_trip_per_call_and_exact_headers(app, monkeypatch):
    # the window read for the headers comes back with the call's own script
    from limits.storage import RedisStorage

    from ckanext.territoire.api import ratestore

    second_reads = []
    original = RedisStorage.get_sliding_window
    monkeypatch.setattr(
        RedisStorage,
        "get_sliding_window",
        lambda self, key, expiry: (
            second_reads.append(key) or original(self, key, expiry)
        ),
    )
    limiter = app.flask_app.extensions["territoire_limiter"]
    assert isinstance(limiter.storage, ratestore.OneTripRedisStorage)
    remaining = [
        app.get(SEARCH, **_ip("203.0.113.9")).headers["X-RateLimit-Remaining"]
        for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"]
    assert second_reads == []
    refused = app.get(SEARCH, **_ip("203.0.113.9"))
    _refused(refused)
    assert int(refused.headers["Retry-After"]) > 0


@limited()
@pytest.mark.ckan_config(
    "ckanext.territoire.rate_limit.storage_url", "redis://127.0.0.1:9/0"
)
def test_redis_down_lets_the_api_answer(make_app, logged):
    # a Redis outage must not take the API down with it: calls go unlimited
    # (the make_app fixture builds the app after the marks apply)
    app = make_app()
    for _ in range(5):
        res = app.get(SEARCH, **_ip("203.0.113.13"))
        assert res.status_code == 200
        assert "X-RateLimit-Limit" not in res.headers
    # logged once, not once per call
    limiter = app.flask_app.extensions["territoire_limiter"]
    assert limiter.uri.endswith("redis://127.0.0.1:9/0")
    messages = [r.getMessage() for r in logged]
    assert sum("rate limit storage" in m for m in messages) == 1, messages


@limited()
def test_a_limit_that_does_not_parse_limits_nothing(
    app, ckan_config, monkeypatch, logged
):
    # (the module's mark would win over a mark here: the value is set in the test)
    monkeypatch.setitem(
        ckan_config, "ckanext.territoire.rate_limit.anonymous", "beaucoup"
    )
    for _ in range(5):
        assert app.get(SEARCH, **_ip("203.0.113.14")).status_code == 200
    assert any("n'est pas une limite" in r.getMessage() for r in logged)


@limited()
def test_several_limits_the_nearest_to_its_end_is_told(app, ckan_config, monkeypatch):
    monkeypatch.setitem(
        ckan_config,
        "ckanext.territoire.rate_limit.anonymous",
        "5 per minute; 2 per second",
    )
    first = app.get(SEARCH, **_ip("203.0.113.15"))
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert app.get(SEARCH, **_ip("203.0.113.15")).status_code == 200
    refused = app.get(SEARCH, **_ip("203.0.113.15"))
    _refused(refused)
    assert refused.headers["X-RateLimit-Limit"] == "2"


def _trips(monkeypatch) -> list[int]:
    """The sizes of the Redis trips the limiter makes (one entry per trip)."""
    from ckanext.territoire.api import ratestore

    sizes: list[int] = []
    original = ratestore.OneTripRedisStorage.acquire_sliding_window_entry

    def counted(self, key, limit, expiry, amount=1):
        sizes.append(amount)
        return original(self, key, limit, expiry, amount)

    monkeypatch.setattr(
        ratestore.OneTripRedisStorage, "acquire_sliding_window_entry", counted
    )
    return sizes


@limited()
def test_a_busy_client_takes_its_calls_from_redis_in_leases(
    app, ckan_config, monkeypatch
):
    monkeypatch.setitem(
        ckan_config, "ckanext.territoire.rate_limit.anonymous", "1000 per minute"
    )
    trips = _trips(monkeypatch)
    remaining = []
    for _ in range(40):
        res = app.get(SEARCH, **_ip("203.0.113.16"))
        assert res.status_code == 200
        remaining.append(int(res.headers["X-RateLimit-Remaining"]))
    # 1, 2, 4, 8, 16 then 9 of the next 20 (1000 / 50): 6 trips, not 40
    assert trips == [1, 2, 4, 8, 16, 20]
    # the client sees its budget go down one call at a time
    assert remaining == list(range(999, 959, -1))


@limited()
def test_leases_never_let_a_budget_be_exceeded(make_app, ckan_config, monkeypatch):
    monkeypatch.setitem(
        ckan_config, "ckanext.territoire.rate_limit.anonymous", "200 per minute"
    )
    first, second = make_app(), make_app()  # two workers, each its leases
    served = 0
    for i in range(300):
        res = (first if i % 3 else second).get(SEARCH, **_ip("203.0.113.17"))
        assert res.status_code in (200, 429)
        served += res.status_code == 200
    # calls are taken before they are served; unused leases (4 at most:
    # 200 / 50, one per worker) only end the budget early
    assert 200 - 2 * 4 <= served <= 200


@limited()
def test_a_slow_client_is_counted_one_call_at_a_time(app, ckan_config, monkeypatch):
    from ckanext.territoire.api import ratelimit

    monkeypatch.setitem(
        ckan_config, "ckanext.territoire.rate_limit.anonymous", "1000 per minute"
    )
    trips = _trips(monkeypatch)
    clock = [1000.0]
    monkeypatch.setattr(ratelimit, "_clock", lambda: clock[0])
    for _ in range(3):
        app.get(SEARCH, **_ip("203.0.113.18"))
        app.get(SEARCH, **_ip("203.0.113.18"))
        clock[0] += ratelimit.LEASE_SECONDS + 1  # the lease of 2 went unused
    # 1, then 2 (the first was used up), then back to what was used
    assert trips[:3] == [1, 2, 1]
