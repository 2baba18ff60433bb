"""Who may do what on a partner's organisation: role × action, every cell
asserted (issue 18, part 4).

Roles: anonymous, a registered user without organisation, a member, an
editor and an admin of the commune's organisation, an editor of another
organisation, a data manager of the région (a member of the
``gestionnaires`` group, not a sysadmin) and a sysadmin.

Every cell goes through the real HTTP API of CKAN's test app, authenticated
by an API token as a script would be; a write that can happen once (a
deletion, a decision) gets an object of its own for each role, so that no
cell depends on another. A few cells are also tried through the web forms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

import ckan.authz as authz
import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.territoire.harvesters import records

pytestmark = pytest.mark.usefixtures("clean_db", "cog")

ROLES = (
    "anonyme",
    "inscrit",
    "membre",
    "editeur",
    "admin",
    "editeur-autre-org",
    "gestionnaire-donnees",
    "sysadmin",
)
ORG_EDITORS = {"editeur", "admin", "sysadmin"}
ORG_ADMINS = {"admin", "sysadmin"}
SYSADMIN = {"sysadmin"}
DATA_MANAGERS = {"gestionnaire-donnees", "sysadmin"}


@dataclass
class Site:
    tokens: dict[str, str | None]
    org: dict[str, Any]
    public: dict[str, Any]
    private: dict[str, Any]
    harvested: dict[str, Any]
    made: dict[str, int] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        token = self.tokens[role]
        return {"Authorization": token} if token else {}

    def unique(self, prefix: str) -> str:
        self.made[prefix] = self.made.get(prefix, 0) + 1
        return f"{prefix}-{self.made[prefix]}"


def _user(role: str) -> tuple[str | None, dict[str, Any] | None]:
    if role == "anonyme":
        return None, None
    user = (
        factories.Sysadmin(name=role)
        if role == "sysadmin"
        else factories.User(name=role)
    )
    return factories.APIToken(user=user["name"])["token"], user


@pytest.fixture
def site() -> Site:
    tokens = {}
    for role in ROLES:
        tokens[role] = _user(role)[0]
    managers = factories.Group(name="gestionnaires")
    call_action(
        "group_member_create",
        id=managers["id"],
        username="gestionnaire-donnees",
        role="member",
    )
    org = call_action(
        "organization_create",
        context={"user": "admin", "ignore_auth": True},
        name="commune-selestat",
        title="Commune de Sélestat",
        kind="commune",
        cog_code="67462",
    )
    for name, capacity in (("membre", "member"), ("editeur", "editor")):
        call_action(
            "organization_member_create", id=org["id"], username=name, role=capacity
        )
    other = factories.Organization(name="autre-commune")
    call_action(
        "organization_member_create",
        id=other["id"],
        username="editeur-autre-org",
        role="editor",
    )

    def dataset(name: str, **kwargs: Any) -> dict[str, Any]:
        return factories.Dataset(
            name=name,
            owner_org=org["id"],
            resources=[{"url": "https://example.org/d.csv", "format": "CSV"}],
            **kwargs,
        )

    harvested = dataset("jeu-moissonne")
    records.upsert("source-fictive", "remote-1", harvested["id"], "empreinte")
    model.Session.commit()
    return Site(
        tokens=tokens,
        org=org,
        public=dataset("budget-public"),
        private=dataset("projet-prive", private=True),
        harvested=harvested,
    )


def _fresh_dataset(site: Site, private: bool) -> dict[str, Any]:
    return factories.Dataset(
        name=site.unique("a-supprimer-prive" if private else "a-supprimer"),
        owner_org=site.org["id"],
        private=private,
        resources=[{"url": "https://example.org/x.csv", "format": "CSV"}],
    )


def _fresh_resource(site: Site, private: bool) -> dict[str, Any]:
    target = site.private if private else site.public
    return call_action(
        "resource_create",
        context={"user": "sysadmin"},
        package_id=target["id"],
        url="https://example.org/r.csv",
    )


#: communes without an organisation: one creation request each
COMMUNES = ["67043", "67130", "67180", "67218", "67267", "67348", "67437", "67447"]


def _request(site: Site, territory: str | None = None) -> dict[str, Any]:
    """A pending request of a new person: to join the commune's organisation
    (``67462``), or by default to create another commune's."""
    if territory is None:
        territory = COMMUNES[site.made.get("demandeur", 0) % len(COMMUNES)]
    requester = factories.User(name=site.unique("demandeur"))
    return call_action(
        "territoire_join_request_create",
        context={"user": requester["name"], "ignore_auth": False},
        territory=territory,
        email="demandeur@example.org",
    )


