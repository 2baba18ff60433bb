"""One organisation's datasets on data.gouv.fr or another udata portal (API v1).

Listing
    ``GET <portal>/api/1/datasets/?organization=<id>&page_size=<n>&sort=created``,
    page after page through ``next_page``. This endpoint rather than
    ``/api/1/organizations/<org>/datasets/``: udata filters it on the server
    (no private, deleted or archived dataset for an anonymous reader), while
    the organisation endpoint also returns deleted and archived ones, and in
    older udata versions as a bare list without paging. The ``organization``
    filter only takes an id: a slug in the configuration is turned into the
    id once per run (``GET /api/1/organizations/<slug>/``). Sorting by
    creation date keeps the pages stable while the partner publishes: a new
    dataset lands on the last page instead of pushing the others onto the
    next one.

    ``next_page`` is an absolute URL: it must stay on the portal's origin
    (the source URL's, or the one it redirected to), or the gather fails.
    A dataset seen twice because the pages moved is kept once; a dataset of
    another organisation means the portal ignored the filter, and the gather
    fails rather than harvest the whole portal.

Skipped
    ``private``, ``deleted`` and ``archived`` datasets, whatever the portal
    sends (udata hides them already). Archived is how udata itself retires a
    dataset that its source dropped or its producer no longer maintains;
    here it is the same as gone: the base withdraws ours after the grace
    period, and publishes it again if the partner un-archives it.

Identity
    The udata ``id`` (a 24-hex ObjectId), never the slug, which changes with
    the title. Only the fields the mapping reads are kept in the harvested
    record (``metrics``, ``quality``, link-checker ``extras`` and the like
    change every day and would make every dataset look modified; the slug
    is left out too, its page URL is kept).

Mapping (udata's ids through the tables of ``vocabularies.partners``)
    ``title``; ``description`` (Markdown; inline HTML in it is rewritten as
    Markdown here so that the base does not mistake the whole text for an
    HTML document); ``tags``; ``license``; ``frequency`` (current and legacy
    udata ids); ``temporal_coverage``; ``spatial.zones`` and
    ``spatial.granularity``; the envelope of ``spatial.geom`` → extent;
    ``created_at`` → issued; ``last_update`` (the
    data's last change, from its resources) or else ``last_modified`` →
    modified; the first contact point → contact; ``page`` → provenance URL;
    resources with a URL (title, description, format, ``filesize``, schema).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from ckan.lib.helpers import unified_resource_format

from ..logic import bbox
from ..vocabularies import partners
from .base import RecordError, RemoteDataset, Source, TerritoireHarvester
from .html import looks_like_html
from .http import HarvestHTTPError, SafeHTTP
from .messages import HarvestMessage, _, bilingual

DEFAULT_PAGE_SIZE = 100
MAX_PAGES = 5000
OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")
_API_IN_PATH = re.compile(r"/api(?:/\d+)?(?:/.*)?$")
# a portal's front-end pages, dropped from a source URL pasted from a browser
_FRONT_PATH = re.compile(
    r"/(?:(?:fr|en|es|de|it|pt)(?:/.*)?|(?:organizations|datasets)(?:/.*)?)$"
)

# the same forms as our schema's validators: a value they would refuse is
# dropped with a warning rather than make the whole dataset fail
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_WEB_URL = re.compile(r"https?://[^\s/]+\.[^\s]+")
_SCHEMA_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
_SCHEMA_VERSION = re.compile(r"\d+(\.\d+){0,2}|latest")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$")

# what the mapping reads; everything else of a udata dataset is left out
KEPT_FIELDS = (
    "id",
    "title",
    "description",
    "tags",
    "license",
    "frequency",
    "temporal_coverage",
    "created_at",
    "last_modified",
    "last_update",
    "contact_points",
    "contact_point",
    "page",
)
KEPT_RESOURCE_FIELDS = ("id", "title", "description", "format", "url", "filesize")

# French levels of udata zone ids (``fr:<level>:<code>[@<validity date>]``)
_ZONE_LEVELS = {
    "commune": "commune",
    "epci": "epci",
    "departement": "departement",
    "region": "region",
}
_IRIS = re.compile(r"^((?:\d{2}|2[AB])\d{3})\d{4}$")

# contact point roles that name whom to ask about the data
_CONTACT_ROLES = ("", "contact", "point_of_contact", "pointofcontact")


class UdataHarvester(TerritoireHarvester):
    source_type = "territoire_udata"
    notes_format = "markdown"
    titles = {
        "fr": "Organisation sur data.gouv.fr (udata)",
        "en": "Organisation on data.gouv.fr (udata)",
    }
    descriptions = {
        "fr": "Moissonne les jeux de données d'une organisation sur data.gouv.fr "
        "ou un autre portail udata (API v1). Configuration : "
        '{"organization": "<identifiant ou slug>"}.',
        "en": "Harvests one organisation's datasets on data.gouv.fr or another "
        'udata portal (API v1). Configuration: {"organization": "<id or slug>"}.',
    }
    config_properties = {
        "organization": {"type": "string", "minLength": 1, "pattern": r"\S"},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 1000},
    }

    def validate_config(self, config: str | None) -> str | None:
        config = super().validate_config(config)
        parsed = json.loads(config) if config else {}
        if not parsed.get("organization"):
            raise ValueError(_missing_organization())
        return config

    # -- gather -----------------------------------------------------------

    def gather_remote(self, source: Source, http: SafeHTTP) -> Iterator[RemoteDataset]:
        org = str(source.config.get("organization") or "").strip()
        if not org:
            raise HarvestMessage(MISSING_ORGANIZATION, example=ORGANIZATION_EXAMPLE)
        api = api_root(source.url)
        org_id = org if OBJECT_ID.match(org) else resolve_organization(http, api, org)
        page_size = int(source.config.get("page_size") or DEFAULT_PAGE_SIZE)
        return list_datasets(http, api, org_id, page_size)

    def original_url(self, payload: dict[str, Any]) -> str | None:
        page = payload.get("page")
        return page if isinstance(page, str) and page else None

    # -- mapping ----------------------------------------------------------

    def to_package(
        self, payload: dict[str, Any], source: Source, warnings: list[str]
    ) -> dict[str, Any]:
        title = _text(payload.get("title"))
        if not title:
            raise RecordError(
                _("Jeu de données udata sans titre (id {id}) : il est ignoré."),
                id=payload.get("id") or "?",
            )
        pkg: dict[str, Any] = {
            "title": title,
            "notes": markdown(_text(payload.get("description"))),
            "tags": [t for t in payload.get("tags") or [] if isinstance(t, str)],
        }
        license_id = map_license(payload.get("license"), source, warnings)
        if license_id:
            pkg["license_id"] = license_id
        frequency = map_frequency(payload.get("frequency"), warnings)
        if frequency:
            pkg["frequency"] = frequency
        pkg.update(temporal(payload.get("temporal_coverage"), warnings))
        spatial = payload.get("spatial")
        if isinstance(spatial, dict):
            pkg["territories"] = map_zones(spatial.get("zones") or [], warnings)
            granularity = map_granularity(spatial.get("granularity"), warnings)
            if granularity:
                pkg["granularity"] = granularity
            if spatial.get("extent"):
                pkg["spatial_bbox"] = spatial["extent"]
            elif "extent" in spatial:
                warnings.append(
                    bilingual(
                        _(
                            "Avertissement : la géométrie udata (spatial.geom) "
                            "n'est pas du GeoJSON lisible en WGS84 ; l'emprise "
                            "est laissée vide."
                        )
                    )
                )
        for field, value in (
            ("issued", payload.get("created_at")),
            ("modified", payload.get("last_update") or payload.get("last_modified")),
        ):
            day = _day(value)
            if day:
                pkg[field] = day
        pkg.update(contact(payload, warnings))
        page = _text(payload.get("page"))
        if _WEB_URL.fullmatch(page):
            pkg["provenance_url"] = page
        pkg["resources"] = [
            res
            for res in (
                map_resource(r, warnings) for r in payload.get("resources") or []
            )
            if res is not None
        ]
        return pkg


# --------------------------------------------------------------------------
# Gather
# --------------------------------------------------------------------------

MISSING_ORGANIZATION = _(
    "L'option « organization » de la source manque : donnez l'identifiant ou "
    "le slug de l'organisation sur le portail udata, par exemple {example}."
)
ORGANIZATION_EXAMPLE = '{"organization": "eurometropole-de-strasbourg"}'


def _missing_organization() -> str:
    return bilingual(MISSING_ORGANIZATION, example=ORGANIZATION_EXAMPLE)


def api_root(url: str) -> str:
    """``https://www.data.gouv.fr/api/1`` for the portal's address.

    The address may be the portal's home, one of its pages (an organisation's,
    in any language) or its API.
    """
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    if _API_IN_PATH.search(path):
        path = _API_IN_PATH.sub("", path)
    else:
        path = _FRONT_PATH.sub("", path)
    return f"{parts.scheme}://{parts.netloc}{path}/api/1"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme.lower(), f"{(parts.hostname or '').lower()}:{port}"


def resolve_organization(http: SafeHTTP, api: str, slug: str) -> str:
    """The id of the organisation ``slug`` (the datasets filter takes ids only)."""
    url = f"{api}/organizations/{quote(slug, safe='')}/"
    try:
        final, body = http.get_json_with_url(url)
    except HarvestHTTPError as e:
        if e.params.get("status") in (404, 410):
            raise HarvestMessage(
                _(
                    "L'organisation « {org} » n'existe pas sur {url} : vérifiez "
                    "l'option « organization » de la source (identifiant ou slug "
                    "de l'organisation, tel qu'il figure dans l'adresse de sa page)."
                ),
                org=slug,
                url=api.rsplit("/api/", 1)[0],
            ) from e
        raise
    org_id = body.get("id") if isinstance(body, dict) else None
    if not isinstance(org_id, str) or not org_id:
        raise HarvestMessage(
            _(
                "Réponse inattendue de {url} : pas d'identifiant d'organisation. "
                "L'adresse de la source est-elle celle d'un portail udata ?"
            ),
            url=final,
        )
    return org_id


def _malformed(url: str, detail: str) -> HarvestMessage:
    return HarvestMessage(
        _(
            "Réponse inattendue de {url} ({detail}) : ce n'est pas une page de "
            "jeux de données de l'API udata v1. L'adresse de la source est-elle "
            "celle d'un portail udata ?"
        ),
        url=url,
        detail=detail,
    )


def list_datasets(
    http: SafeHTTP, api: str, org_id: str, page_size: int
) -> Iterator[RemoteDataset]:
    """The organisation's public datasets, every page read."""
    url: str = f"{api}/datasets/"
    params: dict[str, Any] | None = {
        "organization": org_id,
        "page_size": page_size,
        "sort": "created",
        "page": 1,
    }
    origins = {_origin(api)}
    visited: set[str] = set()
    seen: set[str] = set()
    for n in range(MAX_PAGES):
        final, body = http.get_json_with_url(url, params)
        visited.update((url, final))
        if n == 0:
            origins.add(_origin(final))  # the portal's own address, redirects followed
        if not isinstance(body, dict):
            raise _malformed(final, "pas un objet JSON")
        data = body.get("data")
        if not isinstance(data, list):
            raise _malformed(final, "« data » manque ou n'est pas une liste")
        for item in data:
            if not isinstance(item, dict):
                raise _malformed(final, "un élément de « data » n'est pas un objet")
            remote = _remote(item, org_id, final)
            if remote is None:
                continue
            if remote.remote_id and remote.remote_id in seen:
                continue  # moved to the next page while we read
            seen.add(remote.remote_id)
            yield remote
        next_page = body.get("next_page")
        if not next_page:
            return
        if not isinstance(next_page, str):
            raise _malformed(final, "« next_page » n'est pas une adresse")
        url, params = urljoin(final, next_page), None
        if _origin(url) not in origins:
            raise HarvestMessage(
                _(
                    "La page suivante annoncée par {url} mène hors du portail "
                    "({next}) : le moissonnage s'arrête sans rien modifier. "
                    "Vérifiez l'adresse de la source."
                ),
                url=final,
                next=url,
            )
        if url in visited:
            raise HarvestMessage(
                _(
                    "Le portail {url} renvoie en boucle vers une page déjà lue "
                    "({next}) : le moissonnage s'arrête sans rien modifier."
                ),
                url=api.rsplit("/api/", 1)[0],
                next=url,
            )
    raise HarvestMessage(
        _(
            "Plus de {n} pages de jeux de données sur {url} : le moissonnage "
            "s'arrête sans rien modifier. Augmentez page_size dans la "
            "configuration de la source."
        ),
        n=MAX_PAGES,
        url=api.rsplit("/api/", 1)[0],
    )


