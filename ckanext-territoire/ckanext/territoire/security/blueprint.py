"""The request hooks of ``security``, on a blueprint without routes.

Registered through ``IBlueprint``, its ``before_app_request`` hook runs after
CKAN's ``ckan_before_request`` (the user is identified) and before
Flask-WTF's CSRF check and any view: the body is bounded before anything
reads it.
"""

from __future__ import annotations

from flask import Blueprint

from ckan.types import Response

from . import csrf, downloads, headers, request_limits
from .api_errors import is_api_request

security = Blueprint("territoire_security", __name__)


@security.before_app_request
def guard_request() -> Response | None:
    """An error answer for a refused request (the pages' errors are raised)."""
    if is_api_request():
        return request_limits.check() or csrf.check()
    csrf.check()
    downloads.check()
    return None


@security.after_app_request
def add_headers(response: Response) -> Response:
    return headers.add(response)
