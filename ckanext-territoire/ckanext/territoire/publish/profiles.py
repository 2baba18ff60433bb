"""Which SCDL schemas the publication offers, and what each pre-fills."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ..languages import language_text
from ..logic.validators import org_default_territory
from ..validation import catalogue
from ..vocabularies import codelists

PUBLICATIONS = "scdl-publications"


@dataclass
class Profile:
    """One schema as the publication offers it."""

    schema: str
    label: str
    version: str | None
    fields: list[dict[str, Any]]
    entry: dict[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.schema.replace("/", "-")

    def headers(self) -> list[str]:
        return [str(f["name"]) for f in self.fields]

    def required(self) -> list[str]:
        return [
            str(f["name"])
            for f in self.fields
            if (f.get("constraints") or {}).get("required")
        ]

    def prefill(self, org: dict[str, Any], year: int) -> dict[str, Any]:
        """The dataset fields the form starts with, all editable."""
        values = {"collectivite": org.get("title") or org.get("name"), "annee": year}
        title = self.entry.get("title")
        notes = self.entry.get("notes")
        group = model.Group.get(org["id"])
        territory = org_default_territory(group)
        return {
            "title": (
                language_text(title).format(**values)
                if title
                else f"{self.label} — {values['collectivite']} — {year}"
            ),
            "notes": (
                language_text(notes).format(**values)
                if notes
                else tk._(
                    "Données de {collectivite} conformes au schéma {schema}."
                ).format(collectivite=values["collectivite"], schema=self.schema)
            ),
            "themes": list(self.entry.get("themes") or []),
            "frequency": self.entry.get("frequency") or "",
            "tag_string": ", ".join(self.entry.get("tags") or []),
            "granularity": self.entry.get("granularity") or "",
            "license_id": tk.config.get("ckanext.territoire.default_license"),
            "territories": territory or "",
            "temporal_start": f"{year}-01-01",
            "temporal_end": f"{year}-12-31",
        }


def _entries() -> dict[str, Any]:
    return dict(codelists.read(PUBLICATIONS)["publications"])


def known() -> list[Profile]:
    """The schemas of the local catalogue, those with a pre-fill first."""
    entries = _entries()
    found = []
    for name in catalogue.local_names():
        profile = get(name, entries)
        if profile is not None:
            found.append(profile)
    return sorted(found, key=lambda p: (p.schema not in entries, p.label.lower()))


def get(name: str, entries: dict[str, Any] | None = None) -> Profile | None:
    """The profile of ``name`` if the local catalogue has that schema."""
    entries = _entries() if entries is None else entries
    try:
        doc = catalogue.resolve(name)
    except catalogue.SchemaNotFound:
        return None
    entry = entries.get(name) or {}
    label = (
        language_text(entry["label"])
        if entry.get("label")
        else str(doc.get("title") or name)
    )
    return Profile(
        schema=name,
        label=label,
        version=str(doc["version"]) if doc.get("version") else None,
        fields=list(doc["fields"]),
        entry=entry,
    )


def this_year() -> int:
    return datetime.date.today().year


def dataset_name(title: str) -> str:
    """A free URL name for a dataset titled ``title``."""
    from ckan.lib.munge import munge_title_to_name

    base = munge_title_to_name(title)[:90].strip("-") or "jeu-de-donnees"
    base = re.sub(r"-+", "-", base)
    name, suffix = base, 2
    while model.Package.get(name) is not None:
        name = f"{base}-{suffix}"
        suffix += 1
    return name
