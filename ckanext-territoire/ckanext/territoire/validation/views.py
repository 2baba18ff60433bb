"""The full validation report of a resource, as a page."""

from __future__ import annotations

from flask import Blueprint

import ckan.plugins.toolkit as tk

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
