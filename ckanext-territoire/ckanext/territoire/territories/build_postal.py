"""Build ``data/postal.json.gz`` from the npm package ``codes-postaux``.

Usage::

    npm pack codes-postaux@4.1.2 && tar xzf codes-postaux-*.tgz
    python -m ckanext.territoire.territories.build_postal package/

Keeps each postal code with the INSEE codes of the communes it serves,
sorted; the output is reproducible byte for byte (``build_cog.write``).
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict
from typing import Any

from .build_cog import write

SOURCE = "codes-postaux"
LICENCE = "Licence Ouverte / Open Licence 2.0 (INSEE COG, DGFiP FIMOCT); package MIT"
DEFAULT_OUTPUT = os.path.join(os.path.dirname(__file__), "data", "postal.json.gz")


def build(package: str) -> dict[str, Any]:
    with open(os.path.join(package, "package.json"), encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("name") != SOURCE:
        raise ValueError(f"{package}: not {SOURCE} (name={meta.get('name')!r})")
    with open(os.path.join(package, "codes-postaux.json"), encoding="utf-8") as f:
        rows = json.load(f)
    served: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        served[row["codePostal"]].add(row["codeCommune"])
    return {
        "source": SOURCE,
        "version": meta["version"],
        "licence": LICENCE,
        "postal": sorted([code, sorted(communes)] for code, communes in served.items()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("package", help="unpacked npm package directory")
    parser.add_argument("-o", "--output", default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    doc = build(args.package)
    size = write(doc, args.output)
    print(
        f"{args.output}: {SOURCE} {doc['version']}, "
        f"{len(doc['postal'])} codes postaux, {size} octets"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
