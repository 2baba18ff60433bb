"""The ``territoire_pgsearch`` plugin: CKAN's search on PostgreSQL instead of Solr.

Enable it in ``ckan.plugins`` (it is, in config/ckan.ini) and apply its
migration (``ckan db upgrade -p territoire_pgsearch``). Without it, CKAN uses
Solr at ``solr_url`` as usual. CKAN's search calls are routed here by
``compat.search`` while the plugin is loaded.
"""

from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.config.declaration import Declaration, Key
from ckan.config.declaration.option import Flag

from ckanext.territoire import compat, settings

from . import backend

PLUGIN_NAME = "territoire_pgsearch"


def active() -> bool:
    """Whether CKAN searches PostgreSQL (this plugin loaded) rather than Solr."""
    return p.plugin_loaded(PLUGIN_NAME)


class PgSearchPlugin(compat.SyncsPatches, p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IConfigurable)
    p.implements(p.IConfigDeclaration)
    p.implements(p.IPluginObserver, inherit=True)

    # IConfigDeclaration

    def declare_config_options(self, declaration: Declaration, key: Key) -> None:
        # Solr is not used while this plugin is on: its URL stops being required.
        option = declaration[key.solr_url]
        option.flags &= ~Flag.required
        declaration.load_dict(settings.declaration(PLUGIN_NAME))

    # IConfigurer

    def update_config(self, config: tk.CKANConfig) -> None:
        compat.sync()

    # IConfigurable

    def configure(self, config: tk.CKANConfig) -> None:
        # a new configuration (tests switch databases) needs a new pool
        backend.reset()
