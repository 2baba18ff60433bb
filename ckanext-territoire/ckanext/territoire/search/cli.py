"""``ckan territoire search …``: look inside the PostgreSQL search index."""

from __future__ import annotations

import json

import click

import ckan.plugins.toolkit as tk

from . import backend, plugin, tables


@click.group(short_help="Index de recherche PostgreSQL (territoire_pgsearch).")
def search() -> None:
    """Index de recherche PostgreSQL."""


@search.command()
def status() -> None:
    """Show the backend in use and the size of the index."""
    if not plugin.active():
        click.echo(
            "territoire_pgsearch n'est pas activé : CKAN utilise Solr "
            f"({tk.config.get('solr_url')})."
        )
        return
    with backend.ENGINE.get().connect() as conn:
        cur = backend._raw(conn).cursor()
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'active'), "
            f"pg_size_pretty(pg_total_relation_size('{tables.DOCS}')) "
            f"FROM {tables.DOCS} WHERE site_id = %s",
            (tk.config.get("ckan.site_id"),),
        )
        total, active, size = cur.fetchone()
        generation = backend.read_generation()
    click.echo(
        json.dumps(
            {
                "backend": "postgresql",
                "documents": total,
                "active": active,
                "size": size,
                "generation": generation[1] if generation else None,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


@search.command()
def summarize() -> None:
    """Rebuild the facet summary from the index (after changing
    ckanext.territoire.search.facet_summary_fields, or after a restore).

    Every index write keeps the summary up to date; this command is only
    needed when no write happens after such a change.
    """
    from . import summary

    names = summary.configured_fields()
    with backend.ENGINE.get().begin() as conn:
        cur = backend._raw(conn).cursor()
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (summary._LOCK_KEY,))
        summary.rebuild(cur, names)
        cur.execute(f"SELECT count(*) FROM {tables.FACETS}")
        rows = cur.fetchone()[0]
    backend.CACHE.clear()
    click.echo(
        f"Résumé des facettes reconstruit : {rows} lignes ({' '.join(names) or '—'}). "
        f"/ Facet summary rebuilt: {rows} rows."
    )
