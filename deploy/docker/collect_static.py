"""Copy the public folders CKAN serves into one tree, for nginx.

    python collect_static.py DEST

CKAN serves at the site root its own ``ckan/public`` and each plugin's
``public`` folder (``/base/…``, ``/territoire/logo.svg``, ``/ckanext/harvest/…``).
nginx serves this merged copy itself and hands any path it lacks to CKAN
(``try_files … @ckan``), so a file missing here still works, only slower.
An earlier plugin wins in CKAN (``extra_public_paths`` before
``ckan/public``): here CKAN's folder is copied first and ours last.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path


def public_folders() -> list[Path]:
    ckan = importlib.util.find_spec("ckan")
    ckanext = importlib.util.find_spec("ckanext")
    assert ckan and ckan.origin and ckanext and ckanext.submodule_search_locations
    folders = [Path(ckan.origin).parent / "public"]
    ours = []
    for root in ckanext.submodule_search_locations:
        for public in sorted(Path(root).glob("*/public")):
            (ours if public.parent.name == "territoire" else folders).append(public)
    return [f for f in folders + ours if f.is_dir()]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    dest = Path(argv[0])
    dest.mkdir(parents=True, exist_ok=True)
    for folder in public_folders():
        # sources of the compiled webassets, never served as such
        shutil.copytree(
            folder,
            dest,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("*.scss", "scss", "__pycache__", "*.py"),
        )
        print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
