"""Idempotent loader of the portal's demo content.

The content is a YAML file of organisations, each with its datasets (the
format is documented at the top of ``grand_est.yaml``). Every object is looked
up by name: created when missing, updated when it differs from the file, left
alone otherwise. Each dataset is written by a single action call
(``package_create`` or ``package_update``), so a dataset that fails validation
is not written at all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml

import ckan.plugins.toolkit as tk
from ckan.lib.helpers import unified_resource_format
from ckan.types import Context

DEFAULT_FILE = Path(__file__).with_name("grand_est.yaml")

Kind = Literal["organization", "dataset"]
Status = Literal["created", "updated", "unchanged", "error", "skipped"]

_ORG_TEXT = ("title", "description", "image_url")
_DATASET_TEXT = (
    "title",
    "notes",
    "license_id",
    "url",
    "version",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
)
_RESOURCE_TEXT = ("name", "url", "format", "description")

_ORG_KEYS = {"name", "extras", "datasets", *_ORG_TEXT}
_DATASET_KEYS = {"name", "tags", "extras", "resources", *_DATASET_TEXT}
_RESOURCE_KEYS = set(_RESOURCE_TEXT)


class DemoFileError(Exception):
    """The YAML file is unreadable or not in the expected format."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path = path
        self.problems = problems


@dataclasses.dataclass
class Outcome:
    kind: Kind
    name: str
    status: Status
    #: ``ValidationError.error_dict`` when ``status`` is ``"error"``.
    errors: dict[str, Any] | None = None
    #: Why a dataset was skipped.
    reason: str = ""


@dataclasses.dataclass
class LoadReport:
    outcomes: list[Outcome] = dataclasses.field(default_factory=list)

    def count(self, kind: Kind, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.kind == kind and o.status == status)

    @property
    def ok(self) -> bool:
        return not any(o.status in ("error", "skipped") for o in self.outcomes)

    def summary(self) -> str:
        """One line in French, e.g. ``organisations : 6 créées, 0 mises à jour,
        0 inchangées ; jeux de données : 23 créés, 0 mis à jour, 0 inchangés``."""
        return " ; ".join(
            (
                "organisations : " + self._counts("organization", feminine=True),
                "jeux de données : " + self._counts("dataset", feminine=False),
            )
        )

    def _counts(self, kind: Kind, feminine: bool) -> str:
        e = "e" if feminine else ""
        parts = [
            _plural(self.count(kind, "created"), f"créé{e}", f"créé{e}s"),
            # "mis" is its own masculine plural.
            _plural(
                self.count(kind, "updated"),
                f"mis{e} à jour",
                "mises à jour" if feminine else "mis à jour",
            ),
            _plural(self.count(kind, "unchanged"), f"inchangé{e}", f"inchangé{e}s"),
        ]
        if errors := self.count(kind, "error"):
            parts.append(f"{errors} en erreur")
        if skipped := self.count(kind, "skipped"):
            parts.append(_plural(skipped, f"ignoré{e}", f"ignoré{e}s"))
        return ", ".join(parts)


