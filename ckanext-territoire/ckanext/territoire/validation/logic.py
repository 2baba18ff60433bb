"""Validation actions and auth functions, the chained package actions and
the draft gate.

The action names are ckanext-validation's (``resource_validation_show``,
``_run``, ``_delete``) rather than ``territoire_*``: clients and users of
that extension call them by these names.

Chained ``package_create``/``package_update`` (``resource_create``,
``_update``, ``_patch`` and ``_delete`` go through ``package_update``):

1. the status extras a client sends are replaced by the stored ones;
2. the draft gate (``ckanext.territoire.validation.required``);
3. the action itself;
4. once committed, a validation is queued for each resource whose file,
   link or schema changed (``resource_create``/``_update`` queue it after
   their upload is written, not from inside their package_update).
"""

from __future__ import annotations

import logging
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Action, AuthFunction, AuthResult, Context, DataDict

from . import jobs, report, store

DEFER = "territoire_validation_defer"

log = logging.getLogger(__name__)


def _status_label(status: str | None, count: int = 0) -> str:
    if status == "success":
        return tk._("valide")
    if status == "failure":
        return tk.ungettext("{n} erreur", "{n} erreurs", count).format(n=count)
    if status == "error":
        return tk._("fichier illisible")
    if status in ("pending", "running"):
        return tk._("validation en cours")
    return tk._("non validé")


# --------------------------------------------------------------------------
# Scheduling


def _resource_dict(resource: model.Resource) -> dict[str, Any]:
    out = dict(resource.extras or {})
    out.update(
        id=resource.id,
        url=resource.url,
        last_modified=resource.last_modified,
        size=resource.size,
        hash=resource.hash,
    )
    return out


def schedule(package_id: str) -> list[str]:
    """Queue a validation for each resource of the dataset that needs one."""
    package = model.Package.get(package_id)
    if package is None or package.state == "deleted" or not store.available():
        return []
    rows = store.for_package(package.id)
    queued, changed = [], False
    for resource in package.resources:
        res = _resource_dict(resource)
        row = rows.get(resource.id)
        if not res.get("schema"):
            if row is not None or res.get("validation_status"):
                store.delete(resource.id)
                store.set_extras(resource.id, None, None)
                changed = True
            continue
        if row is not None and row["fingerprint"] == store.fingerprint(res):
            continue
        if (
            row is not None
            and res.get("hash")
            and row["fingerprint"] == store.fingerprint({**res, "hash": None})
        ):
            # the content digest recorded for the first time (by the DataStore
            # load of this very file), nothing else changed: a later change of
            # the digest is a change of content and is validated again
            store.set_fingerprint(res)
            changed = True
            continue
        store.start(res, package.id)
        store.set_extras(resource.id, "pending", None)
        queued.append(resource.id)
        changed = True
    # reports of resources the dataset no longer has (deleted resources)
    active = {r.id for r in package.resources}
    for resource_id in set(rows) - active:
        store.delete(resource_id)
        changed = True
    if changed:
        model.Session.commit()
        store.reindex(package.id)
    for resource_id in queued:
        jobs.enqueue(resource_id)
    return queued


def schedule_if_declared(package_id: str) -> None:
    """:func:`schedule` after a caller's own commit (a harvest), for datasets
    with a resource that declares a schema or was validated; never raises."""
    package = model.Package.get(package_id)
    if package is None or not any(
        (r.extras or {}).get("schema") or (r.extras or {}).get("validation_status")
        for r in package.resources
    ):
        return
    try:
        schedule(package.id)
    except Exception:  # noqa: BLE001 - the harvest goes on; the report waits
        log.exception("Could not schedule the validation of %s", package_id)
        model.Session.rollback()


# --------------------------------------------------------------------------
# Chained actions


def _package(data_dict: DataDict) -> model.Package | None:
    ref = data_dict.get("id") or data_dict.get("name")
    return model.Package.get(ref) if isinstance(ref, str) and ref else None


def _protect(package: model.Package | None, data_dict: DataDict) -> None:
    resources = data_dict.get("resources")
    if not isinstance(resources, list):
        return
    rows = store.for_package(package.id) if package is not None else {}
    for res in resources:
        if not isinstance(res, dict):
            continue
        row = rows.get(str(res.get("id") or ""))
        if row is None:
            for key in store.STATUS_KEYS:
                res.pop(key, None)
        else:
            res["validation_status"] = row["status"]
            res["validation_timestamp"] = (
                row["finished"].isoformat() if row["finished"] else None
            )


