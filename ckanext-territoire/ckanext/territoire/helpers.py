"""Template helpers of the territoire plugin."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from .lists import as_list


def territoire_recent_datasets(limit: int = 6) -> list[dict[str, Any]]:
    """The most recently modified public datasets, for the home page."""
    result = tk.get_action("package_search")(
        {}, {"q": "*:*", "sort": "metadata_modified desc", "rows": limit}
    )
    return result["results"]


def territoire_level_label(level: str) -> str:
    labels = {
        "commune": tk._("Commune"),
        "epci": tk._("Intercommunalité (EPCI)"),
        "departement": tk._("Département"),
        "region": tk._("Région"),
        "pays": tk._("Pays"),
    }
    return labels.get(level, level)


def _codes(value: Any) -> list[str]:
    try:
        return as_list(value)
    except ValueError:  # half-typed JSON: shown back as typed
        return [str(value).strip()]


def territoire_territories_input_value(value: Any) -> str:
    """The coverage codes as the form's text input shows them."""
    return ", ".join(_codes(value))


def territoire_territory_items(value: Any) -> list[dict[str, str]]:
    """Coverage codes → name, level and code, for forms and dataset pages."""
    from .territories import lookup

    items = []
    for code in _codes(value):
        territory = lookup.get(code) if ":" in code else None
        level = territory.level if territory else code.split(":", 1)[0]
        items.append(
            {
                "code": code,
                "label": territory.label if territory else code,
                "level": level,
                "level_label": territoire_level_label(level),
            }
        )
    return items


def territoire_harvest_info(package_id: str) -> dict[str, Any] | None:
    """Where a harvested dataset comes from, and whether it was withdrawn."""
    import ckan.model as model

    from .harvesters import records

    record = records.of_package(package_id)
    if record is None:
        return None
    source = model.Package.get(record.source_id)
    return {
        "source_name": source.name if source is not None else None,
        "source_title": (source.title or source.name) if source is not None else None,
        "remote_id": record.remote_id,
        "last_seen": record.last_seen,
        "missing_since": record.missing_since,
        "withdrawn_at": record.withdrawn_at,
    }


def territoire_codelist_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """The choices of a schema field that names a code list (``codelist:``).

    Scheming's ``choices_helper``: the form, the dataset page, the facets and
    the validators read the list from ``schemas/codelists/`` through it.
    """
    from .vocabularies import codelists

    return codelists.choices(field["codelist"])


def territoire_validation_badge(resource: dict[str, Any]) -> dict[str, Any] | None:
    """Status, label and CSS class of a resource's validation, for its badge;
    None when the resource declares no schema."""
    from .validation import store
    from .validation.logic import _status_label

    if not resource.get("schema") or not resource.get("id"):
        return None
    found = store.summary(resource["id"])
    status = found["status"] if found else None
    count = found["error_count"] if found else 0
    css = {
        "success": "success",
        "failure": "danger",
        "error": "warning",
    }.get(status or "", "secondary")
    return {"status": status, "label": _status_label(status, count), "css": css}


def territoire_datastore_status(resource: dict[str, Any]) -> dict[str, Any] | None:
    """The DataStore load of a resource, for its page; None when never loaded.

    Keys: ``state`` (pending, running, complete, error), ``label``, ``level``
    (a Bootstrap alert level), ``message`` (in the page's language), ``rows``,
    ``last_updated``.
    """
    import json

    try:
        task = tk.get_action("task_status_show")(
            {"ignore_auth": True},
            {"entity_id": resource["id"], "task_type": "xloader", "key": "xloader"},
        )
    except (tk.ObjectNotFound, KeyError):
        return None
    state = task.get("state") or ""
    labels = {
        "pending": (tk._("chargement en attente"), "info"),
        "submitting": (tk._("chargement en attente"), "info"),
        "running": (tk._("chargement en cours"), "info"),
        "complete": (tk._("données chargées"), "success"),
        "error": (tk._("échec du chargement"), "danger"),
    }
    label, level = labels.get(state, (state, "secondary"))
    try:
        value = json.loads(task.get("value") or "{}")
        error = json.loads(task.get("error") or "{}")
    except ValueError:
        value, error = {}, {}
    message = (error or {}).get("message") or ""
    if message:
        # stored French, then English on the next line
        lines = message.split("\n", 1)
        message = lines[1] if tk.h.lang() == "en" and len(lines) > 1 else lines[0]
    return {
        "state": state,
        "label": label,
        "level": level,
        "message": message,
        "rows": value.get("rows"),
        "fields": value.get("fields") or [],
        "encoding": value.get("encoding"),
        "delimiter": value.get("delimiter"),
        "schema": value.get("schema"),
        "last_updated": task.get("last_updated"),
    }


def territoire_role_label(role: str) -> str:
    """An organisation role in plain words: « membre », « éditeur »…"""
    labels = {
        "member": tk._("membre"),
        "editor": tk._("éditeur"),
        "admin": tk._("administrateur"),
    }
    return labels.get(role, role)


def territoire_may_review_joins() -> bool:
    """Whether the current user decides join requests (the review page)."""
    from .join import logic

    return logic.may_review(tk.current_user.name if tk.current_user else None)


def territoire_mail_configured() -> bool:
    from .join import mail

    return mail.configured()


def territoire_invitation_expiry_days() -> int:
    from .join import invitations

    return invitations.expiry_days()
