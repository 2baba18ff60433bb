"""The code lists of ``schemas/codelists/``: codes, labels, URIs, form choices.

The lists are small JSON files in ``ckanext.territoire.schemas``, derived from
the EU Vocabularies authority tables (data-theme, frequency, file-type,
licence) and ADMS publisher types, plus the portal's own licence list
(``licenses.json``, in CKAN's format, which replaces CKAN's list). They are the
only place where these codes are written: the scheming schema takes its
choices from them (``choices_helper: territoire_codelist_choices``), the
validators check against those choices, the harvesters map to their codes and
the DCAT profile exports them as ``skos:Concept`` of their scheme (the DCAT-AP
vocabulary shapes need every value to name its ``skos:inScheme``).

A concept's labels are the EU vocabulary's (``skos:prefLabel``, exported as
they are). Where the form and the facets word a value otherwise (« Quotidienne »
for the EU « quotidien »), the list's ``choice_labels`` say how.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ckanext.territoire.territories import codes as territory_codes

# The lists, by file name in schemas/codelists/ (without ".json"); a schema
# field names its list the same way (``codelist: eu-frequencies``).
THEMES = "eu-data-themes"
FREQUENCIES = "eu-frequencies"
LICENCES = "eu-licences"
FILE_TYPES = "eu-file-types"
PUBLISHER_TYPES = "adms-publisher-types"
PORTAL_LICENSES = "licenses"

#: the lists exported as SKOS concept schemes
SCHEMES = (THEMES, FREQUENCIES, LICENCES, FILE_TYPES, PUBLISHER_TYPES)

#: the portal's licence for a licence named in the dataset's description
OTHER_LICENSE = "other"

IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
PUBLISHER_TYPE_BASE = "http://purl.org/adms/publishertype/"


def path(name: str) -> Any:
    """The file of the list ``name`` (``eu-frequencies``), installed with the package."""
    return resources.files("ckanext.territoire.schemas").joinpath(
        "codelists", f"{name}.json"
    )


@functools.cache
def read(name: str) -> Any:
    """The parsed JSON of the list ``name``, read once."""
    return json.loads(path(name).read_text(encoding="utf-8"))


def codes(name: str) -> tuple[str, ...]:
    """The codes of a list of concepts (themes, frequencies, publisher types)."""
    return tuple(read(name)["concepts"])


def choices(name: str) -> list[dict[str, Any]]:
    """A list's concepts as scheming choices, labelled as the form shows them."""
    doc = read(name)
    form_labels = doc.get("choice_labels", {})
    return [
        {"value": code, "label": form_labels.get(code, labels)}
        for code, labels in doc["concepts"].items()
    ]


def license_ids() -> tuple[str, ...]:
    """The ids of the portal's licences (``licenses.json``), ``other`` included."""
    return tuple(row["id"] for row in read(PORTAL_LICENSES))


def scheme_of(name: str) -> str:
    """The concept scheme URI of a list."""
    return str(read(name)["scheme"])


def scheme_label(name: str) -> str:
    return str(read(name)["scheme_label"])


# Themes and frequencies -------------------------------------------------------


@dataclass(frozen=True)
class Concept:
    """A SKOS concept of an EU vocabulary, as exported."""

    uri: str
    scheme: str
    labels: dict[str, str]
    code: str


def _concept(name: str, code: str | None) -> Concept | None:
    doc = read(name)
    labels = doc["concepts"].get(code) if code else None
    if labels is None:
        return None
    scheme = doc["scheme"]
    return Concept(f"{scheme}/{code}", scheme, labels, code or "")


def _code_of(name: str, uri: str) -> str | None:
    doc = read(name)
    prefix = doc["scheme"] + "/"
    if not uri.startswith(prefix):
        return None
    code = uri[len(prefix) :]
    return code if code in doc["concepts"] else None


def theme(code: str | None) -> Concept | None:
    return _concept(THEMES, code)


