"""The join pages: "Rejoindre la plateforme" and the review page, through
CKAN's test app (real HTTP handling, real database)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("clean_db", "cog")


def person(**kwargs: Any) -> dict[str, Any]:
    user = factories.UserWithToken(**kwargs)
    user["headers"] = {"Authorization": user["token"]}
    return user


def requests() -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in model.Session.execute(
            sa.text("SELECT * FROM territoire_join_request")
        ).mappings()
    ]


def test_home_and_login_pages_link_to_the_join_page(app):
    for url in ("/", "/user/login"):
        body = app.get(url).body
        assert 'href="/rejoindre"' in body, url
        assert "Rejoindre la plateforme" in body


def test_anonymous_visitors_are_asked_to_log_in_or_register(app):
    body = app.get("/rejoindre").body
    assert "Rejoindre la plateforme" in body
    assert "/user/login?came_from=/rejoindre" in body
    assert 'href="/user/register"' in body
    assert 'id="territoire-join-form"' not in body
    # a form posted anyway creates nothing
    app.post("/rejoindre", data={"territory": "67462", "email": "a@b.fr"})
    assert requests() == []


def test_a_person_asks_and_sees_the_request(app):
    user = person(email="secretariat@mairie-selestat.fr")
    body = app.get("/rejoindre", headers=user["headers"]).body
    assert 'id="territoire-join-form"' in body
    assert 'value="secretariat@mairie-selestat.fr"' in body
    assert 'data-module-single="true"' in body
    response = app.post(
        "/rejoindre",
        headers=user["headers"],
        data={
            "territory": "commune:67462",
            "role": "Secrétaire de mairie",
            "email": "secretariat@mairie-selestat.fr",
            "message": "Nous publierons nos délibérations.",
        },
        follow_redirects=False,
    )
    assert response.status_code == 302
    (row,) = requests()
    assert row["territory"] == "commune:67462"
    assert row["role"] == "Secrétaire de mairie"
    body = app.get("/rejoindre", headers=user["headers"]).body
    assert "Vos demandes" in body
    assert "Sélestat (67)" in body
    assert "en attente depuis le" in body


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"territory": "01340"}, "ancien code d&#39;une commune"),
        ({"territory": "246700489"}, "clé de contrôle"),
        ({"territory": "99999"}, "n&#39;existe pas dans le Code officiel"),
        ({"role": ""}, "Indiquez votre fonction"),
        ({"email": "personne"}, "Adresse électronique invalide"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_stored(app, form, expected):
    user = person()
    data = {"territory": "67462", "role": "Maire", "email": "maire@example.org"}
    data.update(form)
    response = app.post("/rejoindre", headers=user["headers"], data=data)
    assert response.status_code == 200
    assert expected in response.body
    assert requests() == []


def test_the_review_page_is_for_data_managers_and_organisation_admins(app):
    user = person()
    assert app.get("/rejoindre/demandes", headers=user["headers"]).status_code == 403
    assert app.get("/rejoindre/demandes", follow_redirects=False).status_code == 302
    admin = person()
    factories.Organization(users=[{"name": admin["name"], "capacity": "admin"}])
    assert app.get("/rejoindre/demandes", headers=admin["headers"]).status_code == 200


def test_a_data_manager_approves_from_the_review_page(app):
    manager = person(sysadmin=True)
    requester = person(fullname="Claire Martin")
    call_action(
        "territoire_join_request_create",
        context={"user": requester["name"], "ignore_auth": False},
        territory="67462",
        email="claire@mairie-selestat.fr",
        role="Secrétaire de mairie",
        message="Délibérations et budget",
    )
    (row,) = requests()
    body = app.get("/rejoindre/demandes", headers=manager["headers"]).body
    for fact in (
        "Sélestat (67)",
        "commune:67462",
        "Commune de Sélestat",  # what approving creates
        "Claire Martin",
        "Secrétaire de mairie",
        "claire@mairie-selestat.fr",
        "216704627",
        "Délibérations et budget",
    ):
        assert fact in body, fact
    assert f'action="/rejoindre/demandes/{row["id"]}"' in body
    app.post(
        f"/rejoindre/demandes/{row['id']}",
        headers=manager["headers"],
        data={"decision": "approve"},
    )
    org = call_action("organization_show", id="commune-selestat", include_users=True)
    assert [(u["name"], u["capacity"]) for u in org["users"]] == [
        (requester["name"], "admin")
    ]
    # deciding again: a French message, nothing changes
    body = app.post(
        f"/rejoindre/demandes/{row['id']}",
        headers=manager["headers"],
        data={"decision": "reject", "reason": "Non"},
    ).body
    assert "ne se décide qu&#39;une fois" in body
    assert requests()[0]["state"] == "approved"


def test_the_requester_cannot_decide_on_the_review_page(app):
    manager = person(sysadmin=True)
    call_action(
        "territoire_join_request_create",
        context={"user": manager["name"], "ignore_auth": False},
        territory="67462",
        email="moi@example.org",
    )
    (row,) = requests()
    body = app.get("/rejoindre/demandes", headers=manager["headers"]).body
    assert "C'est votre demande" in body
    body = app.post(
        f"/rejoindre/demandes/{row['id']}",
        headers=manager["headers"],
        data={"decision": "approve"},
    ).body
    assert "votre propre demande" in body
    assert requests()[0]["state"] == "pending"
    assert model.Session.query(model.Group).filter_by(is_organization=True).count() == 0


def test_a_rejection_without_reason_is_refused_on_the_page(app):
    manager = person(sysadmin=True)
    requester = person()
    call_action(
        "territoire_join_request_create",
        context={"user": requester["name"], "ignore_auth": False},
        territory="67462",
        email="a@example.org",
    )
    (row,) = requests()
    body = app.post(
        f"/rejoindre/demandes/{row['id']}",
        headers=manager["headers"],
        data={"decision": "reject", "reason": ""},
    ).body
    assert "Indiquez la raison du refus" in body
    assert requests()[0]["state"] == "pending"
