"""Pages: "Rejoindre la plateforme", the review of requests, an organisation's
team (members, invitations) and the roles explained.

Every change goes through the actions (and so CKAN's authorisation); the
pages only gather the form fields and show the actions' French errors.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.helpers import flash_error, flash_success
from ckan.types import Context

from . import invitations, logic, mail, store

blueprint = Blueprint("territoire_join", __name__)

ROLES = ("member", "editor", "admin")


def _context() -> Context:
    return {"user": tk.current_user.name if tk.current_user else ""}  # type: ignore[typeddict-item]


def _user() -> model.User | None:
    user = tk.current_user
    return user if user and getattr(user, "is_authenticated", False) else None  # type: ignore[return-value]


def _messages(error: tk.ValidationError) -> dict[str, list[str]]:
    """Field → messages, as CKAN's form macros show them."""
    out = {}
    for key, messages in (error.error_dict or {}).items():
        found = messages if isinstance(messages, list) else [messages]
        out[key] = [str(m) for m in found]
    return out


def _flat(errors: dict[str, list[str]]) -> str:
    return " ".join(m for messages in errors.values() for m in messages)


def _form(*names: str) -> dict[str, str]:
    return {name: (tk.request.form.get(name) or "").strip() for name in names}


# --------------------------------------------------------------------------
# Rejoindre la plateforme


@blueprint.route("/rejoindre", methods=["GET", "POST"])
def join() -> Any:
    user = _user()
    data: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    if user is not None and tk.request.method == "POST":
        data = _form("territory", "role", "email", "message")
        if not data["role"]:
            errors["role"] = [
                tk._(
                    "Indiquez votre fonction dans la collectivité (ex. secrétaire de "
                    "mairie, chargé de mission SIG)."
                )
            ]
        else:
            try:
                request = tk.get_action("territoire_join_request_create")(
                    _context(), data
                )
            except tk.ValidationError as e:
                errors = _messages(e)
            else:
                flash_success(_sent_message(request))
                return tk.redirect_to("territoire_join.join")
    if user is not None and not data:
        data = {"email": user.email or ""}
    mine = []
    if user is not None:
        mine = [
            r
            for r in tk.get_action("territoire_join_request_list")(
                _context(), {"limit": 50}
            )
            if r["user"] == user.name
        ]
    return tk.render(
        "territoire/join/join.html",
        {"data": data, "errors": errors, "mine": mine, "chosen": _chosen(data)},
    )


def _sent_message(request: dict[str, Any]) -> str:
    if request["intent"] == store.JOIN:
        return tk._(
            "Votre demande pour rejoindre {organization} est envoyée à ses "
            "administrateurs. Vous recevrez leur réponse à {email}."
        ).format(organization=request["organization_title"], email=request["email"])
    return tk._(
        "Votre demande de création de l'organisation de {territory} est envoyée aux "
        "gestionnaires de données de la région. Vous recevrez leur réponse à {email}."
    ).format(territory=request["territory_label"], email=request["email"])


def _chosen(data: dict[str, str]) -> dict[str, str] | None:
    """The collectivité already typed, shown under the search box."""
    from . import territory

    raw = data.get("territory")
    if not raw:
        return None
    try:
        found = territory.resolve(raw)
    except tk.Invalid:
        return None
    return {"code": found.code, "label": found.label}


# --------------------------------------------------------------------------
# The review page


@blueprint.route("/rejoindre/demandes")
def review() -> Any:
    user = _user()
    if user is None:
        return tk.redirect_to(
            "user.login", came_from=tk.h.url_for("territoire_join.review")
        )
    if not logic.may_review(user):
        return tk.abort(
            403,
            tk._(
                "Cette page est réservée aux gestionnaires de données de la région "
                "et aux administrateurs d'organisation."
            ),
        )
    action = tk.get_action("territoire_join_request_list")
    pending = action(_context(), {"state": store.PENDING, "limit": 200})
    decided = [
        r for r in action(_context(), {"limit": 30}) if r["state"] != store.PENDING
    ]
    for request in pending:
        request["decidable"] = request["user"] != user.name and logic.may_decide(
            user, store.get_request(request["id"]) or {}
        )
        if request["intent"] == store.CREATE:
            request["preview"] = _preview(request["territory"])
    return tk.render(
        "territoire/join/review.html", {"pending": pending, "decided": decided}
    )


