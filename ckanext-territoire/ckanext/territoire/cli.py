"""``ckan territoire …`` commands."""

from __future__ import annotations

import click

from ckanext.territoire.dcat.cli import dcat
from ckanext.territoire.demo.cli import demo
from ckanext.territoire.harvesters.cli import harvest, harvest_sources
from ckanext.territoire.search.cli import search
from ckanext.territoire.territories.cli import cog

__all__ = ["territoire"]


@click.group(short_help="Commandes du portail territorial (territoire).")
def territoire() -> None:
    """Commandes du portail territorial."""


territoire.add_command(demo)
territoire.add_command(search)
territoire.add_command(cog)
territoire.add_command(dcat)
territoire.add_command(harvest)
territoire.add_command(harvest_sources)
