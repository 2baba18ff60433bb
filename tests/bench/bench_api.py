"""API benchmark: ``make bench-api`` (tests/bench/bench_api.py).

Same machine, same run, same database (the portal of ``make up``, its demo
content), gunicorn with the same workers (2, sync) for three servers started
one after the other on free loopback ports:

- **ours**: the portal's configuration, every plugin, rate limiting on (its
  budgets raised so that no call is refused: the limiter still counts each
  call in Redis, which is the cost measured);
- **ours, no limiter**: the same with ``ckanext.territoire.rate_limit.enabled
  = false``;
- **stock**: CKAN's stock plugins only (``activity``) on the same database, so
  the schema fields come back as extras. CKAN cannot search without Solr,
  which this machine does not run: our PostgreSQL search backend
  (``territoire_pgsearch``, a search backend and nothing else) stays loaded
  as the search infrastructure of the stock server.

For package_show, package_search (free text + 5 facets),
territoire_territory_autocomplete (ours only), organization_show, the
dataset page and the home page: a warm-up, then N requests from C client
threads at once; throughput (requests/s over the wall time), p50 and p95 of
the answer time, the answers that were not 200; then the workers' memory.

Then the three servers run at once and each URL is asked of them in turn,
one request at a time, ``--paired`` times: the load of the rest of the
machine weighs on the three alike, which the sequential runs cannot promise
on a shared machine (the limiter's few percent drown there in the noise).
The cost of the limiter and the speed against stock are read on these
paired medians as well.

Targets (issue 20): our package_show and dataset page ≥ 0.8× stock CKAN's
throughput; rate limiting costs ≤ 5 % (ours against ours without limiter).

    python tests/bench/bench_api.py --ini var/ckan.ini --requests 400
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from typing import Any

FACETS = ["organization", "groups", "tags", "res_format", "license_id"]
# CKAN's stock plugins (ckan.plugins of CKAN's own ini) that run without Solr,
# plus our search backend as the search infrastructure (see above)
STOCK_PLUGINS = "activity territoire_pgsearch"
TARGET_RATIO = 0.8
TARGET_LIMITER = 0.05


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _get(port: int, path: str, timeout: float = 60) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "identity"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _action(name: str, **params: Any) -> str:
    return f"/api/3/action/{name}?" + urllib.parse.urlencode(params)


def write_ini(ini: str, path: str, options: dict[str, str]) -> str:
    lines = ["[app:main]", f"use = config:{os.path.abspath(ini)}"]
    lines += [f"{key} = {value}" for key, value in options.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class Server:
    """gunicorn as ``make up`` runs it (deploy/local/wsgi.py), on a free port."""

    def __init__(self, root: str, ini: str, workers: int) -> None:
        self.port = _free_port()
        env = dict(os.environ, CKAN_INI=os.path.abspath(ini))
        self.log = open(ini + ".log", "w")
        self.process = subprocess.Popen(
            [
                os.path.join(os.path.dirname(sys.executable), "gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "--log-level",
                "warning",
                "--control-socket",
                ini + ".ctl",
                "--pythonpath",
                os.path.join(root, "deploy", "local"),
                "wsgi:application",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 180
        while True:
            try:
                if _get(self.port, _action("status_show"), timeout=10)[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or self.process.poll() is not None:
                self.stop()
                sys.exit(
                    f"gunicorn ne démarre pas / did not start: see {self.log.name}"
                )
            time.sleep(0.5)

    def memory(self) -> tuple[int, int]:
        """(summed RSS, largest peak RSS) of the workers, in kB."""
        workers = _children(self.process.pid)
        return (
            sum(_status_kb(pid, "VmRSS") for pid in workers),
            max((_status_kb(pid, "VmHWM") for pid in workers), default=0),
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def measure(port: int, path: str, total: int, threads: int, warmup: int) -> dict:
    for _ in range(warmup):
        _get(port, path)
    samples: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    left = [total]

    def client() -> None:
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            t0 = time.perf_counter()
            status, _ = _get(port, path)
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                samples.append(elapsed)
                if status != 200:
                    errors.append(status)

    pool = [threading.Thread(target=client) for _ in range(threads)]
    begin = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - begin
    samples.sort()
    return {
        "qps": total / wall,
        "p50": statistics.median(samples),
        "p95": samples[int(0.95 * (len(samples) - 1))],
        "errors": len(errors),
        "statuses": sorted(set(errors)),
    }


def paired(ports: dict[str, int], path: str, total: int, warmup: int) -> dict:
    """Median answer time (ms) of each server, the servers asked in turn."""
    for port in ports.values():
        for _ in range(warmup):
            _get(port, path)
    samples: dict[str, list[float]] = {name: [] for name in ports}
    names = list(ports)
    for i in range(total):
        # a different server first at each turn
        for name in names[i % len(names) :] + names[: i % len(names)]:
            t0 = time.perf_counter()
            status, _ = _get(ports[name], path)
            if status == 200:
                samples[name].append((time.perf_counter() - t0) * 1000)
    return {name: statistics.median(v) for name, v in samples.items() if v}


def targets(port: int, args: argparse.Namespace) -> dict[str, str | None]:
    """The URLs measured, with names taken from the portal's content."""

    def result(path: str) -> Any:
        status, body = _get(port, path)
        if status != 200:
            sys.exit(f"{path}: {status} (le portail de `make up` a-t-il son contenu ?)")
        return json.loads(body)["result"]

    found = result(_action("package_search", rows=1, sort="metadata_modified desc"))
    if not found["results"]:
        sys.exit("aucun jeu de données : lancez `make up` (contenu de démonstration)")
    dataset = args.dataset or found["results"][0]["name"]
    shown = result(_action("package_show", id=dataset))
    org = args.organization or (shown.get("organization") or {}).get("name")
    words = [w for w in shown["title"].split() if len(w) >= 4 and w.isalpha()]
    q = args.q or (words[0].lower() if words else "donnees")
    return {
        "package_show": _action("package_show", id=dataset),
        "package_search (q + 5 facettes)": _action(
            "package_search", q=q, rows=10, **{"facet.field": json.dumps(FACETS)}
        ),
        "territoire_territory_autocomplete": _action(
            "territoire_territory_autocomplete", q=args.territory
        ),
        "organization_show": _action("organization_show", id=org) if org else None,
        "page jeu de données": f"/dataset/{dataset}",
        "page d'accueil": "/",
    }