def _gate(context: Context, package: model.Package | None, data_dict: DataDict) -> None:
    if not tk.asbool(tk.config.get("ckanext.territoire.validation.required")):
        return
    if context.get("territoire_harvest"):
        # a partner's dataset mirrors its portal: refusing it would drop it
        # from the harvest, not get its file fixed; its report still shows
        return
    target = data_dict.get("state")
    if package is None:
        leaving_draft = target in (None, "", "active")
    else:
        leaving_draft = package.state == "draft" and target == "active"
    if not leaving_draft:
        return
    resources = data_dict.get("resources")
    if not isinstance(resources, list):
        resources = [_resource_dict(r) for r in package.resources] if package else []
    rows = store.for_package(package.id) if package is not None else {}
    problems = []
    for res in resources:
        if not isinstance(res, dict) or not res.get("schema"):
            continue
        row = rows.get(str(res.get("id") or ""))
        valid = (
            row is not None
            and row["status"] == "success"
            and (row["url"] or "") == (res.get("url") or "")
            and (row["schema"] or "") == (res.get("schema") or "")
            and (row["schema_version"] or "") == (res.get("schema_version") or "")
        )
        if valid:
            continue
        status = row["status"] if row is not None else None
        count = row["error_count"] if row is not None else 0
        problems.append(
            tk._("la ressource « {name} » ({schema}) : {status}").format(
                name=res.get("name") or res.get("url") or res.get("id") or "?",
                schema=res.get("schema"),
                status=_status_label(status, count),
            )
        )
    if problems:
        raise tk.ValidationError(
            {
                "state": [
                    tk._(
                        "Le jeu de données ne peut pas quitter le brouillon tant "
                        "que ses fichiers ne sont pas valides par rapport à leur "
                        "schéma : {problems}. Corrigez les fichiers ou attendez "
                        "la fin de la validation, puis publiez à nouveau."
                    ).format(problems=" ; ".join(problems))
                ]
            }
        )


def _after(context: Context, result: Any, data_dict: DataDict) -> None:
    if context.get(DEFER):
        return
    package = context.get("package")
    package_id = getattr(package, "id", None) or (
        result.get("id") if isinstance(result, dict) else result
    )
    if not isinstance(package_id, str):
        return
    if context.get("defer_commit"):
        # the caller commits later (our harvesters: import_stage, which then
        # calls schedule_if_declared); scheduling now would commit for it
        return
    schedule(package_id)


