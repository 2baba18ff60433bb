"""``ckan territoire dcat …``: the full-catalogue DCAT dump."""

from __future__ import annotations

import os
import sys

import click

import ckan.plugins.toolkit as tk


@click.group(short_help="Export DCAT : catalogue complet (dump).")
def dcat() -> None:
    """Export DCAT du catalogue."""


@dcat.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "rdf", "both"]),
    default="both",
    show_default=True,
    help="Turtle (catalog.ttl), RDF/XML (catalog.rdf) or both.",
)
@click.option(
    "--fail-on-skip",
    is_flag=True,
    help="Exit with status 1 when some dataset had to be left out.",
)
@click.option(
    "--if-stale",
    is_flag=True,
    help="Do nothing if every file is younger than "
    "ckanext.territoire.dcat.dump_interval (for a loop or cron job that runs "
    "more often than that; 0 = never regenerate).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="Processes that build the graphs (default: "
    "ckanext.territoire.dcat.dump_workers; 0 = one per CPU, 1 = none forked).",
)
def dump(fmt: str, fail_on_skip: bool, if_stale: bool, workers: int | None) -> None:
    """Write the whole public catalogue to <ckan.storage_path>/dcat/.

    The previous files are replaced atomically at the end; on failure they
    are kept. Datasets that cannot be serialized are left out and listed.
    """
    from . import dump as dump_module

    formats = dump_module.FORMATS if fmt == "both" else (fmt,)
    if if_stale and not dump_module.is_stale(formats):
        click.echo("Dump à jour / dump up to date.")
        return
    if not tk.config.get("ckan.storage_path"):
        tk.error_shout(
            "ckan.storage_path n'est pas défini : aucun endroit où écrire le dump "
            "/ ckan.storage_path is not set"
        )
        sys.exit(1)
    if workers == 0:
        workers = os.cpu_count() or 1
    report = dump_module.write_dump(formats, n_workers=workers)
    click.echo(report.summary())
    if report.skipped and fail_on_skip:
        sys.exit(1)
