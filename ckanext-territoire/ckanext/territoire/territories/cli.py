"""``ckan territoire cog …``: the COG reference data (official territories)."""

from __future__ import annotations

import json

import click

from . import loader


@click.group(short_help="Référentiel des territoires (COG de l'INSEE).")
def cog() -> None:
    """Référentiel des territoires : Code officiel géographique de l'INSEE."""


@cog.command("load")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Fichier de données (défaut : data/cog.json.gz livré avec l'extension).",
)
def load(path: str | None) -> None:
    """Charge (ou recharge) le COG dans la base, en une seule transaction.

    Idempotent ; en cas d'erreur, les données déjà chargées restent en place.
    """
    try:
        result = loader.load(path)
    except loader.CogLoadError as e:
        raise click.ClickException(str(e))
    click.echo(summary(result))


@cog.command("status")
def status() -> None:
    """Affiche le COG chargé (version, date, effectifs)."""
    try:
        meta = loader.status()
    except loader.CogLoadError as e:
        raise click.ClickException(str(e))
    if meta is None:
        click.echo(
            "Aucun COG chargé : lancez `ckan territoire cog load`. "
            "/ No COG loaded: run `ckan territoire cog load`."
        )
        return
    click.echo(json.dumps(meta, ensure_ascii=False, indent=2, default=str))


def summary(result: dict) -> str:
    """``COG 2026 chargé (… 6.0.0) : 26 régions, … / COG 2026 loaded (…): …``."""
    origin = f"{result['source']} {result['version']}"
    seconds = f"{result['seconds']:.1f}"
    return (
        f"COG {result['cog']} chargé ({origin}) : {result['regions']} régions, "
        f"{result['departements']} départements, {result['epci']} EPCI, "
        f"{result['communes']} communes, {result['anciens_codes']} anciens codes "
        f"(en {seconds.replace('.', ',')} s). / COG {result['cog']} loaded ({origin}): "
        f"{result['regions']} regions, {result['departements']} departments, "
        f"{result['epci']} EPCIs, {result['communes']} communes, "
        f"{result['anciens_codes']} former codes (in {seconds} s)."
    )


__all__ = ["cog"]
