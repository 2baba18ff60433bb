"""The ``territoire`` plugin: the regional portal's own behaviour on top of CKAN."""
from __future__ import annotations

import logging
import os

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

log = logging.getLogger(__name__)


def env_overrides(environ: dict[str, str]) -> dict[str, str]:
    """Config options given as ``CKAN__X__Y`` / ``CKANEXT__X__Y`` variables."""
    out = {}
    for name, value in environ.items():
        for prefix in ("CKAN__", "CKANEXT__"):
            if name.startswith(prefix) and len(name) > len(prefix):
                key = prefix[:-2].lower() + "." + name[len(prefix):].lower()
                out[key.replace("__", ".")] = value
    return out


@tk.blanket.cli
@tk.blanket.helpers
@tk.blanket.config_declarations
class TerritoirePlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)

    # IConfigurer

    def update_config(self, config: tk.CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
        if tk.asbool(config.get("ckanext.territoire.env_overrides", True)):
            for key, value in env_overrides(dict(os.environ)).items():
                if key != "ckan.plugins":
                    config[key] = value
