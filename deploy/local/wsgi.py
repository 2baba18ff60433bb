"""WSGI entry point of the portal for gunicorn (``wsgi:application``).

Builds CKAN the way ckan/ckan's ``wsgi.py`` and ckan-docker do, from the ini
named by ``CKAN_INI`` (``var/ckan.ini`` under ``make run``).
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
