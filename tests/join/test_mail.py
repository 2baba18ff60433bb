"""E-mails for real: CKAN's mailer sends to an SMTP server on 127.0.0.1
(aiosmtpd); the tests read what it received and follow its links."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action, call_auth

from .conftest import Inbox, path_of

pytestmark = pytest.mark.usefixtures("clean_db", "cog")


def person(**kwargs: Any) -> dict[str, Any]:
    user = factories.UserWithToken(**kwargs)
    user["headers"] = {"Authorization": user["token"]}
    return user


def ask(user: dict[str, Any], territory: str = "67462", **extra: Any) -> dict[str, Any]:
    data = {"territory": territory, "email": "mairie@selestat.example", "role": "DGS"}
    data.update(extra)
    return call_action(
        "territoire_join_request_create",
        context={"user": user["name"], "ignore_auth": False},
        **data,
    )


def test_data_managers_are_told_of_a_request_with_a_working_link(app, smtp: Inbox):
    manager = person(sysadmin=True, email="gestion@region.example")
    in_group = person(email="donnees@region.example")
    group = factories.Group(name="gestionnaires")
    call_action(
        "group_member_create", id=group["id"], username=in_group["name"], role="member"
    )
    requester = person(fullname="Claire Martin")
    ask(requester, message="Nous publierons nos délibérations.")

    for address in ("gestion@region.example", "donnees@region.example"):
        (mail,) = smtp.to(address)
        assert mail.subject == (
            "[Données ouvertes Grand Est] Demande d'adhésion : Sélestat (67)"
        )
        assert "portail@region.example" in mail.sender
        assert "Claire Martin demande la création de l'organisation" in mail.body
        assert "Nous publierons nos délibérations." in mail.body
        assert "mairie@selestat.example" in mail.body
    link = smtp.to("gestion@region.example")[0].links()[0]
    assert path_of(link) == "/rejoindre/demandes"
    page = app.get(path_of(link), headers=manager["headers"])
    assert page.status_code == 200
    assert "Claire Martin" in page.body
    # the requester is not a manager: no copy
    assert smtp.to(requester["email"]) == []


def test_organisation_admins_are_told_of_a_request_to_join(smtp: Inbox):
    factories.Sysadmin(email="gestion@region.example")
    admin = person(email="maire@selestat.example")
    factories.Organization(
        title="Ville de Sélestat",
        kind="commune",
        cog_code="67462",
        users=[{"name": admin["name"], "capacity": "admin"}],
    )
    ask(person(fullname="Paul Schmitt"), email="paul@selestat.example")
    (mail,) = smtp.mails
    assert mail.to == ["maire@selestat.example"]
    assert "Paul Schmitt demande à rejoindre l'organisation Ville de Sélestat" in (
        mail.body
    )


def test_the_requester_is_told_of_the_approval_with_a_working_link(app, smtp: Inbox):
    manager = factories.Sysadmin(email="gestion@region.example")
    requester = person()
    request = ask(requester, email="claire@selestat.example")
    call_action(
        "territoire_join_request_decide",
        context={"user": manager["name"], "ignore_auth": False},
        id=request["id"],
        decision="approve",
    )
    (mail,) = smtp.to("claire@selestat.example")
    assert mail.subject == (
        "[Données ouvertes Grand Est] Votre demande est acceptée : Commune de Sélestat"
    )
    assert "vous en êtes l'administrateur" in mail.body
    org_link = next(link for link in mail.links() if "/organization/" in link)
    assert path_of(org_link) == "/organization/commune-selestat"
    page = app.get(path_of(org_link), headers=requester["headers"])
    assert page.status_code == 200
    assert "Commune de Sélestat" in page.body


def test_the_requester_is_told_why_a_request_is_rejected(app, smtp: Inbox):
    manager = factories.Sysadmin(email="gestion@region.example")
    requester = person()
    request = ask(requester, email="claire@selestat.example")
    call_action(
        "territoire_join_request_decide",
        context={"user": manager["name"], "ignore_auth": False},
        id=request["id"],
        decision="reject",
        reason="Écrivez-nous depuis l'adresse de la mairie.",
    )
    (mail,) = smtp.to("claire@selestat.example")
    assert mail.subject == (
        "[Données ouvertes Grand Est] Votre demande pour Sélestat (67) n'est "
        "pas acceptée"
    )
    assert "Écrivez-nous depuis l'adresse de la mairie." in mail.body
    link = mail.links()[0]
    assert path_of(link) == "/rejoindre"
    page = app.get(path_of(link), headers=requester["headers"])
    assert "refusée le" in page.body


def test_a_failing_mail_server_does_not_lose_the_request(ckan_config, monkeypatch):
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{closed}")
    factories.Sysadmin(email="gestion@region.example")
    request = ask(person())
    assert call_action("territoire_join_request_show", id=request["id"])["state"] == (
        "pending"
    )


def _invite(app: Any, admin: dict[str, Any], email: str, prefix: str = "") -> Any:
    return app.post(
        f"{prefix}/organization/ville-selestat/equipe",
        headers=admin["headers"],
        data={"action": "invite", "email": email, "role": "editor"},
    )


@pytest.fixture
def org_admin() -> dict[str, Any]:
    admin = person(fullname="Marie Klein")
    factories.Organization(
        name="ville-selestat",
        title="Ville de Sélestat",
        kind="commune",
        cog_code="67462",
        users=[{"name": admin["name"], "capacity": "admin"}],
    )
    return admin


def _user_by_email(address: str) -> model.User:
    user = model.Session.query(model.User).filter_by(email=address).one()
    return user


def test_an_invitation_arrives_in_french_and_its_link_works_once(
    app, smtp: Inbox, org_admin
):
    _invite(app, org_admin, "paul@selestat.example")
    (mail,) = smtp.to("paul@selestat.example")
    assert mail.subject == "Invitation à publier sur Données ouvertes Grand Est"
    assert "au sein de l'organisation Ville de Sélestat" in mail.body
    assert "valable 14 jours" in mail.body
    (link,) = [link for link in mail.links() if "/user/reset/" in link]
    invitee = _user_by_email("paul@selestat.example")
    assert invitee.state == "pending"
    form = app.get(path_of(link))
    assert form.status_code == 200
    assert 'name="password1"' in form.body
    done = app.post(
        path_of(link),
        data={
            "name": "paul-schmitt",
            "password1": "Sélestat-Délib-2026",
            "password2": "Sélestat-Délib-2026",
        },
        follow_redirects=False,
    )
    assert done.status_code == 302, done.body
    invitee = _user_by_email("paul@selestat.example")
    assert invitee.state == "active"
    assert invitee.name == "paul-schmitt"
    org = call_action("organization_show", id="ville-selestat", include_users=True)
    assert ("paul-schmitt", "editor") in [
        (u["name"], u["capacity"]) for u in org["users"]
    ]
    # the same link again: already used, said in French; nothing changes
    again = app.get(path_of(link))
    assert again.status_code == 410
    assert "Ce lien d&#39;invitation a déjà servi" in again.body
    again = app.post(
        path_of(link),
        data={"password1": "Autre-mot-2026", "password2": "Autre-mot-2026"},
    )
    assert again.status_code == 410
    # the team page no longer lists it as pending
    team = app.get("/organization/ville-selestat/equipe", headers=org_admin["headers"])
    assert "Aucune invitation en attente." in team.body


def test_an_expired_invitation_link_is_refused_in_french(app, smtp: Inbox, org_admin):
    _invite(app, org_admin, "paul@selestat.example")
    (link,) = [link for link in smtp.mails[0].links() if "/user/reset/" in link]
    model.Session.execute(
        sa.text(
            "UPDATE territoire_invitation SET created = created - interval '15 days'"
        )
    )
    model.Session.commit()
    page = app.get(path_of(link))
    assert page.status_code == 410
    assert "Cette invitation à rejoindre Ville de Sélestat a expiré" in page.body
    assert "valable 14 jours" in page.body
    posted = app.post(
        path_of(link),
        data={"password1": "Sélestat-Délib-2026", "password2": "Sélestat-Délib-2026"},
    )
    assert posted.status_code == 410
    invitee = _user_by_email("paul@selestat.example")
    assert invitee.state == "pending"
    # the key no longer lets the API set the password either
    with pytest.raises(tk.NotAuthorized) as e:
        call_auth(
            "user_update",
            context={"user": invitee.id, "model": model},
            id=invitee.id,
            reset_key=invitee.reset_key,
        )
    assert "a expiré" in str(e.value)
    team = app.get("/organization/ville-selestat/equipe", headers=org_admin["headers"])
    assert "expirée" in team.body


def test_a_wrong_key_gets_ckan_s_own_answer(app, smtp: Inbox, org_admin):
    _invite(app, org_admin, "paul@selestat.example")
    invitee = _user_by_email("paul@selestat.example")
    page = app.get(f"/user/reset/{invitee.id}?key=0123456789abcdef")
    assert page.status_code == 403


def test_the_invitation_in_english(app, smtp: Inbox, org_admin):
    _invite(app, org_admin, "paul@selestat.example", prefix="/en")
    (mail,) = smtp.mails
    assert mail.subject == "Invitation to publish on Données ouvertes Grand Est"
    assert "in the organisation Ville de Sélestat" in mail.body


def test_without_a_mail_server_the_team_page_shows_the_link(app, org_admin):
    assert not tk.config.get("smtp.server")  # the portal's default: none
    response = _invite(app, org_admin, "paul@selestat.example")
    assert response.status_code == 200
    team = app.get("/organization/ville-selestat/equipe", headers=org_admin["headers"])
    assert "Aucun serveur de courrier n'est configuré" in team.body
    invitee = _user_by_email("paul@selestat.example")
    link = f"/user/reset/{invitee.id}?key={invitee.reset_key}"
    assert f"http://test.ckan.net{link}" in team.body.replace("&amp;", "&")
    assert app.get(link).status_code == 200
