"""The portal's identity, read from the configuration (``ckan.ini``).

CKAN's own options give the name (``ckan.site_title``), the logo
(``ckan.site_logo``) and the home page's text (``ckan.site_intro_text``);
ours (``ckanext.territoire.identity.*``) the territory's name, the colours,
the footer's links and the legal pages. The defaults are the demo's (Grand
Est); a région changes them in its ini file, or by environment variables
(``CKANEXT__TERRITOIRE__IDENTITY__PRIMARY_COLOR``…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk

from .. import settings

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")

#: the legal pages French public bodies publish: slug -> option, title
PAGES = {
    "accessibilite": "accessibility",
    "mentions-legales": "legal_notice",
    "donnees-personnelles": "personal_data",
}


def page_titles() -> dict[str, str]:
    return {
        "accessibilite": tk._("Déclaration d'accessibilité"),
        "mentions-legales": tk._("Mentions légales"),
        "donnees-personnelles": tk._("Données personnelles"),
    }


@dataclass(frozen=True)
class Link:
    label: str
    url: str


def color(option: str) -> str:
    value = str(settings.get(f"ckanext.territoire.identity.{option}") or "").strip()
    if not _COLOR.match(value):
        # a typo in the ini must not break every page: the declared default
        value = str(settings.declared_default(f"ckanext.territoire.identity.{option}"))
    return value


def footer_links() -> list[Link]:
    """``Libellé | /adresse`` per line; the legal pages first, always."""
    links = [
        Link(title, tk.url_for("territoire_portal.page", slug=slug))
        for slug, title in page_titles().items()
    ]
    raw = str(settings.get("ckanext.territoire.identity.footer_links") or "")
    for line in raw.splitlines():
        if "|" not in line:
            continue
        label, url = (part.strip() for part in line.split("|", 1))
        if label and url and (url.startswith(("/", "https://", "http://"))):
            links.append(Link(tk._(label), url))
    return links


def identity() -> dict[str, Any]:
    return {
        "title": tk.config.get("ckan.site_title") or "",
        "territory": str(settings.get("ckanext.territoire.identity.territory") or ""),
        "home_title": tk._(
            str(settings.get("ckanext.territoire.identity.home_title") or "")
        ),
        "publisher": str(settings.get("ckanext.territoire.identity.publisher") or ""),
        "primary": color("primary_color"),
        "primary_dark": color("primary_dark_color"),
        "accent": color("accent_color"),
        "footer_links": footer_links(),
    }


def page_text(slug: str) -> str | None:
    """The Markdown of a legal page: the configured file, else the default."""
    option = PAGES.get(slug)
    if option is None:
        return None
    configured = str(settings.get(f"ckanext.territoire.pages.{option}") or "").strip()
    if configured:
        path = Path(configured)
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            # said on the page rather than a 500: the operator sees it
            return tk._(
                "Le texte de cette page n'a pas pu être lu ({path}) : "
                "vérifiez l'option ckanext.territoire.pages.{option}."
            ).format(path=path.name, option=option)
    return None
