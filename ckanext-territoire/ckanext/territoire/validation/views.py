"""The full validation report of a resource, as a page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

import ckan.plugins.toolkit as tk
from ckan.lib.helpers import flash_error, flash_success

validation = Blueprint("territoire_validation", __name__)


@validation.route("/dataset/<id>/resource/<resource_id>/validation")
def report(id: str, resource_id: str) -> str:
    context = {"user": tk.current_user.name if tk.current_user else ""}
    try:
        package = tk.get_action("package_show")(context, {"id": id})
        resource = next(
            (r for r in package.get("resources", []) if r["id"] == resource_id), None
        )
        if resource is None:
            raise tk.ObjectNotFound()
        result = tk.get_action("resource_validation_show")(context, {"id": resource_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        # as CKAN's dataset pages: a private dataset is not found, not forbidden
        return tk.abort(404, tk._("Rapport de validation introuvable."))
    return tk.render(
        "territoire/validation/report.html",
        {"pkg": package, "res": resource, "validation": result},
    )


@validation.route(
    "/dataset/<id>/resource/<resource_id>/validation/run", methods=["POST"]
)
def run(id: str, resource_id: str) -> Any:
    """Button of the report page: validate again (dataset editors)."""
    context = {"user": tk.current_user.name if tk.current_user else ""}
    try:
        tk.get_action("resource_validation_run")(context, {"id": resource_id})
    except tk.NotAuthorized:
        return tk.abort(
            403,
            tk._(
                "Seuls les éditeurs du jeu de données peuvent relancer sa validation."
            ),
        )
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Rapport de validation introuvable."))
    except tk.ValidationError as e:
        flash_error(" ".join(str(m) for msgs in e.error_dict.values() for m in msgs))
    else:
        flash_success(
            tk._(
                "La validation a été relancée ; le rapport sera mis à jour dans un instant."
            )
        )
    return tk.redirect_to(
        "territoire_validation.report", id=id, resource_id=resource_id
    )
