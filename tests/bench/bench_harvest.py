"""Harvest benchmark: ``make bench-harvest`` (tests/bench/bench_harvest.py).

Serves a synthetic Opendatasoft portal (Explore API v2.1, pages of 100, the
datasets' ``metas.default`` and ``metas.dcat`` filled like a real portal's)
on a free loopback port, then harvests it with ``territoire_opendatasoft``
through ckanext-harvest's Redis queues:

1. first run: every dataset created (validated by our schema, indexed);
2. unchanged re-run: nothing written but the "not modified" report;
3. re-run after a tenth of the datasets changed at the source.

It prints, for each run, the time, datasets/s, the job's counts and the
process's peak RSS, and the unchanged re-run's share of the first run's time
(target: first run ≥ 50 datasets/s; unchanged re-run ≤ 10 %).

``--workers N`` runs N fetch/import processes side by side, as N
``ckan harvester fetch-consumer`` would (default: the CPU count).

Like the other benchmarks it WIPES the database it runs on (``ckan_bench``
next to the one of CKAN_INI, or ``--database-url``), never the portal's; its
queue keys carry their own site id, so the portal's running gather and fetch
workers never see its jobs.

    python tests/bench/bench_harvest.py --ini var/ckan.ini --datasets 5000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TARGET_RATE = 50.0
TARGET_RERUN_SHARE = 0.10

THEMES = [
    "Environnement",
    "Transports, Déplacements",
    "Culture, Patrimoine",
    "Sports, Loisirs",
    "Administration, Gouvernement, Finances publiques, Citoyenneté",
    "Santé",
]
LICENSES = [
    "Licence Ouverte v2.0 (Etalab)",
    "Open Database License (ODbL)",
    "CC BY 4.0",
]
FREQUENCIES = ["Annuelle", "Mensuelle", "Quotidienne", "En continu", "Trimestrielle"]
SUBJECTS = [
    "Équipements sportifs",
    "Horaires des piscines",
    "Arrêts de tram",
    "Qualité de l'air",
    "Pistes cyclables",
    "Parkings relais",
    "Bornes de recharge",
    "Arbres remarquables",
    "Comptages routiers",
    "Délibérations du conseil",
]


def make_dataset(i: int, rng: random.Random, version: int = 0) -> dict[str, Any]:
    subject = SUBJECTS[i % len(SUBJECTS)]
    dataset_id = f"jeu-{i:05d}-{subject.lower().replace(' ', '-')}"[:80]
    modified = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00+00:00"
    if version:
        modified = f"2025-06-{1 + version:02d}T08:00:00+00:00"
    return {
        "dataset_id": dataset_id,
        "dataset_uid": f"da_{i:06x}",
        "attachments": [],
        "has_records": True,
        "data_visible": True,
        "fields": [
            {"name": "nom", "label": "Nom", "type": "text"},
            {"name": "geo_point_2d", "label": "Position", "type": "geo_point_2d"},
        ],
        "metas": {
            "default": {
                "title": f"{subject} n° {i}" + (f" (v{version})" if version else ""),
                "description": (
                    f"<p>Liste des <b>{subject.lower()}</b> de la métropole, "
                    f"mise à jour par le service n° {i % 40}.</p>"
                ),
                "theme": [rng.choice(THEMES)],
                "keyword": ["métropole", subject.split()[0].lower()],
                "license": rng.choice(LICENSES),
                "license_url": None,
                "language": "fr",
                "modified": modified,
                "data_processed": modified,
                "metadata_processed": modified,
                "geographic_reference": ["fr_40_67482"],
                "territory": None,
                "publisher": "Eurométropole de Strasbourg",
                "references": None,
                "records_count": 100 + i,
                "attributions": None,
                "source_domain": None,
                "federated": False,
                "update_frequency": None,
            },
            "dcat": {
                "issued": "2021-03-04",
                "created": None,
                "creator": None,
                "accrualperiodicity": rng.choice(FREQUENCIES),
                "temporal": None,
                "contact_email": "opendata@strasbourg.eu",
                "contact_name": "Service open data",
            },
        },
        "features": ["analyze", "geo"],
    }


class Portal:
    """The synthetic Opendatasoft portal, on 127.0.0.1."""

    def __init__(self, datasets: list[dict[str, Any]]) -> None:
        self.datasets = datasets
        portal = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                if parts.path.endswith("/catalog/datasets"):
                    limit = int(query.get("limit", ["10"])[0])
                    offset = int(query.get("offset", ["0"])[0])
                    payload: Any = {
                        "total_count": len(portal.datasets),
                        "results": portal.datasets[offset : offset + limit],
                    }
                elif parts.path.endswith("/catalog/exports/json"):
                    payload = portal.datasets
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


def _fetch_worker(forked: bool = False) -> None:
    """A fetch consumer: drain the fetch queue, then return."""
    import ckan.model as model

    from ckanext.harvest import queue

    from ckanext.territoire.harvesters import runner
    from ckanext.territoire.search import backend

    model.Session.remove()
    if forked:
        # never use the parent's connections (CKAN's and the search backend's)
        model.meta.engine.dispose(close=False)
        backend.ENGINE.forget_after_fork()
    runner.consume(queue.get_fetch_consumer(), queue.fetch_callback)


def run_job(
    source_id: str, workers: int, profile: str | None = None
) -> tuple[float, dict[str, int]]:
    import ckan.plugins.toolkit as tk

    from ckanext.harvest import queue

    from ckanext.territoire.harvesters import runner

    started = time.perf_counter()
    context = runner._context()
    job = tk.get_action("harvest_job_create")(
        context, {"source_id": source_id, "run": True}
    )
    runner.consume(queue.get_gather_consumer(), queue.gather_callback)
    gathered = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(_fetch_worker)
        profiler.dump_stats(profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    elif workers <= 1:
        _fetch_worker()
    else:
        children = []
        for _ in range(workers):
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    _fetch_worker(forked=True)
                except BaseException:
                    import traceback

                    traceback.print_exc()
                    code = 1
                finally:
                    os._exit(code)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
    runner.finish(source_id)
    seconds = time.perf_counter() - started
    print(
        f"  gather {gathered - started:.1f} s, fetch+import "
        f"{seconds - (gathered - started):.1f} s",
        flush=True,
    )
    status = runner.job_status(job["id"])
    if status.gather_errors:
        raise RuntimeError("gather failed: " + " | ".join(status.gather_errors))
    return seconds, status.counts


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ini", default=os.environ.get("CKAN_INI", "var/ckan.ini"))
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_SQLALCHEMY_URL")
    )
    parser.add_argument("--datasets", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--redis-db", type=int, default=11)
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="profile the first run's imports in one process (cProfile stats to FILE)",
    )
    args = parser.parse_args()
    ini = os.path.abspath(args.ini)

    from ckan.cli import CKANConfigLoader

    conf = CKANConfigLoader(ini).get_config()
    url = args.database_url or conf["sqlalchemy.url"].rsplit("/", 1)[0] + "/ckan_bench"
    os.environ.update(
        {
            "CKAN_SQLALCHEMY_URL": url,
            "CKAN__SITE_ID": "territoire-bench-harvest",
            "CKAN__HARVEST__MQ__REDIS_DB": str(args.redis_db),
            "CKANEXT__TERRITOIRE__HARVEST__ALLOWED_NETWORKS": "127.0.0.1/32",
        }
    )
    import bench_search as search_bench

    search_bench._load_ckan(ini)

    import logging

    logging.getLogger().setLevel(logging.WARNING)
    for name in ("ckanext", "ckan"):
        logging.getLogger(name).setLevel(logging.WARNING)

    import ckan.plugins.toolkit as tk
    from ckan.cli.db import _run_migrations

    from ckanext.harvest.queue import purge_queues

    from ckanext.territoire.territories import loader, lookup

    where = url.rsplit("@", 1)[-1]
    print(f"# Benchmark moissonnage Opendatasoft — base {where} (effacée)", flush=True)
    search_bench._reset_database()
    for plugin in ("harvest", "territoire"):
        _run_migrations(plugin)
    lookup.reset()
    if not lookup.is_loaded():
        loader.load()
        lookup.reset()
    purge_queues()

    rng = random.Random(20261122)
    datasets = [make_dataset(i, rng) for i in range(args.datasets)]
    portal = Portal(datasets)
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    context = {"user": site_user["name"], "ignore_auth": True}
    org = tk.get_action("organization_create")(
        dict(context),
        {
            "name": "eurometropole-strasbourg",
            "title": "Eurométropole de Strasbourg",
            "kind": "epci",
            "cog_code": "246700488",
        },
    )
    source = tk.get_action("harvest_source_create")(
        dict(context),
        {
            "name": "bench-ods",
            "title": "Portail Opendatasoft synthétique",
            "url": portal.url,
            "source_type": "territoire_opendatasoft",
            "owner_org": org["id"],
        },
    )

    rows = []
    seconds, counts = run_job(source["id"], args.workers, args.profile)
    rows.append(("premier moissonnage / first run", seconds, counts))
    first = seconds
    seconds, counts = run_job(source["id"], args.workers)
    rows.append(("relance sans changement / unchanged re-run", seconds, counts))
    rerun = seconds
    for i in range(0, args.datasets, 10):
        datasets[i] = make_dataset(i, rng, version=1)
    seconds, counts = run_job(source["id"], args.workers)
    rows.append(("relance, 10 % modifiés / 10 % changed", seconds, counts))

    n = args.datasets
    print(
        f"\n{n} jeux de données, {args.workers} processus d'import, "
        f"{os.cpu_count()} CPU\n"
    )
    print("| run | s | datasets/s | counts |")
    print("|---|---:|---:|---|")
    for label, secs, c in rows:
        print(
            f"| {label} | {secs:.1f} | {n / secs:.0f} | {json.dumps(c, ensure_ascii=False)} |"
        )
    rate = n / first
    share = rerun / first
    print(f"\npeak RSS (process or worker): {_peak_mb():.0f} MB")
    print(
        f"first run: {rate:.0f} datasets/s (target ≥ {TARGET_RATE:.0f}) — "
        f"{'OK' if rate >= TARGET_RATE else 'MISSED'}"
    )
    print(
        f"unchanged re-run: {share:.1%} of the first run (target ≤ "
        f"{TARGET_RERUN_SHARE:.0%}) — {'OK' if share <= TARGET_RERUN_SHARE else 'MISSED'}"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
