"""Moissonne un portail Opendatasoft (API Explore v2.1 ou v2.0).

The source URL is the portal's address (``https://data.strasbourg.eu``); an
address that already names the API (``…/api/explore/v2.1``,
``…/api/explore/v2.0`` or the legacy ``…/api/v2``) is accepted too, and then
says which version to use unless the configuration's ``api_version`` does.

Listing
    v2.1 pages ``/catalog/datasets`` by ``limit``/``offset`` (ordered by
    ``dataset_id`` so that pages neither overlap nor skip) up to
    ``total_count``. ODS refuses any request whose ``offset + limit`` passes
    10 000: a catalogue
    bigger than that is read once, whole, from ``/catalog/exports/json`` (the
    same dataset objects, no limit) instead of page by page. v2.0 answers
    ``{"total_count", "links", "datasets": [{"links", "dataset"}]}`` and is
    paged by its ``links[rel=next]``, under the same ceiling. A page that is
    not of the expected shape fails the whole gather: nothing changes.

Identity
    The remote id is ``dataset_uid`` (``da_xxxxxx``), ODS's internal
    identifier, which the portal never changes, where ``dataset_id`` is the
    slug the publisher may edit (it is the dataset page's URL): a renamed slug
    updates the same dataset instead of creating another and withdrawing the
    first. ``dataset_id`` is used when no uid is given, and is kept as the
    ``provenance_identifier`` and in the ``provenance_url``.

Payload
    What is stored and hashed for a record is the dataset object without the
    values ODS rewrites on every processing run (``metadata_processed``,
    ``data_processed``, ``records_count``, field labels and descriptions), so
    that a dataset whose metadata did not change is "not modified", plus the
    portal and API addresses its URLs are built from.

Mapping (``to_package``)
    ODS's free-text themes, licences, frequencies and granularities map to
    our code lists through ``vocabularies.free_text``; a value it does not
    know is dropped (licence: ``other``, named in the description) with a
    warning. Resources are the dataset's exports (CSV, Excel, JSON, GeoJSON
    for a dataset with a geographic field; configurable) when it has
    records, and its attachments.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from ckanext.territoire.territories.codes import normalize_name
from ckanext.territoire.vocabularies import codelists, free_text

from ..lists import partner_values
from .base import RecordError, RemoteDataset, Source, TerritoireHarvester
from .html import looks_like_html
from .http import HarvestHTTPError, SafeHTTP
from .messages import HarvestMessage, _, bilingual

log = logging.getLogger(__name__)

#: ODS refuses a listing request whose offset + limit is above this
CEILING = 10_000
MAX_PAGE_SIZE = 100
API_PATHS = {"2.1": "/api/explore/v2.1", "2.0": "/api/explore/v2.0"}
_API_IN_URL = re.compile(r"/api/(?:explore/v(2\.[01])|(v2))(?:/.*)?$")
PARIS = ZoneInfo("Europe/Paris")

#: ``metas.default`` values ODS rewrites without any change of the metadata
VOLATILE_METAS = ("metadata_processed", "data_processed", "records_count")
GEO_FIELD_TYPES = ("geo_point_2d", "geo_shape")


@dataclass(frozen=True)
class ExportFormat:
    fmt: str  # ODS's export name
    format: str  # our resource format
    name: str
    description: str
    geo_only: bool = False


EXPORTS: dict[str, ExportFormat] = {
    e.fmt: e
    for e in (
        ExportFormat(
            "csv",
            "CSV",
            "Export CSV",
            "Toutes les données du jeu, au format CSV (séparateur point-virgule), "
            "produites à la demande par le portail d'origine.",
        ),
        ExportFormat(
            "xlsx",
            "XLSX",
            "Export Excel",
            "Toutes les données du jeu, au format Excel (XLSX), produites à la "
            "demande par le portail d'origine.",
        ),
        ExportFormat(
            "json",
            "JSON",
            "Export JSON",
            "Toutes les données du jeu, au format JSON (une liste "
            "d'enregistrements), produites à la demande par le portail d'origine.",
        ),
        ExportFormat(
            "jsonl",
            "JSONL",
            "Export JSON Lines",
            "Toutes les données du jeu, un enregistrement JSON par ligne, "
            "produites à la demande par le portail d'origine.",
        ),
        ExportFormat(
            "geojson",
            "GeoJSON",
            "Export GeoJSON",
            "Les données du jeu avec leur géométrie, au format GeoJSON, "
            "produites à la demande par le portail d'origine.",
            geo_only=True,
        ),
        ExportFormat(
            "shp",
            "SHP",
            "Export Shapefile",
            "Les données du jeu avec leur géométrie, au format Shapefile (ZIP), "
            "produites à la demande par le portail d'origine.",
            geo_only=True,
        ),
        ExportFormat(
            "kml",
            "KML",
            "Export KML",
            "Les données du jeu avec leur géométrie, au format KML, produites à "
            "la demande par le portail d'origine.",
            geo_only=True,
        ),
        ExportFormat(
            "parquet",
            "Parquet",
            "Export Parquet",
            "Toutes les données du jeu, au format Apache Parquet, produites à la "
            "demande par le portail d'origine.",
        ),
    )
}
DEFAULT_EXPORTS = ("csv", "xlsx", "json", "geojson")

_FACET_FILTER = {"type": "string", "pattern": r"^[^:]+:.+$"}

CONFIG_PROPERTIES: dict[str, Any] = {
    "api_version": {"type": "string", "enum": ["2.1", "2.0"]},
    "where": {"type": "string", "maxLength": 4000},
    # one "facet:value" or a list of them
    "refine": {
        "type": ["string", "array"],
        "pattern": _FACET_FILTER["pattern"],
        "items": _FACET_FILTER,
    },
    "exclude": {
        "type": ["string", "array"],
        "pattern": _FACET_FILTER["pattern"],
        "items": _FACET_FILTER,
    },
    "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    "lang": {"type": "string", "pattern": r"^[a-z]{2}$"},
    "exports": {
        "type": "array",
        "items": {"enum": sorted(EXPORTS)},
        "uniqueItems": True,
    },
}


# --------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    """The portal's address and that of the API version used."""

    portal: str
    api: str
    version: str

    @classmethod
    def of(cls, source: Source) -> Endpoints:
        parts = urlsplit(source.url.strip())
        path = parts.path.rstrip("/")
        url_version = None
        match = _API_IN_URL.search(path)
        if match:
            url_version = match.group(1) or "2.0"
            path = path[: match.start()]
        else:
            # an ODS portal lives at its domain's root: a page of it pasted
            # as the source (/explore/, /explore/dataset/…) names the portal
            path = ""
        portal = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        version = str(source.config.get("api_version") or url_version or "2.1")
        return cls(portal=portal, api=portal + API_PATHS[version], version=version)

    def catalog(self) -> str:
        return f"{self.api}/catalog/datasets"

    def catalog_export(self) -> str:
        return f"{self.api}/catalog/exports/json"

    def dataset_page(self, dataset_id: str) -> str:
        return f"{self.portal}/explore/dataset/{_seg(dataset_id)}/"

    def export(self, dataset_id: str, fmt: str) -> str:
        return f"{self.api}/catalog/datasets/{_seg(dataset_id)}/exports/{fmt}"

    def attachment(self, dataset_id: str, attachment_id: str) -> str:
        return (
            f"{self.api}/catalog/datasets/{_seg(dataset_id)}/attachments/"
            f"{_seg(attachment_id)}"
        )


