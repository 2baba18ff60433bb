"""Idempotent loader of the portal's demo content.

The content is a YAML file of organisations, each with its datasets (the
format is documented at the top of ``grand_est.yaml``). Their fields are those
of the territorial schemas (``schemas/territoire_organization.yaml`` and
``schemas/territoire_dataset.yaml``), read from the schema files themselves:
a key that the schema does not have is refused.

Every object is looked up by name: created when missing, updated when it
differs from the file, left alone otherwise. Each dataset is written by a
single action call (``package_create`` or ``package_update``), so a dataset
that fails validation is not written at all.

Territory codes are checked against the COG (``ckan territoire cog load``),
which must be loaded first: :func:`load` raises :class:`CogNotLoaded` otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.helpers import unified_resource_format
from ckan.types import Context

from ckanext.territoire.logic import validators
from ckanext.territoire.territories import codes, lookup
from ckanext.territoire.vocabularies import codelists

DEFAULT_FILE = Path(__file__).with_name("grand_est.yaml")
#: The package of the scheming schemas (``schemas/`` in the repository).
SCHEMA_PACKAGE = "ckanext.territoire.schemas"

Kind = Literal["organization", "dataset"]
Status = Literal["created", "updated", "unchanged", "error", "skipped"]
#: How a schema field is written in the file.
FieldType = Literal["text", "list", "date", "int"]

# Keys of the file that are not schema fields (or replace one).
_ORG_OWN_KEYS = {"datasets"}
# ``tags`` (a YAML list) stands for the schema's ``tag_string``; the owner is
# the organisation the dataset is listed under.
_DATASET_OWN_KEYS = {"tags", "resources"}
_DATASET_NOT_IN_FILE = {"owner_org", "tag_string"}

COG_NOT_LOADED = (
    "Le référentiel des territoires (COG) n'est pas chargé : lancez d'abord "
    "« ckan territoire cog load ». / The territory reference data (COG) is not "
    "loaded: run “ckan territoire cog load” first."
)


class DemoFileError(Exception):
    """The YAML file is unreadable or not in the expected format."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path = path
        self.problems = problems


class CogNotLoaded(Exception):
    """The COG is not in the database: territories cannot be validated."""

    def __init__(self) -> None:
        super().__init__(COG_NOT_LOADED)


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


# The schemas' fields


@functools.cache
def _schema(filename: str) -> dict[str, Any]:
    text = resources.files(SCHEMA_PACKAGE).joinpath(filename).read_text("utf-8")
    return yaml.safe_load(text)


def _field_type(field: Mapping[str, Any]) -> FieldType:
    preset = field.get("preset") or ""
    checks = str(field.get("validators") or "").split()
    if preset in ("territoire_territories", "territoire_multiple_choice"):
        return "list"
    if preset == "territoire_date" or "territoire_date" in checks:
        return "date"
    if "int_validator" in checks:
        return "int"
    return "text"


def _fields(fields: list[dict[str, Any]], skip: set[str]) -> dict[str, FieldType]:
    return {
        f["field_name"]: _field_type(f) for f in fields if f["field_name"] not in skip
    }


def organization_fields() -> dict[str, FieldType]:
    """The organisation schema's fields, with how the file writes them."""
    return _fields(_schema("territoire_organization.yaml")["fields"], set())


def dataset_fields() -> dict[str, FieldType]:
    """The dataset schema's fields that the file gives (not the owner, and
    ``tags`` rather than ``tag_string``)."""
    return _fields(
        _schema("territoire_dataset.yaml")["dataset_fields"], _DATASET_NOT_IN_FILE
    )


def resource_fields() -> dict[str, FieldType]:
    return _fields(_schema("territoire_dataset.yaml")["resource_fields"], set())


def choices(field_name: str) -> list[str]:
    """The allowed values of a dataset or organisation choice field."""
    for schema, key in (
        ("territoire_dataset.yaml", "dataset_fields"),
        ("territoire_organization.yaml", "fields"),
    ):
        for field in _schema(schema)[key]:
            if field["field_name"] != field_name:
                continue
            # the helper a ``codelist`` field's choices_helper delegates to
            if "codelist" in field:
                return [c["value"] for c in codelists.choices(field["codelist"])]
            if "choices" in field:
                return [c["value"] for c in field["choices"]]
    raise KeyError(field_name)


# Reading and checking the file


