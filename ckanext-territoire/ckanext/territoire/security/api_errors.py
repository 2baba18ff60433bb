"""Answers in the action API's error format, for refusals made before its view."""

from __future__ import annotations

import json
from typing import Any

from flask import make_response, request

import ckan.plugins.toolkit as tk
from ckan.types import Response


def is_api_request() -> bool:
    return request.blueprint == "api"


def api_error(
    status: int,
    error_type: str,
    message: str = "",
    fields: dict[str, list[str]] | None = None,
) -> Response:
    """``{"help": …, "success": false, "error": {"__type": …, "message": …}}``;
    with ``fields``, a validation error's ``{"__type": …, "<field>": [...]}``."""
    body: dict[str, Any] = {}
    args = request.view_args or {}
    if request.endpoint == "api.action" and "logic_function" in args:
        body["help"] = tk.url_for(
            "api.action",
            logic_function="help_show",
            ver=args.get("ver", 3),
            name=args["logic_function"],
            _external=True,
        )
    if fields:
        body["error"] = {"__type": error_type, **fields}
    else:
        body["error"] = {"__type": error_type, "message": message}
    body["success"] = False
    return make_response(
        (json.dumps(body), status, {"Content-Type": "application/json;charset=utf-8"})
    )