def _plural(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


# Reading and checking the file


def read_demo_file(path: Path | str = DEFAULT_FILE) -> list[dict[str, Any]]:
    """Read a demo content file and check its format.

    :returns: the organisations, each with a ``datasets`` list; text values
        are stripped, absent optional values are left out
    :raises DemoFileError: listing every problem found, before anything is
        written
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise DemoFileError(path, [f"lecture impossible : {e}"])

    problems: list[str] = []
    if not isinstance(data, dict) or set(data) != {"organizations"}:
        raise DemoFileError(
            path, ["le fichier doit contenir la seule clé « organizations »"]
        )
    if not isinstance(data["organizations"], list) or not data["organizations"]:
        raise DemoFileError(path, ["« organizations » doit être une liste non vide"])

    organizations = []
    dataset_names: set[str] = set()
    org_names: set[str] = set()
    for i, raw_org in enumerate(data["organizations"]):
        org = _check_object(
            raw_org, f"organizations[{i}]", _ORG_KEYS, _ORG_TEXT, problems
        )
        if org is None:
            continue
        where = f"organizations[{i}] ({org['name']})"
        _check_unique(org["name"], org_names, where, problems)
        org["extras"] = _check_extras(raw_org.get("extras"), where, problems)

        raw_datasets = raw_org.get("datasets") or []
        if not isinstance(raw_datasets, list):
            problems.append(f"{where}: « datasets » doit être une liste")
            raw_datasets = []
        org["datasets"] = []
        for j, raw_ds in enumerate(raw_datasets):
            ds = _check_dataset(raw_ds, f"{where}.datasets[{j}]", problems)
            if ds is not None:
                _check_unique(ds["name"], dataset_names, where, problems)
                org["datasets"].append(ds)
        organizations.append(org)

    if problems:
        raise DemoFileError(path, problems)
    return organizations


def _check_dataset(raw: Any, where: str, problems: list[str]) -> dict[str, Any] | None:
    ds = _check_object(raw, where, _DATASET_KEYS, _DATASET_TEXT, problems)
    if ds is None:
        return None
    where = f"{where} ({ds['name']})"
    ds["extras"] = _check_extras(raw.get("extras"), where, problems)

    tags = raw.get("tags") or []
    if not isinstance(tags, list) or not all(
        isinstance(t, str) and t.strip() for t in tags
    ):
        problems.append(f"{where}: « tags » doit être une liste de textes")
        tags = []
    ds["tags"] = [t.strip() for t in tags]

    raw_resources = raw.get("resources") or []
    if not isinstance(raw_resources, list):
        problems.append(f"{where}: « resources » doit être une liste")
        raw_resources = []
    ds["resources"] = []
    resource_names: set[str] = set()
    for k, raw_res in enumerate(raw_resources):
        res = _check_object(
            raw_res,
            f"{where}.resources[{k}]",
            _RESOURCE_KEYS,
            _RESOURCE_TEXT,
            problems,
            required=("name", "url", "format"),
        )
        if res is not None:
            # Resources are matched by name on update, to keep their ids.
            _check_unique(res["name"], resource_names, where, problems)
            ds["resources"].append(res)
    return ds


def _check_object(
    raw: Any,
    where: str,
    allowed: set[str],
    text_keys: Iterable[str],
    problems: list[str],
    required: Iterable[str] = ("name", "title"),
) -> dict[str, Any] | None:
    """Check a mapping's keys and text values; return its text values."""
    if not isinstance(raw, dict):
        problems.append(f"{where}: un dictionnaire est attendu")
        return None
    for key in sorted(set(raw) - allowed, key=str):
        problems.append(
            f"{where}: clé inconnue « {key} » "
            f"(clés possibles : {', '.join(sorted(allowed))})"
        )
    obj: dict[str, Any] = {}
    for key in ("name", *text_keys):
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            problems.append(
                f"{where}: « {key} » doit être un texte "
                f"(mettre la valeur entre guillemets), trouvé {value!r}"
            )
            continue
        if value.strip():
            obj[key] = value.strip()
    missing = [key for key in required if key not in obj]
    for key in missing:
        problems.append(f"{where}: « {key} » est obligatoire")
    return None if "name" in missing else obj


def _check_extras(raw: Any, where: str, problems: list[str]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: « extras » doit être un dictionnaire")
        return {}
    extras = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, str):
            problems.append(
                f"{where}: extra {key!r} : clé et valeur doivent être des textes "
                f"(mettre la valeur entre guillemets), trouvé {value!r}"
            )
            continue
        extras[key] = value.strip()
    return extras


def _check_unique(name: str, seen: set[str], where: str, problems: list[str]) -> None:
    if name in seen:
        problems.append(f"{where}: nom « {name} » en double")
    seen.add(name)


# Loading


def load_file(path: Path | str = DEFAULT_FILE) -> LoadReport:
    """Read ``path`` and load it; see :func:`load`."""
    return load(read_demo_file(path))


def load(organizations: list[dict[str, Any]]) -> LoadReport:
    """Create or update the organisations and datasets, as the site user.

    Loading goes on after a validation error, so that one run reports every
    broken entry; the datasets of an organisation that could not be written
    are skipped.

    :param organizations: as returned by :func:`read_demo_file`
    """
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    report = LoadReport()
    for org in organizations:
        outcome = _sync_organization(site_user, org)
        report.outcomes.append(outcome)
        for ds in org["datasets"]:
            if outcome.status == "error":
                report.outcomes.append(
                    Outcome(
                        "dataset",
                        ds["name"],
                        "skipped",
                        reason=f"organisation « {org['name']} » en erreur",
                    )
                )
            else:
                report.outcomes.append(_sync_dataset(site_user, ds, org["name"]))
    return report


def _context(user: str) -> Context:
    # A fresh dict per call: actions write into their context.
    return {"user": user, "ignore_auth": True}


def _sync_organization(user: str, org: dict[str, Any]) -> Outcome:
    wanted = _organization_payload(org)
    try:
        current = tk.get_action("organization_show")(
            _context(user),
            {
                "id": org["name"],
                "include_dataset_count": False,
                "include_datasets": False,
                "include_users": False,
            },
        )
    except tk.ObjectNotFound:
        current = None
    try:
        if current is None:
            tk.get_action("organization_create")(_context(user), wanted)
            return Outcome("organization", org["name"], "created")
        if _comparable_organization(current) == _comparable_organization(wanted):
            return Outcome("organization", org["name"], "unchanged")
        # The state brings back an organisation deleted in the meantime.
        tk.get_action("organization_patch")(
            _context(user), dict(wanted, id=current["id"], state="active")
        )
        return Outcome("organization", org["name"], "updated")
    except tk.ValidationError as e:
        return Outcome("organization", org["name"], "error", errors=e.error_dict)


def _sync_dataset(user: str, ds: dict[str, Any], owner_org: str) -> Outcome:
    wanted = _dataset_payload(ds, owner_org)
    try:
        current = tk.get_action("package_show")(_context(user), {"id": ds["name"]})
    except tk.ObjectNotFound:
        current = None
    try:
        if current is None:
            tk.get_action("package_create")(_context(user), wanted)
            return Outcome("dataset", ds["name"], "created")
        if _comparable_dataset(current) == _comparable_dataset(wanted):
            return Outcome("dataset", ds["name"], "unchanged")
        payload = dict(wanted, id=current["id"], state="active")
        _reuse_resource_ids(payload["resources"], current.get("resources", []))
        tk.get_action("package_update")(_context(user), payload)
        return Outcome("dataset", ds["name"], "updated")
    except tk.ValidationError as e:
        return Outcome("dataset", ds["name"], "error", errors=e.error_dict)


def _organization_payload(org: dict[str, Any]) -> dict[str, Any]:
    payload = {key: org[key] for key in ("name", *_ORG_TEXT) if key in org}
    payload["extras"] = _extras_list(org["extras"])
    return payload


def _dataset_payload(ds: dict[str, Any], owner_org: str) -> dict[str, Any]:
    payload = {key: ds[key] for key in ("name", *_DATASET_TEXT) if key in ds}
    payload.update(
        type="dataset",
        owner_org=owner_org,
        private=False,
        tags=[{"name": tag} for tag in ds["tags"]],
        extras=_extras_list(ds["extras"]),
        resources=[
            # CKAN stores formats in their canonical spelling ("csv" -> "CSV").
            dict(res, format=unified_resource_format(res["format"]))
            for res in ds["resources"]
        ],
    )
    return payload


def _extras_list(extras: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in sorted(extras.items())]


def _reuse_resource_ids(
    wanted: list[dict[str, Any]], current: list[dict[str, Any]]
) -> None:
    """Give each wanted resource the id of the current resource of the same
    name (failing that, URL), so that updates keep resource ids and URLs."""
    available = list(current)
    for res in wanted:
        match = next(
            (r for r in available if r.get("name") == res["name"]), None
        ) or next((r for r in available if r.get("url") == res["url"]), None)
        if match is not None:
            res["id"] = match["id"]
            available.remove(match)


# Comparison: the fields the file manages, from either a payload or a
# ``*_show`` result. Absent, None and "" are the same value.


def _text(d: Mapping[str, Any], key: str) -> str:
    return d.get(key) or ""


def _extras_dict(d: Mapping[str, Any]) -> dict[str, str]:
    return {
        e["key"]: e.get("value") or ""
        for e in d.get("extras") or []
        if e.get("state", "active") == "active"
    }


def _comparable_organization(d: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "fields": {key: _text(d, key) for key in _ORG_TEXT},
        "extras": _extras_dict(d),
        "state": d.get("state") or "active",
    }


def _comparable_dataset(d: Mapping[str, Any]) -> dict[str, Any]:
    organization = d.get("organization") or {}
    return {
        "fields": {key: _text(d, key) for key in _DATASET_TEXT},
        # package_show gives the owner as an id, with the organisation's name
        # alongside; the payload names it.
        "owner_org": organization.get("name") or d.get("owner_org"),
        "private": bool(d.get("private")),
        "tags": sorted(t["name"] for t in d.get("tags") or []),
        "extras": _extras_dict(d),
        "resources": [
            {key: _text(r, key) for key in _RESOURCE_TEXT}
            for r in d.get("resources") or []
        ],
        "state": d.get("state") or "active",
    }