def _seg(value: str) -> str:
    """A path segment (federated dataset ids carry an ``@``)."""
    return quote(str(value), safe="@")


def _url(base: str, params: dict[str, Any]) -> str:
    query = urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
    return f"{base}?{query}" if query else base


def _query_int(url: str, name: str) -> int | None:
    for key, value in parse_qsl(urlsplit(url).query):
        if key == name:
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _with_query(url: str, **updates: Any) -> str:
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    pairs = [(k, v) for k, v in pairs if k not in updates]
    pairs += [(k, str(v)) for k, v in updates.items()]
    return urlunsplit(parts._replace(query=urlencode(pairs)))


# --------------------------------------------------------------------------
# The harvester
# --------------------------------------------------------------------------


class OpendatasoftHarvester(TerritoireHarvester):
    source_type = "territoire_opendatasoft"
    titles = {"fr": "Portail Opendatasoft", "en": "Opendatasoft portal"}
    descriptions = {
        "fr": "Moissonne un portail Opendatasoft (API Explore v2.1 ou v2.0).",
        "en": "Harvests an Opendatasoft portal (Explore API v2.1 or v2.0).",
    }
    config_properties = CONFIG_PROPERTIES
    mapping_version = 1

    # -- gather -----------------------------------------------------------

    def gather_remote(self, source: Source, http: SafeHTTP) -> Iterable[RemoteDataset]:
        ep = Endpoints.of(source)
        filters = _filters(source.config)
        page_size = int(source.config.get("page_size") or MAX_PAGE_SIZE)
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        if ep.version == "2.1":
            items = self._list_v21(http, ep, filters, page_size)
        else:
            items = self._list_v20(http, ep, filters, page_size)
        return [_remote(item, ep) for item in items]

    def _list_v21(
        self, http: SafeHTTP, ep: Endpoints, filters: dict[str, Any], page_size: int
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        offset = 0
        while True:
            limit = min(page_size, CEILING - offset)
            if limit <= 0:
                return self._export(http, ep, filters, CEILING + 1)
            url = _url(
                ep.catalog(),
                {**filters, "order_by": "dataset_id", "limit": limit, "offset": offset},
            )
            page = _get_json(http, url, filters)
            total, results = _page_v21(page, url)
            if total > CEILING:
                log.info(
                    "%s: %d datasets, read from the catalogue export", ep.api, total
                )
                return self._export(http, ep, filters, total)
            items.extend(results)
            offset += limit
            if offset >= total:
                return items
            if not results:
                log.warning(
                    "%s: page at offset %d empty, %d datasets announced",
                    ep.api,
                    offset - limit,
                    total,
                )
                return items

    def _list_v20(
        self, http: SafeHTTP, ep: Endpoints, filters: dict[str, Any], page_size: int
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        url = _url(
            ep.catalog(),
            {**filters, "order_by": "dataset_id", "limit": page_size, "offset": 0},
        )
        seen = {url}
        offset = 0
        while True:
            page = _get_json(http, url, filters)
            total, results, next_href = _page_v20(page, url)
            if total > CEILING:
                log.info(
                    "%s: %d datasets, read from the catalogue export", ep.api, total
                )
                return self._export(http, ep, filters, total)
            items.extend(results)
            if not next_href:
                return items
            url = _next_url(next_href, url, ep)
            next_offset = _query_int(url, "offset")
            limit = _query_int(url, "limit") or page_size
            # a page must move forward: by its offset, or at least its address
            if (next_offset is not None and next_offset <= offset) or url in seen:
                raise HarvestMessage(
                    _(
                        "Le lien vers la page suivante du catalogue ({url}) mène à "
                        "une page déjà lue : la pagination du portail est "
                        "incohérente. Aucun jeu de données n'a été modifié."
                    ),
                    url=url,
                )
            seen.add(url)
            offset = offset if next_offset is None else next_offset
            if offset + limit > CEILING:
                if offset >= CEILING:
                    return self._export(http, ep, filters, total)
                url = _with_query(url, limit=CEILING - offset)

    def _export(
        self, http: SafeHTTP, ep: Endpoints, filters: dict[str, Any], total: int
    ) -> list[dict[str, Any]]:
        url = _url(ep.catalog_export(), {**filters, "limit": -1})
        data = _get_json(http, url, filters)
        if not isinstance(data, list):
            raise _malformed(url, ep.version, "(racine)")
        items = []
        for i, item in enumerate(data):
            # v2.0 may wrap each dataset as in its listing
            if isinstance(item, dict) and "dataset_id" not in item:
                item = item.get("dataset")
            if not isinstance(item, dict):
                raise _malformed(url, ep.version, f"[{i}]")
            items.append(item)
        if total and not items:
            raise HarvestMessage(
                _(
                    "L'export du catalogue {url} est vide alors que le portail "
                    "annonce {total} jeux de données : aucun jeu de données n'a été "
                    "modifié ; le moissonnage réessaiera à la prochaine exécution."
                ),
                url=url,
                total=total,
            )
        return items

    # -- mapping --------------------------------------------------------

    def original_url(self, payload: dict[str, Any]) -> str | None:
        ds = payload.get("dataset") or {}
        if not payload.get("portal") or not ds.get("dataset_id"):
            return None
        return f"{payload['portal']}/explore/dataset/{_seg(ds['dataset_id'])}/"

    def to_package(
        self, payload: dict[str, Any], source: Source, warnings: list[str]
    ) -> dict[str, Any]:
        ds = payload.get("dataset")
        if not isinstance(ds, dict):
            raise RecordError(
                _(
                    "Enregistrement Opendatasoft illisible (pas de jeu de données) : il est ignoré."
                )
            )
        dataset_id = _text(ds.get("dataset_id"))
        metas = _dict(ds.get("metas"))
        default = metas.get("default")
        if not dataset_id or not isinstance(default, dict):
            raise RecordError(
                _(
                    "Le jeu de données Opendatasoft « {id} » n'a pas de métadonnées "
                    "(dataset_id ou metas.default manquant) : il est ignoré."
                ),
                id=dataset_id or ds.get("dataset_uid") or "?",
            )
        title = _text(default.get("title"))
        if not title:
            raise RecordError(
                _(
                    "Le jeu de données Opendatasoft « {id} » n'a pas de titre : il est ignoré."
                ),
                id=dataset_id,
            )
        dcat = _dict(metas.get("dcat"))
        ep = _endpoints(payload, source)

        license_id, other = map_license(
            default.get("license"), default.get("license_url"), warnings
        )
        notes = _with_license(_text(default.get("description")), other)
        start, end = _temporal(dcat, warnings)
        contact_email = _email(dcat.get("contact_email"), warnings)

        pkg: dict[str, Any] = {
            "name": dataset_id,
            "title": title,
            "notes": notes,
            "territories": map_territories(default, warnings),
            "granularity": map_granularity(dcat.get("granularity"), warnings),
            "temporal_start": start,
            "temporal_end": end,
            "frequency": map_frequency(
                dcat.get("accrualperiodicity") or default.get("update_frequency"),
                warnings,
            ),
            "themes": map_themes(default.get("theme"), warnings),
            "tags": [{"name": k} for k in partner_values(default.get("keyword"), ",;")],
            "license_id": license_id,
            "contact_name": _text(dcat.get("contact_name"))
            or _text(default.get("publisher")),
            "contact_email": contact_email,
            "issued": _date(
                dcat.get("issued") or dcat.get("created"), "issued", warnings
            ),
            "modified": _date(default.get("modified"), "modified", warnings),
            "provenance_identifier": dataset_id,
            "provenance_url": ep.dataset_page(dataset_id),
            "resources": self._resources(ds, dataset_id, ep, source, warnings),
        }
        return {
            k: v for k, v in pkg.items() if v not in (None, "", []) or k == "resources"
        }

    def _resources(
        self,
        ds: dict[str, Any],
        dataset_id: str,
        ep: Endpoints,
        source: Source,
        warnings: list[str],
    ) -> list[dict[str, Any]]:
        resources: list[dict[str, Any]] = []
        if ds.get("has_records") is not False and ds.get("data_visible") is not False:
            geo = _has_geo(ds)
            for fmt in source.config.get("exports") or DEFAULT_EXPORTS:
                export = EXPORTS.get(fmt)
                if export is None or (export.geo_only and not geo):
                    continue
                resources.append(
                    {
                        "url": ep.export(dataset_id, export.fmt),
                        "name": export.name,
                        "description": export.description,
                        "format": export.format,
                    }
                )
        attachments = ds.get("attachments")
        for att in attachments if isinstance(attachments, list) else []:
            res = _attachment(att, dataset_id, ep)
            if res is None:
                warnings.append(
                    bilingual(
                        _(
                            "Avertissement : une pièce jointe sans adresse ni "
                            "identifiant est ignorée ({value})."
                        ),
                        value=str(att)[:200],
                    )
                )
                continue
            resources.append(res)
        return resources


# --------------------------------------------------------------------------
# Reading the listing
# --------------------------------------------------------------------------


def _filters(config: dict[str, Any]) -> dict[str, Any]:
    """The query parameters every listing request carries."""

    def as_list(value: Any) -> list[str] | None:
        if not value:
            return None
        return [value] if isinstance(value, str) else [str(v) for v in value]

    return {
        "where": config.get("where") or None,
        "refine": as_list(config.get("refine")),
        "exclude": as_list(config.get("exclude")),
        "lang": config.get("lang") or "fr",
        "timezone": "UTC",
    }


def _get_json(http: SafeHTTP, url: str, filters: dict[str, Any]) -> Any:
    """``http.get_json`` with ODS's own errors explained."""
    try:
        return http.get_json(url)
    except HarvestHTTPError as e:
        status = e.params.get("status")
        detail = str(e.params.get("detail") or "-").rstrip(" .")
        if status == 400:
            raise HarvestMessage(
                _(
                    "Le portail Opendatasoft refuse la requête {url} : {detail}. "
                    "Corrigez les options where, refine, exclude ou lang de la "
                    "configuration de la source (syntaxe ODSQL). Aucun jeu de "
                    "données n'a été modifié."
                ),
                url=url,
                detail=detail,
            ) from e
        if status == 429:
            raise HarvestMessage(
                _(
                    "Le portail Opendatasoft {url} refuse de nouveaux appels : "
                    "quota atteint ({detail}). Aucun jeu de données n'a été "
                    "modifié ; le moissonnage réessaiera à la prochaine exécution. "
                    "Si cela se répète, moissonnez moins souvent ou demandez un "
                    "quota plus élevé à l'administrateur du portail."
                ),
                url=url,
                detail=detail,
            ) from e
        if status == 404:
            raise HarvestMessage(
                _(
                    "{url} n'existe pas (404) : l'adresse de la source ne mène pas "
                    "à un portail Opendatasoft. Donnez l'adresse du portail (par "
                    "exemple https://data.exemple.fr) ; pour un portail ancien, "
                    'essayez "api_version": "2.0".'
                ),
                url=url,
            ) from e
        raise


def _malformed(url: str, version: str, where: str) -> HarvestMessage:
    return HarvestMessage(
        _(
            "La réponse de {url} n'a pas la forme attendue du catalogue "
            "Opendatasoft (API {version}) : « {field} » manque ou n'a pas le bon "
            "type. Aucun jeu de données n'a été modifié ; vérifiez l'adresse de "
            "la source et son option api_version."
        ),
        url=url,
        version=version,
        field=where,
    )


def _count(page: dict[str, Any], url: str, version: str) -> int:
    total = page.get("total_count")
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise _malformed(url, version, "total_count")
    return total


def _page_v21(page: Any, url: str) -> tuple[int, list[dict[str, Any]]]:
    if not isinstance(page, dict):
        raise _malformed(url, "2.1", "(racine)")
    total = _count(page, url, "2.1")
    results = page.get("results")
    if not isinstance(results, list):
        raise _malformed(url, "2.1", "results")
    for i, item in enumerate(results):
        if not isinstance(item, dict):
            raise _malformed(url, "2.1", f"results[{i}]")
    return total, results


def _page_v20(page: Any, url: str) -> tuple[int, list[dict[str, Any]], str | None]:
    if not isinstance(page, dict):
        raise _malformed(url, "2.0", "(racine)")
    total = _count(page, url, "2.0")
    wrapped = page.get("datasets")
    if not isinstance(wrapped, list):
        raise _malformed(url, "2.0", "datasets")
    results = []
    for i, item in enumerate(wrapped):
        ds = item.get("dataset") if isinstance(item, dict) else None
        if not isinstance(ds, dict):
            raise _malformed(url, "2.0", f"datasets[{i}].dataset")
        results.append(ds)
    links = page.get("links") or []
    if not isinstance(links, list):
        raise _malformed(url, "2.0", "links")
    next_href = None
    for link in links:
        if isinstance(link, dict) and link.get("rel") == "next":
            next_href = link.get("href")
            if not isinstance(next_href, str) or not next_href.strip():
                raise _malformed(url, "2.0", "links[rel=next].href")
            break
    return total, results, next_href


def _next_url(href: str, current: str, ep: Endpoints) -> str:
    """The next page, on the source's own host.

    ODS writes absolute links with the domain it knows itself by, which may
    not be the address the source was given (a custom domain): the path and
    query are kept, on the source's scheme and host.
    """
    target = urlsplit(urljoin(current, href.strip()))
    if not target.path.rstrip("/").endswith("/catalog/datasets"):
        raise _malformed(current, ep.version, "links[rel=next].href")
    base = urlsplit(ep.api)
    return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))


