"""The join request actions: territory forms, bad input, who decides, what
an approval creates (issue 18, part 1)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action, call_auth

pytestmark = pytest.mark.usefixtures("clean_db", "cog")

SELESTAT = "commune:67462"
SELESTAT_SIREN = "216704627"
EMS = "epci:246700488"


def as_user(user: dict[str, Any] | None, action: str, **data: Any) -> Any:
    context = {"user": user["name"] if user else "", "ignore_auth": False}
    return call_action(action, context=context, **data)


def ask(user: dict[str, Any], territory: str, **extra: Any) -> dict[str, Any]:
    data = {"territory": territory, "email": user["email"], "role": "Maire"}
    data.update(extra)
    return as_user(user, "territoire_join_request_create", **data)


def rows() -> int:
    return model.Session.execute(
        sa.text("SELECT count(*) FROM territoire_join_request")
    ).scalar_one()


def organizations() -> int:
    return model.Session.query(model.Group).filter_by(is_organization=True).count()


def error_of(excinfo: Any, key: str = "territory") -> str:
    return " ".join(excinfo.value.error_dict[key])


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("67462", SELESTAT),
        ("commune:67462", SELESTAT),
        (" Commune:67462 ", SELESTAT),
        (SELESTAT_SIREN, SELESTAT),
        ("246700488", EMS),
        ("epci:246700488", EMS),
        ("departement:67", "departement:67"),
        ("region:44", "region:44"),
    ],
)
def test_every_code_form_names_the_collectivite(typed, code):
    user = factories.User()
    request = ask(user, typed)
    assert request["territory"] == code
    assert request["state"] == "pending"
    assert request["intent"] == "create"
    assert request["organization"] is None
    assert request["id"]
    shown = as_user(user, "territoire_join_request_show", id=request["id"])
    assert shown["territory"] == code
    assert shown["email"] == user["email"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("99999", "n'existe pas dans le Code officiel géographique"),
        ("246700489", "clé de contrôle"),
        ("epci:246700489", "clé de contrôle"),
        ("123456782", "Aucune commune ni aucun EPCI"),
        ("01340", "ancien code d'une commune"),
        ("pays:fr", "La France entière n'est pas une collectivité"),
        ("67", "Code ambigu"),
        ("abc", "Code de territoire mal formé"),
        ("", "Indiquez votre collectivité"),
    ],
)
def test_bad_territories_are_refused_in_french_and_nothing_is_stored(typed, expected):
    user = factories.User()
    with pytest.raises(tk.ValidationError) as e:
        ask(user, typed)
    assert expected in error_of(e)
    assert rows() == 0


def test_a_former_code_names_the_commune_that_replaced_it():
    user = factories.User()
    with pytest.raises(tk.ValidationError) as e:
        ask(user, "01340")
    assert "fait aujourd'hui partie d'Arboys en Bugey (01015)" in error_of(e)
    assert "Faites la demande pour Arboys en Bugey (01)." in error_of(e)


@pytest.mark.parametrize(
    ("extra", "key", "expected"),
    [
        ({"email": ""}, "email", "Indiquez une adresse électronique"),
        ({"email": "pas-une-adresse"}, "email", "Adresse électronique invalide"),
        ({"message": "x" * 4001}, "message", "4000 caractères au plus"),
        ({"role": ["Maire"]}, "role", "Un texte est attendu"),
    ],
)
def test_bad_fields_are_refused(extra, key, expected):
    user = factories.User()
    with pytest.raises(tk.ValidationError) as e:
        ask(user, "67462", **extra)
    assert expected in error_of(e, key)
    assert rows() == 0


def test_anonymous_cannot_ask():
    with pytest.raises(tk.NotAuthorized) as e:
        as_user(
            None, "territoire_join_request_create", territory="67462", email="a@b.fr"
        )
    assert "Connectez-vous" in str(e.value)
    assert rows() == 0


def test_a_duplicate_pending_request_is_refused():
    user = factories.User()
    ask(user, "67462")
    with pytest.raises(tk.ValidationError) as e:
        ask(user, SELESTAT_SIREN)
    assert "déjà une demande en attente pour Sélestat (67)" in error_of(e)
    assert rows() == 1


def test_a_second_creation_request_for_the_same_collectivite_is_refused():
    ask(factories.User(), "67462")
    with pytest.raises(tk.ValidationError) as e:
        ask(factories.User(), "67462")
    assert "a déjà été demandée par une autre personne" in error_of(e)
    assert rows() == 1


def test_an_existing_organisation_is_joined():
    admin = factories.User()
    org = factories.Organization(
        name="ville-selestat",
        title="Ville de Sélestat",
        kind="commune",
        cog_code="67462",
        users=[{"name": admin["name"], "capacity": "admin"}],
    )
    user = factories.User()
    request = ask(user, "67462")
    assert request["intent"] == "join"
    assert request["organization"] == "ville-selestat"
    assert request["organization_title"] == "Ville de Sélestat"
    # a member asks for nothing
    with pytest.raises(tk.ValidationError) as e:
        ask(admin, "67462")
    assert "déjà membre de l'organisation Ville de Sélestat" in error_of(e)
    # the organisation's admin decides
    decided = as_user(
        admin, "territoire_join_request_decide", id=request["id"], decision="approve"
    )
    assert decided["state"] == "approved"
    assert decided["organization"] == "ville-selestat"
    assert authz.users_role_for_group_or_org(org["id"], user["name"]) == "editor"


def test_approval_creates_the_organisation_from_the_reference():
    manager = factories.Sysadmin()
    user = factories.User()
    request = ask(user, SELESTAT_SIREN)
    before = organizations()
    decided = as_user(
        manager, "territoire_join_request_decide", id=request["id"], decision="approve"
    )
    assert decided["state"] == "approved"
    assert decided["decided_by"] == manager["name"]
    assert organizations() == before + 1
    org = call_action("organization_show", id=decided["organization"])
    assert org["name"] == "commune-selestat"
    assert org["title"] == "Commune de Sélestat"
    assert org["kind"] == "commune"
    assert org["cog_code"] == SELESTAT
    assert org["siren"] == SELESTAT_SIREN
    assert org["territory"] == SELESTAT
    assert authz.users_role_for_group_or_org(org["id"], user["name"]) == "admin"
    # the data manager who decided is not made a member
    assert authz.users_role_for_group_or_org(org["id"], manager["name"]) is None
    # a dataset of the new organisation covers its commune by default
    dataset = call_action(
        "package_create",
        context={"user": user["name"], "ignore_auth": False},
        name="deliberations-selestat",
        title="Délibérations",
        notes="Les délibérations du conseil municipal.",
        owner_org=org["id"],
    )
    assert dataset["territories"] == [SELESTAT]


def test_an_epci_organisation_takes_its_name():
    user = factories.User()
    request = ask(user, "246700488")
    decided = call_action(
        "territoire_join_request_decide", id=request["id"], decision="approve"
    )
    org = call_action("organization_show", id=decided["organization"])
    assert org["title"] == "Eurométropole de Strasbourg"
    assert org["kind"] == "epci"
    assert org["siren"] == "246700488"


def test_a_decided_request_is_not_decided_again():
    manager = factories.Sysadmin()
    request = ask(factories.User(), "67462")
    as_user(
        manager, "territoire_join_request_decide", id=request["id"], decision="approve"
    )
    count = organizations()
    for decision in ("approve", "reject"):
        with pytest.raises(tk.ValidationError) as e:
            as_user(
                manager,
                "territoire_join_request_decide",
                id=request["id"],
                decision=decision,
                reason="Doublon",
            )
        assert "déjà été acceptée" in error_of(e, "id")
        assert "ne se décide qu'une fois" in error_of(e, "id")
    assert organizations() == count
    assert call_action("territoire_join_request_show", id=request["id"])["state"] == (
        "approved"
    )


def test_rejection_needs_a_reason_and_keeps_it():
    manager = factories.Sysadmin()
    request = ask(factories.User(), "67462")
    with pytest.raises(tk.ValidationError) as e:
        as_user(
            manager,
            "territoire_join_request_decide",
            id=request["id"],
            decision="reject",
        )
    assert "Indiquez la raison du refus" in error_of(e, "reason")
    assert call_action("territoire_join_request_show", id=request["id"])["state"] == (
        "pending"
    )
    decided = as_user(
        manager,
        "territoire_join_request_decide",
        id=request["id"],
        decision="reject",
        reason="Adresse électronique personnelle : écrivez depuis celle de la mairie.",
    )
    assert decided["state"] == "rejected"
    assert decided["reason"].startswith("Adresse électronique personnelle")
    assert decided["organization"] is None
    assert organizations() == 0


def test_an_unknown_decision_is_refused():
    request = ask(factories.User(), "67462")
    with pytest.raises(tk.ValidationError) as e:
        call_action("territoire_join_request_decide", id=request["id"], decision="oui")
    assert "Décision inconnue" in error_of(e, "decision")


def test_nobody_decides_their_own_request_not_even_a_sysadmin():
    sysadmin = factories.Sysadmin()
    request = ask(sysadmin, "67462")
    with pytest.raises(tk.NotAuthorized) as e:
        as_user(
            sysadmin,
            "territoire_join_request_decide",
            id=request["id"],
            decision="approve",
        )
    assert "votre propre demande" in str(e.value)
    assert organizations() == 0
    assert call_action("territoire_join_request_show", id=request["id"])["state"] == (
        "pending"
    )


def test_an_editor_cannot_approve_their_own_request_to_join():
    editor = factories.User()
    factories.Organization(
        kind="commune",
        cog_code="67462",
        users=[{"name": editor["name"], "capacity": "admin"}],
    )
    # an admin elsewhere asks to create another collectivité's organisation
    request = ask(editor, "67447")
    with pytest.raises(tk.NotAuthorized) as e:
        as_user(
            editor,
            "territoire_join_request_decide",
            id=request["id"],
            decision="approve",
        )
    assert "votre propre demande" in str(e.value)


def test_data_managers_are_sysadmins_and_the_configured_group():
    managers = factories.Group(name="gestionnaires")
    manager = factories.User()
    call_action(
        "group_member_create",
        id=managers["id"],
        username=manager["name"],
        role="member",
    )
    stranger = factories.User()
    org_admin = factories.User()
    factories.Organization(users=[{"name": org_admin["name"], "capacity": "admin"}])
    request = ask(factories.User(), "67462")
    assert call_auth(
        "territoire_join_request_decide",
        context={"user": manager["name"], "model": model},
        id=request["id"],
    )
    for person in (stranger, org_admin):
        with pytest.raises(tk.NotAuthorized) as e:
            call_auth(
                "territoire_join_request_decide",
                context={"user": person["name"], "model": model},
                id=request["id"],
            )
        assert "gestionnaires de données de la région" in str(e.value)
    decided = as_user(
        manager, "territoire_join_request_decide", id=request["id"], decision="approve"
    )
    assert decided["state"] == "approved"


@pytest.mark.ckan_config("ckanext.territoire.join.managers_group", "equipe-donnees")
def test_the_managers_group_is_configurable():
    factories.Group(name="gestionnaires", users=[])
    group = factories.Group(name="equipe-donnees")
    manager = factories.User()
    call_action(
        "group_member_create", id=group["id"], username=manager["name"], role="member"
    )
    request = ask(factories.User(), "67462")
    assert call_auth(
        "territoire_join_request_decide",
        context={"user": manager["name"], "model": model},
        id=request["id"],
    )


def test_who_sees_which_requests():
    manager = factories.Sysadmin()
    admin = factories.User()
    factories.Organization(
        kind="commune",
        cog_code="67462",
        users=[{"name": admin["name"], "capacity": "admin"}],
    )
    alice, bob = factories.User(), factories.User()
    to_join = ask(alice, "67462")
    to_create = ask(bob, "67447")
    listed = lambda who: {  # noqa: E731
        r["id"] for r in as_user(who, "territoire_join_request_list")
    }
    assert listed(manager) == {to_join["id"], to_create["id"]}
    assert listed(admin) == {to_join["id"]}
    assert listed(alice) == {to_join["id"]}
    assert listed(bob) == {to_create["id"]}
    assert as_user(manager, "territoire_join_request_list", state="approved") == []
    with pytest.raises(tk.ValidationError):
        as_user(manager, "territoire_join_request_list", state="tout")
    with pytest.raises(tk.NotAuthorized):
        as_user(None, "territoire_join_request_list")
    with pytest.raises(tk.NotAuthorized):
        as_user(alice, "territoire_join_request_show", id=to_create["id"])
    with pytest.raises(tk.NotAuthorized):
        as_user(admin, "territoire_join_request_show", id=to_create["id"])
    assert (
        as_user(admin, "territoire_join_request_show", id=to_join["id"])["user"]
        == (alice["name"])
    )
    with pytest.raises(tk.ObjectNotFound):
        as_user(manager, "territoire_join_request_show", id="pas-une-demande")


def test_the_autocomplete_finds_a_commune_by_its_siren():
    found = call_action("territoire_territory_autocomplete", q=SELESTAT_SIREN)
    assert found[0]["code"] == SELESTAT
    # an EPCI's SIREN is its code, as before
    assert (
        call_action("territoire_territory_autocomplete", q="246700488")[0]["code"]
        == EMS
    )


def test_the_organisation_is_written_in_the_portal_s_language(app):
    """A data manager browsing in English still creates « Commune de Sélestat »."""
    request = ask(factories.User(), "67462")
    with app.flask_app.test_request_context("/en/"):
        from flask_babel import force_locale

        with force_locale("en"):
            assert tk._("Rejoindre la plateforme") == "Join the platform"
            decided = call_action(
                "territoire_join_request_decide", id=request["id"], decision="approve"
            )
    org = call_action("organization_show", id=decided["organization"])
    assert org["title"] == "Commune de Sélestat"
    assert org["description"].startswith("Commune de Sélestat publie ici")
