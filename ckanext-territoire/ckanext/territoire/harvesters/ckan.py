"""CKAN portals, through their action API (``package_search``).

Reads a remote CKAN the way ckanext-harvest's CKAN harvester does
(``/api/3/action/package_search``, ``rows`` + ``start``, sorted by id), with
its usual filters (``fq``, ``organizations``), but on our base: the remote
``id`` is the identity, unchanged datasets are skipped, datasets deleted or
made private at the source (which ``package_search`` no longer lists) are
withdrawn after the grace period — ckanext-harvest's own harvester leaves
them published — and every request goes through ``SafeHTTP``.

A remote portal running our schema (another territoire portal) is read field
for field; a stock CKAN is mapped from its core fields and usual extras.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ckanext.territoire.vocabularies.partners import license_from_ckan

from .base import RecordError, RemoteDataset, Source, TerritoireHarvester
from .http import HarvestHTTPError, SafeHTTP
from .messages import _, bilingual

# fields of our schema copied as they are from a remote territoire portal
SAME_SCHEMA_FIELDS = (
    "territories",
    "granularity",
    "temporal_start",
    "temporal_end",
    "frequency",
    "themes",
    "contact_name",
    "contact_email",
    "issued",
    "modified",
)
RESOURCE_FIELDS = ("url", "name", "description", "format", "schema", "schema_version")


class TerritoireCKANHarvester(TerritoireHarvester):
    source_type = "territoire_ckan"
    notes_format = "markdown"
    titles = {"fr": "Portail CKAN", "en": "CKAN portal"}
    descriptions = {
        "fr": "Moissonne un portail CKAN (API action, package_search) ; les jeux "
        "supprimés à la source sont retirés.",
        "en": "Harvests a CKAN portal (action API, package_search); datasets "
        "deleted at the source are withdrawn.",
    }
    config_properties = {
        "fq": {"type": "string"},
        "organizations": {"type": "array", "items": {"type": "string"}},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 1000},
    }

    def _api(self, source: Source) -> str:
        base = source.url.rstrip("/")
        for suffix in ("/api/3/action/package_search", "/api/3/action", "/api/3"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        return base + "/api/3/action/package_search"

    def gather_remote(self, source: Source, http: SafeHTTP) -> Iterable[RemoteDataset]:
        return list(self._pages(source, http))

    def _pages(self, source: Source, http: SafeHTTP) -> Iterator[RemoteDataset]:
        url = self._api(source)
        rows = int(source.config.get("page_size") or 100)
        fq = [source.config["fq"]] if source.config.get("fq") else []
        orgs = source.config.get("organizations") or []
        if orgs:
            fq.append("organization:(" + " OR ".join(f'"{o}"' for o in orgs) + ")")
        seen: set[str] = set()
        start = 0
        while True:
            params = {"rows": rows, "start": start, "sort": "id asc"}
            if fq:
                params["fq"] = " AND ".join(f"({f})" for f in fq)
            body = http.get_json(url, params)
            result = _result(body, url)
            page = result.get("results")
            if not isinstance(page, list):
                raise HarvestHTTPError(
                    _(
                        "Réponse inattendue de {url} : « result.results » manque. "
                        "L'adresse est-elle celle d'un portail CKAN ?"
                    ),
                    url=url,
                )
            for dataset in page:
                if not isinstance(dataset, dict):
                    continue
                remote_id = str(dataset.get("id") or "")
                # a dataset saved during the run can move between pages
                if remote_id and remote_id in seen:
                    continue
                seen.add(remote_id)
                yield RemoteDataset(remote_id=remote_id, payload=dataset)
            start += len(page)
            if not page or start >= int(result.get("count") or 0):
                return

    def original_url(self, payload: dict[str, Any]) -> str | None:
        return payload.get("territoire_source_page")

    def to_package(
        self, payload: dict[str, Any], source: Source, warnings: list[str]
    ) -> dict[str, Any]:
        if not payload.get("title") and not payload.get("name"):
            raise RecordError(
                _("Jeu de données sans titre ni nom (id {id}) : ignoré."),
                id=payload.get("id"),
            )
        base = source.url.rstrip("/").split("/api/")[0]
        pkg: dict[str, Any] = {
            "title": payload.get("title") or payload.get("name"),
            "notes": payload.get("notes") or "",
            "tags": [t.get("name") for t in payload.get("tags") or [] if t.get("name")],
            "provenance_identifier": payload.get("id"),
            "provenance_url": f"{base}/dataset/{payload.get('name') or payload['id']}",
        }
        if payload.get("territories"):  # a portal with our schema
            for key in SAME_SCHEMA_FIELDS:
                if payload.get(key) not in (None, "", []):
                    pkg[key] = payload[key]
            if payload.get("provenance_identifier"):
                pkg["provenance_identifier"] = payload["provenance_identifier"]
        else:
            extras = {
                e.get("key"): e.get("value")
                for e in payload.get("extras") or []
                if isinstance(e, dict)
            }
            name = payload.get("maintainer") or payload.get("author")
            email = payload.get("maintainer_email") or payload.get("author_email")
            if name:
                pkg["contact_name"] = name
            if email:
                pkg["contact_email"] = email
            created = payload.get("metadata_created") or extras.get("issued")
            modified = extras.get("modified") or payload.get("metadata_modified")
            if created:
                pkg["issued"] = str(created)[:10]
            if modified:
                pkg["modified"] = str(modified)[:10]
        license_id = license_from_ckan(
            payload.get("license_id") or "",
            payload.get("license_title") or "",
            payload.get("license_url") or "",
        )
        if license_id:
            pkg["license_id"] = license_id
        elif payload.get("license_id"):
            pkg["license_id"] = "other"
            warnings.append(
                bilingual(
                    _("Avertissement : licence « {value} » inconnue, notée « autre »."),
                    value=payload.get("license_title") or payload["license_id"],
                )
            )
        pkg["resources"] = [
            {k: r[k] for k in RESOURCE_FIELDS if r.get(k) not in (None, "")}
            | ({"size": r["size"]} if isinstance(r.get("size"), int) else {})
            for r in payload.get("resources") or []
            if isinstance(r, dict) and r.get("url")
        ]
        return pkg


def _result(body: Any, url: str) -> dict[str, Any]:
    """The ``result`` of a CKAN API envelope; ``success: false`` is an error."""
    if not isinstance(body, dict):
        raise HarvestHTTPError(
            _("Réponse inattendue de {url} : ce n'est pas une réponse de l'API CKAN."),
            url=url,
        )
    if body.get("success") is False:
        error = body.get("error") or {}
        raise HarvestHTTPError(
            _(
                "L'API CKAN de {url} a refusé la requête : {message}. Vérifiez "
                "les options fq et organizations de la source."
            ),
            url=url,
            message=(error.get("message") if isinstance(error, dict) else error) or "?",
        )
    result = body.get("result")
    if not isinstance(result, dict):
        raise HarvestHTTPError(
            _("Réponse inattendue de {url} : ce n'est pas une réponse de l'API CKAN."),
            url=url,
        )
    return result