def read_demo_file(path: Path | str = DEFAULT_FILE) -> list[dict[str, Any]]:
    """Read a demo content file and check its format.

    The values' types are checked here (text, list of texts, date, integer);
    their content (codes, code lists, e-mail addresses…) is checked by the
    schemas' validators when loading.

    :returns: the organisations, each with a ``datasets`` list; text values
        are stripped, dates are ``AAAA-MM-JJ`` texts, absent optional values
        are left out
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
            raw_org,
            f"organizations[{i}]",
            organization_fields(),
            _ORG_OWN_KEYS,
            problems,
        )
        if org is None:
            continue
        where = f"organizations[{i}] ({org['name']})"
        _check_unique(org["name"], org_names, where, problems)

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
    ds = _check_object(raw, where, dataset_fields(), _DATASET_OWN_KEYS, problems)
    if ds is None:
        return None
    where = f"{where} ({ds['name']})"

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
            resource_fields(),
            set(),
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
    fields: Mapping[str, FieldType],
    own_keys: set[str],
    problems: list[str],
    required: tuple[str, ...] = ("name", "title"),
) -> dict[str, Any] | None:
    """Check a mapping's keys and the types of its schema fields; return the
    values of its schema fields (``None`` without a name)."""
    if not isinstance(raw, dict):
        problems.append(f"{where}: un dictionnaire est attendu")
        return None
    allowed = {*fields, *own_keys}
    for key in sorted(set(raw) - allowed, key=str):
        problems.append(
            f"{where}: clé inconnue « {key} » "
            f"(clés possibles : {', '.join(sorted(allowed))})"
        )
    obj: dict[str, Any] = {}
    for key, field_type in fields.items():
        value = raw.get(key)
        if value is None:
            continue
        problem, value = _check_value(key, field_type, value)
        if problem:
            problems.append(f"{where}: {problem}")
        elif value not in ("", []):
            obj[key] = value
    missing = [key for key in required if key not in obj]
    for key in missing:
        problems.append(f"{where}: « {key} » est obligatoire")
    return None if "name" in missing else obj


def _check_value(key: str, field_type: FieldType, value: Any) -> tuple[str, Any]:
    """(problem or "", the value to send)."""
    if field_type == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return (
                f"« {key} » doit être une liste de textes, entre guillemets "
                f'(ex. ["commune:67482"]), trouvé {value!r}',
                None,
            )
        return "", [v.strip() for v in value if v.strip()]
    if field_type == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return f"« {key} » doit être un nombre entier, trouvé {value!r}", None
        return "", value
    if field_type == "date" and isinstance(value, datetime.date):
        # YAML reads an unquoted 2024-01-31 as a date.
        if isinstance(value, datetime.datetime):
            value = value.date()
        return "", value.isoformat()
    if not isinstance(value, str):
        return (
            f"« {key} » doit être un texte "
            f"(mettre la valeur entre guillemets), trouvé {value!r}",
            None,
        )
    return "", value.strip()


def _check_unique(name: str, seen: set[str], where: str, problems: list[str]) -> None:
    if name in seen:
        problems.append(f"{where}: nom « {name} » en double")
    seen.add(name)


# Loading


def check_cog() -> None:
    """Raise :class:`CogNotLoaded` unless the COG is in the database."""
    lookup.reset()
    if not lookup.is_loaded():
        raise CogNotLoaded()


def load_file(path: Path | str = DEFAULT_FILE) -> LoadReport:
    """Read ``path`` and load it; see :func:`load`."""
    return load(read_demo_file(path))


def load(organizations: list[dict[str, Any]]) -> LoadReport:
    """Create or update the organisations and datasets, as the site user.

    Loading goes on after a validation error, so that one run reports every
    broken entry; the datasets of an organisation that could not be written
    are skipped.

    :param organizations: as returned by :func:`read_demo_file`
    :raises CogNotLoaded: before writing anything, if the COG is not loaded
    """
    check_cog()
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
        # A patch keeps the members. It merges the payload into the current
        # organisation: fields absent from the file are sent empty to clear
        # them, and extras that are not schema fields are dropped. The state
        # brings back an organisation deleted in the meantime.
        cleared = {key: "" for key in organization_fields() if key not in wanted}
        tk.get_action("organization_patch")(
            _context(user),
            dict(cleared, **wanted, id=current["id"], state="active", extras=[]),
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
        # A dataset without territories gets its organisation's.
        default = validators.org_default_territory(model.Group.get(owner_org))
        if _comparable_dataset(current, default) == _comparable_dataset(
            wanted, default
        ):
            return Outcome("dataset", ds["name"], "unchanged")
        # The update replaces the whole dataset, clearing the fields absent
        # from the file; the state brings back a deleted dataset.
        payload = dict(wanted, id=current["id"], state="active")
        _reuse_resource_ids(payload["resources"], current.get("resources", []))
        tk.get_action("package_update")(_context(user), payload)
        return Outcome("dataset", ds["name"], "updated")
    except tk.ValidationError as e:
        return Outcome("dataset", ds["name"], "error", errors=e.error_dict)


def _organization_payload(org: dict[str, Any]) -> dict[str, Any]:
    return {key: org[key] for key in ("name", *organization_fields()) if key in org}


def _dataset_payload(ds: dict[str, Any], owner_org: str) -> dict[str, Any]:
    payload = {key: ds[key] for key in ("name", *dataset_fields()) if key in ds}
    payload.update(
        type="dataset",
        owner_org=owner_org,
        private=False,
        tags=[{"name": tag} for tag in ds["tags"]],
        resources=[
            # CKAN stores formats in their canonical spelling ("csv" -> "CSV").
            dict(res, format=unified_resource_format(res["format"]))
            for res in ds["resources"]
        ],
    )
    return payload


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
# ``*_show`` result, normalised as the schemas' validators store them
# (``67482`` is ``commune:67482``, ``envi`` is ``ENVI``, an absent licence is
# the default one…). Absent, None and "" are the same value. A value that the
# validators would refuse is kept as written: it differs, and the update
# reports the error.


def _text(value: Any) -> str:
    return str(value).strip() if value not in (None, "") else ""


def _list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.startswith("[") else value.split(",")
        except ValueError:
            return [value]
    if not isinstance(value, list):
        value = [value]
    return [str(v).strip() for v in value if str(v).strip()]


def _date(value: Any) -> str:
    try:
        return _text(validators.territoire_date(value))
    except tk.Invalid:
        return _text(value)


def _territory(value: Any, level: str | None = None) -> str:
    """The current canonical code of ``value``; ``level`` reads a bare
    two-digit code (``44`` with level ``region``)."""
    text = _text(value)
    if not text:
        return ""
    try:
        try:
            code = codes.normalize(text)
        except tk.Invalid:
            if level not in ("departement", "region"):
                raise
            code = codes.normalize(text, level=level)
        return validators.resolve_territory(code)[0]
    except tk.Invalid:
        return text


def _normal(field_type: FieldType, value: Any) -> Any:
    if field_type == "list":
        return _list(value)
    if field_type == "date":
        return _date(value)
    if field_type == "int":
        return value if isinstance(value, int) else _text(value) or None
    return _text(value)


def _extras_dict(d: Mapping[str, Any]) -> dict[str, str]:
    """Extras that are not schema fields (left over from an older format)."""
    return {
        e["key"]: e.get("value") or ""
        for e in d.get("extras") or []
        if e.get("state", "active") == "active"
    }


def _comparable_organization(d: Mapping[str, Any]) -> dict[str, Any]:
    fields = {
        key: _normal(field_type, d.get(key))
        for key, field_type in organization_fields().items()
        if key != "name"
    }
    fields["siren"] = re.sub(r"[\s.]", "", fields.get("siren", ""))
    level = validators.KIND_LEVEL.get(fields.get("kind", ""))
    fields["cog_code"] = _territory(fields.get("cog_code"), level)
    fields["territory"] = _territory(fields.get("territory")) or fields["cog_code"]
    return {
        "fields": fields,
        "extras": _extras_dict(d),
        "state": d.get("state") or "active",
    }


def _comparable_dataset(
    d: Mapping[str, Any], default_territory: str | None
) -> dict[str, Any]:
    fields = {
        key: _normal(field_type, d.get(key))
        for key, field_type in dataset_fields().items()
        if key != "name"
    }
    territories = [_territory(code) for code in fields.get("territories", [])]
    fields["territories"] = list(dict.fromkeys(territories)) or (
        [default_territory] if default_territory else []
    )
    themes = (t.upper() for t in fields.get("themes", []))
    fields["themes"] = list(dict.fromkeys(themes))
    fields["license_id"] = fields.get("license_id") or tk.config.get(
        "ckanext.territoire.default_license"
    )
    organization = d.get("organization") or {}
    return {
        "fields": fields,
        # package_show gives the owner as an id, with the organisation's name
        # alongside; the payload names it.
        "owner_org": organization.get("name") or d.get("owner_org"),
        "private": bool(d.get("private")),
        "tags": sorted(t["name"] for t in d.get("tags") or []),
        "extras": _extras_dict(d),
        "resources": [_comparable_resource(r) for r in d.get("resources") or []],
        "state": d.get("state") or "active",
    }


def _comparable_resource(r: Mapping[str, Any]) -> dict[str, Any]:
    fields = {
        key: _normal(field_type, r.get(key))
        for key, field_type in resource_fields().items()
    }
    if fields.get("format"):
        fields["format"] = unified_resource_format(fields["format"])
    try:
        fields["schema"] = _text(validators.territoire_schema_id(fields.get("schema")))
    except tk.Invalid:
        pass
    return fields