def _remote(item: dict[str, Any], org_id: str, url: str) -> RemoteDataset | None:
    org = item.get("organization")
    if (
        isinstance(org, dict)
        and org.get("id")
        and str(org["id"]).lower() != org_id.lower()
    ):
        raise HarvestMessage(
            _(
                "{url} liste un jeu de données d'une autre organisation "
                "({other}) : le portail ignore le filtre par organisation. "
                "Le moissonnage s'arrête sans rien modifier."
            ),
            url=url,
            other=org.get("slug") or org["id"],
        )
    if item.get("private") or item.get("deleted") or item.get("archived"):
        return None
    return RemoteDataset(remote_id=str(item.get("id") or ""), payload=trim(item))


def trim(item: dict[str, Any]) -> dict[str, Any]:
    """The fields the mapping reads, so that the hash changes with them only."""
    out = {k: item[k] for k in KEPT_FIELDS if item.get(k) not in (None, "", [], {})}
    spatial = item.get("spatial")
    if isinstance(spatial, dict):
        kept = {
            k: spatial[k]
            for k in ("zones", "granularity")
            if spatial.get(k) is not None
        }
        # the geometry may weigh megabytes: only its envelope is kept
        if spatial.get("geom") is not None:
            try:
                kept["extent"] = bbox.parse(spatial["geom"]).text()
            except bbox.BBoxError:
                kept["extent"] = None
        if kept:
            out["spatial"] = kept
    resources = []
    for res in item.get("resources") or []:
        if not isinstance(res, dict):
            continue
        r = {k: res[k] for k in KEPT_RESOURCE_FIELDS if res.get(k) not in (None, "")}
        schema = res.get("schema")
        if isinstance(schema, dict) and schema.get("name"):
            r["schema"] = {
                k: schema[k] for k in ("name", "version") if schema.get(k) is not None
            }
        resources.append(r)
    if resources:
        out["resources"] = resources
    return out