def run(args: argparse.Namespace) -> None:
    run_dir = os.path.join(args.root, "var", "run")
    os.makedirs(run_dir, exist_ok=True)
    # every call counted, none refused (the run makes ~4,000 calls a minute
    # from one address); the sliding window counter costs the same whatever
    # the budget, and a budget this size gets the largest leases (32 calls a
    # Redis trip; 12 for the production 600 per minute)
    limits = {
        "ckanext.territoire.rate_limit.enabled": "true",
        "ckanext.territoire.rate_limit.anonymous": "100000 per minute",
        "ckanext.territoire.rate_limit.authenticated": "100000 per minute",
        "ckanext.territoire.rate_limit.exempt_networks": "",
    }
    configs = {
        "ours": write_ini(
            args.ini, os.path.join(run_dir, "bench-api-ours.ini"), limits
        ),
        "no limiter": write_ini(
            args.ini,
            os.path.join(run_dir, "bench-api-nolimit.ini"),
            {**limits, "ckanext.territoire.rate_limit.enabled": "false"},
        ),
        "stock": write_ini(
            args.ini,
            os.path.join(run_dir, "bench-api-stock.ini"),
            {"ckan.plugins": args.stock_plugins},
        ),
    }
    results: dict[str, dict[str, list[dict]]] = {name: {} for name in configs}
    memory: dict[str, list[tuple[int, int]]] = {name: [] for name in configs}
    urls: dict[str, str | None] = {}
    for round_ in range(args.rounds):
        # alternate the order from one round to the next (warm caches, drift)
        order = list(configs) if round_ % 2 == 0 else list(reversed(configs))
        for name in order:
            print(f"[{round_ + 1}/{args.rounds}] {name}…", flush=True)
            server = Server(args.root, configs[name], args.workers)
            try:
                if not urls:
                    urls = targets(server.port, args)
                for label, path in urls.items():
                    if path is None:
                        continue
                    if name == "stock" and label.startswith("territoire_"):
                        continue  # an action of our plugins
                    results[name].setdefault(label, []).append(
                        measure(
                            server.port, path, args.requests, args.threads, args.warmup
                        )
                    )
                memory[name].append(server.memory())
            finally:
                server.stop()
    if results["ours"]:
        print_table(args, urls, results, memory)
    if args.paired:
        print_paired(args, configs, urls)