@tk.chained_action
def package_create(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    _protect(None, data_dict)
    _gate(context, None, data_dict)
    result = up_func(context, data_dict)
    _after(context, result, data_dict)
    return result


@tk.chained_action
def package_update(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    package = _package(data_dict)
    _protect(package, data_dict)
    _gate(context, package, data_dict)
    result = up_func(context, data_dict)
    _after(context, result, data_dict)
    return result


def _deferred(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    outer = context.get(DEFER)
    context[DEFER] = True  # type: ignore[literal-required]
    try:
        result = up_func(context, data_dict)
    finally:
        if not outer:
            context.pop(DEFER, None)  # type: ignore[misc]
    if not outer:
        package_id = result.get("package_id") if isinstance(result, dict) else None
        if package_id:
            schedule(package_id)
    return result


@tk.chained_action
def resource_create(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    return _deferred(up_func, context, data_dict)


@tk.chained_action
def resource_update(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    return _deferred(up_func, context, data_dict)


# --------------------------------------------------------------------------
# Validation actions


def _resource_id(data_dict: DataDict) -> str:
    value = data_dict.get("resource_id") or data_dict.get("id")
    if not isinstance(value, str) or not value:
        raise tk.ValidationError({"id": [tk._("Identifiant de ressource manquant.")]})
    return value


def _active_resource(resource_id: str) -> model.Resource:
    resource = model.Resource.get(resource_id)
    if resource is None or resource.state != "active":
        raise tk.ObjectNotFound(tk._("Ressource introuvable."))
    return resource


@tk.side_effect_free
def resource_validation_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The last validation of a resource against its declared schema.

    :param id: the resource's id (``resource_id`` is accepted too)
    :type id: string
    :returns: ``status`` (``pending``, ``success``, ``failure``, ``error``),
        ``created`` (queued), ``finished`` (``validation_timestamp``),
        ``schema``, ``schema_version``, ``error_count`` and ``report``, whose
        ``errors`` name the row (the header is row 1), the column, the value
        and what the schema expects, with a ``message`` in the user's language
    :rtype: dictionary
    """
    resource_id = _resource_id(data_dict)
    tk.check_access("resource_validation_show", context, {"id": resource_id})
    resource = _active_resource(resource_id)
    row = store.get(resource.id)
    if row is None:
        raise tk.ObjectNotFound(
            tk._(
                "Aucune validation pour cette ressource (elle ne déclare pas de schéma ?)."
            )
        )
    return {
        "id": row["resource_id"],
        "resource_id": row["resource_id"],
        "package_id": row["package_id"],
        "status": row["status"],
        "status_label": _status_label(row["status"], row["error_count"]),
        "created": row["created"].isoformat() if row["created"] else None,
        "finished": row["finished"].isoformat() if row["finished"] else None,
        "schema": row["schema"],
        "schema_version": (row["report"] or {}).get("schema_version")
        or row["schema_version"],
        "error_count": row["error_count"],
        "report": report.readable(row["report"]),
    }


def resource_validation_run(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Validate a resource again (in the background).

    :param id: the resource's id (``resource_id`` is accepted too)
    :type id: string
    :returns: ``{"id": …, "status": "pending"}``
    :rtype: dictionary
    """
    resource_id = _resource_id(data_dict)
    tk.check_access("resource_validation_run", context, {"id": resource_id})
    resource = _active_resource(resource_id)
    res = _resource_dict(resource)
    if not res.get("schema"):
        raise tk.ValidationError(
            {
                "schema": [
                    tk._("La ressource ne déclare pas de schéma : rien à valider.")
                ]
            }
        )
    store.start(res, resource.package_id)
    store.set_extras(resource.id, "pending", None)
    model.Session.commit()
    store.reindex(resource.package_id)
    jobs.enqueue(resource.id)
    return {"id": resource.id, "status": "pending"}


def resource_validation_delete(context: Context, data_dict: DataDict) -> None:
    """Forget a resource's validation report and status (sysadmins).

    :param id: the resource's id (``resource_id`` is accepted too)
    :type id: string
    """
    resource_id = _resource_id(data_dict)
    tk.check_access("resource_validation_delete", context, {"id": resource_id})
    resource = _active_resource(resource_id)
    store.delete(resource.id)
    store.set_extras(resource.id, None, None)
    model.Session.commit()
    store.reindex(resource.package_id)


def get_actions() -> dict[str, Action]:
    return {
        "package_create": package_create,
        "package_update": package_update,
        "resource_create": resource_create,
        "resource_update": resource_update,
        "resource_validation_show": resource_validation_show,
        "resource_validation_run": resource_validation_run,
        "resource_validation_delete": resource_validation_delete,
    }


# --------------------------------------------------------------------------
# Auth


@tk.auth_allow_anonymous_access
def resource_validation_show_auth(context: Context, data_dict: DataDict) -> AuthResult:
    # who may see the resource may see its report, no one else
    try:
        tk.check_access("resource_show", context, {"id": data_dict.get("id")})
    except tk.NotAuthorized:
        return {"success": False, "msg": tk._("Accès refusé à cette ressource.")}
    return {"success": True}


def resource_validation_run_auth(context: Context, data_dict: DataDict) -> AuthResult:
    resource = model.Resource.get(str(data_dict.get("id") or ""))
    if resource is None:
        return {"success": False, "msg": tk._("Ressource introuvable.")}
    try:
        tk.check_access("package_update", context, {"id": resource.package_id})
    except tk.NotAuthorized:
        return {
            "success": False,
            "msg": tk._(
                "Seuls les éditeurs du jeu de données peuvent relancer sa validation."
            ),
        }
    return {"success": True}


def resource_validation_delete_auth(
    context: Context, data_dict: DataDict
) -> AuthResult:
    # sysadmins pass every auth function before it is called
    return {"success": False, "msg": tk._("Réservé aux administrateurs du site.")}


def get_auth_functions() -> dict[str, AuthFunction]:
    return {
        "resource_validation_show": resource_validation_show_auth,
        "resource_validation_run": resource_validation_run_auth,
        "resource_validation_delete": resource_validation_delete_auth,
    }
