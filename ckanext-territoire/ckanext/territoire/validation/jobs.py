"""The validation job, run by ``ckan jobs worker`` (CKAN's default queue).

Whatever happens in a job (unreadable file, missing schema, a bug), the
resource ends with a status and a message, and the worker goes on: the
job catches everything, records it as ``error`` and returns normally.
Nothing else of the dataset changes.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ..harvesters.messages import _
from . import catalogue, source, store

log = logging.getLogger(__name__)

CSV_FORMATS = {"", "csv", "text/csv", "txt", "tsv"}


class FetchError(Exception):
    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid.format(**params))


def enqueue(resource_id: str) -> None:
    tk.enqueue_job(
        validate_resource,
        [resource_id],
        title=f"territoire validation {resource_id}",
        rq_kwargs={
            "timeout": int(tk.config.get("ckanext.territoire.validation.job_timeout"))
        },
    )


def _error_report(msgid: str, params: dict[str, Any], code: str) -> dict[str, Any]:
    return {
        "status": "error",
        "rows": None,
        "error_count": 0,
        "truncated": False,
        "errors": [],
        "warnings": [],
        "error": {"code": code, "message": msgid, "params": params},
    }


def _max_bytes() -> int:
    return int(tk.config.get("ckanext.territoire.validation.max_size"))


def fetch(resource: dict[str, Any]) -> bytes:
    """The file's bytes: an upload from CKAN's storage, a link through SafeHTTP."""
    limit = _max_bytes()
    if resource.get("url_type") == "upload":
        from ckan.lib import uploader

        upload = uploader.get_resource_uploader(resource)
        path = upload.get_path(resource["id"])
        if not path or not os.path.isfile(path):
            raise FetchError(
                _(
                    "Le fichier déposé est introuvable dans le stockage du "
                    "portail : déposez-le à nouveau."
                )
            )
        if os.path.getsize(path) > limit:
            raise FetchError(
                _(
                    "Le fichier dépasse la taille maximale validée ({limit} "
                    "octets) : il n'a pas été vérifié."
                ),
                limit=limit,
            )
        with open(path, "rb") as f:
            return f.read()
    url = (resource.get("url") or "").strip()
    if not url:
        raise FetchError(_("La ressource n'a ni fichier déposé ni lien."))
    from ..harvesters.http import SafeHTTP
    from ..harvesters.messages import HarvestMessage

    http = SafeHTTP(
        timeout=float(tk.config.get("ckanext.territoire.validation.timeout")),
        max_bytes=limit,
    )
    try:
        response = http.get(url)
    except HarvestMessage as e:
        raise FetchError(
            _("Le fichier lié n'a pas pu être téléchargé depuis {url} : {detail}"),
            url=url,
            detail=e.french(),
        ) from e
    finally:
        http.close()
    if "html" in response.content_type.lower():
        raise FetchError(
            _(
                "Le lien {url} renvoie une page HTML, pas un fichier CSV : "
                "donnez l'adresse du fichier lui-même (lien de téléchargement)."
            ),
            url=url,
        )
    return response.content


def _resource_dict(resource_id: str) -> dict[str, Any] | None:
    resource = model.Resource.get(resource_id)
    if resource is None or resource.state != "active":
        return None
    out = dict(resource.extras or {})
    out.update(
        id=resource.id,
        package_id=resource.package_id,
        url=resource.url,
        url_type=resource.url_type,
        format=resource.format,
        last_modified=resource.last_modified,
        size=resource.size,
        hash=resource.hash,
    )
    return out


def run_validation(resource: dict[str, Any]) -> dict[str, Any]:
    """The report of one resource (never raises for a bad file or schema)."""
    from .validate import validate_content

    name = resource.get("schema") or ""
    version = resource.get("schema_version") or None
    fmt = (resource.get("format") or "").strip().lower()
    if fmt not in CSV_FORMATS:
        return _error_report(
            _(
                "Le format {format} n'est pas validé : seuls les fichiers CSV "
                "sont vérifiés par rapport à leur schéma."
            ),
            {"format": resource.get("format")},
            "format",
        )
    try:
        schema = catalogue.resolve(name, version)
    except catalogue.SchemaNotFound as e:
        return _error_report(e.msgid, e.params, "schema-not-found")
    try:
        content = fetch(resource)
        report = validate_content(
            content,
            schema,
            limit=int(tk.config.get("ckanext.territoire.validation.max_errors")),
        )
    except FetchError as e:
        report = _error_report(e.msgid, e.params, "fetch")
    except source.SourceError as e:
        report = _error_report(e.msgid, e.params, "source")
    report["schema"] = name
    report["schema_version"] = str(schema.get("version") or version or "")
    return report


def validate_resource(resource_id: str) -> None:
    """The job: validate, store the report, set the resource's status."""
    try:
        resource = _resource_dict(resource_id)
        if resource is None or not resource.get("schema"):
            store.delete(resource_id)
            model.Session.commit()
            return
        report = run_validation(resource)
    except Exception as e:  # noqa: BLE001 - a job never takes the worker down
        log.exception("Validation of resource %s failed", resource_id)
        model.Session.rollback()
        report = _error_report(
            _("Erreur interne pendant la validation ({error}) : signalez-la."),
            {"error": type(e).__name__},
            "internal",
        )
        resource = _resource_dict(resource_id)
        if resource is None:
            return
    when = store.finish(resource_id, report)
    store.set_extras(resource_id, report["status"], when)
    model.Session.commit()
    store.reindex(resource["package_id"])
