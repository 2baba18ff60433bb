"""The portal's local copy of the schema.data.gouv.fr Table Schemas.

Layout of ``ckanext.territoire.schemas.directory``: the latest version of a
schema at ``<name>.json`` (``scdl/deliberations.json``), older or pinned
versions at ``<name>/<version>.json`` (``scdl/deliberations/2.1.5.json``).
Validation reads only this copy: a validation never waits on the official
catalogue. ``ckan territoire schemas refresh`` fetches it again through
``SafeHTTP``, writing each file atomically; a failed download keeps the
previous copy.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk

from ..harvesters.messages import _

log = logging.getLogger(__name__)

# stricter than the dataset field's validator: names become paths here
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)+$")
VERSION_RE = re.compile(r"^v?\d+(\.\d+){0,3}$")


class SchemaNotFound(Exception):
    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid.format(**params))


def directory() -> Path:
    configured = tk.config.get("ckanext.territoire.schemas.directory")
    if configured:
        return Path(configured)
    storage = tk.config.get("ckan.storage_path") or tempfile.gettempdir()
    return Path(storage) / "territoire" / "schemas"


def _same_version(a: str | None, b: str | None) -> bool:
    return bool(a and b) and str(a).lstrip("v") == str(b).lstrip("v")


def _read(path: Path) -> dict[str, Any] | None:
    try:
        with path.open(encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        log.warning("Unreadable schema file %s: %s", path, e)
        return None
    return doc if is_table_schema(doc) else None


def is_table_schema(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("fields"), list)
        and all(isinstance(f, dict) and f.get("name") for f in doc["fields"])
    )


def resolve(
    name: str, version: str | None = None, root: Path | None = None
) -> dict[str, Any]:
    """The Table Schema descriptor of ``name`` at ``version`` (``None``,
    ``latest``: the latest copy). Raises :class:`SchemaNotFound`."""
    name = (name or "").strip().lower()
    version = (version or "").strip() or None
    if version == "latest":
        version = None
    if not NAME_RE.match(name) or ".." in name:
        raise SchemaNotFound(
            _("Identifiant de schéma invalide « {name} » (ex. scdl/deliberations)."),
            name=name,
        )
    root = root or directory()
    latest = _read(root / f"{name}.json")
    if version is None:
        if latest is None:
            raise SchemaNotFound(
                _(
                    "Le schéma {name} n'est pas dans le catalogue local des "
                    "schémas ({root}) : un administrateur peut le récupérer "
                    "avec « ckan territoire schemas refresh {name} »."
                ),
                name=name,
                root=str(root),
            )
        return latest
    if not VERSION_RE.match(version):
        raise SchemaNotFound(
            _("Version de schéma invalide « {version} » (ex. 2.1.5)."),
            version=version,
        )
    for candidate in (version, version.lstrip("v"), "v" + version.lstrip("v")):
        doc = _read(root / name / f"{candidate}.json")
        if doc is not None:
            return doc
    if latest is not None and _same_version(latest.get("version"), version):
        return latest
    raise SchemaNotFound(
        _(
            "La version {version} du schéma {name} n'est pas dans le catalogue "
            "local des schémas ({root}) : un administrateur peut la récupérer "
            "avec « ckan territoire schemas refresh {name} --version {version} »."
        ),
        name=name,
        version=version,
        root=str(root),
    )


def local_names(root: Path | None = None) -> list[str]:
    """The schemas the local catalogue holds (latest copies)."""
    root = root or directory()
    if not root.is_dir():
        return []
    names = []
    for path in root.rglob("*.json"):
        rel = path.relative_to(root).with_suffix("").as_posix()
        if NAME_RE.match(rel) and _read(path) is not None:
            # a pinned version's file (<name>/<version>.json) is not a name
            if not VERSION_RE.match(rel.rsplit("/", 1)[1]):
                names.append(rel)
    return sorted(names)


def write_atomic(path: Path, doc: dict[str, Any]) -> None:
    """Replace ``path`` by ``doc`` in one step: readers see the old or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".schema-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@dataclass
class RefreshResult:
    written: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def official_url(name: str, version: str | None) -> str:
    base = str(tk.config.get("ckanext.territoire.schemas.catalogue_url")).rstrip("/")
    return f"{base}/{name}/{version or 'latest'}/schema.json"


def refresh(
    wanted: list[tuple[str, str | None]], root: Path | None = None
) -> RefreshResult:
    """Fetch each (name, version or None for latest) from the official
    catalogue into the local one. A failure leaves the previous file."""
    from ..harvesters.http import SafeHTTP
    from ..harvesters.messages import HarvestMessage

    root = root or directory()
    result = RefreshResult()
    http = SafeHTTP(
        timeout=float(tk.config.get("ckanext.territoire.validation.timeout")),
        max_bytes=10 * 1024 * 1024,
    )
    try:
        for name, version in wanted:
            version = None if version in (None, "", "latest") else version
            label = f"{name}@{version or 'latest'}"
            if not NAME_RE.match(name) or (version and not VERSION_RE.match(version)):
                result.failed.append((label, "identifiant ou version invalide"))
                continue
            url = official_url(name, version)
            try:
                doc = http.get_json(url)
            except HarvestMessage as e:
                result.failed.append((label, e.french()))
                continue
            if not is_table_schema(doc):
                result.failed.append(
                    (label, f"{url} ne renvoie pas un Table Schema (pas de « fields »)")
                )
                continue
            target = (
                root / name / f"{version}.json" if version else root / f"{name}.json"
            )
            write_atomic(target, doc)
            result.written.append(label)
    finally:
        http.close()
    return result


def import_directory(source: Path, root: Path | None = None) -> RefreshResult:
    """Copy the Table Schemas of a local mirror into the local catalogue.

    ``source`` is laid out as the catalogue (``scdl/deliberations.json``,
    ``scdl/deliberations/2.1.4.json``): an offline install, or the demo's copy
    of the SCDL schemas. A file that is not a Table Schema is reported and
    leaves the previous copy in place.
    """
    root = root or directory()
    result = RefreshResult()
    if not source.is_dir():
        result.failed.append((str(source), "dossier introuvable"))
        return result
    for path in sorted(source.rglob("*.json")):
        rel = path.relative_to(source).with_suffix("").as_posix()
        if not NAME_RE.match(rel):
            continue
        doc = _read(path)
        if doc is None:
            result.failed.append((rel, "pas un Table Schema (pas de « fields »)"))
            continue
        write_atomic(root / f"{rel}.json", doc)
        result.written.append(rel)
    return result
