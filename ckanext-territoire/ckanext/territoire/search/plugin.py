"""The ``territoire_pgsearch`` plugin: CKAN's search on PostgreSQL instead of Solr.

Enable it in ``ckan.plugins`` (it is, in config/ckan.ini) and apply its
migration (``ckan db upgrade -p territoire_pgsearch``). Without it, CKAN uses
Solr at ``solr_url`` as usual.
"""

from __future__ import annotations

import pathlib

import yaml

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.config.declaration import Declaration, Key
from ckan.config.declaration.option import Flag

from . import backend, patch  # noqa: F401 - importing installs the routing


def _declarations() -> dict:
    path = pathlib.Path(__file__).with_name("config_declaration.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


class PgSearchPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurable)
    p.implements(p.IConfigDeclaration)

    # IConfigDeclaration

    def declare_config_options(self, declaration: Declaration, key: Key) -> None:
        # Solr is not used while this plugin is on: its URL stops being required.
        option = declaration[key.solr_url]
        option.flags &= ~Flag.required
        declaration.load_dict(_declarations())

    # IConfigurable

    def configure(self, config: tk.CKANConfig) -> None:
        # a new configuration (tests switch databases) needs a new pool
        backend.reset()
