"""URIs of the DCAT-AP export that are not code list concepts.

The code lists themselves (themes, frequencies, licences, file types,
publisher types) and their concept URIs are in
``ckanext.territoire.vocabularies.codelists``.

Territories use INSEE's linked-data URIs where they can be derived from the
code (``http://id.insee.fr/geo/commune/<code>``, ``departement``, ``region``)
and the EU country authority for France. INSEE's EPCI URIs are UUIDs that
cannot be derived from the SIREN, so an EPCI is named by our own
``territoire_territory_show`` API URL: stable (it carries the SIREN, the EPCI's
legal identifier) and resolvable, where a guessed URI in INSEE's namespace
would be neither.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from ckanext.territoire.territories import codes
from ckanext.territoire.vocabularies import codelists

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
COUNTRY_SCHEME = EU_AUTHORITY + "country"
LANGUAGE_SCHEME = EU_AUTHORITY + "language"
FRANCE_URI = EU_AUTHORITY + "country/FRA"
INSEE_GEO = "http://id.insee.fr/geo/"
SCHEMA_DATA_GOUV = "https://schema.data.gouv.fr/schemas/"
EPCI_ACTION = "/api/3/action/territoire_territory_show?code="

# INSEE linked-data class names of our levels (http://id.insee.fr/geo/<class>/<code>)
_INSEE_CLASSES = {
    codes.COMMUNE: "commune",
    codes.DEPARTEMENT: "departement",
    codes.REGION: "region",
}


def scheme_labels() -> dict[str, str]:
    """Every scheme a concept of ours can be in, with its label."""
    out = {COUNTRY_SCHEME: "Country", LANGUAGE_SCHEME: "Language"}
    for name in codelists.SCHEMES:
        out[codelists.scheme_of(name)] = codelists.scheme_label(name)
    return out


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
