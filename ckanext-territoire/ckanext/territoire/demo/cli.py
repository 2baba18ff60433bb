"""``ckan territoire demo …``: the portal's demo content."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import click

from ckanext.territoire.demo import loader


@click.group(short_help="Contenu de démonstration du portail.")
def demo() -> None:
    """Contenu de démonstration du portail."""


@demo.command("load")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=loader.DEFAULT_FILE,
    show_default="grand_est.yaml du paquet",
    help="Fichier YAML à charger, au format décrit en tête de grand_est.yaml.",
)
@click.pass_context
def load(ctx: click.Context, path: Path) -> None:
    """Crée ou met à jour les organisations et jeux de données de démonstration.

    Le chargement est idempotent : un objet déjà présent et identique au
    fichier n'est pas réécrit. Le référentiel des territoires doit être
    chargé (ckan territoire cog load). Code de sortie 1 s'il ne l'est pas ou
    si le fichier est mal formé (rien n'est alors écrit), ou si un objet est
    refusé par la validation.
    """
    try:
        loader.check_cog()
    except loader.CogNotLoaded as e:
        click.secho(str(e), fg="red", err=True)
        ctx.exit(1)
    try:
        organizations = loader.read_demo_file(path)
    except loader.DemoFileError as e:
        click.secho(f"Fichier invalide : {e.path}", fg="red", err=True)
        for problem in e.problems:
            click.secho(f"  - {problem}", fg="red", err=True)
        ctx.exit(1)

    # Actions dictize with the current user in mind and need a request context.
    flask_app = ctx.meta.get("flask_app")
    request_context = (
        flask_app.test_request_context() if flask_app else contextlib.nullcontext()
    )
    with request_context:
        try:
            report = loader.load(organizations)
        except loader.CogNotLoaded as e:
            click.secho(str(e), fg="red", err=True)
            ctx.exit(1)

    for outcome in report.outcomes:
        _echo_outcome(outcome)
    click.echo(report.summary())
    if not report.ok:
        ctx.exit(1)


_KIND_LABELS = {"organization": "organisation", "dataset": "jeu de données"}
_STATUS_LABELS = {
    ("organization", "created"): "créée",
    ("organization", "updated"): "mise à jour",
    ("dataset", "created"): "créé",
    ("dataset", "updated"): "mis à jour",
}


def _echo_outcome(outcome: loader.Outcome) -> None:
    label = f"{_KIND_LABELS[outcome.kind]} « {outcome.name} »"
    if outcome.status == "error":
        errors = json.dumps(
            outcome.errors, ensure_ascii=False, sort_keys=True, default=str
        )
        click.secho(f"Erreur de validation, {label} : {errors}", fg="red", err=True)
    elif outcome.status == "skipped":
        click.secho(f"Ignoré, {label} : {outcome.reason}", fg="yellow", err=True)
    elif status := _STATUS_LABELS.get((outcome.kind, outcome.status)):
        click.echo(f"{label} : {status}")