def _remote(item: dict[str, Any], ep: Endpoints) -> RemoteDataset:
    ds = _trim(item)
    remote_id = _text(ds.get("dataset_uid")) or _text(ds.get("dataset_id"))
    return RemoteDataset(
        remote_id=remote_id,
        payload={"portal": ep.portal, "api": ep.api, "dataset": ds},
    )


def _trim(item: dict[str, Any]) -> dict[str, Any]:
    """The dataset object without what changes at every processing run."""
    metas = _dict(item.get("metas"))
    default = metas.get("default")
    if isinstance(default, dict):
        default = {k: v for k, v in default.items() if k not in VOLATILE_METAS}
    fields = _list(item.get("fields"))
    out: dict[str, Any] = {
        "dataset_id": item.get("dataset_id"),
        "dataset_uid": item.get("dataset_uid"),
        "has_records": item.get("has_records"),
        "data_visible": item.get("data_visible"),
        "features": item.get("features"),
        "fields": [
            {"name": f.get("name"), "type": f.get("type")}
            for f in fields
            if isinstance(f, dict)
        ],
        "attachments": item.get("attachments"),
        "metas": {"default": default},
    }
    if isinstance(metas.get("dcat"), dict):
        out["metas"]["dcat"] = _dict(metas.get("dcat"))
    return out


