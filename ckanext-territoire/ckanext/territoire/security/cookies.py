"""The session and remember-me cookies travel over https only on an https site.

Their ``SameSite`` is set in ``config/ckan.ini`` (CKAN's default for the
remember-me cookie is ``None``: sent with cross-site requests). ``Secure``
depends on ``ckan.site_url``, which each deployment sets in its generated
ini: it is derived here, when the plugin loads, before CKAN hands the
configuration to Flask.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk


def https_site(config: Any = None) -> bool:
    site_url = (config if config is not None else tk.config).get("ckan.site_url")
    return str(site_url or "").lower().startswith("https://")


def secure_on_https(config: Any) -> None:
    if https_site(config):
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
