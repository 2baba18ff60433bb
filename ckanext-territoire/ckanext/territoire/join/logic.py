"""Join requests: actions, their validation and their authorisation.

- ``territoire_join_request_create``: a logged-in person asks for their
  collectivité: to join its organisation if it has one (its admins decide),
  otherwise to have it created (the région's data managers decide);
- ``territoire_join_request_list`` / ``_show``: what each may see;
- ``territoire_join_request_decide``: approve (organisation created from the
  COG reference with the requester as its admin, or the requester added to
  the existing one as editor) or reject with a reason. A decided request is
  not decided again; nobody decides their own request, sysadmins included.

The data managers are the sysadmins and the members of the group named by
``ckanext.territoire.join.managers_group``.
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Action, AuthFunction, AuthResult, Context, DataDict, Schema

from ..logic.validators import territoire_email
from ..territories import lookup
from . import mail, store, territory

log = logging.getLogger(__name__)

DECISIONS = ("approve", "reject")
#: the role a person gets in an existing organisation they were let in
JOIN_ROLE = "editor"
MAX_ROLE = 200
MAX_MESSAGE = 4000
MAX_REASON = 4000


# --------------------------------------------------------------------------
# Who decides


def managers_group() -> str:
    return str(tk.config.get("ckanext.territoire.join.managers_group") or "")


def _user(ref: Any) -> model.User | None:
    if isinstance(ref, model.User):
        return ref
    if not ref or not isinstance(ref, str):
        return None
    return model.User.get(ref)


def is_data_manager(user: Any) -> bool:
    """Sysadmin, or an active member of the data managers' group."""
    obj = _user(user)
    if obj is None or obj.state != "active":
        return False
    if obj.sysadmin:
        return True
    name = managers_group()
    if not name:
        return False
    return bool(
        model.Session.query(model.Member)
        .join(model.Group, model.Group.id == model.Member.group_id)
        .filter(
            model.Group.name == name,
            model.Group.state == "active",
            model.Group.is_organization.is_(False),
            model.Member.table_name == "user",
            model.Member.table_id == obj.id,
            model.Member.state == "active",
        )
        .count()
    )


def data_managers() -> list[model.User]:
    """Every data manager (sysadmins first), for the notifications."""
    people = (
        model.Session.query(model.User)
        .filter(model.User.sysadmin.is_(True), model.User.state == "active")
        .all()
    )
    name = managers_group()
    if name:
        people += (
            model.Session.query(model.User)
            .join(model.Member, model.Member.table_id == model.User.id)
            .join(model.Group, model.Group.id == model.Member.group_id)
            .filter(
                model.Group.name == name,
                model.Group.state == "active",
                model.Group.is_organization.is_(False),
                model.Member.table_name == "user",
                model.Member.state == "active",
                model.User.state == "active",
            )
            .all()
        )
    site_user = tk.config.get("ckan.site_id")
    seen: dict[str, model.User] = {}
    for person in people:
        if person.name != site_user:
            seen.setdefault(person.id, person)
    return list(seen.values())


def org_admins(org_id: str) -> list[model.User]:
    return (
        model.Session.query(model.User)
        .join(model.Member, model.Member.table_id == model.User.id)
        .filter(
            model.Member.group_id == org_id,
            model.Member.table_name == "user",
            model.Member.capacity == "admin",
            model.Member.state == "active",
            model.User.state == "active",
        )
        .all()
    )


def _admin_of(user: model.User, org_id: str | None) -> bool:
    return bool(org_id) and authz.has_user_permission_for_group_or_org(
        org_id, user.name, "membership"
    )


def may_decide(user: Any, request: dict[str, Any]) -> bool:
    """Whether ``user`` is one of those who decide ``request`` (not asked
    whether it is their own)."""
    obj = _user(user)
    if obj is None:
        return False
    if is_data_manager(obj):
        return True
    return request["intent"] == store.JOIN and _admin_of(
        obj, request["organization_id"]
    )


def _admin_org_ids(user: model.User) -> list[str]:
    return [
        row[0]
        for row in model.Session.query(model.Member.group_id)
        .join(model.Group, model.Group.id == model.Member.group_id)
        .filter(
            model.Member.table_name == "user",
            model.Member.table_id == user.id,
            model.Member.capacity == "admin",
            model.Member.state == "active",
            model.Group.is_organization.is_(True),
            model.Group.state == "active",
        )
    ]