# --------------------------------------------------------------------------
# Mapping helpers
# --------------------------------------------------------------------------


def _endpoints(payload: dict[str, Any], source: Source) -> Endpoints:
    portal, api = payload.get("portal"), payload.get("api")
    if isinstance(portal, str) and isinstance(api, str) and portal and api:
        version = "2.0" if api.endswith("v2.0") else "2.1"
        return Endpoints(portal=portal, api=api, version=version)
    return Endpoints.of(source)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _has_geo(ds: dict[str, Any]) -> bool:
    features = _list(ds.get("features"))
    if "geo" in features:
        return True
    return any(
        isinstance(f, dict) and f.get("type") in GEO_FIELD_TYPES
        for f in ds.get("fields") or []
    )


def _attachment(att: Any, dataset_id: str, ep: Endpoints) -> dict[str, Any] | None:
    if not isinstance(att, dict):
        return None
    # ``href`` (attachments endpoint) or an http(s) ``url`` are downloadable;
    # an uploaded file's ``url`` is ``odsfile://…``, served under the API
    url = next(
        (
            u.strip()
            for u in (att.get("href"), att.get("url"))
            if isinstance(u, str) and re.match(r"^https?://", u.strip(), re.I)
        ),
        None,
    )
    att_id = _text(att.get("id"))
    if url is None and att_id:
        url = ep.attachment(dataset_id, att_id)
    if url is None:
        return None
    title = _text(att.get("title")) or att_id or url.rsplit("/", 1)[-1]
    res: dict[str, Any] = {"url": url, "name": title}
    fmt = _attachment_format(att, title)
    if fmt:
        res["format"] = fmt
    return res


