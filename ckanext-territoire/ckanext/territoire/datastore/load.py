"""The loading job: one resource's file into its DataStore table.

Run by the jobs worker (``ckan jobs worker``), enqueued by our
``xloader_submit`` (``logic.py``). Steps, each reported in the resource's
xloader task status (``xloader_status``), in French then English:

1. fetch the file (``fetch.py``);
2. the rows (``write.load_rows``): a CSV/TSV goes to PostgreSQL's ``COPY``
   as it is (``normalise.plan_bulk``: encoding, delimiter, types); a file
   ``COPY`` refuses, and XLSX, is first read line by line into a clean CSV
   (``normalise.normalise``), whose messages name the line to fix. Types
   come from the declared Table Schema (``schemas.py``), the data
   dictionary's ``type_override``, or the values. The new table replaces the
   previous one in one transaction: a failure leaves the previous one;
3. the resource is marked active and gets its views; the load is complete;
4. full text and indexes (``write.build_indexes``), swapped in the same way.

A job that dies without a word (killed by its time limit, the worker
stopped) is reported failed by ``reconcile`` when its status is next read.
"""

from __future__ import annotations

import datetime
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk

from ..harvesters.messages import _, bilingual
from . import fetch, normalise, schemas, write
from .normalise import LoadError

log = logging.getLogger(__name__)

TASK = {"entity_type": "resource", "task_type": "xloader", "key": "xloader"}


# --------------------------------------------------------------------------
# Status (xloader's task status, read by xloader_status and our template)
# --------------------------------------------------------------------------


def _site_context() -> dict[str, Any]:
    user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"ignore_auth": True, "user": user["name"]}


