"""An organisation's team page: invitations, roles, removals (issue 18,
part 2), and the roles explained."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

import ckan.authz as authz
import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("clean_db", "cog")

TEAM = "/organization/ville-selestat/equipe"


def person(**kwargs: Any) -> dict[str, Any]:
    user = factories.UserWithToken(**kwargs)
    user["headers"] = {"Authorization": user["token"]}
    return user


@pytest.fixture
def team() -> dict[str, Any]:
    admin = person(fullname="Marie Klein")
    editor = person(fullname="Paul Schmitt")
    member = person(fullname="Léa Muller")
    # created by its admin, who is then its only admin
    org = call_action(
        "organization_create",
        context={"user": admin["name"], "ignore_auth": True},
        name="ville-selestat",
        title="Ville de Sélestat",
    )
    for who, capacity in ((editor, "editor"), (member, "member")):
        call_action(
            "organization_member_create",
            id=org["id"],
            username=who["name"],
            role=capacity,
        )
    return {"org": org, "admin": admin, "editor": editor, "member": member}


def role(team: dict[str, Any], who: dict[str, Any]) -> str | None:
    return authz.users_role_for_group_or_org(team["org"]["id"], who["name"])


def post(app: Any, who: dict[str, Any], **data: str) -> Any:
    """The page shown after posting ``data`` (the redirect followed by hand:
    the test client would follow it to ckan.site_url's host). A success
    message does not survive the redirect: CKAN keeps no session for a
    request authenticated by an API token (the browser test sees them)."""
    response = app.post(TEAM, headers=who["headers"], data=data, follow_redirects=False)
    if response.status_code == 302:
        return app.get(TEAM, headers=who["headers"])
    return response


def invitations() -> int:
    return model.Session.execute(
        sa.text("SELECT count(*) FROM territoire_invitation")
    ).scalar_one()


def test_only_admins_see_the_team_page(app, team):
    for who in ("editor", "member"):
        assert app.get(TEAM, headers=team[who]["headers"]).status_code == 403
    assert app.get(TEAM).status_code in (403, 404)
    page = app.get(TEAM, headers=team["admin"]["headers"])
    assert page.status_code == 200
    for name in ("Marie Klein", "Paul Schmitt", "Léa Muller"):
        assert name in page.body
    # the organisation's page links to it for admins only
    assert (
        f'href="{TEAM}"'
        in app.get(
            "/organization/ville-selestat", headers=team["admin"]["headers"]
        ).body
    )
    assert (
        f'href="{TEAM}"'
        not in app.get(
            "/organization/ville-selestat", headers=team["editor"]["headers"]
        ).body
    )


def test_an_editor_cannot_change_the_team(app, team):
    response = post(
        app,
        team["editor"],
        action="role",
        username=team["member"]["name"],
        role="admin",
    )
    assert response.status_code == 403
    assert role(team, team["member"]) == "member"
    post(app, team["editor"], action="invite", email="x@example.org", role="admin")
    assert invitations() == 0


def test_an_admin_changes_a_role_and_removes_a_member(app, team):
    post(
        app,
        team["admin"],
        action="role",
        username=team["member"]["name"],
        role="editor",
    )
    assert role(team, team["member"]) == "editor"
    page = app.get(TEAM, headers=team["admin"]["headers"])
    row = page.body.split('data-name="%s"' % team["member"]["name"])[1]
    assert '<option value="editor" selected>' in row.split("</tr>")[0]
    post(app, team["admin"], action="remove", username=team["editor"]["name"])
    assert role(team, team["editor"]) is None


def test_the_last_admin_stays(app, team):
    body = post(
        app, team["admin"], action="role", username=team["admin"]["name"], role="editor"
    ).body
    assert "garder au moins un administrateur" in body
    assert role(team, team["admin"]) == "admin"
    body = post(
        app, team["admin"], action="remove", username=team["admin"]["name"]
    ).body
    assert "garder au moins un administrateur" in body
    assert role(team, team["admin"]) == "admin"


def test_bad_team_input_is_refused_in_french(app, team):
    body = post(
        app, team["admin"], action="role", username=team["member"]["name"], role="chef"
    ).body
    assert "Rôle inconnu « chef »" in body
    assert role(team, team["member"]) == "member"
    stranger = person()
    body = post(app, team["admin"], action="remove", username=stranger["name"]).body
    assert "ne fait pas partie de l&#39;organisation" in body
    body = post(
        app, team["admin"], action="invite", email="pas une adresse", role="editor"
    ).body
    assert "Adresse électronique invalide" in body
    body = post(app, team["admin"], action="invite", email="", role="editor").body
    assert "Indiquez l&#39;adresse électronique" in body
    assert invitations() == 0


def test_an_invitation_is_listed_until_answered_and_can_be_withdrawn(app, team):
    post(
        app,
        team["admin"],
        action="invite",
        email="Paul@Selestat.example",
        role="member",
    )
    page = app.get(TEAM, headers=team["admin"]["headers"]).body
    assert "paul@selestat.example" in page.lower()
    assert "valable jusqu&#39;au" in page or "valable jusqu'au" in page
    invitee = model.Session.query(model.User).filter_by(state="pending").one()
    assert role(team, {"name": invitee.name}) == "member"
    # inviting the same address again: said, not duplicated
    body = post(
        app,
        team["admin"],
        action="invite",
        email="paul@selestat.example",
        role="editor",
    ).body
    assert "a déjà reçu une invitation" in body
    assert invitations() == 1
    post(app, team["admin"], action="cancel", user_id=invitee.id)
    assert invitations() == 0
    assert model.User.get(invitee.id).state == "deleted"
    assert (
        "Aucune invitation en attente."
        in app.get(TEAM, headers=team["admin"]["headers"]).body
    )


def test_someone_with_an_account_is_added_directly(app, team):
    colleague = person(email="claire@selestat.example")
    body = post(
        app,
        team["admin"],
        action="invite",
        email="CLAIRE@selestat.example",
        role="editor",
    ).body
    assert role(team, colleague) == "editor"
    assert invitations() == 0
    assert f'data-name="{colleague["name"]}"' in body
    body = post(
        app,
        team["admin"],
        action="invite",
        email="claire@selestat.example",
        role="admin",
    ).body
    assert "fait déjà partie de l&#39;organisation" in body
    assert role(team, colleague) == "editor"


def test_user_invite_through_the_api_is_recorded(app, team):
    with app.flask_app.test_request_context():
        call_action(
            "user_invite",
            context={"user": team["admin"]["name"], "ignore_auth": False},
            email="api@selestat.example",
            group_id=team["org"]["id"],
            role="editor",
        )
    row = model.Session.execute(
        sa.text("SELECT email, role, key_hash FROM territoire_invitation")
    ).one()
    invitee = (
        model.Session.query(model.User).filter_by(email="api@selestat.example").one()
    )
    assert row.email == "api@selestat.example"
    assert row.role == "editor"
    # the key itself is never stored
    assert row.key_hash != invitee.reset_key and len(row.key_hash) == 64


def test_the_roles_page_explains_each_role_in_plain_french(app):
    body = app.get("/aide/roles").body
    for words in (
        "Un membre voit les jeux de données privés",
        "Un éditeur publie des jeux de données",
        "Un administrateur fait tout ce que fait un éditeur",
        "Ils se modifient à la source",
    ):
        assert words in body
    assert "Harvested datasets" in app.get("/en/aide/roles").body