def _attachment_format(att: dict[str, Any], title: str) -> str | None:
    mimetype = _text(att.get("mimetype")).split(";", 1)[0].strip()
    ft = codelists.file_type(mimetype) if mimetype else None
    if ft is None:
        for name in (title, _text(att.get("url"))):
            ext = re.search(r"\.([A-Za-z0-9]{2,8})$", name)
            if ext:
                ft = codelists.file_type(ext.group(1))
                if ft is not None:
                    break
    return ft.ckan_format if ft is not None else None


# -- dates --------------------------------------------------------------

_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(value: Any) -> str | None:
    """An ODS date or timestamp as an ISO date (timestamps in Paris time)."""
    text = _text(value)
    if not text:
        return None
    try:
        if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d", text):
            stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if stamp.tzinfo is not None:
                stamp = stamp.astimezone(PARIS)
            return stamp.date().isoformat()
        if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            return dt.date.fromisoformat(text).isoformat()
        if re.match(r"^\d{4}-\d{2}$", text):
            return dt.date(int(text[:4]), int(text[5:7]), 1).isoformat()
        if re.match(r"^\d{4}$", text):
            return f"{text}-01-01"
        match = _FR_DATE.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day).isoformat()
    except ValueError:
        return None
    return None


def _date(value: Any, field: str, warnings: list[str]) -> str | None:
    if not _text(value):
        return None
    date = parse_date(value)
    if date is None:
        warnings.append(
            bilingual(
                _("Avertissement : date « {value} » illisible ({field}), ignorée."),
                value=str(value)[:100],
                field=field,
            )
        )
    return date


