"""``ckan territoire schemas …``: the local schema catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import ckan.model as model


@click.group(short_help="Catalogue local des schémas de données (validation).")
def schemas() -> None:
    """Catalogue local des schémas de données utilisé par la validation."""


def _declared() -> list[tuple[str, str | None]]:
    """(schema, version) declared by active resources."""
    import sqlalchemy as sa

    rows = model.Session.execute(
        sa.text(
            "SELECT DISTINCT extras::jsonb ->> 'schema', "
            "extras::jsonb ->> 'schema_version' FROM resource "
            "WHERE state = 'active' AND extras IS NOT NULL "
            "AND extras::jsonb ->> 'schema' IS NOT NULL"
        )
    ).all()
    return [(str(name).lower(), version or None) for name, version in rows]


@schemas.command("refresh")
@click.argument("names", nargs=-1)
@click.option("--version", "version", default=None, help="Une version précise (2.1.5).")
def refresh(names: tuple[str, ...], version: str | None) -> None:
    """Récupère les schémas depuis le catalogue officiel (schema.data.gouv.fr).

    Sans NAMES : les schémas déjà présents et ceux que déclarent les ressources
    (dernière version, et chaque version déclarée). Un téléchargement qui
    échoue laisse la copie précédente en place.
    """
    from ..validation import catalogue

    wanted: list[tuple[str, str | None]]
    if names:
        wanted = [(name.lower(), version) for name in names]
    else:
        declared = _declared()
        latest = set(catalogue.local_names()) | {name for name, _v in declared}
        wanted = [(name, None) for name in sorted(latest)]
        wanted += sorted({(n, v) for n, v in declared if v and v != "latest"}, key=str)
    result = catalogue.refresh(wanted)
    for label in result.written:
        click.echo(f"ok {label}")
    _report(result, "écrit(s)")


@schemas.command("import")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_(source: Path) -> None:
    """Copie les schémas d'un miroir local (sans réseau) dans le catalogue.

    SOURCE a la forme du catalogue : scdl/deliberations.json, et
    scdl/deliberations/2.1.4.json pour une version précise.
    """
    from ..validation import catalogue

    _report(catalogue.import_directory(source), "copié(s)")


def _report(result: Any, done: str) -> None:
    """The failures, the counts, and exit status 1 if any failed."""
    from ..validation import catalogue

    for label, problem in result.failed:
        click.echo(f"ÉCHEC {label} : {problem} (copie précédente conservée)", err=True)
    click.echo(
        f"{len(result.written)} schéma(s) {done} dans {catalogue.directory()}, "
        f"{len(result.failed)} échec(s)."
    )
    if result.failed:
        raise click.exceptions.Exit(1)


@schemas.command("list")
def list_() -> None:
    """Les schémas du catalogue local."""
    from ..validation import catalogue

    for name in catalogue.local_names():
        click.echo(name)
