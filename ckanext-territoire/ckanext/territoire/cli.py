"""``ckan territoire …`` commands."""

from __future__ import annotations

import click

from ckanext.territoire.backup.cli import backup
from ckanext.territoire.dcat.cli import dcat
from ckanext.territoire.demo.cli import demo
from ckanext.territoire.harvesters.cli import harvest, harvest_sources
from ckanext.territoire.search.cli import search
from ckanext.territoire.territories.cli import cog
from ckanext.territoire.validation.cli import schemas

__all__ = ["territoire"]


@click.group(short_help="Commandes du portail territorial (territoire).")
def territoire() -> None:
    """Commandes du portail territorial."""


@territoire.command("compat")
def compat_report() -> None:
    """Les adaptations du code de CKAN et des extensions, leur état et leurs
    versions (ckanext/territoire/compat/) / upstream patches and their versions."""
    from ckanext.territoire import compat

    rows = compat.report()
    problems = compat.version_problems(
        patch for patch in compat.patches() if patch.wanted()
    )
    for row in rows:
        state = {
            True: "en place",
            False: "ABSENTE",
            None: "internes utilisés, rien de remplacé",
        }[row["applied"]]
        if not row["needed"]:
            state = "inutile (greffons non chargés)"
        click.echo(f"{row['name']}: {state}")
        click.echo(f"  {row['replaces']}")
        for dist, versions in row["upstream"].items():
            click.echo(
                f"  {dist} {versions['installed'] or '(absent)'} "
                f"(écrite pour {versions['tested'].lstrip('=')})"
            )
    if problems:
        click.echo(
            "Versions différentes / versions differ:\n  " + "\n  ".join(problems)
        )
        raise click.exceptions.Exit(1)


territoire.add_command(backup)
territoire.add_command(demo)
territoire.add_command(search)
territoire.add_command(cog)
territoire.add_command(dcat)
territoire.add_command(harvest)
territoire.add_command(harvest_sources)
territoire.add_command(schemas)
