"""Harvest rules enforced through CKAN's actions and authorisation.

- A harvested dataset is read-only for its organisation's editors and
  admins: its metadata belongs to the partner's portal and would be
  overwritten by the next harvest. The harvest itself (the site user) and
  sysadmins may still change it. The bulk actions of an organisation's
  datasets page are refused as a whole when they name one.
- A harvest source's URL must not lead inside our network (see ``http.py``):
  checked in ``package_create`` / ``package_update`` of a harvest source
  (dataset type ``harvest``), where every write path of a source ends
  (``harvest_source_create/update/patch``, ``package_patch``,
  ``package_revise``, the forms), before anything is stored.
- ``harvest_source_patch``'s authorisation is ``harvest_source_update``'s:
  ckanext-harvest registers the *action* under that auth name.
- A second job for a source and a job for an inactive source are conflicts
  (409), not server errors.
- A harvest object's remote content is for those who may read the dataset it
  became (``package_show``), or, without dataset, its source.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.harvest.logic import HarvestJobExists, HarvestSourceInactiveError
from ckanext.harvest.model import HarvestObject

from ..identifiers import unwrap
from . import records
from .http import HarvestHTTPError, check_url

SOURCE_TYPE = "harvest"

_PACKAGE_WRITES = ("package_update", "package_patch", "package_delete")
_RESOURCE_WRITES = (
    "resource_create",
    "resource_update",
    "resource_patch",
    "resource_delete",
    "package_resource_reorder",
)
_BULK_WRITES = ("bulk_update_private", "bulk_update_public", "bulk_update_delete")


def _ref(value: Any) -> str | None:
    """A dataset or resource reference as the database compares it.

    Anything but text (a number, a list…) names nothing: the lookup would
    compare it with a text column, which PostgreSQL refuses (a 500). It is
    answered as CKAN answers a wrong id: not found.
    """
    value = unwrap(value)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise tk.ObjectNotFound(
            tk._(
                "Identifiant invalide : {value} (un identifiant ou un nom, en "
                "texte, est attendu)."
            ).format(value=json.dumps(value, default=str)[:100])
        )
    return value


def _package_id(data_dict: DataDict, action: str) -> str | None:
    if action in _PACKAGE_WRITES:
        ref = _ref(data_dict.get("id") or data_dict.get("name"))
    elif action in ("resource_create", "package_resource_reorder"):
        ref = _ref(data_dict.get("package_id") or data_dict.get("id"))
    else:
        res_id = _ref(data_dict.get("id"))
        res = model.Resource.get(res_id) if res_id else None
        ref = res.package_id if res is not None else None
    if not ref:
        return None
    pkg = model.Package.get(ref)
    return pkg.id if pkg is not None else None


def _may_write_harvested(context: Context) -> bool:
    return bool(context.get("territoire_harvest")) or authz.is_sysadmin(
        context.get("user")
    )


def _read_only(action: str) -> Any:
    @tk.chained_auth_function
    def auth(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
        if _may_write_harvested(context):
            return next_auth(context, data_dict)
        package_id = _package_id(data_dict or {}, action)
        if package_id and records.is_harvested(package_id):
            return {
                "success": False,
                "msg": tk._(
                    "Ce jeu de données est moissonné depuis le portail d'un "
                    "partenaire : modifiez-le à la source, le prochain "
                    "moissonnage reportera la modification ici."
                ),
            }
        return next_auth(context, data_dict)

    auth.__name__ = action
    return auth


def harvested_among(refs: list[str]) -> list[str]:
    """The titles (or names) of the harvested datasets among ``refs`` (ids)."""
    if not refs:
        return []
    rows = model.Session.execute(
        sa.text(
            "SELECT coalesce(nullif(p.title, ''), p.name) FROM package p "
            "JOIN territoire_harvest_record r ON r.package_id = p.id "
            "WHERE p.id = ANY(:refs) ORDER BY 1"
        ),
        {"refs": refs},
    )
    return [row[0] for row in rows]


def _bulk_read_only(action: str) -> Any:
    """Refuse a bulk action naming a harvested dataset, before any is changed.

    CKAN's bulk actions patch the datasets one by one, each committed: the
    read-only rule of ``package_patch`` alone would stop at the first
    harvested one and leave those before it changed.
    """

    @tk.chained_auth_function
    def auth(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
        if _may_write_harvested(context):
            return next_auth(context, data_dict)
        datasets = (data_dict or {}).get("datasets") or []
        if isinstance(datasets, str):
            datasets = [datasets]
        refs = (
            [d for d in datasets if isinstance(d, str)]
            if isinstance(datasets, (list, tuple))
            else []
        )
        harvested = harvested_among(refs)
        if harvested:
            return {
                "success": False,
                "msg": tk._(
                    "Ces jeux de données sont moissonnés depuis le portail d'un "
                    "partenaire et ne se modifient qu'à la source : {datasets}. "
                    "Retirez-les de la sélection ; rien n'a été modifié."
                ).format(datasets=", ".join(f"« {t} »" for t in harvested)),
            }
        return next_auth(context, data_dict)

    auth.__name__ = action
    return auth


@tk.chained_auth_function
def harvest_source_patch(
    next_auth: Any, context: Context, data_dict: DataDict
) -> AuthResult:
    """``harvest_source_update``'s rule.

    ckanext-harvest 1.6.3 collects its actions and its auth functions into one
    shared dict: the auth function registered under ``harvest_source_patch``
    is the action itself, so checking it patched the source (and its answer,
    a dataset, made ``check_access`` fail with a 500). It is never called.
    """
    return authz.is_authorized("harvest_source_update", context, data_dict)


def _as_rule(action: str, rule: str | None) -> Any:
    """An auth function for a ckanext-harvest action that has none.

    ckanext-harvest 1.6.3 gathers actions and auth functions in one shared
    dict, so such an action is its own auth function: checking access to it
    *ran the action* with the caller's context, then failed on its answer
    (a 500). These follow ``rule``'s authorisation, or are for sysadmins only
    (``rule`` None). The action is never called from here.
    """

    @tk.chained_auth_function
    def auth(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
        if rule is None:
            # sysadmins never reach an auth function
            return {"success": False, "msg": _sysadmins_only()}
        return authz.is_authorized(rule, context, data_dict)

    auth.__name__ = action
    return auth


def _sysadmins_only() -> str:
    return tk._("Seuls les administrateurs de la plateforme peuvent faire ceci.")


#: ckanext-harvest 1.6.3's actions without an auth function of their own, and
#: the rule each follows (None: sysadmins only)
_UNGUARDED: dict[str, str | None] = {
    "harvest_log_list": None,
    "harvest_abort_failed_jobs": None,
    "send_error_email": None,
    "send_summary_email": None,
    "send_mail": None,
    "prepare_error_mail": None,
    "prepare_summary_mail": None,
    "get_mail_extra_vars": None,
}

#: of those, helpers of the harvest run that ckanext-harvest calls directly,
#: published as actions by the same dict with another signature than an
#: action's (``context, source_id, status``): no caller of the API can use
#: them, sysadmins included
_INTERNAL = (
    "send_error_email",
    "send_summary_email",
    "send_mail",
    "prepare_error_mail",
    "prepare_summary_mail",
    "get_mail_extra_vars",
)

#: ckanext-harvest's sysadmin-only auth functions, which look the caller up
#: and fail on an anonymous one (``pt.Objectpt.ObjectNotFound``: a 500)
_SYSADMIN_RULES = (
    "harvest_job_create_all",
    "harvest_sources_clear",
    "harvest_objects_import",
    "harvest_jobs_run",
    "harvest_job_abort",
    "harvest_sources_reindex",
)


def _signed_in_first(action: str) -> Any:
    @tk.chained_auth_function
    def auth(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
        if not context.get("user"):
            return {"success": False, "msg": _sysadmins_only()}
        return next_auth(context, data_dict)

    auth.__name__ = action
    return auth


def _internal(action: str) -> Any:
    @tk.chained_action
    def refused(up_func: Any, context: Context, data_dict: DataDict) -> Any:
        raise tk.NotAuthorized(
            tk._(
                "{action} est une fonction interne du moissonnage, pas une action "
                "de l'API."
            ).format(action=action)
        )

    refused.__name__ = action
    return refused


@tk.chained_action
def harvest_abort_failed_jobs(
    up_func: Any, context: Context, data_dict: DataDict
) -> Any:
    """ckanext-harvest's action, after the access check it never makes.

    Its ``life_span`` (days) defaults to 7 as the action intends, where it
    failed on a missing one (``int(None)``, a 500).
    """
    tk.check_access("harvest_abort_failed_jobs", context, data_dict)
    life_span = data_dict.get("life_span")
    if life_span in (None, ""):
        data_dict = {**data_dict, "life_span": 7}
    else:
        try:
            if int(life_span) < 0:
                raise ValueError(life_span)
        except (TypeError, ValueError):
            raise tk.ValidationError(
                {
                    "life_span": [
                        tk._("Un nombre de jours entier et positif est attendu.")
                    ]
                }
            ) from None
    return up_func(context, data_dict)


def _readable(action: str, context: Context, ref: str) -> bool:
    ctx: Context = {"user": context.get("user", ""), "model": model}
    if context.get("auth_user_obj") is not None:
        ctx["auth_user_obj"] = context["auth_user_obj"]
    try:
        tk.check_access(action, ctx, {"id": ref})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return False
    return True


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def harvest_object_show(
    next_auth: Any, context: Context, data_dict: DataDict
) -> AuthResult:
    """The remote content of a harvest object is read like what it became.

    ckanext-harvest lets anyone read any object: the remote record of a
    dataset that is private, or was withdrawn (made private) since, stayed
    public there. An object whose dataset exists follows ``package_show`` on
    that dataset; one without dataset (an import error, a record never
    imported) follows its source (``harvest_source_show``). The object is
    looked up as ``harvest_object_show`` does; by another attribute than its
    id (``attr``, e.g. ``guid``), which several objects may share, each of
    them must be readable.
    """
    data_dict = data_dict or {}
    ref, dataset_ref = data_dict.get("id"), data_dict.get("dataset_id")
    if ref:
        attr = data_dict.get("attr") or "id"
        column = HarvestObject.__table__.c.get(attr)
        if column is None or not isinstance(ref, str):
            return {"success": False, "msg": tk._("Objet de moissonnage introuvable.")}
        pairs = (
            model.Session.query(
                HarvestObject.package_id, HarvestObject.harvest_source_id
            )
            .filter(column == ref)
            .distinct()
            .all()
        )
    elif dataset_ref:
        if not isinstance(dataset_ref, str):
            return {"success": False, "msg": tk._("Jeu de données introuvable.")}
        pkg = model.Package.get(dataset_ref)
        pairs = [(pkg.id, None)] if pkg is not None else []
    else:
        pairs = []
    for package_id, source_id in pairs:
        if package_id:
            allowed = _readable("package_show", context, package_id)
        else:
            allowed = bool(source_id) and _readable(
                "harvest_source_show", context, source_id
            )
        if not allowed:
            return {
                "success": False,
                "msg": tk._(
                    "Le contenu moissonné de ce jeu de données n'est visible que "
                    "par ceux qui peuvent voir le jeu de données lui-même."
                ),
            }
    # not found, or every object readable: ckanext-harvest's answer
    return next_auth(context, data_dict)


def get_auth_functions() -> dict[str, Any]:
    return {
        **{name: _read_only(name) for name in _PACKAGE_WRITES + _RESOURCE_WRITES},
        **{name: _bulk_read_only(name) for name in _BULK_WRITES},
        "harvest_source_patch": harvest_source_patch,
        "harvest_object_show": harvest_object_show,
        **{name: _as_rule(name, rule) for name, rule in _UNGUARDED.items()},
        **{name: _signed_in_first(name) for name in _SYSADMIN_RULES},
    }


# --------------------------------------------------------------------------
# Actions


def _check_source_url(url: Any) -> None:
    url = (url or "").strip() if isinstance(url, str) else url
    if not url:
        return
    if not isinstance(url, str):
        raise tk.ValidationError(
            {"url": [tk._("L'adresse de la source doit être un texte (une URL).")]}
        )
    try:
        check_url(url)
    except HarvestHTTPError as e:
        # in the language of the request
        raise tk.ValidationError({"url": [tk._(e.msgid).format(**e.params)]}) from e


def _stored_source(data_dict: DataDict) -> model.Package | None:
    ref = data_dict.get("id") or data_dict.get("name")
    if not isinstance(ref, str) or not ref:
        return None
    return model.Package.get(ref)


def _checked_dataset_write(action: str) -> Any:
    """``package_create`` / ``package_update`` with the source URL check first.

    Only for a harvest source, and only for a new URL: a source created when
    its address was allowed is refused at each connection (``http.py``), not
    on every edit.
    """

    @tk.chained_action
    def checked(next_action: Any, context: Context, data_dict: DataDict) -> Any:
        stored = _stored_source(data_dict) if action == "package_update" else None
        # a source, or a dataset about to become one
        if SOURCE_TYPE in (data_dict.get("type"), getattr(stored, "type", None)):
            url = data_dict.get("url")
            old = (stored.url or "").strip() if stored is not None else None
            if not (isinstance(url, str) and url.strip() == old):
                # the user may write the source at all, before any lookup
                tk.check_access(action, context, data_dict)
                _check_source_url(url)
        return next_action(context, data_dict)

    checked.__name__ = action
    return checked


class HarvestJobConflict(tk.ValidationError, HarvestJobExists):
    """A job exists for the source: a 409, which ckanext-harvest's own callers
    (scheduler, source page, command line) still catch as ``HarvestJobExists``."""


class InactiveSourceConflict(tk.ValidationError, HarvestSourceInactiveError):
    """A job for an inactive source: a 409, still a
    ``HarvestSourceInactiveError`` for ckanext-harvest's callers."""


