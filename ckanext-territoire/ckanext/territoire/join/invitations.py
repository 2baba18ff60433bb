"""Colleagues: invitations through CKAN's ``user_invite``, members' roles.

CKAN's ``user_invite`` creates a pending account, makes it a member of the
organisation and e-mails it a link to choose a password (the link of a
password reset). CKAN's link never expires and, once used, answers "invalid
key" like any wrong link. The chained ``user_invite`` records each
invitation (``territoire_invitation``: the SHA-256 of its key, never the key)
so that the link page can say in French that the invitation has expired
(``ckanext.territoire.invitation.expiry_days``) or has already been used,
and so that the organisation's admins see who has not answered yet.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Action, AuthFunction, AuthResult, Context, DataDict

from ..logic.validators import territoire_email
from . import mail, store

log = logging.getLogger(__name__)

ROLES = ("member", "editor", "admin")


def expiry_days() -> int:
    return int(tk.config.get("ckanext.territoire.invitation.expiry_days"))


def expires(invitation: dict[str, Any]) -> Any:
    return invitation["created"] + timedelta(days=expiry_days())


def expired(invitation: dict[str, Any]) -> bool:
    return store.now() >= expires(invitation)


# --------------------------------------------------------------------------
# CKAN's user_invite, recorded


@tk.chained_action
def user_invite(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    result = up_func(context, data_dict)
    user = model.User.get(result["id"])
    group = model.Group.get(data_dict.get("group_id"))
    if user is not None and group is not None and user.reset_key:
        inviter = model.User.get(context.get("user") or "")
        store.record_invitation(
            user_id=user.id,
            group_id=group.id,
            role=str(data_dict.get("role") or ""),
            email=user.email or "",
            invited_by=inviter.id if inviter else "",
            key=user.reset_key,
        )
        model.repo.commit()
    return result


def get_actions() -> dict[str, Action]:
    return {"user_invite": user_invite}


@tk.chained_auth_function
def user_update(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
    """An expired invitation's key no longer lets anyone set the password
    (CKAN's ``user_update`` accepts a valid reset key instead of a login)."""
    key = (data_dict or {}).get("reset_key")
    if isinstance(key, str) and key:
        user = model.User.get(str(data_dict.get("id") or ""))
        found = store.get_invitation(user.id) if user is not None else None
        if found and found["key_hash"] == store.key_hash(key) and expired(found):
            return {"success": False, "msg": _expired_message(found)}
    return next_auth(context, data_dict)


def get_auth_functions() -> dict[str, AuthFunction]:
    return {"user_update": user_update}


def accepted(sender: Any, **kwargs: Any) -> None:
    """CKAN's ``perform_password_reset`` signal: the invitee chose a password."""
    user = kwargs.get("user")
    if user is not None and store.get_invitation(user.id):
        store.accept_invitation(user.id)
        model.repo.commit()


# --------------------------------------------------------------------------
# The link page


def _org_title(group_id: str) -> str:
    group = model.Group.get(group_id)
    return (group.title or group.name) if group is not None else ""


def _expired_message(found: dict[str, Any]) -> str:
    return tk._(
        "Cette invitation à rejoindre {organization} a expiré : elle était valable "
        "{days} jours. Demandez à un administrateur de l'organisation de vous "
        "inviter à nouveau."
    ).format(organization=_org_title(found["group_id"]), days=expiry_days())


def refusal(user_ref: str, key: str) -> dict[str, Any] | None:
    """What the invitation link page says instead of CKAN's form, if anything.

    Only a link that was sent as an invitation is answered here; any other
    wrong key gets CKAN's own answer.
    """
    if not user_ref or not key:
        return None
    user = model.User.get(user_ref)
    found = store.get_invitation(user.id) if user is not None else None
    if user is None or not found or found["key_hash"] != store.key_hash(key):
        return None
    if found["accepted"] is not None or user.reset_key != key.strip():
        return {
            "title": tk._("Invitation déjà utilisée"),
            "message": tk._(
                "Ce lien d'invitation a déjà servi : le compte est créé. "
                "Connectez-vous avec le nom d'utilisateur et le mot de passe "
                "choisis ; en cas d'oubli, demandez un nouveau mot de passe."
            ),
            "used": True,
        }
    if expired(found):
        return {
            "title": tk._("Invitation expirée"),
            "message": _expired_message(found),
            "used": False,
        }
    return None


# --------------------------------------------------------------------------
# The team page's operations (each through an action, as the caller)


def _role(value: str) -> str:
    if value not in ROLES:
        raise tk.ValidationError(
            {
                "role": [
                    tk._(
                        "Rôle inconnu « {value} » : membre, éditeur ou administrateur."
                    ).format(value=value)
                ]
            }
        )
    return value


def invite(context: Context, org: dict[str, Any], data: dict[str, str]) -> str:
    """Invite ``data['email']`` with ``data['role']``; the message to show."""
    from ..helpers import territoire_role_label

    role = _role(data.get("role", ""))
    raw = data.get("email", "")
    if not raw:
        raise tk.ValidationError(
            {
                "email": [
                    tk._("Indiquez l'adresse électronique de la personne à inviter.")
                ]
            }
        )
    try:
        email = territoire_email(raw)
    except tk.Invalid as e:
        raise tk.ValidationError({"email": [e.error]})
    existing = (
        model.Session.query(model.User)
        .filter(
            sa.func.lower(model.User.email) == email.lower(),
            model.User.state != "deleted",
        )
        .first()
    )
    if existing is not None and existing.state == "active":
        if authz.users_role_for_group_or_org(org["id"], existing.name):
            raise tk.ValidationError(
                {
                    "email": [
                        tk._("{email} fait déjà partie de l'organisation.").format(
                            email=email
                        )
                    ]
                }
            )
        tk.get_action("organization_member_create")(
            dict(context), {"id": org["id"], "username": existing.name, "role": role}
        )
        mail.added_to_organization(existing, org, role)
        return tk._(
            "{email} avait déjà un compte : ajouté à l'organisation comme {role}."
        ).format(email=email, role=territoire_role_label(role))
    if existing is not None:
        raise tk.ValidationError(
            {
                "email": [
                    tk._(
                        "{email} a déjà reçu une invitation à laquelle la personne "
                        "n'a pas encore répondu."
                    ).format(email=email)
                ]
            }
        )
    tk.get_action("user_invite")(
        dict(context), {"email": email, "group_id": org["id"], "role": role}
    )
    if mail.configured():
        return tk._("Invitation envoyée à {email} ({role}).").format(
            email=email, role=territoire_role_label(role)
        )
    return tk._(
        "Invitation créée pour {email} ({role}). Aucun serveur de courrier n'est "
        "configuré : transmettez-lui le lien d'invitation affiché ci-dessous."
    ).format(email=email, role=territoire_role_label(role))


def _admins(org_id: str) -> list[str]:
    return [
        m.table_id
        for m in model.Session.query(model.Member).filter(
            model.Member.group_id == org_id,
            model.Member.table_name == "user",
            model.Member.capacity == "admin",
            model.Member.state == "active",
        )
    ]


def _member(org: dict[str, Any], username: str) -> model.User:
    user = model.User.get(username) if username else None
    if user is None or not authz.users_role_for_group_or_org(org["id"], user.name):
        raise tk.ValidationError(
            {"username": [tk._("Cette personne ne fait pas partie de l'organisation.")]}
        )
    return user


def _keep_an_admin(org: dict[str, Any], user: model.User) -> None:
    if _admins(org["id"]) == [user.id]:
        raise tk.ValidationError(
            {
                "username": [
                    tk._(
                        "L'organisation doit garder au moins un administrateur : "
                        "nommez-en un autre d'abord."
                    )
                ]
            }
        )


def change_role(context: Context, org: dict[str, Any], data: dict[str, str]) -> str:
    from ..helpers import territoire_role_label

    role = _role(data.get("role", ""))
    user = _member(org, data.get("username", ""))
    if role != "admin":
        _keep_an_admin(org, user)
        if user.name == context.get("user") and not user.sysadmin:
            raise tk.ValidationError(
                {
                    "username": [
                        tk._(
                            "Vous ne pouvez pas retirer vos propres droits "
                            "d'administrateur : demandez-le à un autre administrateur."
                        )
                    ]
                }
            )
    tk.get_action("organization_member_create")(
        dict(context), {"id": org["id"], "username": user.name, "role": role}
    )
    return tk._("{name} est maintenant {role}.").format(
        name=user.display_name, role=territoire_role_label(role)
    )


def remove(context: Context, org: dict[str, Any], username: str) -> str:
    user = _member(org, username)
    _keep_an_admin(org, user)
    tk.get_action("organization_member_delete")(
        dict(context), {"id": org["id"], "username": user.name}
    )
    return tk._("{name} ne fait plus partie de l'organisation.").format(
        name=user.display_name
    )


def cancel(context: Context, org: dict[str, Any], user_id: str) -> str:
    """Withdraw an invitation not answered yet: the pending account goes."""
    found = store.get_invitation(user_id) if user_id else None
    user = model.User.get(user_id) if user_id else None
    if (
        found is None
        or found["group_id"] != org["id"]
        or user is None
        or user.state != model.State.PENDING
    ):
        raise tk.ValidationError(
            {"user_id": [tk._("Aucune invitation en attente à ce nom.")]}
        )
    tk.get_action("organization_member_delete")(
        dict(context), {"id": org["id"], "username": user.id}
    )
    email = found["email"]
    store.delete_invitation(user.id)
    # the pending account was made for this invitation only
    tk.get_action("user_delete")({"ignore_auth": True}, {"id": user.id})
    return tk._("Invitation de {email} annulée.").format(email=email)


def members(org: dict[str, Any]) -> list[dict[str, Any]]:
    """The organisation's active members, admins first."""
    order = {"admin": 0, "editor": 1, "member": 2}
    out = []
    for member in org.get("users", []):
        user = model.User.get(member["id"])
        if user is None or user.state != "active":
            continue
        out.append(
            {
                "id": user.id,
                "name": user.name,
                "display_name": user.display_name,
                "email": user.email,
                "capacity": member["capacity"],
            }
        )
    return sorted(out, key=lambda m: (order.get(m["capacity"], 3), m["display_name"]))


def pending(org: dict[str, Any]) -> list[dict[str, Any]]:
    """Invitations not answered yet, with their link (for a portal that sends
    no e-mail) and whether they expired."""
    out = []
    for found in store.invitations_of(org["id"]):
        user = model.User.get(found["user_id"])
        if user is None or user.state != model.State.PENDING:
            continue
        link = (
            tk.h.url_for(
                "user.perform_reset", id=user.id, key=user.reset_key, qualified=True
            )
            if user.reset_key
            else None
        )
        inviter = model.User.get(found["invited_by"]) if found["invited_by"] else None
        out.append(
            {
                "user_id": user.id,
                "email": found["email"],
                "role": found["role"],
                "created": found["created"],
                "expires": expires(found),
                "expired": expired(found),
                "invited_by": inviter.display_name if inviter else "",
                "link": link,
            }
        )
    return out