def theme_from_uri(uri: str) -> str | None:
    """The code of an EU data-theme URI, or None."""
    return _code_of(THEMES, uri)


def frequency(code: str | None) -> Concept | None:
    return _concept(FREQUENCIES, code)


def frequency_from_uri(uri: str) -> str | None:
    """The code of an EU frequency URI, or None."""
    return _code_of(FREQUENCIES, uri)


# Licences ---------------------------------------------------------------------


@dataclass(frozen=True)
class Licence:
    id: str
    uri: str
    label: str
    scheme: str | None


def licence(license_id: str | None) -> Licence | None:
    doc = read(LICENCES)
    entry = doc["licences"].get(license_id or "")
    if entry is None:
        return None
    scheme = doc["scheme"] if entry["in_scheme"] else None
    return Licence(license_id or "", entry["uri"], entry["label"], scheme)


def licence_from_uri(uri: str) -> str | None:
    """Our licence id for a licence URI (EU authority or the licence's own)."""
    doc = read(LICENCES)
    key = uri.strip().rstrip("/")
    for license_id, entry in doc["licences"].items():
        if entry["uri"].rstrip("/") == key:
            return license_id
    return doc["aliases"].get(key) or doc["aliases"].get(key.replace("http:", "https:"))


# File types -------------------------------------------------------------------


@dataclass(frozen=True)
class FileType:
    code: str
    uri: str
    scheme: str
    label: str
    media_type: str | None
    ckan_format: str  # the format name we store in CKAN

    @property
    def media_type_uri(self) -> str | None:
        return IANA_MEDIA_TYPES + self.media_type if self.media_type else None


@functools.cache
def _file_types() -> tuple[dict[str, FileType], dict[str, FileType]]:
    doc = read(FILE_TYPES)
    scheme = doc["scheme"]
    by_code: dict[str, FileType] = {}
    by_alias: dict[str, FileType] = {}
    for row in doc["types"]:
        code = row["code"]
        ft = FileType(
            code=code,
            uri=f"{scheme}/{code}",
            scheme=scheme,
            label=row["label"],
            media_type=row["media_type"],
            ckan_format=row.get("ckan_format", code),
        )
        by_code[code] = ft
        for alias in [code, *row["aliases"]]:
            by_alias.setdefault(alias.lower(), ft)
    return by_code, by_alias


def file_type(fmt: str | None) -> FileType | None:
    """The EU file type of a CKAN format name, extension or media type."""
    if not fmt:
        return None
    key = fmt.strip().lower().lstrip(".")
    return _file_types()[1].get(key)


def file_type_from_uri(uri: str) -> FileType | None:
    """The file type of an EU file-type URI or an IANA media type URI."""
    by_code, by_alias = _file_types()
    if uri.startswith(scheme_of(FILE_TYPES) + "/"):
        return by_code.get(uri.rsplit("/", 1)[1])
    if uri.startswith(IANA_MEDIA_TYPES):
        return by_alias.get(uri[len(IANA_MEDIA_TYPES) :].lower())
    return None


# Publisher types --------------------------------------------------------------


def publisher_type(kind: str | None, territory: str | None = None) -> Concept | None:
    """The ADMS publisher type of an organisation kind.

    An agency (``agence``) is an authority at the level it works on: regional
    for a région or a département, local below, national otherwise.
    """
    doc = read(PUBLISHER_TYPES)
    name = doc["kinds"].get(kind or "")
    if kind == "agence":
        level = territory_codes.split(territory)[0] if territory else ""
        if level in (territory_codes.REGION, territory_codes.DEPARTEMENT):
            name = "RegionalAuthority"
        elif level in (territory_codes.EPCI, territory_codes.COMMUNE):
            name = "LocalAuthority"
        else:
            name = "NationalAuthority"
    if not name:
        return None
    return Concept(
        PUBLISHER_TYPE_BASE + name, doc["scheme"], {"en": doc["concepts"][name]}, name
    )
