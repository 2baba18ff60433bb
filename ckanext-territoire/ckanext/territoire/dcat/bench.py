"""DCAT export benchmark: ``make bench-dcat`` (python -m ckanext.territoire.dcat.bench).

For each size (10k by default) it seeds synthetic datasets and indexes them
(the search benchmark's seeding, ``ckanext.territoire.search.bench``), then
measures side by side

- the full-catalogue dump, run as its own process
  (``ckan territoire dcat dump --format both``): wall time (process start
  included) and peak RSS (``getrusage(RUSAGE_CHILDREN)`` read by a small
  parent process whose only child is the dump);
- every page of ``/catalog.ttl`` fetched in turn from the portal served by
  gunicorn (one worker, so that its high-water mark is that of the process
  that did all the work): wall time and the worker's peak RSS (VmHWM).

Like the search benchmark it WIPES the database it runs on: ``ckan_bench``
next to the one in CKAN_INI, never the portal's. ``--reuse`` keeps that
database when it holds exactly the largest size. The dump is written to a
temporary directory, never to the portal's storage.

    python -m ckanext.territoire.dcat.bench --ini var/ckan.ini --sizes 10000
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

from ckanext.territoire.search import bench as search_bench

TARGET_SECONDS = 15
TARGET_MB = 300


def _wait_for(port: int, server: subprocess.Popen[Any]) -> None:
    deadline = time.time() + 90
    while True:
        try:
            search_bench._http(port, "status_show", {})()
            return
        except Exception:
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("gunicorn did not start for the benchmark")
            time.sleep(0.5)


# Runs its arguments as its only child and reports that child's peak RSS:
# getrusage(RUSAGE_CHILDREN) in the benchmark itself would also count the
# index rebuild's worker processes.
_PEAK_OF_CHILD = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'PEAK_RSS_KB={peak}', file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def measure_dump(env: dict[str, str], ini: str) -> dict[str, Any]:
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    command = [ckan, "-c", ini, "territoire", "dcat", "dump", "--format", "both"]
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_OF_CHILD, *command],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - t0
    if done.returncode:
        raise RuntimeError(f"dump failed:\n{done.stdout}\n{done.stderr}")
    peak = re.search(r"PEAK_RSS_KB=(\d+)", done.stderr)
    written = re.search(r"écrits : (\d+)", done.stdout)
    skipped = re.search(r"ignorés : (\d+)", done.stdout)
    return {
        "seconds": seconds,
        "peak_mb": int(peak.group(1)) / 1024 if peak else -1,
        "datasets": int(written.group(1)) if written else -1,
        "skipped": int(skipped.group(1)) if skipped else -1,
    }


def measure_pages(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    port = search_bench._free_port()
    server = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "--chdir",
            os.path.join(args.root, "deploy", "local"),
            "-w",
            "1",
            "--timeout",
            "300",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:application",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(port, server)
        url: str | None = f"http://127.0.0.1:{port}/catalog.ttl?page=1"
        pages = datasets = size = 0
        t0 = time.perf_counter()
        while url:
            with urllib.request.urlopen(url, timeout=300) as r:
                body = r.read().decode("utf-8")
            pages += 1
            size += len(body)
            datasets += body.count("a dcat:Dataset")
            found = re.search(r"hydra:next \"([^\"]+)\"", body)
            url = None
            if found:
                # the links name the configured site URL: keep our port
                url = f"http://127.0.0.1:{port}/catalog.ttl?" + found.group(1).split(
                    "?", 1
                )[1].replace("&amp;", "&")
        seconds = time.perf_counter() - t0
        peak_kb = max(
            (search_bench._rss_kb(pid) for pid in search_bench._children(server.pid)),
            default=0,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "seconds": seconds,
        "peak_mb": peak_kb / 1024,
        "datasets": datasets,
        "pages": pages,
        "bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ini", default=os.environ.get("CKAN_INI", "var/ckan.ini"))
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_SQLALCHEMY_URL")
    )
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--root", default=os.getcwd())
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the seeded database if it holds exactly the largest size",
    )
    parser.add_argument(
        "--skip-pages", action="store_true", help="measure the dump only"
    )
    args = parser.parse_args()
    ini = os.path.abspath(args.ini)

    from ckan.cli import CKANConfigLoader

    conf = CKANConfigLoader(ini).get_config()
    url = args.database_url or conf["sqlalchemy.url"].rsplit("/", 1)[0] + "/ckan_bench"
    os.environ["CKAN_SQLALCHEMY_URL"] = url
    storage = tempfile.mkdtemp(prefix="bench-dcat-")
    env = dict(
        os.environ, CKAN_INI=ini, CKAN_SQLALCHEMY_URL=url, CKAN_STORAGE_PATH=storage
    )
    search_bench._load_ckan(ini)
    sizes = sorted(int(s) for s in args.sizes.split(","))

    from ckan.lib import search

    count = -1
    if args.reuse:
        try:
            count = search_bench._package_count()
        except Exception:
            count = -1
    reuse = count == max(sizes)
    where = url.rsplit("@", 1)[-1]
    print(
        f"# Benchmark export DCAT — base {where}"
        + (" (réutilisée)" if reuse else " (effacée)"),
        flush=True,
    )
    orgs: list[str] = []
    creator = ""
    if reuse:
        search_bench._upgrade_reused()
        sizes = [max(sizes)]
    else:
        orgs, creator = search_bench.fresh_database()
    rng = random.Random(20261122)
    seeded = 0
    rows = []
    for size in sizes:
        if not reuse:
            t0 = time.perf_counter()
            search_bench.seed(size, seeded, orgs, creator, rng)
            search.rebuild(defer_commit=True, quiet=True)
            search.commit()
            print(f"seed + index {size}: {time.perf_counter() - t0:.1f} s", flush=True)
            seeded = size
        d = measure_dump(env, ini)
        print(f"dump {size}: {d}", flush=True)
        rows.append(
            f"| {size} | dump complet (ttl + rdf, 1 processus) | {d['datasets']} "
            f"| {d['seconds']:.1f} | {d['peak_mb']:.0f} |"
        )
        if not args.skip_pages:
            pg = measure_pages(args, env)
            print(f"pages {size}: {pg}", flush=True)
            rows.append(
                f"| {size} | /catalog.ttl, {pg['pages']} pages (gunicorn, 1 worker) "
                f"| {pg['datasets']} | {pg['seconds']:.1f} | {pg['peak_mb']:.0f} |"
            )
    print(
        "\n| jeux | méthode | jeux exportés | durée s | mémoire crête Mo (RSS) |\n"
        "|---:|---|---:|---:|---:|"
    )
    print("\n".join(rows))
    print(
        f"\nobjectif du dump : ≤ {TARGET_SECONDS} s et ≤ {TARGET_MB} Mo à 10 000 jeux"
    )


if __name__ == "__main__":
    main()
