"""Who may do what, through the action API: the role × action matrix.

The expectations are stock CKAN's authorisation with this portal's
configuration (no dataset outside an organisation, no organisation or group
created by users, user details not public), plus our own rules. Each
(action, role) pair runs on a fresh site: a write that one role may do never
changes what the next role finds: roles refused go first, and names a write
creates are the role's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .conftest import ROLES, Site

EVERYONE = set(ROLES)
ORG_READERS = {"membre", "editeur", "admin", "gestionnaire"}
ORG_EDITORS = {"editeur", "admin", "gestionnaire"}
ORG_ADMINS = {"admin", "gestionnaire"}
SYSADMIN = {"gestionnaire"}
LOGGED_IN = EVERYONE - {"anonyme"}

Params = Callable[[Site], dict[str, Any]]

CASES: list[tuple[str, str, Params, set[str]]] = [
    ("package_show", "GET", lambda s: {"id": s.public["id"]}, EVERYONE),
    ("package_show", "GET", lambda s: {"id": s.private["id"]}, ORG_READERS),
    (
        "resource_show",
        "GET",
        lambda s: {"id": s.private["resources"][0]["id"]},
        ORG_READERS,
    ),
    (
        "package_create",
        "POST",
        lambda s: {
            "name": f"nouveau-jeu-{s.who}",
            "title": "Nouveau jeu",
            "notes": "Description",
            "owner_org": s.org["id"],
        },
        ORG_EDITORS,
    ),
    (
        "package_patch",
        "POST",
        lambda s: {"id": s.public["id"], "notes": "Modifié"},
        ORG_EDITORS,
    ),
    ("package_delete", "POST", lambda s: {"id": s.public["id"]}, ORG_EDITORS),
    ("package_delete", "POST", lambda s: {"id": s.private["id"]}, ORG_EDITORS),
    (
        "resource_create",
        "POST",
        lambda s: {"package_id": s.public["id"], "url": "https://example.org/b.csv"},
        ORG_EDITORS,
    ),
    (
        "organization_patch",
        "POST",
        lambda s: {"id": s.org["id"], "description": "Nouvelle description"},
        ORG_ADMINS,
    ),
    (
        "organization_member_create",
        "POST",
        lambda s: {"id": s.org["id"], "username": "inscrit", "role": "member"},
        ORG_ADMINS,
    ),
    (
        "organization_create",
        "POST",
        lambda s: {"name": f"org-{s.who}", "title": "Nouvelle organisation"},
        SYSADMIN,
    ),
    ("group_create", "POST", lambda s: {"name": f"groupe-{s.who}"}, SYSADMIN),
    (
        "bulk_update_private",
        "POST",
        lambda s: {"datasets": [s.public["id"]], "org_id": s.org["id"]},
        ORG_ADMINS,
    ),
    (
        "bulk_update_delete",
        "POST",
        lambda s: {"datasets": [s.public["id"]], "org_id": s.org["id"]},
        ORG_ADMINS,
    ),
    ("dataset_purge", "POST", lambda s: {"id": s.public["id"]}, SYSADMIN),
    ("user_list", "GET", lambda s: {}, LOGGED_IN),
    ("user_show", "GET", lambda s: {"id": "membre"}, LOGGED_IN),
    (
        "api_token_list",
        "GET",
        lambda s: {"user_id": "membre"},
        {"membre", "gestionnaire"},
    ),
    (
        "harvest_source_create",
        "POST",
        lambda s: {
            "name": f"source-{s.who}",
            "title": "Portail partenaire",
            "url": "http://127.0.0.1:9/",
            "source_type": "territoire_opendatasoft",
            "owner_org": s.org["id"],
        },
        ORG_EDITORS,
    ),
    (
        "config_option_update",
        "POST",
        lambda s: {"ckan.site_title": "Portail modifié"},
        SYSADMIN,
    ),
]


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES)]
)
def test_each_role_may_do_exactly_what_its_role_allows(app, site: Site, case):
    action, method, params, allowed = case
    # refused roles first: they must change nothing the allowed ones rely on
    for role in sorted(ROLES, key=lambda r: r in allowed):
        site.who = role
        response = site.api(app, role, action, method, **params(site))
        body = response.json
        if role in allowed:
            assert response.status_code == 200, (action, role, body)
            assert body["success"] is True
        else:
            # refused as CKAN refuses: 403 with its error body, or a 404 for
            # an object the role may not even see — never a 5xx or a success
            assert response.status_code in (403, 404), (action, role, body)
            assert body["success"] is False
            assert body["error"]["__type"] in (
                "Authorization Error",
                "Not Found Error",
            )
