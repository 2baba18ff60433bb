"""Page benchmark: ``make bench-pages`` (tests/bench/bench_pages.py).

Against the portal ``make up`` serves (2 gunicorn workers, demo content), for
four pages — home, search with facets, a dataset, an organisation:

1. in headless Chromium (Debian's, driven by Playwright): full load (the
   ``load`` event) with a cold cache (a new browser context each time) and
   a warm one (the same context, page loaded again), its weight on the wire
   (bytes transferred, compressed when the server compresses) and its number
   of requests;
2. server side: time to the whole HTML answer, one request at a time (p50,
   p95), and throughput with 8 connections at once for a few seconds.

Targets (issue 19): warm full load p50 ≤ 300 ms, cold ≤ 600 ms; first-visit
weight ≤ 800 KB; server time of the dataset page p50 ≤ 50 ms, of the search
page ≤ 30 ms.

    python tests/bench/bench_pages.py --url http://127.0.0.1:5000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from typing import Any

CHROMIUM = os.environ.get("TERRITOIRE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TARGET_WARM, TARGET_COLD, TARGET_WEIGHT = 300.0, 600.0, 800.0
TARGET_SERVER = {"jeu de données": 50.0, "recherche + facettes": 30.0}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def pages(base: str) -> dict[str, str]:
    def first(action: str, key: str, **params: Any) -> str:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{base}/api/3/action/{action}?{query}") as r:
            result = json.load(r)["result"]
        items = result["results"] if isinstance(result, dict) else result
        if not items:
            sys.exit(
                f"aucun {key} sur {base} : lancez `make up` (contenu de démonstration)"
            )
        return items[0] if isinstance(items[0], str) else items[0]["name"]

    dataset = first(
        "package_search", "jeu de données", rows=1, sort="metadata_modified desc"
    )
    org = first("organization_list", "organisation", sort="package_count")
    return {
        "accueil": f"{base}/",
        "recherche + facettes": f"{base}/dataset/?q=air&vocab_themes=ENVI",
        "jeu de données": f"{base}/dataset/{dataset}",
        "organisation": f"{base}/organization/{org}",
    }


def browser_runs(urls: dict[str, str], runs: int) -> dict[str, dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, dict[str, Any]] = {
        name: {"cold": [], "warm": [], "weight": [], "requests": []} for name in urls
    }
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for _ in range(runs):
                for name, url in urls.items():
                    context = browser.new_context()
                    page = context.new_page()
                    sent: list[Any] = []

                    def finished(request: Any, sent: list[Any] = sent) -> None:
                        sent.append(request)

                    page.on("requestfinished", finished)
                    out[name]["cold"].append(_load(page, url))
                    out[name]["requests"].append(len(sent))
                    out[name]["weight"].append(
                        sum(_transferred(r) for r in sent) / 1024
                    )
                    out[name]["warm"].append(_load(page, url))
                    context.close()
        finally:
            browser.close()
    return out


def _load(page: Any, url: str) -> float:
    page.goto(url, wait_until="load")
    timing = page.evaluate(
        "() => { const t = performance.getEntriesByType('navigation')[0];"
        " return t.loadEventEnd - t.startTime; }"
    )
    return float(timing)


def _transferred(request: Any) -> int:
    sizes = request.sizes()
    response = request.response()
    # cached answers transfer nothing; the body as sent (compressed)
    return (
        int(sizes.get("responseBodySize", 0) + sizes.get("responseHeadersSize", 0))
        if response
        else 0
    )


def server_side(url: str, requests: int, seconds: float) -> tuple[list[float], float]:
    times = []
    for _ in range(3):
        _fetch(url)
    for _ in range(requests):
        started = time.perf_counter()
        _fetch(url)
        times.append((time.perf_counter() - started) * 1000)
    done = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            _fetch(url)
            with lock:
                done += 1

    threads = [threading.Thread(target=client) for _ in range(8)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, done / (time.perf_counter() - started)


def _fetch(url: str) -> None:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request) as r:
        r.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--runs", type=int, default=10, help="browser loads per page")
    parser.add_argument("--requests", type=int, default=50, help="server-side requests")
    parser.add_argument("--seconds", type=float, default=5.0, help="throughput run")
    args = parser.parse_args()
    base = args.url.rstrip("/")
    urls = pages(base)
    print(f"# Benchmark des pages — {base} ({os.cpu_count()} CPU)", flush=True)
    browser = browser_runs(urls, args.runs)
    print(
        "\n| page | chargement à froid p50 / p95 | à chaud p50 / p95 | poids | requêtes "
        "| serveur p50 / p95 | débit (8 connexions) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    verdicts = []
    for name, url in urls.items():
        b = browser[name]
        times, throughput = server_side(url, args.requests, args.seconds)
        weight = statistics.median(b["weight"])
        print(
            f"| {name} | {pct(b['cold'], 50):.0f} / {pct(b['cold'], 95):.0f} ms "
            f"| {pct(b['warm'], 50):.0f} / {pct(b['warm'], 95):.0f} ms "
            f"| {weight:.0f} Ko | {statistics.median(b['requests']):.0f} "
            f"| {pct(times, 50):.1f} / {pct(times, 95):.1f} ms | {throughput:.1f} req/s |",
            flush=True,
        )
        verdicts.append(
            (name, pct(b["cold"], 50), pct(b["warm"], 50), weight, pct(times, 50))
        )
    print()
    for name, cold, warm, weight, server in verdicts:
        ok = cold <= TARGET_COLD and warm <= TARGET_WARM and weight <= TARGET_WEIGHT
        line = (
            f"{name}: cold {cold:.0f} ms (≤ {TARGET_COLD:.0f}), warm {warm:.0f} ms "
            f"(≤ {TARGET_WARM:.0f}), weight {weight:.0f} KB (≤ {TARGET_WEIGHT:.0f})"
        )
        if name in TARGET_SERVER:
            ok = ok and server <= TARGET_SERVER[name]
            line += f", server p50 {server:.1f} ms (≤ {TARGET_SERVER[name]:.0f})"
        print(f"{line} — {'OK' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
