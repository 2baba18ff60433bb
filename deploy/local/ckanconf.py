"""Read CKAN configuration for deploy/local/devctl.sh, without starting CKAN.

    ckanconf.py get INI KEY       print the value of KEY (empty if unset)
    ckanconf.py summary INI       print "plugins <enabled plugins…>", then
                                  "migration <name> <dir>" for CKAN core and
                                  for every enabled plugin that ships alembic
                                  migrations (one Python start-up for both)

The configuration is read with CKAN's own loader, so the ``use = config:``
chain resolves exactly as it does for ``ckan -c INI``. Plugin migration folders
are located the way ``ckan db upgrade -p`` does (``ckan/cli/db.py``), from the
``ckan.plugins`` entry points, without importing the plugins themselves.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from importlib.metadata import entry_points

from ckan.cli import CKANConfigLoader


def _config(ini: str) -> dict[str, str]:
    return CKANConfigLoader(ini).get_config()


def _plugin_dir(module_file: str) -> str:
    # Same rule as ckan.cli.db._resolve_alembic_config: keep ".../ckanext/<ext>".
    plugin_dir = os.path.dirname(module_file)
    start = plugin_dir.rfind("/ckanext/") + len("/ckanext/")
    end = plugin_dir.find("/", start)
    return plugin_dir if end == -1 else plugin_dir[:end]


def summary(ini: str) -> None:
    import ckan.migration

    plugins = _config(ini).get("ckan.plugins", "").split()
    print("plugins", *plugins)
    print("migration", "ckan", os.path.dirname(ckan.migration.__file__))
    eps = {ep.name: ep for ep in entry_points(group="ckan.plugins")}
    for name in plugins:
        ep = eps.get(name)
        if ep is None:
            print(f"ckanconf: unknown plugin {name!r}", file=sys.stderr)
            continue
        try:
            spec = importlib.util.find_spec(ep.module)
        except ImportError as err:
            print(f"ckanconf: cannot locate plugin {name!r}: {err}", file=sys.stderr)
            continue
        if spec is None or not spec.origin:
            continue
        folder = os.path.join(_plugin_dir(spec.origin), "migration", name)
        if os.path.exists(os.path.join(folder, "alembic.ini")):
            print("migration", name, folder)


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "get":
        print(_config(argv[1]).get(argv[2], ""))
        return 0
    if len(argv) == 2 and argv[0] == "summary":
        summary(argv[1])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
