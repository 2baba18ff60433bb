"""Build ``data/cog.json.gz`` from the npm package ``@etalab/decoupage-administratif``.

Usage::

    npm pack @etalab/decoupage-administratif@6.0.0 && tar xzf etalab-*.tgz
    python -m ckanext.territoire.territories.build_cog package/

The output keeps only what the portal uses (codes, names, containment,
population, former codes) and is deterministic: rows are sorted and the gzip
header carries no timestamp, so rebuilding from the same package gives the
same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from typing import Any

SOURCE = "@etalab/decoupage-administratif"
LICENCE = "Licence Ouverte / Open Licence 2.0"
DEFAULT_OUTPUT = os.path.join(os.path.dirname(__file__), "data", "cog.json.gz")

# The package's documented year table: 1.x is COG 2021, …, 6.x is COG 2026.
_FIRST_MAJOR_YEAR = 2020


def cog_year(version: str) -> int:
    return _FIRST_MAJOR_YEAR + int(version.split(".", 1)[0])


def _read(package: str, name: str) -> Any:
    with open(os.path.join(package, name), encoding="utf-8") as f:
        return json.load(f)


def build(package: str, cog: int | None = None) -> dict[str, Any]:
    """The compact document for the package unpacked in ``package``."""
    meta = _read(package, "package.json")
    if meta.get("name") != SOURCE:
        raise ValueError(f"{package}: not {SOURCE} (name={meta.get('name')!r})")
    version = meta["version"]

    regions = sorted([r["code"], r["nom"]] for r in _read(package, "data/regions.json"))
    departements = sorted(
        [d["code"], d["nom"], d["region"]]
        for d in _read(package, "data/departements.json")
    )
    epci = sorted(
        [e["code"], e["nom"], e["type"], sorted(m["code"] for m in e["membres"])]
        for e in _read(package, "data/epci.json")
    )
    # Delegated and associated communes and municipal arrondissements are
    # parts of a current commune, not territories of their own.
    communes = sorted(
        [
            c["code"],
            c["nom"],
            c["departement"],
            c["region"],
            c.get("siren"),
            c.get("population"),
            sorted(c.get("anciensCodes") or []),
        ]
        for c in _read(package, "data/communes.json")
        if c.get("type") == "commune-actuelle"
    )
    return {
        "source": SOURCE,
        "version": version,
        "cog": cog or cog_year(version),
        "licence": LICENCE,
        "regions": regions,
        "departements": departements,
        "epci": epci,
        "communes": communes,
    }


def write(doc: dict[str, Any], output: str) -> int:
    """Write ``doc`` gzipped to ``output``; return the number of bytes written."""
    payload = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    tmp = output + ".tmp"
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(payload.encode("utf-8"))
    os.replace(tmp, output)
    return os.path.getsize(output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("package", help="unpacked npm package directory")
    parser.add_argument("-o", "--output", default=DEFAULT_OUTPUT)
    parser.add_argument("--cog", type=int, help="COG year (default: from version)")
    args = parser.parse_args(argv)
    doc = build(args.package, args.cog)
    size = write(doc, args.output)
    print(
        f"{args.output}: COG {doc['cog']} ({SOURCE} {doc['version']}), "
        f"{len(doc['regions'])} régions, {len(doc['departements'])} départements, "
        f"{len(doc['epci'])} EPCI, {len(doc['communes'])} communes, {size} octets"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