_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d|2100)(?!\d)")
_ISO_DAY = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")
_FR_DAY = re.compile(r"(?<!\d)(\d{1,2}/\d{1,2}/\d{4})(?!\d)")
_SINCE = re.compile(r"\b(depuis|a partir|a compter|since|from)\b")


def parse_temporal(text: str) -> tuple[str | None, str | None]:
    """Best-effort (start, end) of a free-text period: dates, else years.

    "2015-2023", "de 2015 à 2023" → 2015-01-01, 2023-12-31; "2020" → the
    year; "depuis 2010" → a start only; "2019-01-01/2019-06-30" or "du
    01/01/2019 au 30/06/2019" → those days.
    """
    days = [d for d in (parse_date(m) for m in _ISO_DAY.findall(text)) if d]
    days += [d for d in (parse_date(m) for m in _FR_DAY.findall(text)) if d]
    since = bool(_SINCE.search(normalize_name(text)))
    if days:
        start, end = min(days), max(days)
        if len(days) == 1 and since:
            return start, None
        return start, end
    years = sorted({int(y) for y in _YEAR.findall(text)})
    if not years:
        return None, None
    start = f"{years[0]}-01-01"
    if since and len(years) == 1:
        return start, None
    return start, f"{years[-1]}-12-31"


def _temporal(
    dcat: dict[str, Any], warnings: list[str]
) -> tuple[str | None, str | None]:
    start = parse_date(dcat.get("temporal_coverage_start"))
    end = parse_date(dcat.get("temporal_coverage_end"))
    text = _text(dcat.get("temporal"))
    if not (start or end) and text:
        start, end = parse_temporal(text)
        if not start:
            warnings.append(
                bilingual(
                    _(
                        "Avertissement : période couverte « {value} » non reconnue, "
                        "ignorée."
                    ),
                    value=text[:100],
                )
            )
    if start and end and end < start:
        start, end = end, start
    return start, end