# --------------------------------------------------------------------------
# Mapping
# --------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _day(value: Any) -> str | None:
    """The date part of a udata date or timestamp, if it is one."""
    match = _DATE.match(_text(value))
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1)).isoformat()
    except ValueError:
        return None


_HTML_DOCUMENT = re.compile(
    r"^\s*<\s*(?:p|div|ul|ol|h[1-6]|table|section|article|blockquote)\b", re.I
)
_DROPPED = re.compile(
    r"<\s*(script|style|iframe|object|embed|template|noscript|svg)\b.*?"
    r"<\s*/\s*\1\s*>",
    re.I | re.S,
)
# Markdown autolinks, <https://…> and <nom@domaine.fr>, which the base would
# take for tags
_AUTOLINK = re.compile(
    r"<((?:https?://|mailto:)[^<>\s]+|[^<>\s@/]+@[^<>\s@]+\.[^<>\s@]+)>"
)
_BR = re.compile(r"<\s*br\s*/?\s*>[ \t]*\n?", re.I)
_PARAGRAPH = re.compile(r"<\s*/?\s*p\b[^<>]*>", re.I)
_LINK = re.compile(
    r"<\s*a\b[^<>]*?\bhref\s*=\s*([\"'])(?P<href>(?:https?:|mailto:)[^\"'\s]+)\1"
    r"[^<>]*>(?P<text>.*?)<\s*/\s*a\s*>",
    re.I | re.S,
)
_STRONG = re.compile(r"<\s*/?\s*(?:strong|b)\s*>", re.I)
_EM = re.compile(r"<\s*/?\s*(?:em|i)\s*>", re.I)
_ANY_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*[^<>]*>")