@tk.chained_action
def harvest_job_create(next_action: Any, context: Context, data_dict: DataDict) -> Any:
    # ckanext-harvest raises plain exceptions here, which the API turns into
    # 500s; it checks them before writing anything
    try:
        return next_action(context, data_dict)
    except HarvestJobExists as e:
        if isinstance(e, tk.ValidationError):
            raise
        raise HarvestJobConflict(
            {
                "source_id": [
                    tk._(
                        "Un moissonnage de cette source est déjà prévu ou en "
                        "cours : attendez qu'il se termine, ou arrêtez-le depuis "
                        "la page de la source, avant d'en lancer un autre."
                    )
                ]
            }
        ) from e
    except HarvestSourceInactiveError as e:
        if isinstance(e, tk.ValidationError):
            raise
        raise InactiveSourceConflict(
            {
                "source_id": [
                    tk._(
                        "Cette source de moissonnage est désactivée : "
                        "réactivez-la avant de lancer un moissonnage."
                    )
                ]
            }
        ) from e


def get_actions() -> dict[str, Any]:
    return {
        "package_create": _checked_dataset_write("package_create"),
        "package_update": _checked_dataset_write("package_update"),
        "harvest_job_create": harvest_job_create,
        "harvest_abort_failed_jobs": harvest_abort_failed_jobs,
        **{name: _internal(name) for name in _INTERNAL},
    }
