"""DCAT export benchmark: ``make bench-dcat`` (tests/bench/bench_dcat.py).

For each size (10k by default) it seeds synthetic datasets and indexes them
(the search benchmark's seeding, ``bench_search``), then
measures side by side

- the full-catalogue dump, run as its own process
  (``ckan territoire dcat dump --format both``, with its worker processes):
  wall time (process start included), CPU time (all its processes), the peak
  RSS of its largest process (``getrusage(RUSAGE_CHILDREN)`` read by a small
  parent process whose only child is the dump) and the peak memory of all its
  processes together, sampled every 50 ms: sum of RSS (pages shared between
  the dump and its forked workers counted in each) and sum of PSS (shared
  pages divided between the processes that share them: the memory the
  machine actually gives them);
- every page of ``/catalog.ttl`` fetched in turn from the portal served by
  gunicorn (one worker, so that its high-water mark is that of the process
  that did all the work): wall time and the worker's peak RSS (VmHWM).

Like the search benchmark it WIPES the database it runs on: ``ckan_bench``
next to the one in CKAN_INI, never the portal's. ``--reuse`` keeps that
database when it holds exactly the largest size. The dump is written to a
temporary directory, never to the portal's storage.

    python tests/bench/bench_dcat.py --ini var/ckan.ini --sizes 10000
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from typing import Any

import bench_search as search_bench

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
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(f'PEAK_RSS_KB={usage.ru_maxrss}', file=sys.stderr)\n"
    "print(f'CPU_S={usage.ru_utime + usage.ru_stime}', file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += search_bench._children(current)
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process now, in kB; (0, 0) once it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


class _TreeSampler(threading.Thread):
    """Peak sums of RSS and PSS over a process tree, sampled every 250 ms.

    Reading every process's smaps_rollup costs CPU the dump would otherwise
    have (sampling every 50 ms took 7 % of it on 2 cores); the largest
    process's exact peak comes from its rusage anyway.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.rss_kb = self.pss_kb = self.processes = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.25):
            pids = _tree(self.pid)
            sizes = [_memory_kb(p) for p in pids]
            self.rss_kb = max(self.rss_kb, sum(r for r, _ in sizes))
            self.pss_kb = max(self.pss_kb, sum(p for _, p in sizes))
            # the wrapper and the dump itself, then the dump's workers
            self.processes = max(self.processes, len(pids) - 1)


def measure_dump(
    env: dict[str, str], ini: str, workers: int | None = None
) -> dict[str, Any]:
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    command = [ckan, "-c", ini, "territoire", "dcat", "dump", "--format", "both"]
    if workers is not None:
        command += ["--workers", str(workers)]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    wrapper = subprocess.Popen(
        [sys.executable, "-c", _PEAK_OF_CHILD, *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = _TreeSampler(wrapper.pid)
    sampler.start()
    stdout, stderr = wrapper.communicate()
    seconds = time.perf_counter() - t0
    sampler.done.set()
    sampler.join()
    if wrapper.returncode:
        raise RuntimeError(f"dump failed:\n{stdout}\n{stderr}")
    peak = re.search(r"PEAK_RSS_KB=(\d+)", stderr)
    cpu = re.search(r"CPU_S=([\d.]+)", stderr)
    written = re.search(r"écrits : (\d+)", stdout)
    skipped = re.search(r"ignorés : (\d+)", stdout)
    return {
        "seconds": seconds,
        "cpu_seconds": float(cpu.group(1)) if cpu else -1,
        "peak_mb": int(peak.group(1)) / 1024 if peak else -1,
        "all_rss_mb": sampler.rss_kb / 1024,
        "all_pss_mb": sampler.pss_kb / 1024,
        "processes": sampler.processes,
        "datasets": int(written.group(1)) if written else -1,
        "skipped": int(skipped.group(1)) if skipped else -1,
        "load_before": load,
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
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="the dump's --workers (default: its own, "
        "ckanext.territoire.dcat.dump_workers)",
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
        d = measure_dump(env, ini, args.workers)
        print(f"dump {size}: {d}", flush=True)
        rows.append(
            f"| {size} | dump complet (ttl + rdf, {d['processes']} processus) "
            f"| {d['datasets']} | {d['seconds']:.1f} (CPU {d['cpu_seconds']:.1f}) "
            f"| {d['peak_mb']:.0f} (tous : RSS {d['all_rss_mb']:.0f}, "
            f"PSS {d['all_pss_mb']:.0f}) |"
        )
        if not args.skip_pages:
            pg = measure_pages(args, env)
            print(f"pages {size}: {pg}", flush=True)
            rows.append(
                f"| {size} | /catalog.ttl, {pg['pages']} pages (gunicorn, 1 worker) "
                f"| {pg['datasets']} | {pg['seconds']:.1f} | {pg['peak_mb']:.0f} |"
            )
    print(
        "\n| jeux | méthode | jeux exportés | durée s "
        "| mémoire crête Mo (RSS du plus gros processus) |\n"
        "|---:|---|---:|---:|---:|"
    )
    print("\n".join(rows))
    print(
        f"\nobjectif du dump : ≤ {TARGET_SECONDS} s et ≤ {TARGET_MB} Mo à 10 000 jeux"
    )


if __name__ == "__main__":
    main()
