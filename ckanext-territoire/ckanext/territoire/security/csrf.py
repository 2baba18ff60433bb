"""A CSRF token on every write authenticated by the session cookie.

CKAN 2.12's ``ckan_before_request`` calls ``csrf.exempt(view)`` whenever a
request is authenticated by an API token, and also for an anonymous one
(``load_user_from_request`` sets ``g.login_via_auth_header``): the view is
exempt from Flask-WTF's check for the rest of the worker's life, for every
user. One anonymous API call made the action API accept cross-site POSTs
applied with a visitor's cookie.

Here the decision is made per request: a write (Flask-WTF's
``WTF_CSRF_METHODS``) whose user was identified by the session or remember-me
cookie is checked with Flask-WTF's own ``protect()`` (token in the
``X-CSRFToken`` header, as CKAN's JavaScript sends it, or in the form field;
same-origin Referer on https), whatever the exemptions. Requests
authenticated by an API token, anonymous ones and reads are left as CKAN
treats them. No view of CKAN or of the portal's extensions is exempt on
purpose (``csrf.exempt`` is only called by ``ckan_before_request``).
"""

from __future__ import annotations

import logging

from flask import current_app, g, request
from flask_wtf.csrf import CSRFError

import ckan.plugins.toolkit as tk
from ckan.common import current_user
from ckan.types import Response

from .api_errors import api_error, is_api_request

log = logging.getLogger(__name__)


def _cookie_authenticated() -> bool:
    return bool(current_user.is_authenticated) and not g.get("login_via_auth_header")


def check() -> Response | None:
    """403 for a cookie-authenticated write without a valid CSRF token."""
    app_config = current_app.config
    if not app_config.get("WTF_CSRF_ENABLED"):
        return None
    if request.method not in app_config["WTF_CSRF_METHODS"]:
        return None
    if not _cookie_authenticated() or g.get("csrf_valid"):
        return None
    try:
        current_app.extensions["csrf"].protect()
    except CSRFError as e:
        log.info("CSRF check failed for %s %s: %s", request.method, request.path, e)
        message = tk._(
            "Requête refusée : jeton CSRF absent ou invalide. Une écriture "
            "authentifiée par le cookie de session envoie le jeton de la page "
            "(en-tête X-CSRFToken ou champ {field}) ; un script utilise plutôt "
            "un jeton d'API (en-tête Authorization)."
        ).format(field=app_config["WTF_CSRF_FIELD_NAME"])
        if is_api_request():
            return api_error(403, "Authorization Error", message)
        tk.abort(403, message)
    return None
