"""Controlled vocabularies of the DCAT-AP export, and our codes for them.

The code lists are small JSON files in ``ckanext.territoire.schemas``
(``schemas/codelists/``), derived from the EU Vocabularies authority tables
(data-theme, frequency, file-type, licence) and ADMS publisher types; the
DCAT-AP vocabulary shapes need every value to name its ``skos:inScheme``.

Territories use INSEE's linked-data URIs where they can be derived from the
code (``http://id.insee.fr/geo/commune/<code>``, ``departement``, ``region``)
and the EU country authority for France. INSEE's EPCI URIs are UUIDs that
cannot be derived from the SIREN, so an EPCI is named by our own
``territoire_territory_show`` API URL: stable (it carries the SIREN, the EPCI's
legal identifier) and resolvable, where a guessed URI in INSEE's namespace
would be neither.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ckanext.territoire.territories import codes

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
COUNTRY_SCHEME = EU_AUTHORITY + "country"
LANGUAGE_SCHEME = EU_AUTHORITY + "language"
FRANCE_URI = EU_AUTHORITY + "country/FRA"
INSEE_GEO = "http://id.insee.fr/geo/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
SCHEMA_DATA_GOUV = "https://schema.data.gouv.fr/schemas/"
PUBLISHER_TYPE_BASE = "http://purl.org/adms/publishertype/"
EPCI_ACTION = "/api/3/action/territoire_territory_show?code="

# INSEE linked-data class names of our levels (http://id.insee.fr/geo/<class>/<code>)
_INSEE_CLASSES = {
    codes.COMMUNE: "commune",
    codes.DEPARTEMENT: "departement",
    codes.REGION: "region",
}

# The CKAN format name we store for an EU file type, where it is not the code.
_CKAN_FORMATS = {
    "GEOJSON": "GeoJSON",
    "JSON_LD": "JSON-LD",
    "RDF_TURTLE": "TTL",
    "RDF_XML": "RDF",
    "PARQUET": "Parquet",
}


@functools.cache
def _codelist(name: str) -> dict[str, Any]:
    path = resources.files("ckanext.territoire.schemas").joinpath("codelists", name)
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Concept:
    """A SKOS concept of an EU vocabulary, as exported."""

    uri: str
    scheme: str
    labels: dict[str, str]
    code: str


def scheme_of(name: str) -> str:
    """The concept scheme URI of a code list."""
    return str(_codelist(name)["scheme"])


def _scheme_concept(name: str, code: str | None) -> Concept | None:
    doc = _codelist(name)
    labels = doc["concepts"].get(code) if code else None
    if labels is None:
        return None
    scheme = doc["scheme"]
    return Concept(f"{scheme}/{code}", scheme, labels, code or "")


def _code_of(name: str, uri: str) -> str | None:
    doc = _codelist(name)
    prefix = doc["scheme"] + "/"
    if not uri.startswith(prefix):
        return None
    code = uri[len(prefix) :]
    return code if code in doc["concepts"] else None


def theme(code: str | None) -> Concept | None:
    return _scheme_concept("eu-data-themes.json", code)


def theme_code(uri: str) -> str | None:
    return _code_of("eu-data-themes.json", uri)


def frequency(code: str | None) -> Concept | None:
    return _scheme_concept("eu-frequencies.json", code)


def frequency_code(uri: str) -> str | None:
    return _code_of("eu-frequencies.json", uri)


def scheme_labels() -> dict[str, str]:
    """Every scheme a concept of ours can be in, with its label."""
    out = {COUNTRY_SCHEME: "Country", LANGUAGE_SCHEME: "Language"}
    for name in (
        "eu-data-themes.json",
        "eu-frequencies.json",
        "eu-licences.json",
        "eu-file-types.json",
        "adms-publisher-types.json",
    ):
        doc = _codelist(name)
        out[doc["scheme"]] = doc["scheme_label"]
    return out


# Licences ---------------------------------------------------------------------


@dataclass(frozen=True)
class Licence:
    id: str
    uri: str
    label: str
    scheme: str | None


def licence(license_id: str | None) -> Licence | None:
    doc = _codelist("eu-licences.json")
    entry = doc["licences"].get(license_id or "")
    if entry is None:
        return None
    scheme = doc["scheme"] if entry["in_scheme"] else None
    return Licence(license_id or "", entry["uri"], entry["label"], scheme)


def licence_id(uri: str) -> str | None:
    doc = _codelist("eu-licences.json")
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
    ckan_format: str

    @property
    def media_type_uri(self) -> str | None:
        return IANA_MEDIA_TYPES + self.media_type if self.media_type else None


@functools.cache
def _file_types() -> tuple[dict[str, FileType], dict[str, FileType]]:
    doc = _codelist("eu-file-types.json")
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
            ckan_format=_CKAN_FORMATS.get(code, code),
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
    by_code, by_alias = _file_types()
    if uri.startswith(EU_AUTHORITY + "file-type/"):
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
    doc = _codelist("adms-publisher-types.json")
    name = doc["kinds"].get(kind or "")
    if kind == "agence":
        level = codes.split(territory)[0] if territory else ""
        if level in (codes.REGION, codes.DEPARTEMENT):
            name = "RegionalAuthority"
        elif level in (codes.EPCI, codes.COMMUNE):
            name = "LocalAuthority"
        else:
            name = "NationalAuthority"
    if not name:
        return None
    return Concept(
        PUBLISHER_TYPE_BASE + name, doc["scheme"], {"en": doc["concepts"][name]}, name
    )


# Territories ------------------------------------------------------------------


def territory_uri(code: str, site_url: str) -> str | None:
    """The URI of a canonical territory code, or None for a malformed one."""
    canonical = codes.canonical(code)
    if canonical is None:
        return None
    level, insee = codes.split(canonical)
    if level == codes.PAYS:
        return FRANCE_URI
    if level == codes.EPCI:
        return site_url.rstrip("/") + EPCI_ACTION + canonical
    return f"{INSEE_GEO}{_INSEE_CLASSES[level]}/{insee}"


_INSEE_URI = re.compile(
    r"^https?://id\.insee\.fr/geo/(commune|departement|region)/([^/]+)$"
)


def territory_code(uri: str) -> str | None:
    """Our canonical code for a territory URI we know the form of, or None."""
    uri = uri.strip()
    if uri == FRANCE_URI:
        return codes.FRANCE
    match = _INSEE_URI.match(uri)
    if match:
        return codes.canonical(f"{match.group(1)}:{match.group(2)}")
    parts = urlsplit(uri)
    if parts.path.endswith("/territoire_territory_show"):
        for value in parse_qs(parts.query).get("code", []):
            code = codes.canonical(value)
            if code:
                return code
    return None


# Table Schemas ----------------------------------------------------------------

_SCHEMA_URL = re.compile(
    r"^https?://schema\.data\.gouv\.fr/schemas/(.+)/([^/]+)/schema\.json$"
)


def schema_url(schema: str, version: str | None) -> str:
    return f"{SCHEMA_DATA_GOUV}{schema.strip('/')}/{version or 'latest'}/schema.json"


def schema_from_url(url: str) -> tuple[str, str | None] | None:
    """``("scdl/deliberations", "2.1.5")`` for a schema.data.gouv.fr URL."""
    match = _SCHEMA_URL.match(url.strip())
    if not match:
        return None
    version = match.group(2)
    return match.group(1), None if version == "latest" else version
