"""schemathesis against the live test portal, from its own OpenAPI description.

Every operation of /api/openapi.json gets a bounded number of generated
requests (``FUZZ_EXAMPLES`` valid, ``FUZZ_NEGATIVE`` of the wrong shape:
malformed ``fq``, wrong types, huge ``rows``, unknown sort fields, bodies
that are not what the operation takes), sent anonymously over real HTTP.
Each answer must be:

- no 5xx;
- documented: its status code, content type and body conform to the
  description (the API's envelope for the action API);
- free of private data: a private dataset, a private organisation's member
  and an API token exist, and nothing of them may appear.

Every failing request is recorded (an operation's run goes on after a
failure: a 500 could hide behind an earlier, lesser one) and the failures of
the whole run are reported together. Nothing is waived: the only 5xx
allowed is one an operation documents with ``Retry-After`` (the DCAT dump's
503 while it is made again).
Environment: ``TERRITOIRE_FUZZ_EXAMPLES`` / ``TERRITOIRE_FUZZ_NEGATIVE`` to
fuzz harder locally (the defaults keep the run under a minute on two cores;
25 / 20 passed too, in four minutes).
"""

from __future__ import annotations

import os
import time
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ckan.tests import factories

pytestmark = pytest.mark.usefixtures("clean_db", "cog")

EXAMPLES = int(os.environ.get("TERRITOIRE_FUZZ_EXAMPLES", "4"))
NEGATIVE = int(os.environ.get("TERRITOIRE_FUZZ_NEGATIVE", "3"))
SECRET = "zqxsecretmarker"

# Every operation is checked with ``not_a_server_error``. The one 5xx an
# operation may answer is the one it documents with a ``Retry-After`` header
# (``GET /catalog/dump.*``: 503 while the full dump is made again, by design);
# schemathesis's check does not read the description, hence ``_server_error``.


def _server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    if response.status_code >= 500:
        documented = case.operation.definition.raw.get("responses", {})
        retry = documented.get(str(response.status_code), {}).get("headers", {})
        if "Retry-After" in retry and response.headers.get("Retry-After"):
            return True
    return not_a_server_error(ctx, response, case)


def _envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """The action API answers in CKAN's JSON envelope, success or error."""
    if not case.path.startswith("/api/3/action/"):
        return None
    body = response.json()
    assert isinstance(body, dict), "not a JSON object"
    assert isinstance(body.get("success"), bool), "no success flag"
    if body["success"]:
        assert "result" in body, "success without result"
    else:
        assert isinstance(body.get("error"), dict), "failure without error"
        assert body["error"].get("__type"), "error without __type"
    return True


def _no_private_data(ctx: Any, response: Any, case: Any) -> bool | None:
    assert SECRET not in response.text, "private data in an anonymous answer"
    return True


CHECKS = [
    _server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    _envelope,
    _no_private_data,
]


@pytest.fixture(autouse=True)
def no_jobs_left():
    """The fuzzed writes queue jobs (loads of made-up links, harvests…):
    they must not be left for the next test's worker to run."""
    yield
    from ckan.lib import jobs

    for queue in jobs.get_all_queues():
        queue.empty()


@pytest.fixture
def private_data():
    owner = factories.UserWithToken(
        name=f"{SECRET}-user", email=f"{SECRET}@example.org"
    )
    # organisations are public in CKAN: only the dataset and the user are not
    org = factories.Organization(users=[{"name": owner["name"], "capacity": "admin"}])
    factories.Dataset(
        owner_org=org["id"],
        private=True,
        name=f"{SECRET}-dataset",
        title=f"Projet {SECRET}",
        notes=f"Notes {SECRET}",
    )
    # a public dataset, for the reads that find one
    public_org = factories.Organization(name="ville-publique")
    factories.Dataset(owner_org=public_org["id"], name="budget-public", title="Budget")
    return owner


def _run(
    operation: Any,
    mode: Any,
    count: int,
    session: requests.Session,
    failures: dict[str, str],
) -> int:
    """Send ``count`` generated requests; every failing one is recorded (a
    failing case does not stop the operation's run: a later 500 would hide
    behind an earlier, lesser failure)."""
    sent = 0

    @hypothesis.settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: Any) -> None:
        nonlocal sent
        response = case.call(session=session, timeout=60)
        sent += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseException as e:  # exception groups too
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            text = [line.strip() for line in str(e).strip().splitlines()]
            curl = [line for line in text if line.startswith("curl ")]
            title = f"{operation.label} [{mode.value}] {response.status_code}"
            key = f"{title} {text[0] if text else ''}"
            failures.setdefault(key, f"{title}: " + " | ".join(text[:12] + curl[:1]))

    try:
        fuzz()
    except hypothesis.errors.Unsatisfiable:
        pass  # negative mode, nothing to negate (no parameter)
    return sent


def test_fuzz_the_whole_description(live_portal, private_data):
    url = live_portal
    schema = schemathesis.openapi.from_url(f"{url}/api/openapi.json")
    session = requests.Session()
    failures: dict[str, str] = {}
    sent = 0
    operations = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        sent += _run(
            operation, schemathesis.GenerationMode.POSITIVE, EXAMPLES, session, failures
        )
        if NEGATIVE:
            sent += _run(
                operation,
                schemathesis.GenerationMode.NEGATIVE,
                NEGATIVE,
                session,
                failures,
            )
    elapsed = time.monotonic() - started
    print(f"fuzz: {operations} operations, {sent} requests, {elapsed:.0f} s")
    assert operations > 200
    assert sent > operations
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(
        sorted(failures.values())
    )
