"""DCAT feeds: ckanext-dcat's RDF harvester, with our rules through its hooks.

``territoire_dcat_rdf`` is ckanext-dcat's ``DCATRDFHarvester`` (download,
Hydra paging, parsing with the configured profiles, which include ours and so
map INSEE URIs and EU vocabularies to our fields) plus, through the
``IDCATRDFHarvester`` hooks and two overrides, what every harvester of ours
does:

- the source URL is checked before each download and every connection of
  ckanext-dcat's requests session goes through our address guard (redirects
  included), with a timeout;
- XML is checked before rdflib sees it: no external entity, no nested entity
  (the shape of entity bombs);
- a record whose content has not changed is skipped without a write;
- a record gone from the feed is withdrawn after the grace period, never
  deleted (ckanext-dcat deletes it at once); a feed that suddenly lists
  nothing withdraws nothing;
- duplicate identifiers within a run are item errors; a failed gather leaves
  no half-gathered objects;
- harvested metadata is completed like the other harvesters' (owner
  organisation, Markdown, tags, territories) and recorded in
  ``territoire_harvest_record``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import xml.parsers.expat
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import RDFS, SKOS
from rdflib.term import Node

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.dcat.harvesters.rdf import DCATRDFHarvester
from ckanext.dcat.interfaces import IDCATRDFHarvester
from ckanext.dcat.profiles.base import DCAT
from ckanext.harvest.model import (
    HarvestGatherError,
    HarvestJob,
    HarvestObject,
    HarvestObjectError,
)

from ckanext.territoire import compat
from ckanext.territoire.dcat import uris
from ckanext.territoire.vocabularies import codelists, free_text

from . import records
from .base import Source as HarvestSource
from .base import (
    _lang,
    complete_package,
    content_hash,
    duplicate_id_message,
    empty_listing_message,
    settle_missing,
)
from .http import HarvestHTTPError, check_url, guard
from .messages import _, bilingual
from .sources import check_source_config

log = logging.getLogger(__name__)

SOURCE_TYPE = "territoire_dcat_rdf"
MAPPING_VERSION = 1
MAX_ENTITIES = 64


def xml_problem(content: str) -> str | None:
    """Why this XML must not be parsed, or None (not XML, or harmless)."""
    head = content.lstrip("\ufeff \t\r\n")[:1]
    if head != "<":
        return None
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    problems: list[str] = []
    count = 0

    def entity_decl(
        name: str,
        is_parameter: int,
        value: str | None,
        base: str | None,
        system_id: str | None,
        public_id: str | None,
        notation: str | None,
    ) -> None:
        nonlocal count
        count += 1
        if system_id or public_id or is_parameter:
            problems.append(
                bilingual(
                    _(
                        "Le document XML déclare une entité externe (« {name} ») : "
                        "il est refusé, aucune ressource externe n'est lue."
                    ),
                    name=name,
                )
            )
        elif value and "&" in value:
            problems.append(
                bilingual(
                    _(
                        "Le document XML déclare des entités imbriquées (« {name} »), "
                        "la forme des « bombes XML » : il est refusé."
                    ),
                    name=name,
                )
            )
        elif count > MAX_ENTITIES:
            problems.append(
                bilingual(
                    _("Le document XML déclare plus de {n} entités : il est refusé."),
                    n=MAX_ENTITIES,
                )
            )
        if problems:
            raise _Stop()

    def external_ref(*_args: Any) -> int:
        problems.append(
            bilingual(_("Le document XML appelle une entité externe : il est refusé."))
        )
        return 0

    parser.EntityDeclHandler = entity_decl
    parser.ExternalEntityRefHandler = external_ref
    try:
        parser.Parse(content.encode("utf-8"), True)
    except _Stop:
        pass
    except xml.parsers.expat.ExpatError as e:
        if problems:
            return problems[0]
        return bilingual(
            _("Le document RDF/XML est malformé ({error}) : il est refusé."),
            error=e,
        )
    return problems[0] if problems else None


class _Stop(Exception):
    pass


def _label(g: Graph, node: Node) -> str:
    for predicate in (SKOS.prefLabel, RDFS.label, DCT.title):
        for value in g.objects(node, predicate):
            return str(value)
    if isinstance(node, URIRef):
        text = str(node)
        query = parse_qs(urlsplit(text).query)
        for key in ("refine.theme", "theme"):
            if query.get(key):
                return query[key][0]
        # a phrase used as an IRI, possibly resolved against the document URL
        return unquote(text.rstrip("/").rsplit("/", 1)[-1])
    return str(node)


def normalise_graph(g: Graph) -> None:
    """Rewrite partner values we can recognise as the URIs our profile reads.

    Opendatasoft's DCAT export (and others) use free text where DCAT-AP wants
    EU vocabulary URIs: frequencies such as ``rdf:about="En continu"``, themes
    as portal search URLs labelled "Transports, Déplacements", licences as a
    PDF's URL, a place as a phrase. Each is mapped through the same
    recognisers as the Opendatasoft harvester (``vocabularies.free_text``);
    what cannot be mapped is left for the profile to ignore.
    """
    for subject, value in list(g.subject_objects(DCT.accrualPeriodicity)):
        if codelists.frequency_from_uri(str(value)):
            continue
        code = free_text.frequency_code(_label(g, value))
        concept = codelists.frequency(code) if code else None
        if concept:
            g.remove((subject, DCT.accrualPeriodicity, value))
            g.add((subject, DCT.accrualPeriodicity, URIRef(concept.uri)))
    for subject, value in list(g.subject_objects(DCAT.theme)):
        if codelists.theme_from_uri(str(value)):
            continue
        found = [codelists.theme(c) for c in free_text.theme_codes(_label(g, value))]
        if any(found):
            g.remove((subject, DCAT.theme, value))
        for concept in found:
            if concept:
                g.add((subject, DCAT.theme, URIRef(concept.uri)))
    for subject, value in list(g.subject_objects(DCT.license)):
        if codelists.licence_from_uri(str(value)):
            continue
        label = _label(g, value)
        license_id = free_text.license_code(label) or free_text.license_code(str(value))
        known = codelists.licence(license_id) if license_id else None
        if known:
            g.remove((subject, DCT.license, value))
            g.add((subject, DCT.license, URIRef(known.uri)))
    for subject, value in list(g.subject_objects(DCT.spatial)):
        if isinstance(value, URIRef) and uris.territory_code(str(value)):
            continue
        if _label(g, value).strip().lower().startswith("france"):
            g.remove((subject, DCT.spatial, value))
            g.add((subject, DCT.spatial, URIRef(uris.FRANCE_URI)))


class TerritoireDCATRDFHarvester(compat.SyncsPatches, DCATRDFHarvester):
    p.implements(IDCATRDFHarvester, inherit=True)
    p.implements(p.IConfigurer, inherit=True)
    p.implements(p.IPluginObserver, inherit=True)

    def update_config(self, config: Any) -> None:
        compat.sync()

    config_properties = {"rdf_format": {"type": "string"}}

    def info(self) -> dict[str, str]:
        fr = _lang() != "en"
        return {
            "name": SOURCE_TYPE,
            "title": "Flux DCAT (RDF)" if fr else "DCAT feed (RDF)",
            "description": (
                "Moissonne un catalogue DCAT (RDF/XML, Turtle, JSON-LD), pagination "
                "Hydra comprise ; les URI INSEE et les vocabulaires européens sont "
                "reconnus."
                if fr
                else "Harvests a DCAT catalogue (RDF/XML, Turtle, JSON-LD), Hydra "
                "paging included; INSEE URIs and EU vocabularies are recognised."
            ),
            "form_config_interface": "Text",
        }

    def validate_config(self, source_config: str | None) -> str | None:
        check_source_config(source_config, self.config_properties)
        return super().validate_config(source_config)

    # -- hooks (IDCATRDFHarvester), for our sources only ----------------

    @staticmethod
    def _ours(job: Any) -> bool:
        return bool(job is not None and job.source.type == SOURCE_TYPE)

    def before_download(
        self, url: str, harvest_job: Any
    ) -> tuple[str | None, list[str]]:
        if not self._ours(harvest_job):
            return url, []
        try:
            check_url(url)
        except HarvestHTTPError as e:
            return None, [str(e)]
        return url, []

    def update_session(self, session: Any) -> Any:
        timeout = float(tk.config.get("ckanext.territoire.harvest.timeout"))
        return guard(session, timeout=timeout)

    def after_download(
        self, content: str, harvest_job: Any
    ) -> tuple[str | None, list[str]]:
        if not self._ours(harvest_job) or not content:
            return content, []
        problem = xml_problem(content)
        if problem:
            return None, [problem]
        return content, []

    def after_parsing(self, rdf_parser: Any, harvest_job: Any) -> tuple[Any, list[str]]:
        if self._ours(harvest_job):
            normalise_graph(rdf_parser.g)
        return rdf_parser, []

    def _source(self, harvest_object: HarvestObject) -> HarvestSource:
        return HarvestSource.of(harvest_object.source or harvest_object.job.source)

    def _digest(self, harvest_object: HarvestObject, source: HarvestSource) -> str:
        payload = json.loads(harvest_object.content or "{}")
        # ckanext-dcat picks a free name at each gather: not part of the record
        for key in ("name", "id"):
            payload.pop(key, None)
        return content_hash(
            payload, SOURCE_TYPE, MAPPING_VERSION, source.owner_org, source.config
        )

    def _prepare(
        self,
        harvest_object: HarvestObject,
        dataset: dict[str, Any],
        temp: dict[str, Any],
    ) -> None:
        source = self._source(harvest_object)
        warnings: list[str] = []
        complete_package(dataset, source, harvest_object.guid, warnings)
        dataset.setdefault("resources", [])
        for warning in warnings:
            model.Session.add(
                HarvestObjectError(
                    object=harvest_object, message=warning, stage="Import"
                )
            )
        temp["territoire_digest"] = self._digest(harvest_object, source)
        temp["territoire_source"] = source.id

    def before_create(
        self,
        harvest_object: HarvestObject,
        dataset_dict: dict[str, Any],
        temp_dict: dict[str, Any],
    ) -> None:
        if self._ours(harvest_object.job):
            self._prepare(harvest_object, dataset_dict, temp_dict)

    def before_update(
        self,
        harvest_object: HarvestObject,
        dataset_dict: dict[str, Any],
        temp_dict: dict[str, Any],
    ) -> None:
        if not self._ours(harvest_object.job):
            return
        source = self._source(harvest_object)
        record = records.get(source.id, harvest_object.guid)
        pkg = model.Package.get(dataset_dict.get("id") or "")
        if (
            record is not None
            and record.withdrawn_at is None
            and pkg is not None
            and pkg.state == "active"
            and record.content_hash == self._digest(harvest_object, source)
        ):
            dataset_dict.clear()  # ckanext-dcat then reports "not modified"
            return
        self._prepare(harvest_object, dataset_dict, temp_dict)

    def _record(
        self,
        harvest_object: HarvestObject,
        dataset: dict[str, Any],
        temp: dict[str, Any],
    ) -> None:
        if "territoire_digest" in temp and dataset.get("id"):
            records.upsert(
                temp["territoire_source"],
                harvest_object.guid,
                dataset["id"],
                temp["territoire_digest"],
            )
            model.Session.commit()

    def after_create(
        self,
        harvest_object: HarvestObject,
        dataset_dict: dict[str, Any],
        temp_dict: dict[str, Any],
    ) -> None:
        if self._ours(harvest_object.job):
            self._record(harvest_object, dataset_dict, temp_dict)
        return None

    # the same bookkeeping after an update
    after_update = after_create

    # -- overrides --------------------------------------------------------

    def _get_existing_dataset(self, guid: str) -> dict[str, Any] | None:
        # ckanext-dcat reads it as an anonymous user: a withdrawn (private)
        # dataset would not be found, and its return never noticed
        found = self._read_datasets_from_db(guid)
        if not found:
            return None
        return tk.get_action("package_show")({"ignore_auth": True}, {"id": found[0][0]})

    def gather_stage(self, harvest_job: HarvestJob) -> list[str] | None:
        ids = super().gather_stage(harvest_job)
        if not self._ours(harvest_job):
            return ids
        failed = (
            model.Session.query(HarvestGatherError)
            .filter(HarvestGatherError.harvest_job_id == harvest_job.id)
            .count()
        )
        objects = (
            model.Session.query(HarvestObject)
            .filter(HarvestObject.harvest_job_id == harvest_job.id)
            .order_by(HarvestObject.gathered)
            .all()
        )
        if failed and not ids:
            # a page failed: what earlier pages gathered is dropped, not left
            # waiting forever
            for obj in objects:
                model.Session.delete(obj)
            model.Session.commit()
            return []
        keep = set(ids or [])
        seen: set[str] = set()
        for obj in objects:
            if obj.id not in keep:
                continue
            if obj.guid in seen:
                obj.state = "ERROR"
                obj.report_status = "errored"
                model.Session.add(
                    HarvestObjectError(
                        object=obj,
                        stage="Gather",
                        message=duplicate_id_message(obj.guid),
                    )
                )
                keep.discard(obj.id)
            seen.add(obj.guid)
        model.Session.commit()
        return [i for i in (ids or []) if i in keep]

    def _mark_datasets_for_deletion(
        self, guids_in_source: list[str], harvest_job: HarvestJob
    ) -> list[str]:
        if not self._ours(harvest_job):
            return super()._mark_datasets_for_deletion(guids_in_source, harvest_job)
        source = HarvestSource.of(harvest_job.source)
        known = records.for_source(source.id)
        seen = set(guids_in_source)
        now = dt.datetime.now(dt.timezone.utc)
        if not seen and known and not source.config.get("allow_empty"):
            HarvestGatherError(
                message=empty_listing_message(source, len(known)), job=harvest_job
            ).save()
            return []
        settle_missing(harvest_job, source, known, seen, now)
        model.Session.commit()
        return []
