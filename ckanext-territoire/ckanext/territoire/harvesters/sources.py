"""Harvest source configuration: validation (JSON Schema).

``validate_source_config`` checks a source's JSON configuration against the
options every harvester of ours accepts (``base.COMMON_CONFIG``) plus the
protocol's own, and explains the first problems in French and English.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from .messages import _, bilingual


def config_schema(properties: dict[str, Any]) -> dict[str, Any]:
    from .base import COMMON_CONFIG

    return {
        "type": "object",
        "properties": {**COMMON_CONFIG, **properties},
        "additionalProperties": False,
    }


def _where(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    return path or "(racine)"


def validate_source_config(config: Any, properties: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming each problem of ``config``."""
    validator = jsonschema.Draft202012Validator(config_schema(properties))
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.path))
    if not errors:
        return
    problems = []
    for error in errors[:5]:
        if error.validator == "additionalProperties":
            known = ", ".join(sorted(config_schema(properties)["properties"]))
            problems.append(
                bilingual(
                    _("option inconnue ({detail}) ; options possibles : {known}"),
                    detail=error.message,
                    known=known,
                )
            )
        else:
            problems.append(f"{_where(error)} : {error.message}")
    raise ValueError(
        bilingual(
            _("Configuration de la source invalide : {problems}"),
            problems=" ; ".join(problems),
        )
    )


def check_source_config(config: str | None, properties: dict[str, Any]) -> None:
    """A source's configuration text: JSON, then the schema; ``ValueError`` if not."""
    if not config:
        return
    try:
        parsed = json.loads(config)
    except ValueError as e:
        raise ValueError(
            bilingual(
                _(
                    "La configuration de la source n'est pas du JSON valide "
                    "({error}) : écrivez un objet, par exemple "
                    '{{"withdraw_after_days": 7}}.'
                ),
                error=e,
            )
        ) from e
    validate_source_config(parsed, properties)


def restore_source_organization(pkg_dict: dict[str, Any]) -> None:
    """Give a harvest source its owning organisation back, as a dictionary.

    ckanext-harvest's show schema copies each key of the source's JSON
    configuration to the top of the source (``harvest_source_convert_from_config``):
    the udata option ``organization`` (the partner's organisation on its
    portal) then replaced ``organization``, and every page listing sources
    failed. The option stays in ``config``.
    """
    if pkg_dict.get("type") != "harvest" or isinstance(
        pkg_dict.get("organization"), (dict, type(None))
    ):
        return
    import ckan.lib.dictization as d
    import ckan.model as model

    group = model.Group.get(pkg_dict.get("owner_org") or "")
    if group is None or group.state != "active":
        pkg_dict["organization"] = None
        return
    organization = d.table_dictize(group, {"model": model})
    organization.pop("extras", None)
    pkg_dict["organization"] = organization
