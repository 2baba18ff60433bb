"""The ``territoire_dcat_ap`` RDF profile: our schema in DCAT-AP 3.

Chained after ckanext-dcat's ``euro_dcat_ap_3`` (``ckanext.dcat.rdf.profiles =
euro_dcat_ap_3 territoire_dcat_ap``). That profile maps CKAN's core fields;
this one replaces what it writes for the properties our schema defines
(territories, themes, frequency, licence, contact, publisher, dates,
identifiers, formats, schemas) so that the result passes the DCAT-AP 3.0.1
SHACL shapes, vocabulary shapes included: each vocabulary value is typed
``skos:Concept`` with its ``skos:inScheme`` and a label.

Identifiers: the dataset URI is ckanext-dcat's id-based one and
``dct:identifier`` is that URI, so neither changes when a dataset is renamed or
edited. A harvested dataset keeps the identifier it has at its source
(``provenance_identifier``), so that portals harvesting both do not duplicate
it; its original page is an ``adms:identifier``.

One dataset's broken metadata never breaks a catalogue: each property is
built on its own, and one that fails is left out with a log line.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import time
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD
from rdflib.term import Node, _is_valid_uri

import ckan.plugins.toolkit as tk

from ckanext.dcat.profiles.base import (
    ADMS,
    DCAT,
    DCT,
    FOAF,
    GEOJSON_IMT,
    GSP,
    LOCN,
    VCARD,
    RDFProfile,
)
from ckanext.dcat.utils import catalog_uri, resource_uri

from ckanext.territoire.logic import bbox
from ckanext.territoire.territories import codes, lookup
from ckanext.territoire.vocabularies import codelists

from . import uris

log = logging.getLogger(__name__)

Triple = tuple[Node, Node, Node]

LANGUAGE_SCHEME = uris.LANGUAGE_SCHEME
FRENCH = uris.EU_AUTHORITY + "language/FRA"

# What euro_dcat_ap_3 writes for properties this profile owns: removed first.
DATASET_PREDICATES = (
    DCT.spatial,
    DCT.publisher,
    DCAT.contactPoint,
    DCAT.theme,
    DCT.accrualPeriodicity,
    DCT.license,
    DCT.identifier,
    ADMS.identifier,
    DCT.issued,
    DCT.modified,
    DCT.temporal,
    DCAT.landingPage,
    DCT.conformsTo,
    DCT.language,
)
DISTRIBUTION_PREDICATES = (
    DCT["format"],
    DCAT.mediaType,
    DCAT.byteSize,
    DCT.license,
    DCT.conformsTo,
    DCAT.accessURL,
    DCAT.downloadURL,
)

# Dataset fields read by this profile only.
OWNED_FIELDS = (
    "territories",
    "themes",
    "frequency",
    "license_id",
    "contact_name",
    "contact_email",
    "issued",
    "modified",
    "temporal_start",
    "temporal_end",
    "provenance_identifier",
    "provenance_url",
    "granularity",
    "spatial_bbox",
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Terms written for nearly every dataset, looked up once: an attribute of
# rdflib's namespaces costs a method call and, for RDF/RDFS/SKOS, a check
# against the vocabulary's term list.
_TYPE = RDF.type
_CONCEPT = SKOS.Concept
_IN_SCHEME = SKOS.inScheme
_CONCEPT_SCHEME = SKOS.ConceptScheme
_PREF_LABEL = SKOS.prefLabel

# Bound on a profile's memo of derived triples (see TerritoireDCATAPProfile):
# past it, the memo starts again empty.
_MEMO_SIZE = 5_000


# ckanext-dcat creates a profile per dataset: organisations are cached for the
# process, briefly (a catalogue page or a dump reads the same few again and
# again; an edited organisation shows within a minute).
_ORG_TTL = 60.0
_ORGS: dict[str, tuple[float, dict[str, Any] | None]] = {}


def _organization(org_id: str) -> dict[str, Any] | None:
    hit = _ORGS.get(org_id)
    if hit is not None and time.monotonic() - hit[0] < _ORG_TTL:
        return hit[1]
    try:
        found: dict[str, Any] | None = tk.get_action("organization_show")(
            {"ignore_auth": True},
            {
                "id": org_id,
                "include_datasets": False,
                "include_users": False,
                "include_dataset_count": False,
                "include_followers": False,
                "include_groups": False,
                "include_tags": False,
            },
        )
    except tk.ObjectNotFound:
        found = None
    _ORGS[org_id] = (time.monotonic(), found)
    return found


@functools.lru_cache(maxsize=4096)
def _concept_triples(
    uri: str, scheme: str, labels: tuple[tuple[str, str], ...]
) -> tuple[Triple, ...]:
    """A vocabulary value as a ``skos:Concept`` of its scheme, with its labels.

    Cached for the process: the result depends on the arguments and on the
    code lists shipped with the package only.
    """
    ref, scheme_ref = URIRef(uri), URIRef(scheme)
    out: list[Triple] = [
        (ref, _TYPE, _CONCEPT),
        (ref, _IN_SCHEME, scheme_ref),
        (scheme_ref, _TYPE, _CONCEPT_SCHEME),
    ]
    for lang, label in labels:
        out.append((ref, _PREF_LABEL, Literal(label, lang=lang)))
    scheme_label = uris.scheme_labels().get(scheme)
    if scheme_label:
        out.append((scheme_ref, DCT.title, Literal(scheme_label, lang="en")))
    return tuple(out)


class TerritoireDCATAPProfile(RDFProfile):
    """DCAT-AP 3 for the territorial schema (``territoire_dcat_ap``).

    What a value turns into (a territory's place, a licence, a file type) is
    kept in ``_memo`` for the profile's life: one dataset when ckanext-dcat's
    serializer creates the profile, a whole dump when the dump reuses it
    (``ckanext.territoire.dcat.dump``). Only what depends on the value and on
    data that a dump reads as a snapshot anyway (territories, code lists) is
    kept; organisations are not.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._memo: dict[tuple[Any, ...], Any] = {}

    def _memoised(
        self, key: tuple[Any, ...], build: Callable[..., Any], *args: Any
    ) -> Any:
        """``build(*args)``, kept under ``key`` (an exception is not kept)."""
        try:
            return self._memo[key]
        except KeyError:
            pass
        value = build(*args)
        if len(self._memo) >= _MEMO_SIZE:
            self._memo.clear()
        self._memo[key] = value
        return value

    # Serialisation -------------------------------------------------------------

    def graph_from_dataset(
        self, dataset_dict: dict[str, Any], dataset_ref: Node
    ) -> None:
        site_url = catalog_uri().rstrip("/")
        resources: list[tuple[dict[str, Any], URIRef]] = []
        for resource in dataset_dict.get("resources") or []:
            try:
                resources.append((resource, URIRef(resource_uri(resource))))
            except Exception as exc:  # noqa: BLE001 — never break the catalogue
                self._skip(dataset_dict, "distribution", exc)
        # What euro_dcat_ap_3 wrote for the properties this profile owns is
        # removed before anything of ours is added.
        self._drop(dataset_ref, DATASET_PREDICATES)
        for _resource, dist in resources:
            self._drop(dist, DISTRIBUTION_PREDICATES)

        d, ref = dataset_dict, dataset_ref
        steps: list[tuple[str, Callable[[], Iterable[Triple]]]] = [
            ("identifier", lambda: self._identifiers(d, ref)),
            ("landingPage", lambda: self._landing_page(d, ref, site_url)),
            ("dates", lambda: self._dates(d, ref)),
            ("temporal", lambda: self._temporal(d, ref)),
            ("spatial", lambda: self._spatial(d, ref, site_url)),
            ("theme", lambda: self._themes(d, ref)),
            ("frequency", lambda: self._frequency(d, ref)),
            ("license", lambda: self._dataset_licence(d, ref)),
            ("contactPoint", lambda: self._contact(d, ref)),
            ("publisher", lambda: self._publisher(d, ref, site_url)),
        ]
        for resource, dist in resources:
            steps.append(
                (
                    f"distribution {resource.get('id')}",
                    functools.partial(self._distribution, d, resource, dist, site_url),
                )
            )
        triples: list[Triple] = []
        for name, step in steps:
            self._run(d, name, step, triples)
        # The same concept (a licence, a scheme, a format) comes back for
        # each value or distribution that names it: added once.
        add = self.g.add
        for triple in dict.fromkeys(triples):
            add(triple)

    def graph_from_catalog(
        self, catalog_dict: dict[str, Any] | None, catalog_ref: Node
    ) -> None:
        g = self.g
        # euro_dcat_ap_3 writes the locale ("fr") as a literal; DCAT-AP wants
        # the EU language authority.
        self._drop(catalog_ref, (DCT.language,))
        lang = URIRef(FRENCH)
        for triple in self._concept(lang, LANGUAGE_SCHEME, {"fr": "français"}):
            g.add(triple)
        g.add((lang, RDF.type, DCT.LinguisticSystem))
        g.add((catalog_ref, DCT.language, lang))

        for page in g.objects(catalog_ref, FOAF.homepage):
            g.add((page, RDF.type, FOAF.Document))

        themes = URIRef(codelists.scheme_of(codelists.THEMES))
        g.add((catalog_ref, DCAT.themeTaxonomy, themes))
        g.add((themes, RDF.type, SKOS.ConceptScheme))
        label = codelists.scheme_label(codelists.THEMES)
        g.add((themes, DCT.title, Literal(label, lang="en")))

        # The catalogue's publisher (mandatory): the portal itself
        if (catalog_ref, DCT.publisher, None) not in g:
            agent = URIRef(f"{catalog_uri().rstrip('/')}/#publisher")
            name = tk.config.get("ckan.site_title") or catalog_uri()
            g.add((catalog_ref, DCT.publisher, agent))
            g.add((agent, RDF.type, FOAF.Agent))
            g.add((agent, RDF.type, FOAF.Organization))
            g.add((agent, FOAF.name, Literal(name)))

    def _run(
        self,
        dataset_dict: dict[str, Any],
        name: str,
        step: Callable[[], Iterable[Triple]],
        out: list[Triple],
    ) -> None:
        """Append what ``step`` yields to ``out``; nothing of it if it fails."""
        try:
            triples = list(step())
        except Exception as exc:  # noqa: BLE001 — never break the catalogue
            self._skip(dataset_dict, name, exc)
            return
        out += triples

    def _skip(self, dataset_dict: dict[str, Any], name: str, exc: Exception) -> None:
        log.warning(
            "DCAT: dataset %s: %s left out: %s: %s",
            dataset_dict.get("id") or dataset_dict.get("name"),
            name,
            type(exc).__name__,
            exc,
        )

    def _drop(self, subject: Node, predicates: Iterable[Node]) -> None:
        """Remove ``subject p *`` for each of ``predicates``, with the blank
        nodes only reachable from there."""
        g = self.g
        wanted = frozenset(predicates)
        found = [(p, o) for p, o in g.predicate_objects(subject) if p in wanted]
        for p, obj in found:
            g.remove((subject, p, obj))
        for _p, obj in found:
            if isinstance(obj, BNode) and (None, None, obj) not in g:
                self._drop(obj, list(g.predicates(obj, None)))

    # Building blocks ------------------------------------------------------------

    @staticmethod
    def _concept(uri: URIRef, scheme: str, labels: dict[str, str]) -> list[Triple]:
        return list(_concept_triples(str(uri), scheme, tuple(labels.items())))

    @staticmethod
    def _uri(value: str) -> URIRef:
        value = value.strip()
        if not value or not _is_valid_uri(value) or ":" not in value:
            raise ValueError(f"not a valid URI: {value!r}")
        return URIRef(value)

    @staticmethod
    def _date(value: Any) -> Literal | None:
        if not value:
            return None
        if isinstance(value, dt.datetime):
            return Literal(value.isoformat(), datatype=XSD.dateTime)
        text = str(value).strip()
        if _DATE.match(text):
            dt.date.fromisoformat(text)
            return Literal(text, datatype=XSD.date)
        parsed = dt.datetime.fromisoformat(text)
        return Literal(parsed.isoformat(), datatype=XSD.dateTime)

    def _org(self, dataset_dict: dict[str, Any]) -> dict[str, Any] | None:
        org = dataset_dict.get("organization") or {}
        org_id = org.get("id") or dataset_dict.get("owner_org")
        if not org_id:
            return None
        return _organization(org_id)

    # Dataset properties ---------------------------------------------------------

    def _identifiers(self, d: dict[str, Any], ref: Node) -> list[Triple]:
        original = (d.get("provenance_identifier") or "").strip()
        out: list[Triple] = [(ref, DCT.identifier, Literal(original or str(ref)))]
        url = (d.get("provenance_url") or "").strip()
        if url:
            ident = BNode()
            out += [
                (ref, ADMS.identifier, ident),
                (ident, _TYPE, ADMS.Identifier),
                (ident, SKOS.notation, Literal(url, datatype=XSD.anyURI)),
            ]
        return out

    def _landing_page(
        self, d: dict[str, Any], ref: Node, site_url: str
    ) -> list[Triple]:
        page = URIRef(f"{site_url}/dataset/{d['id']}")
        return [(ref, DCAT.landingPage, page), (page, _TYPE, FOAF.Document)]

    def _dates(self, d: dict[str, Any], ref: Node) -> list[Triple]:
        out: list[Triple] = []
        for key, fallback, predicate in (
            ("issued", "metadata_created", DCT.issued),
            ("modified", "metadata_modified", DCT.modified),
        ):
            try:
                value = self._date(d.get(key))
            except ValueError as exc:
                self._skip(d, key, exc)
                value = None
            if value is None:
                value = self._date(d.get(fallback))
            if value is not None:
                out.append((ref, predicate, value))
        return out

    def _temporal(self, d: dict[str, Any], ref: Node) -> list[Triple]:
        start, end = (
            self._date(d.get("temporal_start")),
            self._date(d.get("temporal_end")),
        )
        if start is None and end is None:
            return []
        period = BNode()
        out: list[Triple] = [
            (ref, DCT.temporal, period),
            (period, _TYPE, DCT.PeriodOfTime),
        ]
        if start is not None:
            out.append((period, DCAT.startDate, start))
        if end is not None:
            out.append((period, DCAT.endDate, end))
        return out

    def _place(
        self, code: str, site_url: str
    ) -> tuple[URIRef, tuple[Triple, ...]] | None:
        """A territory's ``dct:Location`` and its description (None: unknown)."""
        uri = uris.territory_uri(code, site_url)
        if uri is None:
            return None
        place = URIRef(uri)
        territory = lookup.get(codes.canonical(code) or "")
        name = territory.label if territory else code
        label = Literal(name, lang="fr")
        out: list[Triple] = [
            (place, _TYPE, DCT.Location),
            (place, _PREF_LABEL, label),
            (place, RDFS.label, label),
        ]
        if uri == uris.FRANCE_URI:
            out += self._concept(place, uris.COUNTRY_SCHEME, {})
        elif territory:
            out.append((place, SKOS.notation, Literal(territory.insee)))
        return place, tuple(out)

    def _spatial(self, d: dict[str, Any], ref: Node, site_url: str) -> list[Triple]:
        # Territories are named places (the COG file has no geometry); the
        # dataset's extent, when known, is a place of its own: data.gouv.fr
        # reads only geometries, other harvesters the URIs and labels.
        out: list[Triple] = []
        if d.get("spatial_bbox"):
            out += self._extent(d["spatial_bbox"], ref)
        for value in d.get("territories") or []:
            code = str(value)
            found = self._memoised(
                ("place", code, site_url), self._place, code, site_url
            )
            if found is None:
                log.warning(
                    "DCAT: dataset %s: territory %r left out", d.get("id"), code
                )
                continue
            place, description = found
            out.append((ref, DCT.spatial, place))
            out += description
        return out

    @staticmethod
    def _extent(value: str, ref: Node) -> list[Triple]:
        """The extent as a ``dct:Location``: its box (``dcat:bbox``) and
        centroid in WKT, and the box as GeoJSON ``locn:geometry`` (the form
        ckanext-dcat and udata read back)."""
        box = bbox.parse(value)
        place = BNode()
        out: list[Triple] = [
            (ref, DCT.spatial, place),
            (place, _TYPE, DCT.Location),
            (place, LOCN.geometry, Literal(box.geojson(), datatype=GEOJSON_IMT)),
            (
                place,
                DCAT.centroid,
                Literal(box.centroid_wkt(), datatype=GSP.wktLiteral),
            ),
        ]
        if not box.is_point:
            out.append((place, DCAT.bbox, Literal(box.wkt(), datatype=GSP.wktLiteral)))
        return out

    def _themes(self, d: dict[str, Any], ref: Node) -> list[Triple]:
        out: list[Triple] = []
        for code in d.get("themes") or []:
            concept = codelists.theme(code)
            if concept is None:
                log.warning("DCAT: dataset %s: theme %r left out", d.get("id"), code)
                continue
            uri = URIRef(concept.uri)
            out.append((ref, DCAT.theme, uri))
            out += self._concept(uri, concept.scheme, concept.labels)
        return out

    def _frequency(self, d: dict[str, Any], ref: Node) -> list[Triple]:
        code = d.get("frequency")
        if not code:
            return []
        concept = codelists.frequency(code)
        if concept is None:
            raise ValueError(f"unknown frequency {code!r}")
        uri = URIRef(concept.uri)
        return [
            (ref, DCT.accrualPeriodicity, uri),
            (uri, _TYPE, DCT.Frequency),
            *self._concept(uri, concept.scheme, concept.labels),
        ]

    def _licence(
        self, license_id: str | None, url: str | None
    ) -> tuple[URIRef, tuple[Triple, ...]] | None:
        """The licence document of a dataset and its description (None: none)."""
        lic = codelists.licence(license_id)
        if lic is None:
            if not url:
                return None
            # "other" and unknown ids: the licence document the dataset names
            uri = self._uri(url)
            return uri, ((uri, _TYPE, DCT.LicenseDocument),)
        uri = URIRef(lic.uri)
        out: list[Triple] = [
            (uri, _TYPE, DCT.LicenseDocument),
            (uri, RDFS.label, Literal(lic.label)),
        ]
        if lic.scheme:
            out += self._concept(uri, lic.scheme, {"en": lic.label})
        return uri, tuple(out)

    def _licence_triples(self, d: dict[str, Any], subject: Node) -> list[Triple]:
        license_id, url = d.get("license_id"), d.get("license_url")
        found = self._memoised(
            ("licence", license_id, url), self._licence, license_id, url
        )
        if found is None:
            return []
        uri, description = found
        return [(subject, DCT.license, uri), *description]

    def _dataset_licence(self, d: dict[str, Any], ref: Node) -> list[Triple]:
        return self._licence_triples(d, ref)

    def _contact(self, d: dict[str, Any], ref: Node) -> list[Triple]:
        name = (d.get("contact_name") or "").strip()
        email = (d.get("contact_email") or "").strip()
        if not (name or email):
            return []
        contact = BNode()
        out: list[Triple] = [
            (ref, DCAT.contactPoint, contact),
            (contact, _TYPE, VCARD.Organization),
            (contact, _TYPE, VCARD.Kind),
        ]
        if name:
            out.append((contact, VCARD.fn, Literal(name)))
        if email:
            address = email.removeprefix("mailto:")
            if "@" not in address or " " in address:
                raise ValueError(f"not an e-mail address: {email!r}")
            out.append((contact, VCARD.hasEmail, self._uri("mailto:" + address)))
        return out

    def _publisher(self, d: dict[str, Any], ref: Node, site_url: str) -> list[Triple]:
        org = self._org(d)
        if not org:
            return []
        agent = URIRef(f"{site_url}/organization/{org['id']}")
        for p in list(self.g.predicates(agent, None)):
            self.g.remove((agent, p, None))
        out: list[Triple] = [
            (ref, DCT.publisher, agent),
            (agent, _TYPE, FOAF.Agent),
            (agent, _TYPE, FOAF.Organization),
            (agent, FOAF.name, Literal(org.get("title") or org["name"])),
        ]
        if org.get("siren"):
            out.append((agent, DCT.identifier, Literal(org["siren"])))
        if org.get("website"):
            page = self._uri(org["website"])
            out += [(agent, FOAF.homepage, page), (page, _TYPE, FOAF.Document)]
        kind = codelists.publisher_type(org.get("kind"), org.get("territory"))
        if kind is not None:
            uri = URIRef(kind.uri)
            out.append((agent, DCT.type, uri))
            out += self._concept(uri, kind.scheme, kind.labels)
        return out

    # Distributions --------------------------------------------------------------

    def _file_type(
        self, fmt: str | None, mimetype: str | None
    ) -> tuple[tuple[tuple[Node, Node], ...], tuple[Triple, ...]] | None:
        """A distribution's EU file type (None: none): its ``(predicate,
        object)`` pairs from the distribution, and the description of those
        objects."""
        ft = codelists.file_type(fmt) or codelists.file_type(mimetype)
        if ft is None:
            return None
        uri = URIRef(ft.uri)
        links: list[tuple[Node, Node]] = [(DCT["format"], uri)]
        described: list[Triple] = [(uri, _TYPE, DCT.MediaTypeOrExtent)]
        described += self._concept(uri, ft.scheme, {"en": ft.label})
        if ft.media_type_uri:
            media = URIRef(ft.media_type_uri)
            links.append((DCAT.mediaType, media))
            described.append((media, _TYPE, DCT.MediaType))
        return tuple(links), tuple(described)

    def _distribution(
        self,
        d: dict[str, Any],
        resource: dict[str, Any],
        dist: URIRef,
        site_url: str,
    ) -> list[Triple]:
        out: list[Triple] = []
        url = (resource.get("url") or "").strip()
        if url:
            try:
                link = self._uri(url)
            except ValueError as exc:
                self._skip(d, f"distribution {resource.get('id')} URL", exc)
            else:
                out += [
                    (dist, DCAT.accessURL, link),
                    (dist, DCAT.downloadURL, link),
                    (link, _TYPE, RDFS.Resource),
                ]
        if not url or not out:
            # accessURL is mandatory: the resource page stands in for it
            page = URIRef(f"{site_url}/dataset/{d['id']}/resource/{resource['id']}")
            out.append((dist, DCAT.accessURL, page))

        fmt, mimetype = resource.get("format"), resource.get("mimetype")
        file_type = self._memoised(
            ("file-type", fmt, mimetype), self._file_type, fmt, mimetype
        )
        if file_type is not None:
            links, described = file_type
            out += [(dist, p, o) for p, o in links]
            out += described
        elif fmt:
            log.info(
                "DCAT: dataset %s: format %r has no EU file type", d.get("id"), fmt
            )

        size = resource.get("size")
        if size not in (None, ""):
            try:
                number = Decimal(str(size))
            except InvalidOperation:
                number = Decimal(-1)
            if number < 0 or number != number.to_integral_value():
                log.warning("DCAT: dataset %s: size %r left out", d.get("id"), size)
            else:
                out.append(
                    (
                        dist,
                        DCAT.byteSize,
                        Literal(int(number), datatype=XSD.nonNegativeInteger),
                    )
                )

        schema = (resource.get("schema") or "").strip()
        if schema:
            version = resource.get("schema_version")
            standard = URIRef(uris.schema_url(schema, version))
            out += [
                (dist, DCT.conformsTo, standard),
                (standard, _TYPE, DCT.Standard),
            ]

        out += self._licence_triples(d, dist)
        return out

    # Parsing --------------------------------------------------------------------

    def parse_dataset(
        self, dataset_dict: dict[str, Any], dataset_ref: Node
    ) -> dict[str, Any]:
        # euro_dcat_ap_3 puts what it does not know into free extras, which our
        # schema does not have: what we map is read again below.
        # except the URI, which ckanext-dcat's harvester takes as the record's
        # identity (its guid): without it the guid would follow the title
        dataset_dict["extras"] = (
            [{"key": "uri", "value": str(dataset_ref)}]
            if isinstance(dataset_ref, URIRef)
            else []
        )
        # euro_dcat_ap_3 also fills the fields of our schema with the raw
        # values (URIs): only what we can map is kept.
        for key in OWNED_FIELDS:
            dataset_dict.pop(key, None)
        readers: list[tuple[str, Callable[[], None]]] = [
            ("spatial", lambda: self._read_spatial(dataset_dict, dataset_ref)),
            ("theme", lambda: self._read_themes(dataset_dict, dataset_ref)),
            ("frequency", lambda: self._read_frequency(dataset_dict, dataset_ref)),
            ("license", lambda: self._read_licence(dataset_dict, dataset_ref)),
            ("contactPoint", lambda: self._read_contact(dataset_dict, dataset_ref)),
            ("dates", lambda: self._read_dates(dataset_dict, dataset_ref)),
            ("identifier", lambda: self._read_identifiers(dataset_dict, dataset_ref)),
        ]
        for name, reader in readers:
            try:
                reader()
            except Exception as exc:  # noqa: BLE001 — tolerate what others publish
                log.warning("DCAT: reading %s: %s left out: %s", dataset_ref, name, exc)
        for resource in dataset_dict.get("resources") or []:
            try:
                self._read_distribution(resource)
            except Exception as exc:  # noqa: BLE001
                log.warning(
                    "DCAT: reading %s: distribution left out: %s", dataset_ref, exc
                )
        return dataset_dict

    def _read_spatial(self, d: dict[str, Any], ref: Node) -> None:
        found = []
        for place in self.g.objects(ref, DCT.spatial):
            code = (
                uris.territory_code(str(place)) if isinstance(place, URIRef) else None
            )
            if code and code not in found:
                found.append(code)
            if "spatial_bbox" not in d:
                extent = self._read_extent(place)
                if extent:
                    d["spatial_bbox"] = extent
        if found:
            d["territories"] = found

    def _read_extent(self, place: Node) -> str | None:
        """The box of a place's ``dcat:bbox`` or ``locn:geometry`` (WKT or
        GeoJSON), if one can be read."""
        for predicate in (DCAT.bbox, LOCN.geometry):
            for value in self.g.objects(place, predicate):
                try:
                    return bbox.parse(str(value)).text()
                except bbox.BBoxError:
                    log.info("DCAT: unreadable %s %.80r", predicate, str(value))
        return None

    def _read_themes(self, d: dict[str, Any], ref: Node) -> None:
        found = []
        for uri in self.g.objects(ref, DCAT.theme):
            code = codelists.theme_from_uri(str(uri))
            if code and code not in found:
                found.append(code)
        if found:
            d["themes"] = found

    def _read_frequency(self, d: dict[str, Any], ref: Node) -> None:
        for uri in self.g.objects(ref, DCT.accrualPeriodicity):
            code = codelists.frequency_from_uri(str(uri))
            if code:
                d["frequency"] = code
                return

    def _read_licence(self, d: dict[str, Any], ref: Node) -> None:
        candidates = list(self.g.objects(ref, DCT.license))
        for dist in self.g.objects(ref, DCAT.distribution):
            candidates += list(self.g.objects(dist, DCT.license))
        for uri in candidates:
            license_id = codelists.licence_from_uri(str(uri))
            if license_id:
                d["license_id"] = license_id
                return
        if candidates:
            d["license_id"] = "other"

    def _read_contact(self, d: dict[str, Any], ref: Node) -> None:
        for contact in self.g.objects(ref, DCAT.contactPoint):
            name = self._object_value(contact, VCARD.fn)
            email = self._object_value(contact, VCARD.hasEmail)
            if name:
                d["contact_name"] = name
            if email:
                d["contact_email"] = email.removeprefix("mailto:")
            if name or email:
                return

    def _read_dates(self, d: dict[str, Any], ref: Node) -> None:
        for key, subject, predicate in (
            ("issued", ref, DCT.issued),
            ("modified", ref, DCT.modified),
        ):
            value = self._object_value(subject, predicate)
            if value:
                d[key] = value[:10]
        for period in self.g.objects(ref, DCT.temporal):
            for key, predicate in (
                ("temporal_start", DCAT.startDate),
                ("temporal_end", DCAT.endDate),
            ):
                value = self._object_value(period, predicate)
                if value:
                    d[key] = value[:10]

    def _read_identifiers(self, d: dict[str, Any], ref: Node) -> None:
        identifier = self._object_value(ref, DCT.identifier)
        d["provenance_identifier"] = identifier or str(ref)
        page = self._object_value(ref, DCAT.landingPage)
        if page:
            d["provenance_url"] = page

    def _read_distribution(self, resource: dict[str, Any]) -> None:
        dist = (
            URIRef(resource["distribution_ref"])
            if resource.get("distribution_ref")
            else None
        )
        for key in ("distribution_ref", "uri", "access_url", "download_url", "license"):
            resource.pop(key, None)
        if dist is None:
            return
        for uri in self.g.objects(dist, DCT["format"]):
            ft = codelists.file_type_from_uri(str(uri))
            if ft:
                resource["format"] = ft.ckan_format
                break
        for uri in self.g.objects(dist, DCT.conformsTo):
            schema = uris.schema_from_url(str(uri))
            if schema:
                resource["schema"], version = schema
                if version:
                    resource["schema_version"] = version
                resource.pop("conforms_to", None)
                break