def _preview(code: str) -> dict[str, Any] | None:
    from ..territories import lookup
    from . import territory

    found = lookup.get(code)
    return territory.organization_fields(found) if found else None


@blueprint.route("/rejoindre/demandes/<id>", methods=["POST"])
def decide(id: str) -> Any:
    data = {
        "id": id,
        "decision": tk.request.form.get("decision", ""),
        "reason": tk.request.form.get("reason", ""),
    }
    try:
        request = tk.get_action("territoire_join_request_decide")(_context(), data)
    except tk.NotAuthorized as e:
        flash_error(str(e) or tk._("Vous ne pouvez pas décider de cette demande."))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Demande introuvable : {id}").format(id=id))
    except tk.ValidationError as e:
        flash_error(_flat(_messages(e)))
    else:
        if request["state"] == store.APPROVED:
            flash_success(
                tk._("Demande acceptée : {person} est dans {organization}.").format(
                    person=request["user_display_name"],
                    organization=request["organization_title"],
                )
            )
        else:
            flash_success(
                tk._("Demande refusée ; {person} en est informé(e).").format(
                    person=request["user_display_name"]
                )
            )
    return tk.redirect_to("territoire_join.review")


# --------------------------------------------------------------------------
# An organisation's team


def _org_or_abort(id: str) -> dict[str, Any]:
    try:
        org = tk.get_action("organization_show")(
            _context(), {"id": id, "include_datasets": False}
        )
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Organisation introuvable."))
    try:
        tk.check_access("organization_member_create", _context(), {"id": org["id"]})
    except tk.NotAuthorized:
        return tk.abort(
            403,
            tk._("Seuls les administrateurs de l'organisation gèrent son équipe."),
        )
    # its members, now that the caller may manage them
    return tk.get_action("organization_show")(
        _context(), {"id": org["id"], "include_datasets": False, "include_users": True}
    )


@blueprint.route("/organization/<id>/equipe", methods=["GET", "POST"])
def team(id: str) -> Any:
    org = _org_or_abort(id)
    errors: dict[str, list[str]] = {}
    data: dict[str, str] = {"role": "editor"}
    if tk.request.method == "POST":
        what = tk.request.form.get("action", "")
        try:
            if what == "invite":
                data = _form("email", "role")
                flash_success(invitations.invite(_context(), org, data))
            elif what == "role":
                form = _form("username", "role")
                flash_success(invitations.change_role(_context(), org, form))
            elif what == "remove":
                flash_success(
                    invitations.remove(_context(), org, _form("username")["username"])
                )
            elif what == "cancel":
                flash_success(
                    invitations.cancel(_context(), org, _form("user_id")["user_id"])
                )
            else:
                return tk.abort(400, tk._("Action inconnue."))
        except tk.ValidationError as e:
            errors = _messages(e)
            if what != "invite":
                flash_error(_flat(errors))
        except tk.NotAuthorized as e:
            flash_error(str(e))
        else:
            return tk.redirect_to("territoire_join.team", id=org["name"])
    return tk.render(
        "territoire/join/team.html",
        {
            "org": org,
            "members": invitations.members(org),
            "pending": invitations.pending(org),
            "data": data,
            "errors": errors,
            "show_links": not mail.configured(),
            "roles": ROLES,
        },
    )


@blueprint.route("/aide/roles")
def roles() -> str:
    return tk.render("territoire/join/roles.html", {})


# --------------------------------------------------------------------------
# Invitation links: expired or already used


@blueprint.before_app_request
def check_invitation_link() -> Any:
    if tk.request.endpoint != "user.perform_reset":
        return None
    refusal = invitations.refusal(
        (tk.request.view_args or {}).get("id", ""), tk.request.args.get("key", "")
    )
    if refusal is None:
        return None
    return tk.render("territoire/join/invitation_refused.html", refusal), 410
