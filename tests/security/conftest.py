"""The security suite (issue 16): what an audit of the portal found, kept fixed.

- ``test_matrix.py``: who may do what, role × action, through the API;
- ``test_datastore.py``: a private resource's rows, by every DataStore
  surface and SQL trick, and DataStore writes, for every outsider;
- ``test_probe.py``: no surface shows a dataset made private, deleted or
  withdrawn; ``test_private_leaks.py``: tags, members and activity;
- ``test_no_5xx.py``, ``test_client_errors.py``, ``test_search_errors.py``:
  what careless clients send answers 4xx in CKAN's format;
- ``test_request_limits.py``, ``test_dataset_limits.py``: size limits;
- ``test_csrf.py``: cookie-authenticated writes need the CSRF token;
- ``test_security_headers.py``, ``test_csp_browser.py`` (Chromium: every
  page passes the CSP), ``test_disclosure.py``: headers, versions not told.

The suite's cast: one person per role, two organisations.

Every role the audit tried (issue 16): anonymous, a registered user without
organisation, a member, an editor and an admin of the city's organisation,
an editor of another organisation, a sysadmin. Calls go through the real
HTTP API of CKAN's test app, authenticated by API tokens (as scripts do) —
or by nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from ckan.tests import factories

ROLES = (
    "anonyme",
    "inscrit",
    "membre",
    "editeur",
    "admin",
    "editeur-autre-org",
    "gestionnaire",
)


@dataclass
class Person:
    role: str
    name: str | None
    token: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": self.token} if self.token else {}


@dataclass
class Site:
    people: dict[str, Person]
    org: dict[str, Any]
    other_org: dict[str, Any]
    public: dict[str, Any]
    private: dict[str, Any]
    #: the role a test is acting as (names it creates are its own)
    who: str = ""

    def api(
        self, app: Any, who: str, action: str, method: str = "GET", /, **params: Any
    ) -> Any:
        """The action's HTTP answer for the role ``who`` (status and JSON body)."""
        person = self.people[who]
        url = f"/api/3/action/{action}"
        if method == "GET":
            return app.get(url, query_string=params, headers=person.headers)
        return app.post(url, json=params, headers=person.headers)


def _person(role: str, capacity_in: dict[str, list[dict[str, str]]]) -> Person:
    if role == "anonyme":
        return Person(role, None, None)
    user = (
        factories.Sysadmin(name=role)
        if role == "gestionnaire"
        else factories.User(name=role)
    )
    return Person(role, user["name"], factories.APIToken(user=user["name"])["token"])


@pytest.fixture
def site(clean_db) -> Site:
    people = {role: _person(role, {}) for role in ROLES}
    org = factories.Organization(
        name="ville",
        title="Ville",
        users=[
            {"name": "membre", "capacity": "member"},
            {"name": "editeur", "capacity": "editor"},
            {"name": "admin", "capacity": "admin"},
        ],
    )
    other = factories.Organization(
        name="autre-ville", users=[{"name": "editeur-autre-org", "capacity": "editor"}]
    )
    public = factories.Dataset(
        name="budget-public",
        title="Budget primitif",
        owner_org=org["id"],
        resources=[{"url": "https://example.org/budget.csv", "format": "CSV"}],
    )
    private = factories.Dataset(
        name="projet-prive",
        title="Projet privé",
        owner_org=org["id"],
        private=True,
        resources=[{"url": "https://example.org/projet.csv", "format": "CSV"}],
    )
    return Site(people, org, other, public, private)
