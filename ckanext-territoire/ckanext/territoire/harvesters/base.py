"""What every partner harvester of ours does, whatever the protocol.

A protocol module (``opendatasoft``, ``udata``, ``scdl``, ``ckan``) only says
how to list a source's datasets (``gather_remote``) and how one remote record
maps to our schema (``to_package``). This base does the rest, on
ckanext-harvest's gather, fetch and import stages:

- **Identity.** ``territoire_harvest_record`` holds one row per (source,
  remote id) with the dataset it became: a remote title or URL change updates
  that dataset, never creates another. Two records with the same remote id in
  one run are item errors; the first is kept.
- **Nothing written for nothing.** Each record's hash (its content, the
  mapping version, the source's owner and configuration) is stored; an
  unchanged record becomes a "not modified" harvest object written in bulk,
  and its dataset is not touched.
- **A failed gather changes nothing.** The whole remote listing is read
  before anything is written; any error (partner down, timeout, HTTP error,
  malformed or oversize payload, wrong content type, a listing that is
  suddenly empty) is a gather error and no existing dataset changes.
- **Withdrawal, not deletion.** A record gone from the source is marked
  missing; after the grace period (``withdraw_after_days``) its dataset is
  made private and marked withdrawn, never deleted. If the source publishes
  it again, the next import makes it public again.
- **Per-record errors** (mapping, validation) are recorded on the harvest
  object and the job goes on. Validation is CKAN's, through our schema:
  nothing is saved for an invalid record.
- Remote HTML is turned into Markdown (``html.py``); tags are cleaned to what
  CKAN accepts; unknown territory codes are dropped with a warning, and a
  record without coverage gets its owner organisation's territory (the
  schema's default).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.munge import munge_title_to_name

from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import (
    HarvestGatherError,
    HarvestJob,
    HarvestObject,
    HarvestObjectError,
)

from ckanext.territoire import compat
from ckanext.territoire.territories import lookup

from . import records
from .html import clean_markdown, to_markdown
from .http import SafeHTTP
from .messages import HarvestMessage, _, bilingual

log = logging.getLogger(__name__)

# options every source accepts in its configuration (JSON), on top of the
# protocol's own (``TerritoireHarvester.config_properties``)
COMMON_CONFIG: dict[str, Any] = {
    "withdraw_after_days": {"type": "integer", "minimum": 0, "maximum": 3650},
    "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600},
    "max_response_size": {"type": "integer", "minimum": 1024},
    "allow_empty": {"type": "boolean"},
    "default_territories": {"type": "array", "items": {"type": "string"}},
    "default_license": {"type": "string"},
    # DataStore loading of the harvested resources (datastore/logic.py)
    "datastore_load": {"enum": ["auto", "always", "never"]},
    "datastore_max_size": {"type": "integer", "minimum": 0},
}

_TAG_BAD = re.compile(r"[^\w \-.]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


@dataclass
class RemoteDataset:
    """One record of a partner's listing."""

    remote_id: str
    payload: dict[str, Any]


@dataclass
class Source:
    """A harvest source as the protocol modules see it."""

    id: str
    url: str
    owner_org: str | None
    config: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, source: Any) -> Source:
        try:
            config = json.loads(source.config) if source.config else {}
        except ValueError:
            config = {}
        owner = None
        pkg = model.Package.get(source.id)
        if pkg is not None:
            owner = pkg.owner_org
        return cls(id=source.id, url=source.url.strip(), owner_org=owner, config=config)

    @classmethod
    def for_job(cls, source: Any, job_id: str | None) -> Source:
        """``of``, read once per job and process: a change of the source's owner
        or configuration made while a job runs applies from the next job."""
        if job_id is None:
            return cls.of(source)
        key = (source.id, job_id)
        found = _SOURCES.get(key)
        if found is None:
            if len(_SOURCES) >= 32:
                _SOURCES.clear()
            found = _SOURCES[key] = cls.of(source)
        return found


_SOURCES: dict[tuple[str, str], Source] = {}


class RecordError(HarvestMessage):
    """A remote record that cannot be imported; the job goes on."""