def markdown(text: str) -> str:
    """A udata description (Markdown) with its inline HTML made Markdown.

    Inline tags are rewritten as Markdown (line breaks, links, emphasis;
    others dropped, their text kept); Markdown autolinks (``<https://…>``,
    ``<nom@domaine.fr>``) are not tags and stay. A description that is an
    HTML document (it opens with a block tag) is kept as it is: the base
    removes anything active from it, and CKAN sanitises it on display.
    """
    if not text or not looks_like_html(text) or _HTML_DOCUMENT.match(text):
        return text
    text = _AUTOLINK.sub(r"\1", text)  # CKAN links bare addresses itself
    text = _DROPPED.sub("", text)
    text = _BR.sub("  \n", text)
    text = _PARAGRAPH.sub("\n\n", text)
    text = _LINK.sub(lambda m: f"[{m.group('text').strip()}]({m.group('href')})", text)
    text = _STRONG.sub("**", text)
    text = _EM.sub("*", text)
    while looks_like_html(text):
        text = _ANY_TAG.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def map_license(value: Any, source: Source, warnings: list[str]) -> str | None:
    license_id = _text(value)
    if license_id in partners.UDATA_LICENSES:
        return partners.UDATA_LICENSES[license_id]
    if license_id.lower() in partners.UDATA_NOT_SPECIFIED:
        if source.config.get("default_license"):
            return None  # the source's default, set by the base
        warnings.append(
            bilingual(
                _(
                    "Avertissement : licence non précisée sur le portail d'origine, "
                    "notée « autre ». Demandez-la au producteur, ou donnez une "
                    "licence par défaut à la source (default_license)."
                )
            )
        )
        return "other"
    warnings.append(
        bilingual(
            _(
                "Avertissement : la licence udata « {value} » n'a pas d'équivalent "
                "dans la liste du portail : notée « autre »."
            ),
            value=license_id,
        )
    )
    return "other"