def _email(value: Any, warnings: list[str]) -> str | None:
    text = re.sub(r"^mailto:", "", _text(value), flags=re.I).strip()
    if not text:
        return None
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        return text
    warnings.append(
        bilingual(
            _("Avertissement : adresse de contact « {value} » invalide, ignorée."),
            value=text[:100],
        )
    )
    return None


# -- themes ---------------------------------------------------------------


def map_themes(value: Any, warnings: list[str]) -> list[str]:
    codes: list[str] = []
    for theme in partner_values(value):
        found = free_text.theme_codes(theme)
        if not found:
            warnings.append(
                bilingual(
                    _(
                        "Avertissement : thème « {value} » sans équivalent dans les "
                        "thèmes européens (data-theme), ignoré."
                    ),
                    value=theme[:100],
                )
            )
        codes += [c for c in found if c not in codes]
    return codes


# -- licences -------------------------------------------------------------


def map_license(
    name: Any, url: Any, warnings: list[str]
) -> tuple[str | None, tuple[str, str] | None]:
    """(licence id, (name, URL) of a licence mapped to ``other``)."""
    name, url = _text(name), _text(url)
    if not name and not url:
        warnings.append(
            bilingual(
                _(
                    "Avertissement : le jeu de données n'indique pas de licence ; "
                    "la licence par défaut de la source ou du portail s'applique."
                )
            )
        )
        return None, None
    # the name first: it says the version where the URL often does not
    code = free_text.license_code(name) or free_text.license_code(url)
    if code and code != codelists.OTHER_LICENSE:
        return code, None
    label = name or url
    warnings.append(
        bilingual(
            _(
                "Avertissement : licence « {value} » absente de la liste du portail : "
                "le jeu de données est publié sous « autre licence », nommée dans "
                "sa description."
            ),
            value=label[:200],
        )
    )
    link = url if url and re.match(r"^https?://", url, re.I) and url != label else ""
    return codelists.OTHER_LICENSE, (label, link)