def content_hash(payload: Any, *salt: Any) -> str:
    text = json.dumps([payload, *salt], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean_tags(values: Iterable[Any]) -> list[dict[str, str]]:
    """Keywords as CKAN tags: allowed characters, 2 to 100 long, no duplicate."""
    out: dict[str, dict[str, str]] = {}
    for value in values:
        if not isinstance(value, str):
            continue
        text = _SPACES.sub(" ", _TAG_BAD.sub(" ", value)).strip(" -.")[:100].strip()
        if len(text) >= 2 and text.lower() not in out:
            out[text.lower()] = {"name": text}
    return list(out.values())


class TerritoireHarvester(compat.SyncsPatches, HarvesterBase):
    """Base of our protocol harvesters (not itself registered)."""

    p.implements(IHarvester)
    p.implements(p.IConfigurer, inherit=True)
    p.implements(p.IPluginObserver, inherit=True)

    # -- IConfigurer: ckanext-harvest's queue and fetch consumer adapted
    # while one of our harvesters is loaded (compat/harvest.py)

    def update_config(self, config: Any) -> None:
        compat.sync()

    #: the source type (harvest_source.type), e.g. ``territoire_opendatasoft``
    source_type: ClassVar[str] = ""
    #: title and description in French and English
    titles: ClassVar[dict[str, str]] = {}
    descriptions: ClassVar[dict[str, str]] = {}
    #: JSON Schema properties of the protocol's own configuration options
    config_properties: ClassVar[dict[str, Any]] = {}
    #: bump when ``to_package`` changes: every record is then imported again
    mapping_version: ClassVar[int] = 1
    #: what descriptions are written in at the source: "html" (converted to
    #: Markdown) or "markdown" / "text" (kept, active HTML removed)
    notes_format: ClassVar[str] = "html"

    # -- to implement by protocol modules ---------------------------------
    # (abstract: the plugin metaclass does not mix with ABCMeta, and this base
    # is never registered as a plugin itself)

    def gather_remote(self, source: Source, http: SafeHTTP) -> Iterable[RemoteDataset]:
        raise NotImplementedError

    def to_package(
        self, payload: dict[str, Any], source: Source, warnings: list[str]
    ) -> dict[str, Any]:
        """Our schema's fields for one remote record.

        Raise ``RecordError`` when the record cannot be imported; append to
        ``warnings`` what was dropped or guessed.
        """
        raise NotImplementedError

    # -- IHarvester -------------------------------------------------------

    def info(self) -> dict[str, str]:
        lang = _lang()
        return {
            "name": self.source_type,
            "title": self.titles.get(lang) or self.titles.get("fr", self.source_type),
            "description": self.descriptions.get(lang)
            or self.descriptions.get("fr", ""),
            "form_config_interface": "Text",
        }

    def validate_config(self, config: str | None) -> str | None:
        from .sources import check_source_config

        check_source_config(config, self.config_properties)
        return config

    def get_original_url(self, harvest_object_id: str) -> str | None:
        obj = model.Session.get(HarvestObject, harvest_object_id)
        if obj is None or not obj.content:
            return None
        try:
            return self.original_url(json.loads(obj.content))
        except (ValueError, KeyError, TypeError):
            return None

    def original_url(self, payload: dict[str, Any]) -> str | None:
        return None

    # -- gather -------------------------------------------------------------

    def _http(self, source: Source) -> SafeHTTP:
        return SafeHTTP(
            timeout=source.config.get("timeout"),
            max_bytes=source.config.get("max_response_size"),
        )

    def _hash(self, source: Source, payload: dict[str, Any]) -> str:
        return content_hash(
            payload,
            self.source_type,
            self.mapping_version,
            source.owner_org,
            source.config,
        )

    def gather_stage(self, harvest_job: HarvestJob) -> list[str] | None:
        source = Source.of(harvest_job.source)
        http = self._http(source)
        try:
            remotes = list(self.gather_remote(source, http))
        except HarvestMessage as e:
            self._gather_error(str(e), harvest_job)
            return None
        except Exception as e:  # a bug or an unforeseen payload: nothing written
            log.exception("gather of %s failed", source.url)
            self._gather_error(
                bilingual(
                    _(
                        "Erreur inattendue en lisant {url} ({error}) : aucun jeu de "
                        "données n'a été modifié. Signalez-la aux administrateurs "
                        "du portail."
                    ),
                    url=source.url,
                    error=f"{type(e).__name__}: {e}",
                ),
                harvest_job,
            )
            return None
        finally:
            http.close()

        known = records.for_source(source.id)
        if not remotes and known and not source.config.get("allow_empty"):
            self._gather_error(empty_listing_message(source, len(known)), harvest_job)
            return None
        return self._plan(harvest_job, source, remotes, known)

    def _plan(
        self,
        job: HarvestJob,
        source: Source,
        remotes: list[RemoteDataset],
        known: dict[str, records.Record],
    ) -> list[str]:
        now = dt.datetime.now(dt.timezone.utc)
        live = records.live_packages([r.package_id for r in known.values()])
        to_fetch: list[HarvestObject] = []
        unchanged: list[dict[str, Any]] = []
        seen: set[str] = set()
        for remote in remotes:
            remote_id = str(remote.remote_id or "").strip()
            if not remote_id:
                self._rejected(
                    job,
                    "",
                    bilingual(
                        _(
                            "Un jeu de données de la source n'a pas d'identifiant : "
                            "il est ignoré (titre : {title})."
                        ),
                        title=str(remote.payload.get("title") or "?")[:200],
                    ),
                )
                continue
            if remote_id in seen:
                self._rejected(job, remote_id, duplicate_id_message(remote_id))
                continue
            seen.add(remote_id)
            record = known.get(remote_id)
            digest = self._hash(source, remote.payload)
            if (
                record is not None
                and record.content_hash == digest
                and record.withdrawn_at is None
                and live.get(record.package_id) == "active"
            ):
                unchanged.append(
                    {
                        "id": str(uuid.uuid4()),
                        "guid": remote_id,
                        "harvest_job_id": job.id,
                        "harvest_source_id": source.id,
                        "package_id": record.package_id,
                        "state": "COMPLETE",
                        "report_status": "not modified",
                        "current": False,
                        "gathered": now.replace(tzinfo=None),
                        "import_finished": now.replace(tzinfo=None),
                        "retry_times": 0,
                    }
                )
                continue
            obj = HarvestObject(
                guid=remote_id,
                job=job,
                content=json.dumps(remote.payload, ensure_ascii=False),
            )
            if record is not None and record.package_id in live:
                obj.package_id = record.package_id
            model.Session.add(obj)
            to_fetch.append(obj)

        if unchanged:
            model.Session.execute(sa.insert(HarvestObject.__table__), unchanged)
        settle_missing(job, source, known, seen, now, live)
        model.Session.commit()
        log.info(
            "%s: %d records, %d to import, %d unchanged",
            source.url,
            len(remotes),
            len(to_fetch),
            len(unchanged),
        )
        return [obj.id for obj in to_fetch]

    def _rejected(self, job: HarvestJob, remote_id: str, message: str) -> None:
        obj = HarvestObject(
            guid=remote_id,
            job=job,
            state="ERROR",
            report_status="errored",
        )
        model.Session.add(obj)
        model.Session.flush()
        model.Session.add(
            HarvestObjectError(object=obj, message=message, stage="Gather")
        )

    def _gather_error(self, message: str, job: HarvestJob) -> None:
        log.error("harvest gather error (%s): %s", job.source.url, message)
        model.Session.rollback()
        HarvestGatherError(message=message, job=job).save()

    # -- fetch and import -----------------------------------------------

    def fetch_stage(self, harvest_object: HarvestObject) -> bool:
        # every protocol gathers whole records
        return True

    def import_stage(self, harvest_object: HarvestObject) -> bool | str:
        job_source = harvest_object.source or harvest_object.job.source
        source = Source.for_job(job_source, harvest_object.harvest_job_id)
        try:
            payload = json.loads(harvest_object.content or "")
        except ValueError:
            self._object_error(
                harvest_object,
                bilingual(_("Contenu moissonné illisible : il est ignoré.")),
                failed=True,
            )
            return False
        warnings: list[str] = []
        try:
            pkg = self.to_package(payload, source, warnings)
            pkg = complete_package(
                pkg, source, harvest_object.guid, warnings, self.notes_format
            )
            package_id, created = self._save(pkg, harvest_object, source)
        except RecordError as e:
            model.Session.rollback()
            self._object_error(harvest_object, str(e), failed=True)
            return False
        except tk.ValidationError as e:
            model.Session.rollback()
            self._object_error(harvest_object, validation_message(e), failed=True)
            return False
        except Exception as e:  # never leave the object half-imported
            log.exception("import of %s failed", harvest_object.guid)
            model.Session.rollback()
            self._object_error(
                harvest_object,
                bilingual(
                    _(
                        "Erreur inattendue à l'import ({error}) : rien n'est "
                        "enregistré pour ce jeu de données ; le prochain "
                        "moissonnage réessaiera."
                    ),
                    error=f"{type(e).__name__}: {e}"[:300],
                ),
                failed=True,
            )
            return False
        # the dataset, its record and the harvest object are committed together:
        # a crash in between can never leave a dataset without its identity
        for warning in warnings:
            self._object_error(harvest_object, warning)
        finished(harvest_object, "added" if created else "updated")
        records.upsert(
            source.id,
            harvest_object.guid,
            package_id,
            self._hash(source, payload),
        )
        # the dataset was indexed inside its action (index_in_action), and is
        # committed now, as package_create/update do without defer_commit
        model.Session.commit()
        # its files are validated against their schema once committed, and
        # loaded into the DataStore as its source says
        from ..datastore.logic import submit_harvested
        from ..validation.logic import schedule_if_declared

        schedule_if_declared(package_id)
        submit_harvested(package_id)
        return True

    def _make_current(
        self, harvest_object: HarvestObject, source: Source, package_id: str
    ) -> None:
        """The object becomes its dataset's current one, before the dataset is
        written: the write indexes it, and ckanext-harvest's
        ``before_dataset_index`` puts the current object's ids (harvest_source_id,
        which the source's page searches on) into the index document."""
        (
            model.Session.query(HarvestObject)
            .filter(HarvestObject.harvest_source_id == source.id)
            .filter(HarvestObject.guid == harvest_object.guid)
            .filter(HarvestObject.current == True)  # noqa: E712
            .filter(HarvestObject.id != harvest_object.id)
            .update({"current": False}, synchronize_session=False)
        )
        harvest_object.package_id = package_id
        harvest_object.current = True
        model.Session.add(harvest_object)

    def _save(
        self, pkg: dict[str, Any], harvest_object: HarvestObject, source: Source
    ) -> tuple[str, bool]:
        """Create or update the dataset; its id, and whether it is new."""
        context: dict[str, Any] = {
            "user": self._get_user_name(),
            "ignore_auth": True,
            "territoire_harvest": True,
            "defer_commit": True,  # committed with the record, in import_stage
            "return_id_only": True,
            INDEX_IN_ACTION: True,
        }
        existing = None
        if harvest_object.package_id:
            existing = model.Package.get(harvest_object.package_id)
        if existing is None:
            record = records.get(source.id, harvest_object.guid)
            if record is not None:
                existing = model.Package.get(record.package_id)
        if existing is not None:
            pkg["id"] = existing.id
            pkg["name"] = existing.name
            pkg["state"] = "active"
            keep_resource_ids(existing, pkg)
            self._make_current(harvest_object, source, existing.id)
            model.Session.flush()
            tk.get_action("package_update")(context, pkg)
            return existing.id, False
        pkg["id"] = str(uuid.uuid4())
        pkg["name"] = unique_name(pkg.get("name") or pkg.get("title") or pkg["id"])
        self._make_current(harvest_object, source, pkg["id"])
        model.Session.execute(
            sa.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED")
        )
        model.Session.flush()
        tk.get_action("package_create")(context, pkg)
        return pkg["id"], True

    def _object_error(
        self, harvest_object: HarvestObject, message: str, failed: bool = False
    ) -> None:
        """Note a message on the object; ``failed``: the import failed, and the
        object's error state is committed with it now."""
        log.info("harvest object %s: %s", harvest_object.guid, message)
        err = HarvestObjectError(object=harvest_object, message=message, stage="Import")
        model.Session.add(err)
        if failed:
            finished(harvest_object, "errored")
            model.Session.commit()


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

INDEX_IN_ACTION = "territoire_index_in_action"


def index_in_action(
    context: dict[str, Any], pkg_dict: dict[str, Any], updated: bool = False
) -> None:
    """Index a harvested dataset from inside its package_create/update.

    Called by our ``after_dataset_create``/``after_dataset_update`` for the
    harvest's own writes (``defer_commit``, so CKAN does not index them
    itself). Indexing there rather than after the action means the activity
    ckanext-activity records once the action has returned finds the dataset
    in the index, validated, with the same ``metadata_modified``, and does
    not dictize and validate it a third time. The dataset is committed by
    ``import_stage`` right after, with its record and harvest object.
    """
    if not context.get(INDEX_IN_ACTION) or not pkg_dict.get("id"):
        return
    from ckan.logic import index_update_package

    index_update_package({"ignore_auth": True}, pkg_dict["id"])
    if updated:
        # package_update names the changed dataset for ckanext-activity only
        # when it commits itself; with defer_commit it does not, and a
        # harvest update would leave no "changed package" activity
        context.setdefault("changed_entities", {}).setdefault("packages", set()).add(
            pkg_dict["id"]
        )


def complete_package(
    pkg: dict[str, Any],
    source: Source,
    remote_id: str,
    warnings: list[str],
    notes_format: str = "html",
) -> dict[str, Any]:
    from ckanext.territoire.logic.validators import resolve_territory

    pkg["owner_org"] = source.owner_org
    pkg["private"] = False
    convert = to_markdown if notes_format == "html" else clean_markdown
    pkg["notes"] = convert(pkg.get("notes") or "") or pkg.get("title", "")
    for res in pkg.get("resources") or []:
        if res.get("description"):
            res["description"] = convert(res["description"])
    pkg.setdefault("provenance_identifier", remote_id)
    if "tags" in pkg:
        pkg["tags"] = clean_tags(
            t.get("name") if isinstance(t, dict) else t for t in pkg["tags"]
        )
    territories = []
    raw_territories = pkg.get("territories") or []
    if raw_territories and not lookup.is_loaded():
        raise RecordError(
            _(
                "Le référentiel des territoires (COG) n'est pas chargé : un "
                "administrateur doit lancer « ckan territoire cog load », puis "
                "relancer le moissonnage."
            )
        )
    for raw in raw_territories:
        try:
            code, _old = resolve_territory(str(raw))
        except tk.Invalid:
            warnings.append(
                bilingual(
                    _(
                        "Avertissement : territoire « {value} » inconnu du Code "
                        "officiel géographique, ignoré."
                    ),
                    value=raw,
                )
            )
            continue
        if code not in territories:
            territories.append(code)
    if not territories:
        territories = list(source.config.get("default_territories") or [])
    # empty: the schema gives the owner organisation's territory
    pkg["territories"] = territories
    if not pkg.get("license_id") and source.config.get("default_license"):
        pkg["license_id"] = source.config["default_license"]
    return pkg


def withdraw_missing(
    job: HarvestJob,
    source: Source,
    known: dict[str, records.Record],
    seen: set[str],
    live: dict[str, str],
    now: dt.datetime,
) -> None:
    grace = dt.timedelta(days=grace_days(source))
    for remote_id, record in known.items():
        if remote_id in seen or record.withdrawn_at is not None:
            continue
        if record.package_id not in live:
            continue
        missing_since = record.missing_since or now
        if record.missing_since is None:
            records.mark_missing(source.id, remote_id, now)
        if now - missing_since < grace:
            continue
        withdraw_package(record.package_id)
        records.mark_withdrawn(source.id, remote_id, now)
        model.Session.add(
            HarvestObject(
                guid=remote_id,
                job=job,
                package_id=record.package_id,
                state="COMPLETE",
                report_status="deleted",
                current=False,
                import_finished=now.replace(tzinfo=None),
            )
        )
        log.info(
            "%s: %s gone from the source since %s, dataset %s withdrawn",
            source.url,
            remote_id,
            missing_since,
            record.package_id,
        )


def grace_days(source: Source) -> int:
    days = source.config.get("withdraw_after_days")
    if days is None:
        days = tk.config.get("ckanext.territoire.harvest.withdraw_after_days")
    return int(days)


def settle_missing(
    job: HarvestJob,
    source: Source,
    known: dict[str, records.Record],
    seen: set[str],
    now: dt.datetime,
    live: dict[str, str] | None = None,
) -> None:
    """After a complete listing: seen records are current, missing ones age."""
    if live is None:
        live = records.live_packages([r.package_id for r in known.values()])
    records.touch(source.id, seen, now)
    withdraw_missing(job, source, known, seen, live, now)


def duplicate_id_message(remote_id: str) -> str:
    return bilingual(
        _(
            "Identifiant distant en double dans la source : "
            "« {id} ». Seul le premier jeu de données portant cet "
            "identifiant est moissonné ; corrigez la source."
        ),
        id=remote_id,
    )


def empty_listing_message(source: Source, known: int) -> str:
    return bilingual(
        _(
            "La source {url} ne liste plus aucun jeu de données alors "
            "que {n} en sont issus : c'est sans doute une panne du "
            "portail partenaire, rien n'est retiré. Si la source est "
            'vraiment vide, ajoutez "allow_empty": true à sa '
            "configuration."
        ),
        url=source.url,
        n=known,
    )


def _lang() -> str:
    try:
        return tk.h.lang() or "fr"
    except Exception:
        return "fr"


def validation_message(e: tk.ValidationError) -> str:
    """A validation error as one message: field: problem; field: problem."""
    parts = []
    summary = e.error_summary or {}
    for key, value in summary.items() if isinstance(summary, dict) else []:
        parts.append(f"{key} : {value}")
    detail = " ; ".join(parts) or str(e.error_dict)
    return bilingual(
        _(
            "Jeu de données refusé par le schéma du portail, rien n'est "
            "enregistré : {detail}"
        ),
        detail=detail,
    )


def unique_name(text: str) -> str:
    base = munge_title_to_name(text)[:90].strip("-") or "jeu-de-donnees"
    name, n = base, 1
    while model.Session.query(model.Package.id).filter_by(name=name).first():
        n += 1
        name = f"{base}-{n}"
    return name


def keep_resource_ids(existing: model.Package, pkg: dict[str, Any]) -> None:
    """Resources matched by URL, else by name and format, keep their id.

    They keep their history and their links; the second match covers a remote
    rename that changes every URL of a dataset (an Opendatasoft slug).
    """
    by_url = {r.url: r.id for r in existing.resources if r.url}
    by_name = {
        ((r.name or "").lower(), (r.format or "").lower()): r.id
        for r in existing.resources
    }
    used: set[str] = set()
    pending = []
    for res in pkg.get("resources") or []:
        rid = by_url.get(res.get("url") or "")
        if rid and rid not in used:
            res["id"] = rid
            used.add(rid)
        else:
            pending.append(res)
    for res in pending:
        key = ((res.get("name") or "").lower(), (res.get("format") or "").lower())
        rid = by_name.get(key)
        if rid and rid not in used:
            res["id"] = rid
            used.add(rid)


def withdraw_package(package_id: str) -> None:
    """Make a harvested dataset private; it is marked by its harvest record."""
    pkg = model.Package.get(package_id)
    if pkg is None or pkg.private:
        return
    context = {"ignore_auth": True, "territoire_harvest": True, "user": _site_user()}
    try:
        tk.get_action("package_patch")(context, {"id": package_id, "private": True})
    except tk.ValidationError:
        # metadata that became invalid since (a code left the COG…) must not
        # keep the dataset public: the flag alone is changed
        pkg = model.Package.get(package_id)
        pkg.private = True
        model.Session.add(pkg)
        model.Session.flush()
        from ckan.lib.search import rebuild

        from ckanext.territoire.dcat.freshness import dataset_updated

        rebuild(package_id)
        # no action ran: the full DCAT dump must hear of it all the same
        dataset_updated(package_id)


def _site_user() -> str:
    return tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


def finished(harvest_object: HarvestObject, report_status: str) -> None:
    """The object's final state, committed with the import's writes.

    Our fetch consumer (``compat/harvest.py``) commits the object's start of
    import on its own and leaves its end to ``import_stage``: with the
    dataset, its record and any error, in one transaction.
    """
    harvest_object.import_finished = dt.datetime.utcnow()
    harvest_object.state = "ERROR" if report_status == "errored" else "COMPLETE"
    harvest_object.report_status = report_status