def set_status(
    resource_id: str,
    state: str,
    value: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> None:
    import ckan.model as model

    task: dict[str, Any] = dict(
        TASK,
        entity_id=resource_id,
        state=state,
        last_updated=datetime.datetime.utcnow().isoformat(),
        value=json.dumps(value or {}),
        error=json.dumps(error or {}),
    )
    try:
        existing = tk.get_action("task_status_show")(
            {"ignore_auth": True},
            {"entity_id": resource_id, "task_type": "xloader", "key": "xloader"},
        )
        task["id"] = existing["id"]
        if value is None:
            task["value"] = existing.get("value") or "{}"
    except tk.ObjectNotFound:
        pass
    tk.get_action("task_status_update")(
        {"session": model.meta.create_local_session(), "ignore_auth": True}, task
    )


# --------------------------------------------------------------------------
# The job
# --------------------------------------------------------------------------


def load_resource(resource_id: str, ignore_hash: bool = False) -> str | None:
    """Job: load ``resource_id``; ``"error"`` (rq's result) when it failed."""
    _dispose_inherited_engines()
    started = time.monotonic()
    job_value: dict[str, Any] = {
        "job_id": _current_job_id(),
        "started_at": datetime.datetime.utcnow().isoformat(),
    }
    set_status(resource_id, "running", job_value)
    try:
        result = _load(resource_id, ignore_hash, job_value)
    except LoadError as e:
        log.info("DataStore load of %s refused: %s", resource_id, e.french())
        set_status(resource_id, "error", job_value, {"message": str(e)})
        return "error"
    except Exception as e:
        log.exception("DataStore load of %s failed", resource_id)
        if _is_timeout(e):
            set_status(resource_id, "error", job_value, {"message": _too_long()})
            return "error"
        message = bilingual(
            _(
                "Le chargement a échoué sur une erreur inattendue ({error}) : "
                "réessayez ; si l'erreur persiste, transmettez ce message à "
                "l'équipe du portail."
            ),
            error=type(e).__name__,
        )
        set_status(resource_id, "error", job_value, {"message": message})
        return "error"
    job_value.update(result, seconds=round(time.monotonic() - started, 2))
    set_status(resource_id, "complete", job_value)
    return None


def _is_timeout(e: BaseException) -> bool:
    try:
        from rq.timeouts import JobTimeoutException
    except ImportError:  # pragma: no cover
        return False
    return isinstance(e, JobTimeoutException)


def _too_long() -> str:
    return bilingual(
        _(
            "Le chargement a dépassé le temps maximal d'un chargement "
            "({minutes} min) et a été arrêté ; la table précédente, s'il y en "
            "avait une, est conservée. Découpez le fichier, ou demandez à un "
            "administrateur d'augmenter ckanext.territoire.datastore.job_timeout."
        ),
        minutes=job_timeout() // 60,
    )


def _interrupted() -> str:
    return bilingual(
        _(
            "Le chargement s'est interrompu sans se terminer (temps maximal "
            "dépassé ou worker arrêté) ; la table précédente, s'il y en avait "
            "une, est conservée. Relancez le chargement."
        )
    )


def job_timeout() -> int:
    from .. import settings

    return settings.get_int("ckanext.territoire.datastore.job_timeout")


def reconcile(resource_id: str, task: dict[str, Any]) -> dict[str, Any]:
    """``task`` (xloader's task status), marked failed if its job has died.

    A job killed from outside (its time limit passed, the worker stopped or
    killed) cannot report: its status would say "running" for ever. The job
    is looked up in the queue: gone, failed or stopped means interrupted.
    """
    if task.get("state") not in ("running", "pending", "submitting"):
        return task
    try:
        value = json.loads(task.get("value") or "{}")
    except ValueError:
        value = {}
    job_id = value.get("job_id") if isinstance(value, dict) else None
    if not job_id or not _job_dead(str(job_id)):
        return task
    message = _interrupted()
    try:
        set_status(resource_id, "error", value, {"message": message})
    except Exception:  # reading a page must not fail for this
        log.warning("could not record the interrupted load of %s", resource_id)
    return dict(task, state="error", error=json.dumps({"message": message}))


def _job_dead(job_id: str) -> bool:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    from ckan.lib.redis import connect_to_redis

    try:
        job = Job.fetch(job_id, connection=connect_to_redis())
    except NoSuchJobError:
        return True
    except Exception:  # Redis down: say nothing rather than something wrong
        return False
    return job.get_status(refresh=False) in (
        JobStatus.FAILED,
        JobStatus.STOPPED,
        JobStatus.CANCELED,
    )


def _current_job_id() -> str | None:
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:
        return None
    return job.id if job else None


def _dispose_inherited_engines() -> None:
    # the worker forks per job: connections of the parent must not be shared
    try:
        from ckanext.datastore.backend import postgres

        for engine in postgres._engines.values():  # noqa: SLF001
            engine.dispose(close=False)
    except (ImportError, AttributeError):
        pass


def _load(
    resource_id: str, ignore_hash: bool, job_value: dict[str, Any]
) -> dict[str, Any]:
    context = _site_context()
    resource = _resource(context, resource_id)
    table_schema = schemas.resolve_table_schema(
        resource.get("schema"), resource.get("schema_version")
    )
    timings: dict[str, float] = {}
    clock = time.monotonic()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.monotonic()
        timings[step] = round(now - clock, 2)
        clock = now

    fmt = resource.get("format") or ""
    with tempfile.TemporaryDirectory(prefix="territoire-load-") as tmp:
        raw = Path(tmp) / "source"
        digest = fetch.fetch(resource, raw)
        lap("fetch")
        if (
            not ignore_hash
            and digest == resource.get("hash")
            and resource.get("datastore_active")
        ):
            return {"skipped": "unchanged", "hash": digest}
        overrides = write.type_overrides(write.previous_columns(resource_id))
        info, rows = _rows(
            resource_id, raw, Path(tmp), fmt, table_schema, overrides, lap
        )
    _after_load(context, resource_id, digest)
    lap("views")
    result = dict(
        info,
        rows=rows,
        schema=bool(table_schema),
        hash=digest,
        timings=timings,
        indexing=True,
        queryable_at=datetime.datetime.utcnow().isoformat(),
    )
    # the rows answer from now on; the indexes follow (write.py, phase 2)
    set_status(resource_id, "complete", dict(job_value, **result))
    try:
        write.build_indexes(resource_id, lap)
    except Exception:
        log.exception("indexes of the DataStore table of %s", resource_id)
        result["index_error"] = bilingual(
            _(
                "Les données sont chargées, mais leurs index n'ont pas pu être "
                "construits (recherche plein texte et tris plus lents) : "
                "relancez le chargement."
            )
        )
    result["indexing"] = False
    return result


def _rows(
    resource_id: str,
    raw: Path,
    tmp: Path,
    fmt: str,
    table_schema: dict[str, Any] | None,
    overrides: dict[str, str],
    lap: Any,
) -> tuple[dict[str, Any], int]:
    """Phase 1, by ``COPY`` of the file as it is, else read line by line."""
    source = normalise.plan_bulk(raw, fmt, table_schema, overrides)
    lap("plan")
    if source is not None:
        try:
            rows = write.load_rows(resource_id, source, lap)
        except write.BulkRefused as e:
            # a blank line inside, a value of another type further down,
            # bytes Windows-1252 leaves undefined: the slow path says which
            log.info("bulk load of %s refused (%s): line by line", resource_id, e)
        else:
            info = {
                "fields": source.fields,
                "encoding": normalise.ENCODING_NAMES.get(source.encoding),
                "delimiter": source.delimiter,
                "path": "bulk",
            }
            return info, rows
    table = normalise.normalise(raw, tmp / "clean.csv", fmt, table_schema, overrides)
    lap("normalise")
    clean = write.Source(
        chunks=[write.Chunk(table.path, 0, table.path.stat().st_size, header=True)],
        width=len(table.columns),
        encoding="UTF8",
        delimiter=",",
        names=[c.name for c in table.columns],
        types=[c.type for c in table.columns],
    )
    try:
        rows = write.load_rows(resource_id, clean, lap)
    except write.BulkRefused as e:
        raise write.value_error(e) from e
    info = {
        "fields": table.fields,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "path": "lines",
    }
    return info, rows


def _resource(context: dict[str, Any], resource_id: str) -> dict[str, Any]:
    # xloader submits while the resource's transaction is still open: the
    # job may start before it is committed
    for wait in (0.5, 1, 2, 4, 0):
        try:
            return tk.get_action("resource_show")(dict(context), {"id": resource_id})
        except tk.ObjectNotFound:
            if not wait:
                raise
            time.sleep(wait)
    raise AssertionError("unreachable")


def _after_load(context: dict[str, Any], resource_id: str, digest: str) -> None:
    tk.get_action("resource_patch")(
        dict(context),
        {"id": resource_id, "hash": digest, "datastore_active": True},
    )
    resource = tk.get_action("resource_show")(dict(context), {"id": resource_id})
    dataset = tk.get_action("package_show")(
        dict(context), {"id": resource["package_id"]}
    )
    tk.get_action("resource_create_default_resource_views")(
        dict(context),
        {"resource": resource, "package": dataset, "create_datastore_views": True},
    )