def print_paired(
    args: argparse.Namespace, configs: dict[str, str], urls: dict[str, str | None]
) -> None:
    print("[appariés] les trois serveurs à la fois…", flush=True)
    servers = {
        name: Server(args.root, ini, args.workers) for name, ini in configs.items()
    }
    try:
        ports = {name: server.port for name, server in servers.items()}
        if not urls:
            urls = targets(ports["ours"], args)
        print(
            f"\n## Mesures appariées : {args.paired} requêtes par serveur, une à la "
            "fois, les trois serveurs interrogés tour à tour\n"
        )
        print(
            "| mesure | nous p50 ms | sans limiteur p50 ms | stock p50 ms "
            "| vitesse nous / stock | coût du limiteur |"
        )
        print("|---|---:|---:|---:|---:|---:|")
        for label, path in urls.items():
            if path is None:
                continue
            asked = dict(ports)
            if label.startswith("territoire_"):
                asked.pop("stock")
            p50 = paired(asked, path, args.paired, args.warmup)
            speed = f"{p50['stock'] / p50['ours']:.2f}×" if "stock" in p50 else "n/a"
            cost = p50["ours"] / p50["no limiter"] - 1
            print(
                f"| {label} | {p50['ours']:.1f} | {p50['no limiter']:.1f} | "
                f"{p50['stock']:.1f} | {speed} | {cost:+.1%} |"
                if "stock" in p50
                else f"| {label} | {p50['ours']:.1f} | {p50['no limiter']:.1f} | "
                f"n/a | n/a | {cost:+.1%} |"
            )
    finally:
        for server in servers.values():
            server.stop()


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def print_table(
    args: argparse.Namespace,
    urls: dict[str, str | None],
    results: dict[str, dict[str, list[dict]]],
    memory: dict[str, list[tuple[int, int]]],
) -> None:
    print(
        f"\n## API et pages : {args.requests} requêtes × {args.rounds} tour(s), "
        f"{args.threads} clients à la fois, gunicorn {args.workers} workers sync"
    )
    print(
        f"stock = ckan.plugins = {args.stock_plugins} (territoire_pgsearch : "
        "l'infrastructure de recherche, CKAN sans Solr ne cherche pas)\n"
    )
    print(
        "| mesure | nous req/s | p50 ms | p95 ms | sans limiteur req/s | p50 ms "
        "| stock req/s | p50 ms | p95 ms | nous / stock | coût du limiteur |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    verdicts = []
    for label in urls:
        ours = results["ours"].get(label)
        if not ours:
            continue
        bare = results["no limiter"].get(label)
        stock = results["stock"].get(label)
        qps = _median(ours, "qps")
        cells = [label, f"{qps:.1f}", f"{_median(ours, 'p50'):.1f}"]
        cells.append(f"{_median(ours, 'p95'):.1f}")
        cost = ""
        if bare:
            bare_qps = _median(bare, "qps")
            cells += [f"{bare_qps:.1f}", f"{_median(bare, 'p50'):.1f}"]
            cost_value = 1 - qps / bare_qps
            cost = f"{cost_value:+.1%}"
            if label.startswith(("package_", "territoire_", "organization_")):
                verdicts.append(("limiter", label, cost_value))
        else:
            cells += ["", ""]
        ratio = ""
        if stock:
            stock_qps = _median(stock, "qps")
            cells += [
                f"{stock_qps:.1f}",
                f"{_median(stock, 'p50'):.1f}",
                f"{_median(stock, 'p95'):.1f}",
            ]
            ratio = f"{qps / stock_qps:.2f}×"
            if label in ("package_show", "page jeu de données"):
                verdicts.append(("ratio", label, qps / stock_qps))
        else:
            cells += ["n/a", "", ""]
        cells += [ratio, cost]
        print("| " + " | ".join(cells) + " |")
    errors = [
        f"{name} / {label} : {sum(r['errors'] for r in runs)} réponses non 200 "
        f"{sorted({s for r in runs for s in r['statuses']})}"
        for name, by_label in results.items()
        for label, runs in by_label.items()
        if any(r["errors"] for r in runs)
    ]
    print()
    for line in errors:
        print("ATTENTION", line)
    for name, values in memory.items():
        if values:
            rss = max(v[0] for v in values) / 1024
            peak = max(v[1] for v in values) / 1024
            print(
                f"mémoire {name} : RSS des workers {rss:.0f} Mo en tout, "
                f"crête d'un worker (VmHWM) {peak:.0f} Mo"
            )
    print()
    for kind, label, value in verdicts:
        if kind == "ratio":
            ok = value >= TARGET_RATIO
            print(
                f"{'OK ' if ok else 'MANQUÉ'} {label} : {value:.2f}× stock "
                f"(cible ≥ {TARGET_RATIO}×)"
            )
        else:
            ok = value <= TARGET_LIMITER
            print(
                f"{'OK ' if ok else 'MANQUÉ'} limiteur sur {label} : {value:+.1%} "
                f"(cible ≤ {TARGET_LIMITER:.0%})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ini", default=os.environ.get("CKAN_INI", "var/ckan.ini"))
    parser.add_argument("--root", default=os.getcwd())
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--paired", type=int, default=200, help="0: no paired measurement"
    )
    parser.add_argument("--stock-plugins", default=STOCK_PLUGINS)
    parser.add_argument("--dataset", help="name of the dataset (default: latest)")
    parser.add_argument("--organization", help="default: the dataset's")
    parser.add_argument("--q", help="free-text search (default: from the title)")
    parser.add_argument("--territory", default="sain")
    args = parser.parse_args()
    if not os.path.exists(args.ini):
        sys.exit(f"{args.ini} introuvable : lancez `make up` d'abord")
    run(args)


if __name__ == "__main__":
    main()