def map_frequency(value: Any, warnings: list[str]) -> str | None:
    frequency = _text(value)
    if not frequency:
        return None
    if frequency in partners.UDATA_FREQUENCIES:
        return partners.UDATA_FREQUENCIES[frequency]
    warnings.append(
        bilingual(
            _(
                "Avertissement : fréquence de mise à jour udata « {value} » sans "
                "équivalent dans le vocabulaire européen du portail : notée "
                "« inconnue »."
            ),
            value=frequency,
        )
    )
    return "UNKNOWN"


def temporal(value: Any, warnings: list[str]) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    out: dict[str, str] = {}
    for key, field in (("start", "temporal_start"), ("end", "temporal_end")):
        raw = value.get(key)
        if raw in (None, ""):
            continue
        day = _day(raw)
        if day is None:
            warnings.append(
                bilingual(
                    _(
                        "Avertissement : date de couverture temporelle illisible "
                        "« {value} », ignorée."
                    ),
                    value=raw,
                )
            )
            continue
        out[field] = day
    start, end = out.get("temporal_start"), out.get("temporal_end")
    if start and end and end < start:
        del out["temporal_end"]
        warnings.append(
            bilingual(
                _(
                    "Avertissement : la couverture temporelle finit ({end}) avant "
                    "de commencer ({start}) ; sa fin est ignorée."
                ),
                start=start,
                end=end,
            )
        )
    return out


def zone_code(zone: str) -> str | None:
    """Our territory code for a udata zone id, or None if we have no such level.

    ``fr:commune:67482``, ``fr:epci:246700488``, ``fr:departement:67``,
    ``fr:region:44`` and ``country:fr``; the older ids with a validity date
    (``fr:commune:67482@1942-01-01``, codes in lower case) too. An IRIS
    (``fr:iris:674820101``) stands for its commune; France métropolitaine
    and the overseas subsets (``country-subset:fr:metro``…) for France.
    Former commune codes are replaced by the current ones later (base).
    """
    text = zone.strip().split("@", 1)[0]
    parts = text.split(":")
    head = parts[0].lower()
    if head == "country" and len(parts) == 2 and parts[1].lower() == "fr":
        return "pays:fr"
    if head == "country-subset" and len(parts) >= 2 and parts[1].lower() == "fr":
        return "pays:fr"
    if head != "fr" or len(parts) != 3 or not parts[2]:
        return None
    level, code = parts[1].lower(), parts[2].upper()
    if level in _ZONE_LEVELS:
        return f"{_ZONE_LEVELS[level]}:{code}"
    if level == "iris":
        match = _IRIS.match(code)
        return f"commune:{match.group(1)}" if match else None
    return None