def _with_license(notes: str, other: tuple[str, str] | None) -> str:
    """The description, naming a licence that is not in our list."""
    if other is None:
        return notes
    label, url = other
    if not notes or looks_like_html(notes):
        if url:
            return f'{notes}<p>Licence : <a href="{_attr(url)}">{_html(label)}</a></p>'
        return f"{notes}<p>Licence : {_html(label)}</p>"
    return f"{notes}\n\nLicence : {label}" + (f" ({url})" if url else "")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    return _html(text).replace('"', "&quot;")


# -- frequencies ----------------------------------------------------------


def map_frequency(value: Any, warnings: list[str]) -> str | None:
    text = _text(value) or next(iter(partner_values(value)), "")
    if not text:
        return None
    code = free_text.frequency_code(text)
    if code is None:
        warnings.append(
            bilingual(
                _(
                    "Avertissement : fréquence de mise à jour « {value} » non "
                    "reconnue, ignorée."
                ),
                value=text[:100],
            )
        )
    return code


# -- territories and granularity -----------------------------------------

_ODS_AREA = re.compile(r"^fr_\d+_([0-9]{5}|2[AB]\d{3}|[0-9]{9}|2[AB]|97\d)$", re.I)


def territory_code(reference: str) -> str | None:
    """Our code for an ODS geographic reference, when its form says the level.

    ``world_fr`` is France; ``fr_<level>_<code>`` is read by the code's form:
    5 characters a commune, 9 digits an EPCI, 2A/2B/97x a département. Two
    or three digits could be a département or a région: left alone.
    """
    ref = reference.strip()
    if ref.lower() == "world_fr":
        return "pays:fr"
    match = _ODS_AREA.match(ref)
    if not match:
        return None
    code = match.group(1).upper()
    if len(code) == 9:
        return f"epci:{code}"
    if len(code) == 5:
        return f"commune:{code}"
    return f"departement:{code}"


def map_territories(default: dict[str, Any], warnings: list[str]) -> list[str]:
    refs = partner_values(default.get("geographic_reference"))
    codes: list[str] = []
    for ref in refs:
        code = territory_code(ref)
        if code and code not in codes:
            codes.append(code)
    named = [normalize_name(t) for t in partner_values(default.get("territory"))]
    if not codes and named == ["france"]:
        codes.append("pays:fr")
    if refs and not codes:
        warnings.append(
            bilingual(
                _(
                    "Avertissement : zone géographique Opendatasoft non reconnue "
                    "({value}) : le territoire par défaut de la source ou de "
                    "l'organisation s'applique."
                ),
                value=", ".join(refs)[:200],
            )
        )
    return codes


def map_granularity(value: Any, warnings: list[str]) -> str | None:
    text = _text(value)
    if not text:
        return None
    found = free_text.granularity_code(text)
    if found is None:
        warnings.append(
            bilingual(
                _("Avertissement : granularité « {value} » non reconnue, ignorée."),
                value=text[:100],
            )
        )
    return found
