"""``ckan territoire backup create|restore DIR``."""

from __future__ import annotations

from pathlib import Path

import click

from .core import BackupError


@click.group(short_help="Sauvegardes et restauration / backups and restore.")
def backup() -> None:
    """Sauvegarde complète du portail (bases CKAN et DataStore, fichiers,
    moissonnage, configuration sans secrets) et restauration."""


def _say(message: str) -> None:
    click.echo(message)


@backup.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def create_command(directory: Path) -> None:
    """Écrit une sauvegarde dans DIRECTORY (nouveau dossier, ou vide)."""
    from . import core

    try:
        manifest = core.create(directory, say=_say)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    _print_summary(manifest)
    click.echo(f"sauvegarde écrite / backup written: {directory}")


@backup.command("restore")
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "--force",
    is_flag=True,
    help="Remplacer le contenu d'une instance qui n'est pas vide (les fichiers "
    "présents sont mis de côté, pas supprimés).",
)
def restore_command(directory: Path, force: bool) -> None:
    """Restaure la sauvegarde DIRECTORY dans cette instance (vide)."""
    from . import core

    try:
        manifest = core.restore(directory, force=force, say=_say)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    _after_restore(manifest)
    _print_summary(manifest)
    click.echo(
        "restauration terminée, conforme au manifeste / restore complete, "
        "matches the manifest"
    )


@backup.command("prune")
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--daily", default=7, show_default=True, help="Jours gardés.")
@click.option("--weekly", default=4, show_default=True, help="Semaines gardées.")
@click.option("--monthly", default=12, show_default=True, help="Mois gardés.")
@click.option("--dry-run", is_flag=True, help="Dire sans supprimer.")
def prune_command(
    directory: Path, daily: int, weekly: int, monthly: int, dry_run: bool
) -> None:
    """Supprime dans DIRECTORY les sauvegardes au-delà de la rétention : la
    plus récente de chacun des derniers jours, semaines et mois est gardée.
    Seuls les dossiers de sauvegarde complets (manifeste lisible) comptent."""
    from . import core

    kept, deleted = core.prune(
        directory, daily=daily, weekly=weekly, monthly=monthly, dry_run=dry_run
    )
    verb = "à supprimer / would delete" if dry_run else "supprimée / deleted"
    for folder in deleted:
        click.echo(f"  {verb} : {folder}")
    click.echo(f"{len(kept)} gardée(s) / kept, {len(deleted)} {verb}")


def _after_restore(manifest: dict) -> None:
    """The search index lives in the CKAN database with the embedded backend;
    with Solr it is rebuilt. Versions that differ need the migrations."""
    from importlib import metadata

    from ckan.lib import search
    from ckan.lib.search import common

    if common.make_connection().__class__.__name__ != "PgSearchConnection":
        click.echo("index de recherche (Solr) reconstruit / search index rebuilt")
        search.rebuild()
    try:
        here = metadata.version("ckanext-territoire")
    except metadata.PackageNotFoundError:
        here = None
    saved = manifest.get("versions", {}).get("ckanext-territoire")
    if saved and here and saved != here:
        click.echo(
            f"sauvegarde faite avec ckanext-territoire {saved}, instance en {here} : "
            "exécutez « ckan db upgrade » et « ckan db upgrade -p territoire » "
            f"/ backup made with {saved}, this instance runs {here}: run the "
            "migrations"
        )


def _print_summary(manifest: dict) -> None:
    labels = {
        "packages": "jeux de données / datasets (toutes versions d'état)",
        "resources": "ressources / resources",
        "groups": "organisations et groupes / organisations and groups",
        "users": "utilisateurs / users",
        "harvest_sources": "sources moissonnées / harvest sources",
        "harvest_objects": "objets moissonnés / harvest objects",
        "datastore_tables": "tables DataStore / DataStore tables",
        "datastore_rows": "lignes DataStore / DataStore rows",
        "tables_ckan": "tables de la base CKAN / CKAN database tables",
    }
    summary = manifest.get("summary", {})
    for key, label in labels.items():
        if key in summary:
            click.echo(f"  {summary[key]:>10}  {label}")
    files = manifest.get("files", {})
    click.echo(
        f"  {files.get('count', 0):>10}  fichiers / files ({files.get('bytes', 0)} octets)"
    )
