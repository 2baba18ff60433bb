"""DataStore loading benchmark: ``make bench-data`` (tests/bench/bench_data.py).

Generates a CSV as collectivités publish it (``;``, Windows-1252/Latin-1,
decimal commas, ``JJ/MM/AAAA`` dates, codes with leading zeros), 1,000,000
rows (~100 MB) by default, serves it on a loopback port and measures, in the
same run on the same PostgreSQL:

1. the load through ``xloader_submit`` and the jobs worker (CKAN's forking
   worker, as ``ckan jobs worker``): download through the address guard,
   normalisation, COPY, conversion, indexes, views;
2. a raw ``COPY`` of the same file into a plain table of text columns;
3. ``datastore_search`` with one filter and a sort, over HTTP;
4. ``datastore_search_sql`` with a ``GROUP BY``, over HTTP.

Targets: load ≥ 0.5 × raw COPY throughput; worker peak memory ≤ 300 MB;
search p50 ≤ 50 ms, p95 ≤ 150 ms; SQL GROUP BY p50 ≤ 500 ms.

Like the other benchmarks it WIPES the databases it runs on (``ckan_bench``
and ``datastore_bench`` next to those of CKAN_INI), never the portal's; its
jobs carry their own site id, so the portal's worker never takes them.

    python tests/bench/bench_data.py --ini var/ckan.ini --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TARGET_RATIO = 0.5
TARGET_PEAK_MB = 300.0
TARGET_SEARCH_P50 = 50.0
TARGET_SEARCH_P95 = 150.0
TARGET_SQL_P50 = 500.0
WARM_UP = 10

COMMUNES = [
    ("01053", "Bourg-en-Bresse", "01"),
    ("67482", "Strasbourg", "67"),
    ("67462", "Sélestat", "67"),
    ("68066", "Colmar", "68"),
    ("68224", "Mulhouse", "68"),
    ("57463", "Metz", "57"),
    ("54395", "Nancy", "54"),
    ("51454", "Reims", "51"),
    ("10387", "Troyes", "10"),
    ("88160", "Épinal", "88"),
    ("08105", "Charleville-Mézières", "08"),
    ("52448", "Saint-Dizier", "52"),
]
BENEFICIAIRES = [
    "Association sportive de l'Île",
    "Comité des fêtes",
    "Amicale des sapeurs-pompiers",
    "Théâtre municipal",
    "École de musique intercommunale",
    "Club de football féminin",
    "Société d'histoire locale",
    "Banque alimentaire",
]
OBJETS = [
    "Fonctionnement annuel",
    "Manifestation culturelle d'été",
    "Équipement sportif",
    "Aide à l'investissement (matériel)",
    "Projet pédagogique « Nature »",
    "Rénovation énergétique du local",
]
HEADER = [
    "id_subvention",
    "date_convention",
    "code_insee",
    "commune",
    "departement",
    "beneficiaire",
    "siret",
    "objet",
    "nature",
    "montant",
]


def generate(path: Path, rows: int, seed: int = 20261206) -> int:
    rng = random.Random(seed)
    with open(path, "w", encoding="cp1252", newline="") as f:
        f.write(";".join(HEADER) + "\r\n")
        for i in range(rows):
            code, commune, dep = COMMUNES[rng.randrange(len(COMMUNES))]
            day, month = rng.randint(1, 28), rng.randint(1, 12)
            year = rng.randint(2015, 2025)
            f.write(
                f"SUB-{year}-{i:07d};{day:02d}/{month:02d}/{year};{code};{commune};"
                f"{dep};{BENEFICIAIRES[rng.randrange(len(BENEFICIAIRES))]};"
                f"{rng.randint(10000000000000, 99999999999999)};"
                f"{OBJETS[rng.randrange(len(OBJETS))]};"
                f"{'numéraire' if rng.random() < 0.9 else 'nature'};"
                f"{rng.randint(100, 99999)},{rng.randint(0, 99):02d}\r\n"
            )
        # no empty trailing lines here: a raw COPY would refuse them (the
        # tests cover them: tests/datastore/)
    return path.stat().st_size


class FileServer:
    def __init__(self, path: Path) -> None:
        data_path = path

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                size = data_path.stat().st_size
                self.send_response(200)
                self.send_header("Content-Type", "text/csv; charset=windows-1252")
                self.send_header("Content-Length", str(size))
                self.end_headers()
                with open(data_path, "rb") as f:
                    while chunk := f.read(1 << 20):
                        self.wfile.write(chunk)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/subventions.csv"


def raw_copy(path: Path, write_url: str) -> float:
    """Seconds for a plain COPY of the file into a table of text columns."""
    import psycopg2

    conn = psycopg2.connect(write_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_raw_copy")
            cur.execute(
                "CREATE TABLE bench_raw_copy ("
                + ", ".join(f'"{h}" text' for h in HEADER)
                + ")"
            )
        started = time.perf_counter()
        with conn, conn.cursor() as cur, open(path, "rb") as f:
            cur.copy_expert(
                "COPY bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER true, "
                "DELIMITER ';', ENCODING 'WIN1252')",
                f,
                size=1 << 20,
            )
        seconds = time.perf_counter() - started
        with conn, conn.cursor() as cur:
            cur.execute("DROP TABLE bench_raw_copy")
        return seconds
    finally:
        conn.close()


def load_once(resource_id: str) -> tuple[float, float, float]:
    """Seconds from the job's start until the rows answer (phase 1), until
    the indexes are built; seconds the job waited for the worker.

    The worker is started after the submission (``--burst``) here, where a
    portal's worker is already waiting: its start-up is reported apart.
    """
    import datetime

    import ckan.plugins.toolkit as tk
    from ckan.lib import jobs

    submitted_at = datetime.datetime.utcnow()
    started = time.perf_counter()
    submitted = tk.get_action("xloader_submit")(
        {"ignore_auth": True}, {"resource_id": resource_id, "ignore_hash": True}
    )
    assert submitted, "xloader_submit queued nothing"
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        jobs.Worker().work(burst=True)
    finally:
        # rq's handlers would outlive the run (and be inherited by the
        # portal process forked below)
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    seconds = time.perf_counter() - started
    status = tk.get_action("xloader_status")(
        {"ignore_auth": True}, {"resource_id": resource_id}
    )
    if status["status"] != "complete":
        raise RuntimeError(f"load failed: {json.dumps(status['error'])}")
    task = tk.get_action("task_status_show")(
        {"ignore_auth": True},
        {"entity_id": resource_id, "task_type": "xloader", "key": "xloader"},
    )
    value = json.loads(task["value"])
    steps = value.get("timings") or value
    print(
        f"  chemin / path: {value.get('path')}; étapes / steps: "
        + ", ".join(f"{k} {v} s" for k, v in steps.items())
    )
    job_start = datetime.datetime.fromisoformat(value["started_at"])
    queryable = datetime.datetime.fromisoformat(value["queryable_at"]) - job_start
    waited = (job_start - submitted_at).total_seconds()
    return queryable.total_seconds(), seconds - waited, waited


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _self_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def serve_portal() -> tuple[int, str]:
    """Fork a process serving the portal (bench databases); (pid, base URL)."""
    import ckan.model as model

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model.Session.remove()
    model.meta.engine.dispose(close=False)
    pid = os.fork()
    if pid == 0:
        try:
            from werkzeug.serving import make_server

            from ckan.common import config
            from ckan.config.middleware import make_app

            app = make_app(config)
            make_server("127.0.0.1", port, app, threaded=True).serve_forever()
        finally:
            os._exit(0)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/api/3/action/status_show", timeout=2)
            return pid, base
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the benchmark's portal did not start")


def timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as r:
        body = json.loads(r.read())
    ms = (time.perf_counter() - started) * 1000
    if not body.get("success"):
        raise RuntimeError(f"{url}: {body}")
    return ms


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ini", default=os.environ.get("CKAN_INI", "var/ckan.ini"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="loads and COPYs timed")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sql-queries", type=int, default=20)
    args = parser.parse_args()
    ini = os.path.abspath(args.ini)

    from ckan.cli import CKANConfigLoader

    conf = CKANConfigLoader(ini).get_config()

    def bench_db(url: str, name: str) -> str:
        return url.rsplit("/", 1)[0] + "/" + name

    write_url = bench_db(conf["ckan.datastore.write_url"], "datastore_bench")
    os.environ.update(
        {
            "CKAN_SQLALCHEMY_URL": bench_db(conf["sqlalchemy.url"], "ckan_bench"),
            "CKAN_DATASTORE_WRITE_URL": write_url,
            "CKAN_DATASTORE_READ_URL": bench_db(
                conf["ckan.datastore.read_url"], "datastore_bench"
            ),
            "CKAN__SITE_ID": "territoire-bench-data",
            "CKANEXT__TERRITOIRE__HARVEST__ALLOWED_NETWORKS": "127.0.0.1/32",
            "CKANEXT__TERRITOIRE__DATASTORE__MAX_SIZE": str(2 << 30),
            "CKANEXT__XLOADER__JOBS_DB__URI": bench_db(
                conf["sqlalchemy.url"], "ckan_bench"
            ),
        }
    )
    import bench_search as search_bench

    search_bench._load_ckan(ini)

    import logging

    logging.getLogger().setLevel(logging.WARNING)
    for name in ("ckanext", "ckan", "rq"):
        logging.getLogger(name).setLevel(logging.WARNING)

    import sqlalchemy as sa

    import ckan.plugins.toolkit as tk

    where = write_url.rsplit("@", 1)[-1]
    print(f"# Benchmark DataStore — bases ckan_bench, {where} (effacées)", flush=True)
    search_bench._reset_database()
    engine = sa.create_engine(write_url)
    with engine.begin() as conn:
        for (name,) in conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename != '_table_stats'"
        ).fetchall():
            conn.exec_driver_sql(f'DROP TABLE "{name}" CASCADE')
    engine.dispose()

    tmp = Path(tempfile.mkdtemp(prefix="bench-data-"))
    path = tmp / "subventions.csv"
    started = time.perf_counter()
    size = generate(path, args.rows)
    print(
        f"fichier : {args.rows} lignes, {size / 1e6:.1f} Mo, Windows-1252, « ; » "
        f"(généré en {time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    server = FileServer(path)

    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    context = {"user": site_user["name"], "ignore_auth": True}
    org = tk.get_action("organization_create")(
        dict(context), {"name": "region-grand-est", "title": "Région Grand Est"}
    )
    dataset = tk.get_action("package_create")(
        dict(context),
        {
            "name": "subventions-bench",
            "title": "Subventions versées",
            "owner_org": org["id"],
            "notes": "Jeu synthétique du banc d'essai.",
            "territories": ["pays:fr"],
        },
    )
    res = tk.get_action("resource_create")(
        # no automatic submit: the runs below are the measured ones
        dict(context),
        {"package_id": dataset["id"], "url": server.url, "format": "TXT"},
    )
    tk.get_action("resource_patch")(dict(context), {"id": res["id"], "format": "CSV"})
    from ckan.lib import jobs

    jobs.get_queue().empty()

    loads, completes, copies, waits = [], [], [], []
    for run in range(args.runs):
        rows_in, complete, waited = load_once(res["id"])
        loads.append(rows_in)
        completes.append(complete)
        waits.append(waited)
        copies.append(raw_copy(path, write_url))
        print(
            f"  run {run + 1}: xloader rows {loads[-1]:.1f} s, with indexes "
            f"{completes[-1]:.1f} s (worker start-up {waited:.1f} s apart), "
            f"COPY {copies[-1]:.1f} s",
            flush=True,
        )
    peak = _children_peak_mb()
    parent = _self_rss_mb()
    total = tk.get_action("datastore_search")(
        dict(context), {"resource_id": res["id"], "limit": 0}
    )["total"]
    assert total == args.rows, (total, args.rows)

    pid, base = serve_portal()
    try:
        rng = random.Random(7)
        search, sql = [], []
        # a first few requests warm the server process and PostgreSQL's
        # caches (as on a portal in service); they are not counted
        for warm in COMMUNES[:WARM_UP]:
            q = urllib.parse.urlencode(
                {
                    "resource_id": res["id"],
                    "filters": json.dumps({"commune": warm[1]}),
                    "sort": "montant desc",
                    "limit": 100,
                }
            )
            timed_get(f"{base}/api/3/action/datastore_search?{q}")
        for _ in range(args.queries):
            commune = COMMUNES[rng.randrange(len(COMMUNES))][1]
            q = urllib.parse.urlencode(
                {
                    "resource_id": res["id"],
                    "filters": json.dumps({"commune": commune}),
                    "sort": "montant desc",
                    "limit": 100,
                }
            )
            search.append(timed_get(f"{base}/api/3/action/datastore_search?{q}"))
        statement = (
            f'SELECT departement, count(*) AS n, sum(montant) AS total FROM "{res["id"]}" '
            "GROUP BY departement"
        )
        for _ in range(args.sql_queries):
            q = urllib.parse.urlencode({"sql": statement})
            sql.append(timed_get(f"{base}/api/3/action/datastore_search_sql?{q}"))
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        server.server.shutdown()
        path.unlink()
        tmp.rmdir()

    mb = size / 1e6
    load_med, copy_med = statistics.median(loads), statistics.median(copies)
    complete_med = statistics.median(completes)
    ratio = copy_med / load_med
    print(
        f"\n{args.rows} lignes, {mb:.0f} Mo, {os.cpu_count()} CPU, {args.runs} runs\n"
    )
    print("| mesure | médiane | p95 | débit | mémoire |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| chargement xloader : lignes interrogeables | {load_med:.1f} s "
        f"| {pct(loads, 95):.1f} s "
        f"| {args.rows / load_med:,.0f} lignes/s, {mb / load_med:.1f} Mo/s "
        f"| pic worker {peak:.0f} Mo |"
    )
    print(
        f"| chargement xloader : job complet (plein texte, index) "
        f"| {complete_med:.1f} s | {pct(completes, 95):.1f} s "
        f"| {args.rows / complete_med:,.0f} lignes/s, {mb / complete_med:.1f} Mo/s "
        f"| (même job) |"
    )
    print(
        f"| COPY brut (texte, même fichier) | {copy_med:.1f} s | {pct(copies, 95):.1f} s "
        f"| {args.rows / copy_med:,.0f} lignes/s, {mb / copy_med:.1f} Mo/s | — |"
    )
    print(
        f"| datastore_search filtre + tri (HTTP) | {pct(search, 50):.1f} ms "
        f"| {pct(search, 95):.1f} ms | {args.queries} requêtes "
        f"(après {WARM_UP} non comptées) | — |"
    )
    print(
        f"| datastore_search_sql GROUP BY (HTTP) | {pct(sql, 50):.1f} ms "
        f"| {pct(sql, 95):.1f} ms | {args.sql_queries} requêtes | — |"
    )
    print(
        f"\nprocessus parent (CKAN chargé, avant fork) : RSS {parent:.0f} Mo ; "
        f"démarrage du worker (--burst, hors mesure) : médiane "
        f"{statistics.median(waits):.1f} s"
    )

    def verdict(ok: bool) -> str:
        return "OK" if ok else "MISSED"

    print(
        f"load / COPY throughput, rows queryable: {ratio:.2f}× (target ≥ "
        f"{TARGET_RATIO}×) — {verdict(ratio >= TARGET_RATIO)}; whole job with "
        f"full-text and column indexes: {copy_med / complete_med:.2f}×"
    )
    print(
        f"worker peak memory: {peak:.0f} MB (target ≤ {TARGET_PEAK_MB:.0f}) — "
        f"{verdict(peak <= TARGET_PEAK_MB)}"
    )
    p50, p95 = pct(search, 50), pct(search, 95)
    print(
        f"datastore_search p50 {p50:.1f} ms / p95 {p95:.1f} ms (targets ≤ "
        f"{TARGET_SEARCH_P50:.0f} / {TARGET_SEARCH_P95:.0f}) — "
        f"{verdict(p50 <= TARGET_SEARCH_P50 and p95 <= TARGET_SEARCH_P95)}"
    )
    print(
        f"datastore_search_sql GROUP BY p50 {pct(sql, 50):.1f} ms (target ≤ "
        f"{TARGET_SQL_P50:.0f}) — {verdict(pct(sql, 50) <= TARGET_SQL_P50)}"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
