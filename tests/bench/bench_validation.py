"""Validation benchmark: a generated SCDL deliberations file of N rows.

Builds a Windows-1252, ``;``-separated file of ``rows`` deliberations (as a
town hall's spreadsheet exports it; one row in 1,000 carries an error: a
French date, a wrong SIRET key, a decimal comma) and validates it against
``scdl/deliberations`` with the code the background job runs
(``validation.validate.validate_content``: reading, frictionless, the
SIRET checks, the report). No database is needed.

It prints the median and 95th percentile of the runs, rows/s, the process's
peak RSS and the peak of Python allocations during one run (target: 100,000
rows in ≤ 10 s).

    .venv/bin/python tests/bench/bench_validation.py --rows 100000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "ckanext-territoire"))


def _schema_path() -> Path:
    shared = os.environ.get("TERRITOIRE_SHARED") or str(ROOT.parent / "shared")
    return Path(shared) / "scdl" / "deliberations.json"


def generate(rows: int) -> bytes:
    schema = json.loads(_schema_path().read_text("utf-8"))
    header = [f["name"] for f in schema["fields"]]
    lines = [";".join(header)]
    for i in range(rows):
        date = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
        siret = "21670462700019"
        votes = "33"
        if i % 1000 == 1:
            date = f"{1 + i % 28:02d}/03/2024"
        elif i % 1000 == 2:
            siret = "21670462700020"
        elif i % 1000 == 3:
            votes = "12,5"
        lines.append(
            ";".join(
                [
                    "Commune de Sélestat",
                    siret,
                    f"2024-{i:06d}",
                    date,
                    f"{1 + i % 9}.{1 + i % 7}",
                    "Finances locales/Décisions budgétaires",
                    f"Délibération n° {i} relative à l'aménagement du quartier",
                    "2024",
                    "Budget principal",
                    "",
                    "",
                    votes,
                    "29",
                    "25",
                    "2",
                    "2",
                    f"https://www.selestat.fr/deliberations/{i}.pdf",
                ]
            )
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def run(rows: int = 100_000, repeat: int = 5) -> dict[str, Any]:
    """Validate a generated file of ``rows`` rows ``repeat`` times."""
    from ckanext.territoire.validation.validate import validate_content

    schema = json.loads(_schema_path().read_text("utf-8"))
    content = generate(rows)
    times, report = [], {}
    for _ in range(repeat):
        start = time.perf_counter()
        report = validate_content(content, schema, limit=1000)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    validate_content(content, schema, limit=1000)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    median = statistics.median(times)
    return {
        "rows": rows,
        "bytes": len(content),
        "runs": repeat,
        "median_s": median,
        "p95_s": p95,
        "rows_per_s": rows / median,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_alloc_mb": peak / 1024 / 1024,
        "status": report["status"],
        "errors": report["error_count"],
        "encoding": report["encoding"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    r = run(args.rows, args.repeat)
    print(
        f"# Benchmark validation scdl/deliberations — {r['rows']:,} lignes, "
        f"{r['bytes'] / 1e6:.1f} Mo ({r['encoding']}), {r['runs']} passes"
    )
    print("| median s | p95 s | rows/s | peak RSS MB | peak alloc MB | result |")
    print("|---:|---:|---:|---:|---:|---|")
    print(
        f"| {r['median_s']:.2f} | {r['p95_s']:.2f} | {r['rows_per_s']:,.0f} "
        f"| {r['peak_rss_mb']:.0f} | {r['peak_alloc_mb']:.0f} "
        f"| {r['status']}, {r['errors']} errors |"
    )
    target = "OK" if r["median_s"] <= 10 else "AU-DELÀ DE LA CIBLE / OVER TARGET"
    print(f"\ntarget ≤ 10 s for 100,000 rows: {target}")


if __name__ == "__main__":
    main()
