"""Template helpers of the territoire plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk

from .lists import as_list


def territoire_recent_datasets(limit: int = 6) -> list[dict[str, Any]]:
    """The most recently modified public datasets, for the home page."""
    result = tk.get_action("package_search")(
        {}, {"q": "*:*", "sort": "metadata_modified desc", "rows": limit}
    )
    return result["results"]


def territoire_identity() -> dict[str, Any]:
    """The portal's name, territory, colours and footer links (ckan.ini)."""
    from .portal import identity

    return identity.identity()


#: views whose forms use scheming's form widgets (repeating fields…)
_FORM_VIEWS = frozenset({"new", "edit", "resource_edit", "new_resource"})


def territoire_is_form_page() -> bool:
    """Whether this page shows a dataset, resource or organisation form."""
    endpoint = tk.request.endpoint or "" if tk.request else ""
    blueprint, _dot, view = endpoint.rpartition(".")
    return view in _FORM_VIEWS or blueprint == "territoire_publish"


def territoire_popularity_days() -> int:
    """Days over which "most viewed" counts visitors."""
    from . import settings

    return settings.get_int("ckanext.territoire.popularity.days")


def territoire_home_figures() -> dict[str, Any]:
    """Themes with counts, producers, communes covered (portal/home.py)."""
    from .portal import home

    return home.figures()


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

    Keys: ``state`` (pending, running, complete, error, skipped), ``label``,
    ``level`` (a Bootstrap alert level), ``message`` (in the page's language),
    ``rows``, ``last_updated``.
    """
    import json

    try:
        task = tk.get_action("task_status_show")(
            {"ignore_auth": True},
            {"entity_id": resource["id"], "task_type": "xloader", "key": "xloader"},
        )
    except (tk.ObjectNotFound, KeyError):
        return None
    from .datastore import load

    task = load.reconcile(resource["id"], task)
    state = task.get("state") or ""
    labels = {
        "pending": (tk._("chargement en attente"), "info"),
        "submitting": (tk._("chargement en attente"), "info"),
        "running": (tk._("chargement en cours"), "info"),
        "complete": (tk._("données chargées"), "success"),
        "error": (tk._("échec du chargement"), "danger"),
        "skipped": (tk._("non chargé"), "warning"),
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
        "indexing": bool(value.get("indexing")) and state == "complete",
        "index_error": _in_page_language(value.get("index_error") or ""),
    }


def _in_page_language(message: str) -> str:
    # stored French, then English on the next line
    lines = message.split("\n", 1)
    return lines[1] if tk.h.lang() == "en" and len(lines) > 1 else lines[0]


def territoire_facet_label(item: dict[str, Any]) -> str:
    """A facet value's whole name (CKAN cuts names at 22 characters)."""
    return str(item.get("display_name") or item.get("name") or "")


def territoire_territorial_filters() -> list[dict[str, str]]:
    """The search page's territorial filters, each with its removal link."""
    from .territories import lookup

    kinds = {
        "ext_concerne": tk._("Concerne"),
        "ext_territoire": tk._("Territoire et ses communes"),
    }
    found = []
    for param, kind in kinds.items():
        for raw in tk.request.args.getlist(param):
            territory = lookup.get(raw) or lookup.get(lookup.former(raw) or "")
            found.append(
                {
                    "kind": kind,
                    "label": territory.label if territory else raw,
                    "remove_url": tk.h.remove_url_param(param, raw),
                }
            )
    return found


def territoire_result_meta(package: dict[str, Any]) -> dict[str, Any]:
    """Producer, territory and theme names of a search result."""
    from .languages import language_text
    from .territories import lookup
    from .vocabularies import codelists

    territories = []
    for code in as_list(package.get("territories"))[:3]:
        territory = lookup.get(code)
        territories.append(territory.label if territory else code)
    extra = len(as_list(package.get("territories"))) - len(territories)
    if extra > 0:
        territories.append(tk._("et {n} autres").format(n=extra))
    themes = []
    for code in as_list(package.get("themes")):
        concept = codelists.theme(code)
        themes.append(language_text(concept.labels) if concept else code)
    org = package.get("organization") or {}
    return {
        "producer": org.get("title") or org.get("name") or "",
        "territories": territories,
        "themes": themes,
    }


def territoire_default_license() -> str:
    """The licence a new dataset gets (ckanext.territoire.default_license)."""
    from . import settings

    return str(settings.get("ckanext.territoire.default_license"))


def territoire_schema_url(schema: str, version: str | None = None) -> str | None:
    """The schema.data.gouv.fr page of a declared schema (``scdl/deliberations``)."""
    import re

    if not schema or not re.fullmatch(r"[a-z0-9][a-z0-9._-]*/[a-z0-9._-]+", schema):
        return None
    base = f"https://schema.data.gouv.fr/{schema}/"
    if version and re.fullmatch(r"[0-9][0-9A-Za-z._-]*", version):
        return f"{base}{version}/"
    return base


# --------------------------------------------------------------------------
# CKAN's and ckanext-dcat's page helpers, made cheaper (the dataset page:
# they took ~110 ms of its ~130; docs/measurements: issue 19, item 8)

_memo_lock = __import__("threading").Lock()
_structured: dict[tuple[Any, ...], str] = {}
_followers: dict[tuple[str, str], tuple[float, int]] = {}
STRUCTURED_ENTRIES = 512
FOLLOWERS_SECONDS = 60.0


@tk.chained_helper
def get_organization(
    next_helper: Any, org: str | None = None, include_datasets: bool = False
) -> dict[str, Any]:
    """CKAN's ``get_organization``, without the follower count (no page that
    calls it shows it; it cost two queries), once per request."""
    if org is None:
        return {}
    from flask import g

    memo = g.setdefault("territoire_organizations", {})
    key = (org, bool(include_datasets))
    if key not in memo:
        try:
            memo[key] = tk.get_action("organization_show")(
                {},
                {
                    "id": org,
                    "include_datasets": include_datasets,
                    # nor its users and sub-groups: pages that call this
                    # helper show neither
                    "include_followers": False,
                    "include_users": False,
                    "include_groups": False,
                },
            )
        except (tk.ObjectNotFound, tk.ValidationError, tk.NotAuthorized):
            memo[key] = {}
    return memo[key]


@tk.chained_helper
def follow_count(next_helper: Any, obj_type: str, obj_id: str) -> int:
    """CKAN's follower count, kept a minute: shown on every dataset and
    organisation page, it changes rarely."""
    import time

    now = time.monotonic()
    key = (obj_type, obj_id)
    with _memo_lock:
        hit = _followers.get(key)
    if hit and now - hit[0] < FOLLOWERS_SECONDS:
        return hit[1]
    count = int(next_helper(obj_type, obj_id))
    with _memo_lock:
        if len(_followers) > 10_000:
            _followers.clear()
        _followers[key] = (now, count)
    return count


@tk.chained_helper
def structured_data(
    next_helper: Any, dataset_dict: dict[str, Any], profiles: Any = None
) -> str:
    """ckanext-dcat's JSON-LD of a dataset page, made once per version of
    the dataset: building it loads the RDF profiles and a graph (~40 ms)."""
    key = (
        dataset_dict.get("id"),
        dataset_dict.get("metadata_modified"),
        tuple(profiles or ()),
        tk.h.lang(),
        tk.config.get("ckan.site_url"),
    )
    with _memo_lock:
        hit = _structured.get(key)
    if hit is not None:
        return hit
    data = next_helper(dataset_dict, profiles)
    with _memo_lock:
        if len(_structured) >= STRUCTURED_ENTRIES:
            _structured.pop(next(iter(_structured)))
        _structured[key] = data
    return data


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


def territoire_pager_symbols() -> dict[str, Any]:
    """Previous and next links of CKAN's pager, with a name.

    CKAN draws them as bare chevron icons (``ckan.lib.pagination.Page``):
    links without a name for screen readers. Given to ``page.pager(**…)``.
    """
    from dominate import tags

    def symbol(icon: str, label: str) -> Any:
        out = tags.span()
        out.add(tags.i(**{"cls": f"fa-solid {icon}", "aria-hidden": "true"}))
        out.add(tags.span(label, cls="visually-hidden"))
        return out

    return {
        "symbol_previous": symbol("fa-chevron-left", tk._("Page précédente")),
        "symbol_next": symbol("fa-chevron-right", tk._("Page suivante")),
    }


@tk.chained_helper
def render_datetime(
    next_helper: Callable[..., str],
    datetime_: Any,
    date_format: str | None = None,
    with_hours: bool = False,
    with_seconds: bool = False,
) -> str:
    """CKAN's ``render_datetime``, with a date and time in the reader's order.

    With ``with_hours`` CKAN formats the date by a fixed English pattern,
    ``MMMM d, YYYY, HH:mm (z)`` (``ckan.lib.formatters.localised_nice_date``):
    « décembre 6, 2026, 19:47 » in French. Here the date takes the long
    pattern of the page's locale (« 6 décembre 2026, 19:47 »); the rest is
    CKAN's.
    """
    from babel.dates import get_date_format
    from flask_babel import get_locale

    from ckan.lib import formatters
    from ckan.lib.helpers import _datestamp_to_datetime

    locale = get_locale() if with_hours and not (with_seconds or date_format) else None
    value = _datestamp_to_datetime(datetime_) if locale else None
    if not value:
        return next_helper(datetime_, date_format, with_hours, with_seconds)
    pattern = get_date_format("long", locale=locale).pattern
    return formatters.localised_nice_date(
        value, show_date=True, with_hours=True, format=f"{pattern}, HH:mm (z)"
    )
