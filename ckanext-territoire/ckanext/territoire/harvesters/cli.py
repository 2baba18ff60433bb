"""``ckan territoire harvest …`` and ``ckan territoire harvest-sources …``.

``harvest-sources sync DIR`` makes the portal's harvest sources match the
YAML files of ``DIR`` (``harvesters/`` in the repository): every file is read
and checked against ``schemas/harvest_source.json`` first, and nothing changes
unless all are valid; then each source is created, updated (only the fields
that differ) or left alone, and the command says which. Sources of the
portal that no file describes are listed, never deleted.

``harvest run SOURCE`` harvests one source now and prints progress while the
job runs (through the Redis queues; ``--local`` processes them in this
process, without the gather and fetch workers).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any

import click
import jsonschema
import yaml

import ckan.model as model
import ckan.plugins.toolkit as tk

from . import runner


def _schema() -> dict[str, Any]:
    schemas = importlib.import_module("ckanext.territoire.schemas")
    path = os.path.join(os.path.dirname(str(schemas.__file__)), "harvest_source.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@dataclass
class SourceFile:
    path: str
    data: dict[str, Any]

    @property
    def enabled(self) -> bool:
        return bool(self.data.get("enabled", True))


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[tuple[str, list[str]]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    unmanaged: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [tk._("Source créée : {name}").format(name=n) for n in self.created]
        out += [
            tk._("Source mise à jour : {name} ({fields})").format(
                name=n, fields=", ".join(f)
            )
            for n, f in self.updated
        ]
        out += [
            tk._("Source inchangée : {name}").format(name=n) for n in self.unchanged
        ]
        out += [
            tk._("Source désactivée dans son fichier, ignorée : {name}").format(name=n)
            for n in self.disabled
        ]
        out += [
            tk._(
                "Source du portail décrite par aucun fichier (laissée telle quelle) : "
                "{name}"
            ).format(name=n)
            for n in self.unmanaged
        ]
        return out


class SourceFileError(Exception):
    pass


def read_sources(directory: str) -> list[SourceFile]:
    """Every ``*.yaml``/``*.yml`` of ``directory``, checked; all errors at once."""
    if not os.path.isdir(directory):
        raise SourceFileError(
            tk._(
                "{path} n'est pas un dossier : donnez le dossier des sources "
                "(par exemple harvesters/)."
            ).format(path=directory)
        )
    validator = jsonschema.Draft202012Validator(_schema())
    files: list[SourceFile] = []
    errors: list[str] = []
    names: dict[str, str] = {}
    for entry in sorted(os.listdir(directory)):
        if not entry.endswith((".yaml", ".yml")):
            continue
        path = os.path.join(directory, entry)
        try:
            with open(path, encoding="utf-8") as f:
                data = yaml.safe_load(f)
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
            errors.append(f"{path}: {tk._('YAML illisible')} ({e})")
            continue
        problems = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        for problem in problems:
            where = ".".join(str(p) for p in problem.absolute_path) or "(racine)"
            errors.append(f"{path}: {where} : {problem.message}")
        if problems:
            continue
        if data["name"] in names:
            errors.append(
                tk._("{path} : le nom « {name} » est déjà celui de {other}").format(
                    path=path, name=data["name"], other=names[data["name"]]
                )
            )
            continue
        names[data["name"]] = path
        files.append(SourceFile(path, data))
    if errors:
        raise SourceFileError("\n".join(errors))
    return files


def _wanted(source: SourceFile, org_id: str) -> dict[str, Any]:
    d = source.data
    return {
        "name": d["name"],
        "title": d["title"],
        "notes": d.get("description", ""),
        "url": d["url"],
        "source_type": d["type"],
        "owner_org": org_id,
        "frequency": d.get("frequency", "WEEKLY"),
        "config": json.dumps(d.get("config") or {}, ensure_ascii=False, sort_keys=True),
    }


def _current(existing: dict[str, Any]) -> dict[str, Any]:
    config = existing.get("config") or "{}"
    try:
        config = json.dumps(json.loads(config), ensure_ascii=False, sort_keys=True)
    except ValueError:
        pass
    return {
        "name": existing.get("name"),
        "title": existing.get("title"),
        "notes": existing.get("notes") or "",
        "url": existing.get("url"),
        "source_type": existing.get("source_type"),
        "owner_org": existing.get("owner_org"),
        "frequency": existing.get("frequency") or "MANUAL",
        "config": config,
    }


def sync_sources(directory: str, dry_run: bool = False) -> SyncReport:
    files = read_sources(directory)
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]

    def context() -> dict[str, Any]:
        return {"user": site_user, "ignore_auth": True}

    # every owner organisation must exist before anything changes
    missing = []
    orgs: dict[str, str] = {}
    for source in files:
        if not source.enabled:
            continue
        group = model.Group.get(source.data["owner_org"])
        if group is None or not group.is_organization or group.state != "active":
            missing.append(
                tk._(
                    "{path} : l'organisation « {org} » n'existe pas sur le portail"
                ).format(path=source.path, org=source.data["owner_org"])
            )
        else:
            orgs[source.data["name"]] = group.id
    if missing:
        raise SourceFileError("\n".join(missing))

    report = SyncReport()
    managed = set()
    for source in files:
        name = source.data["name"]
        managed.add(name)
        if not source.enabled:
            report.disabled.append(name)
            continue
        wanted = _wanted(source, orgs[name])
        try:
            existing = tk.get_action("harvest_source_show")(context(), {"id": name})
        except tk.ObjectNotFound:
            existing = None
        if existing is None:
            if not dry_run:
                _apply("harvest_source_create", context(), wanted, source.path)
            report.created.append(name)
            continue
        current = _current(existing)
        changed = [k for k, v in wanted.items() if current.get(k) != v]
        if not changed:
            report.unchanged.append(name)
            continue
        if not dry_run:
            _apply(
                "harvest_source_update",
                context(),
                {**wanted, "id": existing["id"]},
                source.path,
            )
        report.updated.append((name, changed))
    others = tk.get_action("harvest_source_list")(context(), {})
    report.unmanaged = sorted(
        s["name"] for s in others if s.get("name") and s["name"] not in managed
    )
    return report


def _apply(
    action: str, context: dict[str, Any], data: dict[str, Any], path: str
) -> None:
    try:
        tk.get_action(action)(context, data)
    except tk.ValidationError as e:
        details = "; ".join(
            f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in (e.error_dict or {}).items()
        )
        raise SourceFileError(f"{path}: {details}") from e


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------


@click.group("harvest-sources", short_help="Sources moissonnées décrites en YAML.")
def harvest_sources() -> None:
    """Sources moissonnées des partenaires, décrites par les fichiers de harvesters/."""


@harvest_sources.command("validate")
@click.argument("directory", type=click.Path(file_okay=False))
def validate_cmd(directory: str) -> None:
    """Vérifie les fichiers de DIRECTORY sans rien changer."""
    try:
        files = read_sources(directory)
    except SourceFileError as e:
        raise click.ClickException(str(e)) from e
    click.echo(tk._("{n} fichier(s) valide(s).").format(n=len(files)))


@harvest_sources.command("sync")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--dry-run", is_flag=True, help="Dit ce qui changerait, sans rien changer."
)
def sync_cmd(directory: str, dry_run: bool) -> None:
    """Crée ou met à jour les sources décrites dans DIRECTORY (idempotent)."""
    try:
        report = sync_sources(directory, dry_run=dry_run)
    except SourceFileError as e:
        raise click.ClickException(
            tk._("Aucune source n'a été modifiée :") + "\n" + str(e)
        ) from e
    for line in report.lines():
        click.echo(line)
    if dry_run:
        click.echo(tk._("(simulation : rien n'a été modifié)"))


@click.group("harvest", short_help="Moissonnages.")
def harvest() -> None:
    """Moissonnages des sources partenaires."""


@harvest.command("run")
@click.argument("source")
@click.option(
    "--local",
    is_flag=True,
    help="Traite les files d'attente dans ce processus (sans les workers gather/fetch).",
)
@click.option("--wait", type=float, default=None, help="Attente maximale (secondes).")
def run_cmd(source: str, local: bool, wait: float | None) -> None:
    """Moissonne SOURCE (nom ou id) maintenant, en affichant la progression."""
    context = {"ignore_auth": True}
    try:
        found = tk.get_action("harvest_source_show")(context, {"id": source})
    except tk.ObjectNotFound as e:
        raise click.ClickException(
            tk._("Source de moissonnage inconnue : {name}").format(name=source)
        ) from e

    def progress(status: runner.JobStatus) -> None:
        click.echo(f"[{status.seconds:6.1f} s] {status.line()}", err=True)

    status = runner.run_source(found["id"], local=local, progress=progress, wait=wait)
    for message in status.gather_errors:
        click.echo(tk._("Erreur de collecte : {m}").format(m=message))
    for guid, message in status.object_errors[:50]:
        click.echo(f"  - {guid} : {message}")
    if len(status.object_errors) > 50:
        click.echo(
            tk._("… et {n} autres erreurs (voir la page de la source).").format(
                n=len(status.object_errors) - 50
            )
        )
    if not status.done:
        click.echo(tk._("Le moissonnage continue en arrière-plan."))
    if status.gather_errors:
        sys.exit(1)
