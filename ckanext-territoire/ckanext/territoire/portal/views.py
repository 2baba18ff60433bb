"""The portal's own pages: legal pages, the home page's territory box."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Blueprint

import ckan.lib.helpers as h
import ckan.plugins.toolkit as tk

from .. import settings
from ..territories import codes, lookup
from . import identity

portal = Blueprint("territoire_portal", __name__)

_DEFAULTS = Path(__file__).parent / "pages"


@portal.route("/pages/<slug>")
def page(slug: str) -> str:
    titles = identity.page_titles()
    if slug not in titles:
        return tk.abort(404, tk._("Page introuvable."))
    text = identity.page_text(slug)
    if text is None:
        text = _default(slug)
    return tk.render(
        "territoire/portal/page.html",
        {"title": titles[slug], "text": text, "slug": slug},
    )


def _default(slug: str) -> str:
    """The page's template, in the visitor's language, with the publisher."""
    lang = "en" if tk.h.lang() == "en" else "fr"
    text = (_DEFAULTS / f"{slug}.{lang}.md").read_text(encoding="utf-8")
    return (
        text.replace(
            "{publisher}", str(settings.get("ckanext.territoire.identity.publisher"))
        )
        .replace("{site_title}", tk.config.get("ckan.site_title") or "")
        .replace("{site_url}", tk.config.get("ckan.site_url") or "")
    )


@portal.route("/territoire/concerne")
def concerne() -> Any:
    """The home page's territory box: a name or code, to the "concerne" search.

    Works without JavaScript: what was typed (a name, ``Strasbourg (67)`` as
    the suggestions show it, an INSEE code, a SIREN) is resolved here, best
    match first; nothing found goes to the text search with a message.
    """
    text = (tk.request.args.get("q") or "").strip()[:200]
    if not text:
        return tk.redirect_to("dataset.search")
    territory = resolve(text)
    if territory is None:
        h.flash_notice(
            tk._(
                "Aucun territoire ne correspond à « {text} » : voici les jeux "
                "de données qui en parlent."
            ).format(text=text)
        )
        return tk.redirect_to("dataset.search", q=text)
    return tk.redirect_to("dataset.search", ext_concerne=territory.code)


def resolve(text: str) -> lookup.Territory | None:
    """The territory ``text`` names: its label or name exactly, else the best match."""
    wanted = codes.normalize_name(text)
    bare = re.sub(r"\s*\([^)]*\)\s*$", "", text) or text
    found = lookup.search(bare, limit=20)
    for territory in found:
        if wanted in (
            codes.normalize_name(territory.label),
            codes.normalize_name(territory.name),
        ):
            return territory
    return found[0] if found else None


@portal.route("/dataset/<id>/publier", methods=["POST"])
def publish(id: str) -> Any:
    """The dataset page's "Publier": public, and out of draft."""
    return _set_visibility(id, public=True)


@portal.route("/dataset/<id>/depublier", methods=["POST"])
def unpublish(id: str) -> Any:
    """The dataset page's "Retirer de la publication": private to its organisation."""
    return _set_visibility(id, public=False)


def _set_visibility(id: str, public: bool) -> Any:
    context = {"user": tk.current_user.name if tk.current_user else ""}
    changes: dict[str, Any] = {"id": id, "private": not public}
    try:
        dataset = tk.get_action("package_show")(dict(context), {"id": id})
        if public and dataset.get("state") == "draft":
            changes["state"] = "active"
        tk.get_action("package_patch")(dict(context), changes)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Jeu de données introuvable."))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Vous ne pouvez pas modifier ce jeu de données."))
    except tk.ValidationError as e:
        # a draft may miss what publication requires (a valid file, a field)
        h.flash_error(
            tk._("Le jeu de données n'a pas pu être publié : {errors}").format(
                errors="; ".join(
                    f"{k} : {', '.join(map(str, v)) if isinstance(v, list) else v}"
                    for k, v in e.error_dict.items()
                )
            )
        )
        return tk.redirect_to("dataset.read", id=id)
    if public:
        h.flash_success(tk._("Le jeu de données est publié : il est visible de tous."))
    else:
        h.flash_success(
            tk._(
                "Le jeu de données est retiré de la publication : seuls les "
                "membres de son organisation le voient."
            )
        )
    return tk.redirect_to("dataset.read", id=id)


@portal.route("/dataset/<id>/api")
def dataset_api(id: str) -> Any:
    """The dataset page's "API" tab: the exact calls for this dataset."""
    from urllib.parse import quote, urlencode

    context = {"user": tk.current_user.name if tk.current_user else ""}
    try:
        pkg = tk.get_action("package_show")(context, {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Jeu de données introuvable."))
    site = (tk.config.get("ckan.site_url") or "").rstrip("/")
    api = f"{site}/api/3/action"
    resources = []
    for res in pkg.get("resources", []):
        table = quote(res["id"])
        resources.append(
            {
                "name": res.get("name") or res.get("url") or res["id"],
                "url": res.get("url") or "",
                "datastore": bool(res.get("datastore_active")),
                "search": f"{api}/datastore_search?"
                + urlencode({"resource_id": res["id"], "limit": 10}),
                "sql": f"{api}/datastore_search_sql?"
                + urlencode({"sql": f'SELECT * FROM "{res["id"]}" LIMIT 10'}),
                "dump": f"{site}/datastore/dump/{table}?format=csv",
            }
        )
    calls = {
        "package_show": f"{api}/package_show?" + urlencode({"id": pkg["name"]}),
        "dcat": [
            (fmt, f"{site}/dataset/{pkg['name']}.{ext}")
            for fmt, ext in (
                ("Turtle", "ttl"),
                ("JSON-LD", "jsonld"),
                ("RDF/XML", "rdf"),
            )
        ],
        "resources": resources,
    }
    return tk.render(
        "territoire/portal/dataset_api.html",
        {"pkg": pkg, "pkg_dict": pkg, "calls": calls, "dataset_type": pkg["type"]},
    )