def _member_to_remove(site: Site) -> str:
    user = factories.User(name=site.unique("a-retirer"))
    call_action(
        "organization_member_create",
        id=site.org["id"],
        username=user["name"],
        role="member",
    )
    return str(user["name"])


Prepare = Callable[[Site, str], dict[str, Any]]

#: (cell name, action, prepare(site, role) -> parameters, roles allowed)
CASES: list[tuple[str, str, Prepare, set[str]]] = [
    (
        "create-public-dataset",
        "package_create",
        lambda s, r: {
            "name": s.unique("nouveau-public"),
            "title": "Nouveau jeu",
            "notes": "Description",
            "owner_org": s.org["id"],
            "private": False,
        },
        ORG_EDITORS,
    ),
    (
        "create-private-dataset",
        "package_create",
        lambda s, r: {
            "name": s.unique("nouveau-prive"),
            "title": "Nouveau jeu",
            "notes": "Description",
            "owner_org": s.org["id"],
            "private": True,
        },
        ORG_EDITORS,
    ),
    (
        "update-public-dataset",
        "package_patch",
        lambda s, r: {"id": s.public["id"], "notes": f"Modifié par {r}"},
        ORG_EDITORS,
    ),
    (
        "update-private-dataset",
        "package_patch",
        lambda s, r: {"id": s.private["id"], "notes": f"Modifié par {r}"},
        ORG_EDITORS,
    ),
    (
        "delete-public-dataset",
        "package_delete",
        lambda s, r: {"id": _fresh_dataset(s, private=False)["id"]},
        ORG_EDITORS,
    ),
    (
        "delete-private-dataset",
        "package_delete",
        lambda s, r: {"id": _fresh_dataset(s, private=True)["id"]},
        ORG_EDITORS,
    ),
    (
        "create-resource-public",
        "resource_create",
        lambda s, r: {"package_id": s.public["id"], "url": "https://example.org/n.csv"},
        ORG_EDITORS,
    ),
    (
        "create-resource-private",
        "resource_create",
        lambda s, r: {
            "package_id": s.private["id"],
            "url": "https://example.org/n.csv",
        },
        ORG_EDITORS,
    ),
    (
        "update-resource-public",
        "resource_patch",
        lambda s, r: {"id": s.public["resources"][0]["id"], "name": f"Par {r}"},
        ORG_EDITORS,
    ),
    (
        "update-resource-private",
        "resource_patch",
        lambda s, r: {"id": s.private["resources"][0]["id"], "name": f"Par {r}"},
        ORG_EDITORS,
    ),
    (
        "delete-resource-public",
        "resource_delete",
        lambda s, r: {"id": _fresh_resource(s, private=False)["id"]},
        ORG_EDITORS,
    ),
    (
        "delete-resource-private",
        "resource_delete",
        lambda s, r: {"id": _fresh_resource(s, private=True)["id"]},
        ORG_EDITORS,
    ),
    (
        "edit-harvested-dataset",
        "package_patch",
        lambda s, r: {"id": s.harvested["id"], "notes": "Modifié ici"},
        SYSADMIN,
    ),
    (
        "add-resource-to-harvested-dataset",
        "resource_create",
        lambda s, r: {
            "package_id": s.harvested["id"],
            "url": "https://example.org/h.csv",
        },
        SYSADMIN,
    ),
    (
        "add-member",
        "organization_member_create",
        lambda s, r: {"id": s.org["id"], "username": "inscrit", "role": "member"},
        ORG_ADMINS,
    ),
    (
        "remove-member",
        "organization_member_delete",
        lambda s, r: {"id": s.org["id"], "username": _member_to_remove(s)},
        ORG_ADMINS,
    ),
    (
        "create-harvest-source",
        "harvest_source_create",
        lambda s, r: {
            "name": s.unique("source"),
            "title": "Portail de la commune",
            "url": "http://127.0.0.1:9/",
            "source_type": "territoire_opendatasoft",
            "owner_org": s.org["id"],
        },
        ORG_EDITORS,
    ),
    (
        "decide-creation-request",
        "territoire_join_request_decide",
        lambda s, r: {
            "id": _request(s)["id"],
            "decision": "reject",
            "reason": "Essai",
        },
        DATA_MANAGERS,
    ),
    (
        "decide-request-to-join-the-organisation",
        "territoire_join_request_decide",
        lambda s, r: {
            "id": _request(s, "67462")["id"],
            "decision": "reject",
            "reason": "Essai",
        },
        ORG_ADMINS | DATA_MANAGERS,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_every_role_may_do_exactly_what_its_role_allows(app, site: Site, case):
    name, action, prepare, allowed = case
    assert allowed <= set(ROLES)
    outcome = {}
    # refused roles first: they must change nothing the allowed ones rely on
    for role in sorted(ROLES, key=lambda r: r in allowed):
        params = prepare(site, role)
        response = app.post(
            f"/api/3/action/{action}", json=params, headers=site.headers(role)
        )
        body = response.json
        outcome[role] = response.status_code
        if role in allowed:
            assert response.status_code == 200, (name, role, body)
            assert body["success"] is True
        else:
            # refused as CKAN refuses: 403, or 404 for what the role may not
            # even see; never a 5xx, never a success
            assert response.status_code in (403, 404), (name, role, body)
            assert body["success"] is False
            assert body["error"]["__type"] in ("Authorization Error", "Not Found Error")
    assert set(outcome) == set(ROLES)


def test_refusals_say_why_in_french(app, site: Site):
    body = app.post(
        "/api/3/action/package_patch",
        json={"id": site.harvested["id"], "notes": "x"},
        headers=site.headers("editeur"),
    ).json
    assert "modifiez-le à la source" in body["error"]["message"]
    request = _request(site)
    body = app.post(
        "/api/3/action/territoire_join_request_decide",
        json={"id": request["id"], "decision": "approve"},
        headers=site.headers("admin"),
    ).json
    assert "Seuls les gestionnaires de données de la région" in body["error"]["message"]
    body = app.post(
        "/api/3/action/territoire_join_request_create",
        json={"territory": "67447", "email": "x@example.org"},
    ).json
    assert "Connectez-vous" in body["error"]["message"]


# -- a few cells through the web forms


def _edit_form(dataset: dict[str, Any], title: str) -> dict[str, Any]:
    return {
        "name": dataset["name"],
        "title": title,
        "notes": dataset["notes"] or "Description",
        "owner_org": dataset["owner_org"],
        "territories": "pays:fr",
        "license_id": "etalab-2.0",
        "private": "False",
        "save": "",
    }


def test_web_form_an_editor_edits_a_dataset_a_member_cannot(app, site: Site):
    url = f"/dataset/edit/{site.public['name']}"
    assert app.get(url, headers=site.headers("membre")).status_code == 403
    refused = app.post(
        url, headers=site.headers("membre"), data=_edit_form(site.public, "Par membre")
    )
    assert refused.status_code == 403
    assert call_action("package_show", id=site.public["id"])["title"] != "Par membre"
    app.post(
        url,
        headers=site.headers("editeur"),
        data=_edit_form(site.public, "Budget primitif 2026"),
        follow_redirects=False,
    )
    assert call_action("package_show", id=site.public["id"])["title"] == (
        "Budget primitif 2026"
    )


def test_web_form_a_harvested_dataset_is_not_edited_here(app, site: Site):
    url = f"/dataset/edit/{site.harvested['name']}"
    assert app.get(url, headers=site.headers("admin")).status_code == 403
    app.post(
        url, headers=site.headers("admin"), data=_edit_form(site.harvested, "Changé")
    )
    assert call_action("package_show", id=site.harvested["id"])["title"] != "Changé"


def test_web_form_the_data_manager_decides_a_registered_user_cannot(app, site: Site):
    request = _request(site)
    url = f"/rejoindre/demandes/{request['id']}"
    app.post(url, headers=site.headers("inscrit"), data={"decision": "approve"})
    assert call_action("territoire_join_request_show", id=request["id"])["state"] == (
        "pending"
    )
    app.post(
        url,
        headers=site.headers("gestionnaire-donnees"),
        data={"decision": "approve"},
        follow_redirects=False,
    )
    decided = call_action("territoire_join_request_show", id=request["id"])
    assert decided["state"] == "approved"
    assert (
        authz.users_role_for_group_or_org(decided["organization"], decided["user"])
        == "admin"
    )


def test_web_form_only_admins_manage_members(app, site: Site):
    url = "/organization/commune-selestat/equipe"
    form = {"action": "role", "username": "membre", "role": "admin"}
    for role in ("editeur", "gestionnaire-donnees", "membre"):
        assert app.post(url, headers=site.headers(role), data=form).status_code == 403
    assert authz.users_role_for_group_or_org(site.org["id"], "membre") == "member"
    app.post(url, headers=site.headers("admin"), data=form, follow_redirects=False)
    assert authz.users_role_for_group_or_org(site.org["id"], "membre") == "admin"
