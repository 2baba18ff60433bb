"""/api (the developers' page), /api/openapi.json|yaml, and the API's guards.

The blueprint also sets up, on the app that registers it, the CORS rules and
the rate limiter (``record_once``: once per Flask app, after CKAN's own
``before_request`` identified the user, so that limits know who calls).
"""

from __future__ import annotations

import json
from typing import Any, cast

import yaml
from flask import Blueprint, Flask, Response, make_response, request
from flask.blueprints import BlueprintSetupState
from flask_babel import force_locale

import ckan.plugins.toolkit as tk

from .. import settings
from ..security.api_errors import api_error
from . import cors, guards, openapi, ratelimit

api_docs = Blueprint("territoire_api", __name__)

LANGS = ("fr", "en")


@api_docs.record_once
def _setup(state: BlueprintSetupState) -> None:
    app = cast(Flask, state.app)
    cors.init_app(app)
    ratelimit.init_app(app)


@api_docs.before_app_request
def guard_api() -> Response | None:
    if request.blueprint == "api":
        unknown = guards.not_an_action()
        if unknown is not None:
            return api_error(404, "Not Found Error", unknown)
        refused = guards.nul_in_request()
        if refused:
            return api_error(409, "Validation Error", fields=refused)
        return cors.refuse_cookie_writes()
    return None


@api_docs.after_app_request
def envelope_bad_requests(response: Response) -> Response:
    """CKAN's API answers a body it cannot read (not JSON, not an object)
    with a bare JSON string; the envelope of its other errors instead."""
    if request.blueprint != "api" or response.status_code != 400:
        return response
    try:
        body = json.loads(response.get_data(as_text=True))
    except ValueError:
        return response
    if not isinstance(body, str):
        return response
    wrapped = {
        "success": False,
        "error": {"__type": "Bad Request", "message": body},
    }
    response.set_data(json.dumps(wrapped))
    response.headers["Content-Type"] = "application/json;charset=utf-8"
    return response


def _spec() -> dict[str, Any]:
    lang = request.args.get("lang")
    if lang in LANGS:
        with force_locale(lang):
            return openapi.build()
    return openapi.build()


def openapi_json() -> Response:
    body = json.dumps(_spec(), ensure_ascii=False, indent=1)
    response = make_response(body)
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


def openapi_yaml() -> Response:
    body = yaml.safe_dump(_spec(), allow_unicode=True, sort_keys=False, width=100)
    response = make_response(body)
    response.headers["Content-Type"] = "application/yaml; charset=utf-8"
    return response


def index() -> str:
    site = (tk.config.get("ckan.site_url") or request.host_url).rstrip("/")
    limits = {
        key: settings.get(f"ckanext.territoire.rate_limit.{key}")
        for key in ("anonymous", "authenticated", "write")
    }
    return tk.render(
        "territoire/api/index.html",
        {
            "site": site,
            "limits": limits,
            "limits_enabled": settings.get_bool(
                "ckanext.territoire.rate_limit.enabled"
            ),
            "exempt_networks": settings.get_list(
                "ckanext.territoire.rate_limit.exempt_networks"
            ),
            "rows_max": tk.config.get("ckan.search.rows_max"),
        },
    )


api_docs.add_url_rule("/api", view_func=index, endpoint="index", strict_slashes=True)
api_docs.add_url_rule(
    "/api/openapi.json", view_func=openapi_json, endpoint="openapi_json"
)
api_docs.add_url_rule(
    "/api/openapi.yaml", view_func=openapi_yaml, endpoint="openapi_yaml"
)