def may_review(user: Any) -> bool:
    """Whether ``user`` has requests to decide at all (the review page)."""
    obj = _user(user)
    return obj is not None and (is_data_manager(obj) or bool(_admin_org_ids(obj)))


# --------------------------------------------------------------------------
# Validation


def _collectivite(value: Any) -> Any:
    return territory.resolve(value)


def _text(limit: int, label: str) -> Any:
    def validator(value: Any) -> Any:
        if value is tk.missing or value is None:
            return ""
        if not isinstance(value, str):
            raise tk.Invalid(tk._("Un texte est attendu."))
        value = value.strip()
        if len(value) > limit:
            raise tk.Invalid(
                tk._("{label} : {limit} caractères au plus ({length} reçus).").format(
                    label=label, limit=limit, length=len(value)
                )
            )
        return value

    return validator


def _email(value: Any) -> Any:
    if (
        value is tk.missing
        or value is None
        or (isinstance(value, str) and not value.strip())
    ):
        raise tk.Invalid(
            tk._(
                "Indiquez une adresse électronique : la réponse à votre demande y "
                "sera envoyée."
            )
        )
    if not isinstance(value, str):
        raise tk.Invalid(tk._("Un texte est attendu."))
    return territoire_email(value)


def _request_id(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise tk.Invalid(tk._("Indiquez l'identifiant de la demande (id)."))
    return value.strip()


def _decision(value: Any) -> Any:
    if value not in DECISIONS:
        raise tk.Invalid(
            tk._(
                "Décision inconnue « {value} » : « approve » (accepter) ou "
                "« reject » (refuser)."
            ).format(value="" if value is tk.missing else value)
        )
    return value


def _state(value: Any) -> Any:
    if value is tk.missing or value in (None, ""):
        return None
    if value not in store.STATES:
        raise tk.Invalid(
            tk._("État inconnu « {value} » : pending, approved ou rejected.").format(
                value=value
            )
        )
    return value


def _count(default: int, maximum: int) -> Any:
    def validator(value: Any) -> Any:
        if value is tk.missing or value in (None, ""):
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = -1
        if number < 0 or isinstance(value, bool):
            raise tk.Invalid(tk._("Un entier positif ou nul est attendu."))
        return min(number, maximum)

    return validator


def create_schema() -> Schema:
    return {
        "territory": [_collectivite],
        "email": [_email],
        "role": [_text(MAX_ROLE, tk._("Votre fonction"))],
        "message": [_text(MAX_MESSAGE, tk._("Message"))],
    }


def decide_schema() -> Schema:
    return {
        "id": [_request_id],
        "decision": [_decision],
        "reason": [_text(MAX_REASON, tk._("Raison"))],
    }


def list_schema() -> Schema:
    return {
        "state": [_state],
        "limit": [_count(100, 1000)],
        "offset": [_count(0, 10**9)],
    }


def _validate(data_dict: DataDict, schema: Schema, context: Context) -> DataDict:
    data, errors = tk.navl_validate(data_dict, schema, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


# --------------------------------------------------------------------------
# Output


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def request_dict(row: dict[str, Any], private: bool = True) -> dict[str, Any]:
    """A request as the actions return it (``private``: the contact too)."""
    found = lookup.get(row["territory"])
    requester = model.User.get(row["user_id"])
    org = model.Group.get(row["organization_id"]) if row["organization_id"] else None
    decider = model.User.get(row["decided_by"]) if row["decided_by"] else None
    out = {
        "id": row["id"],
        "state": row["state"],
        "intent": row["intent"],
        "territory": row["territory"],
        "territory_label": found.label if found else row["territory"],
        "kind": territory.KINDS.get(found.level) if found else None,
        "siren": found.siren if found else None,
        "population": found.population if found else None,
        "user": requester.name if requester else None,
        "user_display_name": requester.display_name if requester else None,
        "role": row["role"],
        "message": row["message"] or "",
        "organization": org.name if org is not None else None,
        "organization_title": (org.title or org.name) if org is not None else None,
        "created": _when(row["created"]),
        "decided": _when(row["decided"]),
        "decided_by": decider.name if decider else None,
        "reason": row["reason"] or "",
    }
    if private:
        out["email"] = row["email"]
    return out


def _display_date(value: Any) -> str:
    """``06/12/2026``, in the portal's time zone (also outside a web request)."""
    if value is None:
        return ""
    zone = ZoneInfo(str(tk.config.get("ckan.display_timezone") or "UTC"))
    return value.astimezone(zone).strftime("%d/%m/%Y")


# --------------------------------------------------------------------------
# Actions


def _context_user(context: Context) -> model.User:
    user = _user(context.get("user"))
    if user is None and context.get("ignore_auth"):
        # a script acting as the site
        site = tk.get_action("get_site_user")({"ignore_auth": True}, {})
        user = _user(site["name"])
    if user is None:
        raise tk.NotAuthorized(_login_first())
    return user


def territoire_join_request_create(
    context: Context, data_dict: DataDict
) -> dict[str, Any]:
    """Ask to join the platform for a collectivité.

    If an organisation already has the collectivité's official code, the
    request is to join it and its admins decide; otherwise the request is to
    create it, and the région's data managers decide. Nothing is stored when
    a field is refused.

    :param territory: the collectivité: its code in any form the dataset
        schema accepts (``67462``, ``commune:67462``, an EPCI SIREN such as
        ``246700488``) or a commune's SIREN; communes, EPCI, départements and
        régions
    :type territory: string
    :param email: the address the answer is sent to
    :type email: string
    :param role: the requester's function in the collectivité (optional, e.g.
        ``Secrétaire de mairie``)
    :type role: string
    :param message: a note for those who decide (optional)
    :type message: string

    :returns: the request: ``id``, ``state`` (``pending``), ``intent``
        (``create`` or ``join``), ``territory``, ``territory_label``,
        ``organization`` (the organisation to join, or null), ``email``…
    :rtype: dictionary
    """
    tk.check_access("territoire_join_request_create", context, data_dict)
    user = _context_user(context)
    data = _validate(data_dict, create_schema(), context)
    found: lookup.Territory = data["territory"]
    org = territory.organization_of(found.code)
    if org is not None and authz.users_role_for_group_or_org(org.id, user.name):
        _refuse(
            tk._(
                "Vous êtes déjà membre de l'organisation {title} : rien à demander."
            ).format(title=org.title or org.name)
        )
    _refuse_duplicates(user, found, org)
    values = {
        "user_id": user.id,
        "territory": found.code,
        "intent": store.JOIN if org is not None else store.CREATE,
        "organization_id": org.id if org is not None else None,
        "email": data["email"],
        "role": data["role"],
        "message": data["message"],
    }
    try:
        with model.Session.begin_nested():
            row = store.insert_request(**values)
    except sa.exc.IntegrityError:
        # the same request sent twice at once: the unique indexes refuse it
        _refuse_duplicates(user, found, org)
        raise
    model.repo.commit()
    result = request_dict(row)
    mail.request_received(result, _deciders(row))
    return result


def _refuse(message: str, key: str = "territory") -> None:
    raise tk.ValidationError({key: [message]})


def _refuse_duplicates(
    user: model.User, found: lookup.Territory, org: model.Group | None
) -> None:
    mine = store.pending_for(user.id, found.code)
    if mine is not None:
        _refuse(
            tk._(
                "Vous avez déjà une demande en attente pour {name}, déposée le "
                "{date} : elle sera examinée, inutile de la renouveler."
            ).format(name=found.label, date=_display_date(mine["created"]))
        )
    if org is None:
        other = store.pending_creation(found.code)
        if other is not None:
            _refuse(
                tk._(
                    "L'organisation de {name} a déjà été demandée par une autre "
                    "personne le {date} ; sa demande est en cours d'examen. Une "
                    "fois l'organisation créée, vous pourrez demander à la "
                    "rejoindre."
                ).format(name=found.label, date=_display_date(other["created"]))
            )


def _deciders(row: dict[str, Any]) -> list[model.User]:
    if row["intent"] == store.JOIN and row["organization_id"]:
        admins = org_admins(row["organization_id"])
        if admins:
            return admins
    return data_managers()


def _get_row(data_dict: DataDict, for_update: bool = False) -> dict[str, Any]:
    ref = data_dict.get("id")
    row = store.get_request(ref, for_update) if isinstance(ref, str) else None
    if row is None:
        raise tk.ObjectNotFound(tk._("Demande introuvable : {id}").format(id=ref))
    return row


@tk.side_effect_free
def territoire_join_request_show(
    context: Context, data_dict: DataDict
) -> dict[str, Any]:
    """One join request: for the requester and for those who decide it.

    :param id: the request's id
    :type id: string

    :returns: the request (see ``territoire_join_request_create``), with
        ``decided``, ``decided_by`` and ``reason`` once decided; an approved
        request names the ``organization`` it created or joined
    :rtype: dictionary
    """
    tk.check_access("territoire_join_request_show", context, data_dict)
    data = _validate(data_dict, {"id": [_request_id]}, context)
    return request_dict(_get_row(data))


@tk.side_effect_free
def territoire_join_request_list(
    context: Context, data_dict: DataDict
) -> list[dict[str, Any]]:
    """The join requests the caller may see, newest first.

    Data managers see every request; an organisation's admins the requests
    to join it; everyone their own.

    :param state: only ``pending``, ``approved`` or ``rejected`` requests
        (optional)
    :type state: string
    :param limit: at most this many (optional, default 100, at most 1000)
    :type limit: int
    :param offset: skip this many (optional)
    :type offset: int

    :rtype: list of dictionaries
    """
    tk.check_access("territoire_join_request_list", context, data_dict)
    data = _validate(data_dict, list_schema(), context)
    user = _context_user(context)
    rows = store.list_requests(
        state=data["state"],
        user_id=user.id,
        organization_ids=_admin_org_ids(user),
        everything=is_data_manager(user),
        limit=data["limit"],
        offset=data["offset"],
    )
    return [request_dict(row) for row in rows]


def territoire_join_request_decide(
    context: Context, data_dict: DataDict
) -> dict[str, Any]:
    """Approve or reject a pending join request.

    Approving a creation request creates the organisation from the COG
    reference (title, kind, official code, SIREN, territory) with the
    requester as its admin; approving a request to join an organisation
    makes the requester one of its editors. The requester is told by e-mail
    either way. A request is decided once; nobody decides their own.

    :param id: the request's id
    :type id: string
    :param decision: ``approve`` or ``reject``
    :type decision: string
    :param reason: why (required to reject; sent to the requester)
    :type reason: string

    :returns: the decided request
    :rtype: dictionary
    """
    tk.check_access("territoire_join_request_decide", context, data_dict)
    data = _validate(data_dict, decide_schema(), context)
    if data["decision"] == "reject" and not data["reason"]:
        _refuse(
            tk._(
                "Indiquez la raison du refus : elle est envoyée à la personne qui "
                "a fait la demande."
            ),
            key="reason",
        )
    decider = _context_user(context)
    row = _get_row(data, for_update=True)
    if row["state"] != store.PENDING:
        _already_decided(row)
    requester = model.User.get(row["user_id"])
    if requester is None or requester.state != "active":
        _refuse(
            tk._("Le compte qui a fait cette demande n'existe plus : refusez-la."),
            key="id",
        )
    assert requester is not None
    organization_id = row["organization_id"]
    if data["decision"] == "approve":
        organization_id = _approve(row, requester, decider)
        state = store.APPROVED
    else:
        state = store.REJECTED
    store.decide_request(
        row["id"], state, decider.id, data["reason"] or None, organization_id
    )
    model.repo.commit()
    result = request_dict(store.get_request(row["id"]) or row)
    mail.request_decided(result)
    return result


def _already_decided(row: dict[str, Any]) -> None:
    decider = model.User.get(row["decided_by"]) if row["decided_by"] else None
    message = (
        tk._(
            "Cette demande a déjà été acceptée le {date} par {who} : une demande "
            "ne se décide qu'une fois."
        )
        if row["state"] == store.APPROVED
        else tk._(
            "Cette demande a déjà été refusée le {date} par {who} : une demande "
            "ne se décide qu'une fois."
        )
    )
    _refuse(
        message.format(
            date=_display_date(row["decided"]),
            who=decider.display_name if decider else "?",
        ),
        key="id",
    )


def _approve(row: dict[str, Any], requester: model.User, decider: model.User) -> str:
    found = lookup.get(row["territory"])
    if found is None:
        _refuse(
            tk._(
                "Le territoire {code} n'est plus dans le référentiel (COG) : "
                "refusez la demande."
            ).format(code=row["territory"]),
            key="id",
        )
    assert found is not None
    if row["intent"] == store.CREATE:
        existing = territory.organization_of(found.code)
        if existing is not None:
            _refuse(
                tk._(
                    "L'organisation {title} a été créée pour {name} depuis cette "
                    "demande : refusez-la en invitant la personne à demander à "
                    "rejoindre {title}."
                ).format(title=existing.title or existing.name, name=found.label),
                key="id",
            )
        # created in the requester's name: CKAN makes the creator its admin
        org = tk.get_action("organization_create")(
            {"user": requester.name, "ignore_auth": True, "defer_commit": True},
            territory.organization_fields(found),
        )
        return str(org["id"])
    org_obj = model.Group.get(row["organization_id"])
    if org_obj is None or org_obj.state != "active":
        _refuse(
            tk._("L'organisation à rejoindre n'existe plus : refusez la demande."),
            key="id",
        )
    assert org_obj is not None
    current = authz.users_role_for_group_or_org(org_obj.id, requester.name)
    if current not in ("admin", "editor"):
        tk.get_action("organization_member_create")(
            {"user": decider.name, "ignore_auth": True, "defer_commit": True},
            {"id": org_obj.id, "username": requester.name, "role": JOIN_ROLE},
        )
    return str(org_obj.id)


def get_actions() -> dict[str, Action]:
    return {
        "territoire_join_request_create": territoire_join_request_create,
        "territoire_join_request_list": territoire_join_request_list,
        "territoire_join_request_show": territoire_join_request_show,
        "territoire_join_request_decide": territoire_join_request_decide,
    }


# --------------------------------------------------------------------------
# Auth


def _login_first() -> str:
    return tk._(
        "Connectez-vous (ou créez un compte) pour demander à rejoindre la plateforme."
    )


def _logged_in(context: Context) -> AuthResult:
    user = _user(context.get("user"))
    if user is None or user.state != "active":
        return {"success": False, "msg": _login_first()}
    return {"success": True}


@tk.auth_allow_anonymous_access
def join_request_create_auth(context: Context, data_dict: DataDict) -> AuthResult:
    return _logged_in(context)


@tk.auth_allow_anonymous_access
def join_request_list_auth(context: Context, data_dict: DataDict) -> AuthResult:
    return _logged_in(context)


def _auth_row(data_dict: DataDict) -> dict[str, Any]:
    """The request an auth function is asked about; not found as CKAN's auth
    functions answer it (404, before any right is checked)."""
    ref = (data_dict or {}).get("id")
    row = store.get_request(ref.strip()) if isinstance(ref, str) else None
    if row is None:
        raise tk.ObjectNotFound(tk._("Demande introuvable : {id}").format(id=ref))
    return row


@tk.auth_allow_anonymous_access
def join_request_show_auth(context: Context, data_dict: DataDict) -> AuthResult:
    allowed = _logged_in(context)
    if not allowed["success"]:
        return allowed
    user = _user(context.get("user"))
    row = _auth_row(data_dict)
    if user is not None and (row["user_id"] == user.id or may_decide(user, row)):
        return {"success": True}
    return {
        "success": False,
        "msg": tk._("Vous ne pouvez pas voir cette demande."),
    }


@tk.auth_allow_anonymous_access
@tk.auth_sysadmins_check
def join_request_decide_auth(context: Context, data_dict: DataDict) -> AuthResult:
    allowed = _logged_in(context)
    if not allowed["success"]:
        return allowed
    user = _user(context.get("user"))
    assert user is not None
    row = _auth_row(data_dict)
    if row["user_id"] == user.id:
        return {
            "success": False,
            "msg": tk._(
                "Vous ne pouvez pas décider de votre propre demande : une autre "
                "personne habilitée doit le faire."
            ),
        }
    if may_decide(user, row):
        return {"success": True}
    if row["intent"] == store.JOIN:
        msg = tk._(
            "Seuls les administrateurs de l'organisation et les gestionnaires de "
            "données de la région décident de cette demande."
        )
    else:
        msg = tk._(
            "Seuls les gestionnaires de données de la région décident des "
            "demandes de création d'organisation."
        )
    return {"success": False, "msg": msg}


def get_auth_functions() -> dict[str, AuthFunction]:
    return {
        "territoire_join_request_create": join_request_create_auth,
        "territoire_join_request_list": join_request_list_auth,
        "territoire_join_request_show": join_request_show_auth,
        "territoire_join_request_decide": join_request_decide_auth,
    }
