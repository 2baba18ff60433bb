"""WSGI entry point of the portal for gunicorn (``wsgi:application``).

Builds CKAN the way ckan/ckan's ``wsgi.py`` and ckan-docker do, from the ini
named by ``CKAN_INI`` (``var/ckan.ini`` under ``make run``).

Behind a reverse proxy (deploy/nginx), ``TERRITOIRE_PROXY_HOPS=1`` trusts
that many ``X-Forwarded-For``/``-Proto``/``-Host`` hops (werkzeug's ProxyFix):
without it every client has the proxy's address, and the per-IP API rate
limits count all of them together. Never set it when gunicorn is reachable
directly: clients could then choose their address.
"""
from __future__ import annotations

import os
from configparser import RawConfigParser
from logging.config import fileConfig as loggingFileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

config_path = os.environ.get("CKAN_INI", "")
if not config_path or not os.path.exists(config_path):
    raise RuntimeError(f"CKAN config file not found: {config_path!r} (set CKAN_INI)")

# Upstream calls fileConfig(config_path) unconditionally; var/ckan.ini has no
# logging sections of its own (they come from config/ckan.ini through the
# `use = config:` chain, and CKANConfigLoader applies them), so only do it when
# the top file carries them.
_parser = RawConfigParser()
_parser.read(config_path)
if _parser.has_section("loggers"):
    loggingFileConfig(config_path)

config = CKANConfigLoader(config_path).get_config()
application = make_app(config)

_hops = int(os.environ.get("TERRITOIRE_PROXY_HOPS") or 0)
if _hops > 0:
    from werkzeug.middleware.proxy_fix import ProxyFix

    application = ProxyFix(  # type: ignore[assignment]
        application, x_for=_hops, x_proto=_hops, x_host=_hops
    )
