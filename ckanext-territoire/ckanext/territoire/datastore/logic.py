"""Actions: loads go to our job; SQL search gets its timeout; upload limits.

- ``harvest_decision`` / ``submit_harvested``: harvested resources are
  loaded per their source (``datastore_load``); a file left out by the size
  rule gets a ``skipped`` status that says why.

- ``xloader_submit`` (chained, replacing xloader's job): xloader keeps
  deciding *when* to load (new resource, changed URL, retry from its page,
  the API), its auth function and its ``xloader_status``; the job that runs
  is ``load.load_resource``, which downloads links through the address guard
  and reads French files (xloader's own job fetches any URL without a guard
  and cannot be told about ``;`` files in Windows-1252 with decimal commas).
- ``datastore_search_sql`` (chained): the statement timeout of the read-only
  role, ``ckanext.territoire.datastore.sql_timeout``, and a French error
  when a query reaches it.
- ``resource_create`` / ``resource_update`` (chained): CKAN's English "File
  upload too large" becomes a French message naming the limit.
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from .. import settings
from ..harvesters.messages import _, bilingual
from . import load

log = logging.getLogger(__name__)

STALE_AFTER = datetime.timedelta(minutes=10)


def harvest_decision(resource: dict[str, Any]) -> tuple[bool, str | None]:
    """Whether a resource may be loaded, given its dataset's harvest source,
    and when a file is left out by the size rule, why (French, then English:
    it is stored in the load's status).

    Not harvested: yes. Harvested: per the source's ``datastore_load``
    (``always``, ``never``, ``auto`` by default: when the declared size is
    known and at most ``datastore_max_size`` or
    ``ckanext.territoire.datastore.harvested_max_size``).
    """
    import ckan.model as model

    try:
        from ckanext.harvest.model import HarvestObject
    except ImportError:
        return True, None
    obj = (
        model.Session.query(HarvestObject)
        .filter(HarvestObject.package_id == resource.get("package_id"))
        .filter(HarvestObject.current == True)  # noqa: E712
        .first()
    )
    if obj is None or obj.source is None:
        return True, None
    try:
        config = json.loads(obj.source.config or "{}")
    except ValueError:
        config = {}
    mode = config.get("datastore_load") or "auto"
    if mode == "never":
        return False, None
    if mode == "always":
        return True, None
    limit = config.get("datastore_max_size")
    if limit is None:
        limit = settings.get_int("ckanext.territoire.datastore.harvested_max_size")
    try:
        size = int(resource.get("size") or -1)
    except (TypeError, ValueError):
        size = -1
    if 0 <= size <= limit:
        return True, None
    if size < 0:
        return False, bilingual(
            _(
                "Fichier non chargé dans le DataStore : la source de moissonnage "
                "ne déclare pas sa taille, et les fichiers moissonnés ne sont "
                "chargés que jusqu'à {limit} octets. L'administrateur de la source "
                "peut le faire charger avec l'option « datastore_load » : "
                "« always »."
            ),
            limit=limit,
        )
    return False, bilingual(
        _(
            "Fichier non chargé dans le DataStore : sa taille déclarée ({size} "
            "octets) dépasse la limite des fichiers moissonnés ({limit} octets). "
            "L'administrateur de la source de moissonnage peut le faire charger "
            "avec l'option « datastore_load » : « always », ou relever "
            "« datastore_max_size »."
        ),
        size=size,
        limit=limit,
    )


def harvest_allows(resource: dict[str, Any]) -> bool:
    """Whether a resource may be loaded (:func:`harvest_decision`)."""
    return harvest_decision(resource)[0]


def submit_harvested(package_id: str) -> None:
    """Queue the load of a harvested dataset's resources never submitted.

    xloader submits a resource on ``resource_create`` and when its URL
    changes, not the resources that a ``package_create`` or
    ``package_update`` brings, which is how the harvesters write: called by
    their import once the dataset is committed. A resource with a load
    status already (loaded, failed) is left to xloader's rule; one left out
    by the size rule (``skipped``) is asked again.
    Never raises: the harvest goes on.
    """
    import ckan.model as model

    if not p.plugin_loaded("xloader"):
        return
    from ckanext.xloader.utils import XLoaderFormats

    package = model.Package.get(package_id)
    if package is None or package.state != "active":
        return
    for resource in package.resources:
        if not XLoaderFormats.is_it_an_xloader_format(resource.format):
            continue
        try:
            task = tk.get_action("task_status_show")(
                {"ignore_auth": True},
                {"entity_id": resource.id, "task_type": "xloader", "key": "xloader"},
            )
        except tk.ObjectNotFound:
            task = None
        # left out by the size rule: the source's settings may have changed
        if task is not None and task.get("state") != "skipped":
            continue
        try:
            tk.get_action("xloader_submit")(
                {"ignore_auth": True}, {"resource_id": resource.id}
            )
        except Exception:  # noqa: BLE001 - the harvest goes on; no load
            log.exception("Could not queue the DataStore load of %s", resource.id)
            model.Session.rollback()


def _pending_elsewhere(resource_id: str) -> bool:
    try:
        task = tk.get_action("task_status_show")(
            {"ignore_auth": True},
            {"entity_id": resource_id, "task_type": "xloader", "key": "xloader"},
        )
    except tk.ObjectNotFound:
        return False
    task = load.reconcile(resource_id, task)
    if task.get("state") != "pending":
        return False
    try:
        updated = datetime.datetime.fromisoformat(task["last_updated"])
    except (KeyError, TypeError, ValueError):
        return False
    return datetime.datetime.utcnow() - updated < STALE_AFTER


@tk.chained_action
def xloader_submit(up_func: Any, context: Context, data_dict: DataDict) -> bool:
    """Queue the loading of a resource's file into the DataStore.

    :param resource_id: the resource whose file (upload or link) is loaded
    :type resource_id: string
    :param ignore_hash: load again even if the file has not changed
        (optional, default: false)
    :type ignore_hash: bool

    Returns ``True`` when a job was queued, ``False`` when the resource is
    not loaded (format, harvest source setting, a load already pending).
    """
    tk.check_access("xloader_submit", context, data_dict)
    resource_id = tk.get_or_bust(data_dict, "resource_id")
    if not isinstance(resource_id, str):
        raise tk.ValidationError({"resource_id": [tk._("Identifiant invalide")]})
    try:
        resource = tk.get_action("resource_show")(
            {"ignore_auth": True}, {"id": resource_id}
        )
    except tk.ObjectNotFound:
        return False
    if resource.get("url_type") in ("datastore", "datapusher", "xloader"):
        return False
    allowed, why = harvest_decision(resource)
    if not allowed:
        log.info("resource %s: harvest source says no DataStore load", resource_id)
        if why:
            load.set_status(resource_id, "skipped", {}, {"message": why})
        return False
    from ckanext.xloader.interfaces import IXloader

    for plugin in p.PluginImplementations(IXloader):
        if not plugin.can_upload(resource_id):
            return False
    if _pending_elsewhere(resource_id) and not data_dict.get("ignore_hash"):
        return False
    ignore_hash = tk.asbool(data_dict.get("ignore_hash", False))
    load.set_status(resource_id, "pending", {})
    job = tk.enqueue_job(
        load.load_resource,
        [resource_id, ignore_hash],
        title=f"territoire datastore load {resource_id}",
        rq_kwargs={"timeout": load.job_timeout()},
    )
    load.set_status(resource_id, "pending", {"job_id": job.id})
    return True


@tk.chained_action
@tk.side_effect_free
def datastore_search_sql(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    """CKAN's ``datastore_search_sql``, with the portal's statement timeout.

    A query stopped by the timeout gets a French and English error naming
    the limit and what to do, instead of CKAN's "Query took too long".
    """
    timeout = settings.get_int("ckanext.territoire.datastore.sql_timeout")
    context["query_timeout"] = timeout  # type: ignore[typeddict-unknown-key]
    try:
        return up_func(context, data_dict)
    except tk.ValidationError as e:
        errors = e.error_dict.get("query") if isinstance(e.error_dict, dict) else None
        if not errors or not any("took too long" in str(m) for m in errors):
            raise
        raise tk.ValidationError(
            {
                "query": [
                    bilingual(
                        _(
                            "La requête SQL a dépassé le délai maximal "
                            "d'exécution ({timeout} ms) et a été interrompue. "
                            "Lisez moins de lignes : ajoutez des filtres (WHERE) "
                            "ou une limite (LIMIT) ; ou utilisez datastore_search "
                            "(filtres, tri, pages), ou téléchargez la table entière "
                            "par /datastore/dump/<identifiant de la ressource>."
                        ),
                        timeout=timeout,
                    )
                ]
            }
        ) from e


@tk.chained_action
@tk.side_effect_free
def xloader_status(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    """xloader's status of a resource's load; a job that died says so."""
    tk.check_access("xloader_status", context, data_dict)
    resource_id = data_dict.get("resource_id") or data_dict.get("id")
    if isinstance(resource_id, str):
        try:
            task = tk.get_action("task_status_show")(
                {"ignore_auth": True},
                {"entity_id": resource_id, "task_type": "xloader", "key": "xloader"},
            )
        except tk.ObjectNotFound:
            pass
        else:
            load.reconcile(resource_id, task)
    return up_func(context, data_dict)


def _french_upload_error(e: tk.ValidationError) -> tk.ValidationError:
    errors = e.error_dict.get("upload") if isinstance(e.error_dict, dict) else None
    if errors and any("too large" in str(m) for m in errors):
        limit = tk.config.get("ckan.max_resource_size")
        return tk.ValidationError(
            {
                "upload": [
                    tk._(
                        "Le fichier dépasse la taille maximale de dépôt ({mb} Mo) : "
                        "découpez-le ou compressez-le, ou publiez-le sur un autre "
                        "serveur et donnez son lien."
                    ).format(mb=limit)
                ]
            }
        )
    return e


@tk.chained_action
def resource_create(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    try:
        return up_func(context, data_dict)
    except tk.ValidationError as e:
        raise _french_upload_error(e) from e


@tk.chained_action
def resource_update(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    try:
        return up_func(context, data_dict)
    except tk.ValidationError as e:
        raise _french_upload_error(e) from e


def get_actions() -> dict[str, Any]:
    actions: dict[str, Any] = {
        "resource_create": resource_create,
        "resource_update": resource_update,
    }
    # a chained action needs its parent: only with those plugins loaded
    if p.plugin_loaded("xloader"):
        actions["xloader_submit"] = xloader_submit
        actions["xloader_status"] = xloader_status
    if p.plugin_loaded("datastore"):
        actions["datastore_search_sql"] = datastore_search_sql
    return actions
