"""Security headers on every answer (``ckanext.territoire.headers.*``)."""

from __future__ import annotations

from ckan.types import Response

from .. import settings
from .cookies import https_site

# header → option (ckanext.territoire.headers.*); an empty option sends none
_HEADERS = {
    "Content-Security-Policy": "content_security_policy",
    "Referrer-Policy": "referrer_policy",
    "X-Frame-Options": "frame_options",
}


def add(response: Response) -> Response:
    """The configured headers, unless the view set its own."""
    if not settings.get_bool("ckanext.territoire.headers.enabled"):
        return response
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    for name, option in _HEADERS.items():
        value = settings.get(f"ckanext.territoire.headers.{option}")
        if value:
            headers.setdefault(name, value)
    hsts = settings.get("ckanext.territoire.headers.strict_transport_security")
    # HSTS over plain http is meaningless, and a mistake to keep for a year
    if hsts and https_site():
        headers.setdefault("Strict-Transport-Security", hsts)
    return response