def map_zones(zones: Any, warnings: list[str]) -> list[str]:
    codes: list[str] = []
    for zone in zones if isinstance(zones, list) else []:
        if not isinstance(zone, str) or not zone.strip():
            continue
        code = zone_code(zone)
        if code is None:
            warnings.append(
                bilingual(
                    _(
                        "Avertissement : la zone udata « {value} » n'a pas "
                        "d'équivalent parmi les territoires du portail (commune, "
                        "EPCI, département, région, France) : ignorée."
                    ),
                    value=zone,
                )
            )
        elif code not in codes:
            codes.append(code)
    return codes


def map_granularity(value: Any, warnings: list[str]) -> str | None:
    granularity = _text(value)
    if not granularity:
        return None
    if granularity in partners.UDATA_GRANULARITIES:
        return partners.UDATA_GRANULARITIES[granularity]
    warnings.append(
        bilingual(
            _("Avertissement : granularité udata « {value} » inconnue, ignorée."),
            value=granularity,
        )
    )
    return None


def contact(payload: dict[str, Any], warnings: list[str]) -> dict[str, str]:
    points = payload.get("contact_points")
    if not isinstance(points, list):
        single = payload.get("contact_point")
        points = [single] if isinstance(single, dict) else []
    points = [p for p in points if isinstance(p, dict)]
    points.sort(key=lambda p: _text(p.get("role")).lower() not in _CONTACT_ROLES)
    for point in points:
        name, email = _text(point.get("name")), _text(point.get("email"))
        if not name and not email:
            continue
        out = {"contact_name": name} if name else {}
        if email and _EMAIL.fullmatch(email):
            out["contact_email"] = email
        elif email:
            warnings.append(
                bilingual(
                    _(
                        "Avertissement : adresse électronique de contact invalide "
                        "« {value} », ignorée."
                    ),
                    value=email,
                )
            )
        return out
    return {}


def map_resource(res: Any, warnings: list[str]) -> dict[str, Any] | None:
    if not isinstance(res, dict):
        return None
    title = _text(res.get("title"))
    url = _text(res.get("url"))
    if not url:
        warnings.append(
            bilingual(
                _("Avertissement : ressource « {title} » sans adresse, ignorée."),
                title=title or res.get("id") or "?",
            )
        )
        return None
    out: dict[str, Any] = {"url": url, "name": title or url.rsplit("/", 1)[-1]}
    description = markdown(_text(res.get("description")))
    if description:
        out["description"] = description
    fmt = _text(res.get("format"))
    if fmt:
        out["format"] = unified_resource_format(fmt) or fmt
    size = res.get("filesize")
    if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
        out["size"] = size
    schema = res.get("schema")
    if isinstance(schema, dict):
        name, version = _text(schema.get("name")), _text(schema.get("version"))
        if name and _SCHEMA_ID.fullmatch(name):
            out["schema"] = name
            if version and _SCHEMA_VERSION.fullmatch(version):
                out["schema_version"] = version
            elif version:
                warnings.append(
                    bilingual(
                        _(
                            "Avertissement : version « {version} » du schéma "
                            "{schema} illisible, ignorée."
                        ),
                        version=version,
                        schema=name,
                    )
                )
        elif name:
            warnings.append(
                bilingual(
                    _(
                        "Avertissement : schéma « {schema} » de la ressource "
                        "« {title} » sans identifiant schema.data.gouv.fr, ignoré."
                    ),
                    schema=name,
                    title=title or url,
                )
            )
    return out
