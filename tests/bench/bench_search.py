"""Search benchmark: ``make bench-search`` (tests/bench/bench_search.py).

For each size (10k and 100k by default) it

1. seeds synthetic datasets with bulk inserts into CKAN's own tables (French
   titles and descriptions, organisations, tags, formats, territory codes);
2. builds the index through the real indexing path (``search.rebuild``, i.e.
   ``package_show`` + every ``before_dataset_index`` hook) and reports
   datasets/s;
3. serves the portal with gunicorn (2 workers) on a free loopback port and
   times ``package_search`` / ``package_autocomplete`` over HTTP: p50, p95,
   throughput; plus the same query as raw SQL, so the overhead of CKAN and of
   our layer shows as a ratio; and the workers' peak RSS.

It WIPES the database it runs on: by default ``ckan_bench`` next to the one in
CKAN_INI (created by ``make up``/``make bench-search``), never the portal's.
``--reuse`` keeps a database already seeded to the largest size and only
measures the queries.

    python tests/bench/bench_search.py --sizes 10000,100000 --repeat 200
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from ckanext.territoire.search.tables import DOCS, META

WORDS_TITLE = [
    "Équipements sportifs",
    "Horaires des piscines",
    "Budget primitif",
    "Délibérations",
    "Subventions aux associations",
    "Arrêts de tram",
    "Qualité de l'air",
    "Pistes cyclables",
    "Parkings relais",
    "Écoles maternelles",
    "Menus de la restauration scolaire",
    "Bornes de recharge",
    "Défibrillateurs",
    "Marchés publics",
    "Prénoms des nouveau-nés",
    "Arbres remarquables",
    "Collecte des déchets",
    "Comptages routiers",
    "Population légale",
    "Permis de construire",
    "Lycées publics",
    "Gares et haltes",
    "Musées",
    "Bibliothèques",
]
WORDS_NOTES = (
    "Ce jeu de données recense {x} sur le territoire de {t}. Les données sont mises à "
    "jour {f} par les services de la collectivité et publiées sous licence ouverte. "
    "Chaque enregistrement comporte une localisation, une adresse et des horaires."
)
TERRITORIES = [
    ("Strasbourg", "67482"),
    ("Schiltigheim", "67447"),
    ("Colmar", "68066"),
    ("Mulhouse", "68224"),
    ("Metz", "57463"),
    ("Nancy", "54395"),
    ("Reims", "51454"),
    ("Troyes", "10387"),
    ("Épinal", "88160"),
    ("Charleville-Mézières", "08105"),
]
TAGS = [
    "sport",
    "transport",
    "mobilite",
    "environnement",
    "finances",
    "education",
    "culture",
    "sante",
    "urbanisme",
    "energie",
    "dechets",
    "eau",
    "air",
    "velo",
    "tram",
    "budget",
    "deliberations",
    "associations",
    "equipements",
    "population",
]
FORMATS = ["CSV", "JSON", "GeoJSON", "XLSX", "PDF", "SHP", "XML", "ZIP"]
FREQUENCIES = ["DAILY", "WEEKLY", "MONTHLY", "ANNUAL", "NEVER"]
THEMES = ["ECON", "EDUC", "ENVI", "GOVE", "HEAL", "REGI", "SOCI", "TRAN"]
LICENSES = ["etalab-2.0", "etalab-2.0", "odc-odbl", "cc-by-4.0", "cc-zero"]


def _load_ckan(ini: str) -> None:
    from ckan.cli import CKANConfigLoader
    from ckan.config.environment import load_environment

    load_environment(CKANConfigLoader(ini).get_config())


def _reset_database() -> None:
    from ckan.cli.db import _run_migrations
    from ckan.tests.helpers import reset_db

    reset_db()
    # CKAN's test helper leaves the session on a NullPool engine (a new
    # PostgreSQL connection per transaction, ~10 ms): a benchmark measures
    # the pooled engine the portal runs with
    from sqlalchemy import engine_from_config

    import ckan.model as model
    import ckan.plugins.toolkit as tk

    model.Session.remove()
    model.init_model(engine_from_config(dict(tk.config)))
    for plugin in ("activity", "harvest", "territoire_pgsearch", "territoire"):
        _run_migrations(plugin)
    from ckanext.territoire.territories import loader

    loader.load()  # territory roll-up fields are part of every document


def seed(
    total: int, start: int, orgs: list[str], creator: str, rng: random.Random
) -> None:
    """Insert datasets [start, total) straight into CKAN's tables."""
    from psycopg2.extras import execute_values

    import ckan.model as model

    conn = model.Session.connection().connection.dbapi_connection
    cur = conn.cursor()
    cur.execute("SELECT name, id FROM tag")
    tag_ids = dict(cur.fetchall())
    missing = [t for t in TAGS if t not in tag_ids]
    if missing:
        rows = [(str(uuid.uuid4()), t) for t in missing]
        execute_values(cur, "INSERT INTO tag (id, name) VALUES %s", rows)
        tag_ids.update({t: i for i, t in rows})
    batch = 5000
    for base in range(start, total, batch):
        packages, resources, package_tags = [], [], []
        for n in range(base, min(total, base + batch)):
            pkg_id = str(uuid.uuid4())
            subject = rng.choice(WORDS_TITLE)
            town, code = rng.choice(TERRITORIES)
            year = rng.randint(2015, 2026)
            stamp = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 10:00:00"
            extras = {
                "territories": json.dumps([f"commune:{code}"]),
                "granularity": "commune",
                "frequency": rng.choice(FREQUENCIES),
                "themes": json.dumps(rng.sample(THEMES, rng.randint(1, 2))),
            }
            packages.append(
                (
                    pkg_id,
                    f"jeu-{n:06d}",
                    f"{subject} — {town} {year}",
                    WORDS_NOTES.format(
                        x=subject.lower(),
                        t=town,
                        f=rng.choice(["chaque jour", "chaque mois", "chaque année"]),
                    ),
                    "active",
                    rng.choice(LICENSES),
                    "dataset",
                    rng.choice(orgs),
                    rng.random() < 0.05,
                    stamp,
                    stamp,
                    creator,
                    json.dumps(extras),
                )
            )
            for pos, fmt in enumerate(rng.sample(FORMATS, rng.randint(1, 3))):
                resources.append(
                    (
                        str(uuid.uuid4()),
                        pkg_id,
                        f"https://data.example.org/{n}/{pos}.{fmt.lower()}",
                        fmt,
                        f"{subject} ({fmt})",
                        pos,
                        "active",
                        stamp,
                    )
                )
            for tag in rng.sample(TAGS, rng.randint(2, 5)):
                package_tags.append((str(uuid.uuid4()), "active", pkg_id, tag_ids[tag]))
        execute_values(
            cur,
            "INSERT INTO package (id, name, title, notes, state, license_id, type, owner_org,"
            " private, metadata_created, metadata_modified, creator_user_id, extras) VALUES %s",
            packages,
        )
        execute_values(
            cur,
            "INSERT INTO resource (id, package_id, url, format, name, position, state, created)"
            " VALUES %s",
            resources,
        )
        execute_values(
            cur,
            "INSERT INTO package_tag (id, state, package_id, tag_id) VALUES %s",
            package_tags,
        )
    model.Session.commit()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _time(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    fn()  # warm-up
    samples = []
    begin = time.perf_counter()
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - begin
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p95": samples[int(0.95 * (len(samples) - 1))],
        "qps": repeat / elapsed,
    }


def _http(port: int, action: str, params: dict[str, Any]) -> Callable[[], Any]:
    url = f"http://127.0.0.1:{port}/api/3/action/{action}?" + urllib.parse.urlencode(
        params
    )

    def call() -> Any:
        with urllib.request.urlopen(url, timeout=60) as r:
            body = json.loads(r.read())
        assert body["success"], body
        return body

    return call


FACETS = '["organization","tags","res_format","license_id","groups"]'
_PUBLIC = "d.state='active' AND d.capacity='public' AND d.dataset_type='dataset'"


def _raw_facets(where: str) -> str:
    """Count + the five facets in hand-written SQL: the floor our layer can reach."""
    parts = [f"SELECT 'count', NULL, count(*) FROM {DOCS} d WHERE {where}"]
    for col in ("organization", "license_id"):
        parts.append(
            f"(SELECT '{col}', d.{col}, count(*) FROM {DOCS} d "
            f"WHERE {where} GROUP BY 2 ORDER BY 3 DESC LIMIT 50)"
        )
    for col in ("tags", "res_format", "groups"):
        parts.append(
            f"(SELECT '{col}', v, count(*) FROM {DOCS} d, unnest(d.{col}) v "
            f"WHERE {where} GROUP BY 2 ORDER BY 3 DESC LIMIT 50)"
        )
    return " UNION ALL ".join(parts)


QUERIES: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "*:* + 5 facettes",
        "package_search",
        {"q": "*:*", "facet.field": FACETS, "rows": 20},
        _raw_facets(_PUBLIC),
    ),
    (
        "texte + filtre + 5 facettes",
        "package_search",
        {
            "q": "piscines strasbourg",
            "fq": "res_format:CSV",
            "facet.field": FACETS,
            "rows": 20,
        },
        _raw_facets(
            _PUBLIC + " AND d.res_format @> '{CSV}' AND d.tsv @@ "
            "plainto_tsquery('territoire_fr','piscines strasbourg')"
        ),
    ),
    (
        "page profonde (start=5000)",
        "package_search",
        {"q": "*:*", "start": 5000, "rows": 20},
        f"SELECT id FROM {DOCS} d WHERE d.state='active' AND d.capacity='public' "
        "ORDER BY metadata_modified DESC OFFSET 5000 LIMIT 20",
    ),
    (
        "tri par titre",
        "package_search",
        {"q": "*:*", "sort": "title_string asc", "rows": 20},
        f"SELECT id FROM {DOCS} d WHERE d.state='active' AND d.capacity='public' "
        "ORDER BY title_string LIMIT 20",
    ),
    (
        "autocomplétion",
        "package_autocomplete",
        {"q": "piscin", "limit": 10},
        f"SELECT name, title FROM {DOCS} d WHERE d.ac @@ to_tsquery("
        "'territoire_simple','piscin:*') LIMIT 10",
    ),
]


def fresh_database() -> tuple[list[str], str]:
    """Wipe the benchmark database; (ids of 40 organisations, creator user id)."""
    import ckan.plugins.toolkit as tk

    _reset_database()
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    context = {"user": site_user["name"], "ignore_auth": True}
    orgs = [
        tk.get_action("organization_create")(
            dict(context),
            {
                "name": f"collectivite-{i:02d}",
                "kind": "agence",
                "title": f"Collectivité {i:02d}",
            },
        )["id"]
        for i in range(40)
    ]
    return orgs, site_user["id"]


def _upgrade_reused() -> None:
    """A reused database gets the plugins' newer migrations and a current summary."""
    from ckan.cli.db import _run_migrations

    from ckanext.territoire.search import backend, summary

    for plugin in ("territoire_pgsearch", "territoire"):
        _run_migrations(plugin)
    with backend.ENGINE.get().begin() as conn:
        cur = backend._raw(conn).cursor()
        cur.execute(f"SELECT facet_fields FROM {META}")
        if not summary.is_current(cur.fetchone()[0]):
            summary.rebuild(cur, summary.configured_fields())


def _package_count() -> int:
    import ckan.model as model

    try:
        return int(
            model.Session.execute(sa.text("SELECT count(*) FROM package")).scalar()
        )
    finally:
        model.Session.rollback()


def run_size(
    args: argparse.Namespace,
    size: int,
    seeded: int,
    env: dict[str, str],
    orgs: list[str],
    creator: str,
    rng: random.Random,
    reuse: bool = False,
) -> list[str]:
    from ckan.lib import search

    from ckanext.territoire.search import backend

    if reuse:
        build = "base et index réutilisés (--reuse)"
        _upgrade_reused()
    else:
        t0 = time.perf_counter()
        seed(size, seeded, orgs, creator, rng)
        seed_s = time.perf_counter() - t0

        search.clear_all()
        t0 = time.perf_counter()
        search.rebuild(defer_commit=True, quiet=True)
        search.commit()
        rebuild_s = time.perf_counter() - t0
        print(f"index: {rebuild_s:.1f} s", flush=True)
        build = (
            f"seed (SQL en masse) : {seed_s:.1f} s ; index (search.rebuild) : "
            f"{rebuild_s:.1f} s = {_package_count() / rebuild_s:.0f} jeux/s"
        )

    lines = [
        f"\n## {size:,} jeux de données".replace(",", " "),
        build,
        "",
        "| requête | p50 ms | p95 ms | req/s | SQL brut p50 ms | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    port = _free_port()
    wsgi_dir = os.path.join(args.root, "deploy", "local")
    server = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "--chdir",
            wsgi_dir,
            "-w",
            "2",
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
        deadline = time.time() + 90
        while True:
            try:
                _http(port, "status_show", {})()
                break
            except Exception:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start for the benchmark")
                time.sleep(0.5)
        with backend.ENGINE.get().connect() as conn:
            cur = backend._raw(conn).cursor()
            for label, action, params, raw in QUERIES:
                api = _time(_http(port, action, params), args.repeat)

                def raw_sql(raw: str = raw) -> Any:
                    cur.execute(raw)
                    return cur.fetchall()

                sql = _time(raw_sql, args.repeat)
                lines.append(
                    f"| {label} | {api['p50']:.1f} | {api['p95']:.1f} | {api['qps']:.0f} | "
                    f"{sql['p50']:.2f} | {api['p50'] / max(sql['p50'], 0.001):.2g}× |"
                )
        peak = max((_rss_kb(pid) for pid in _children(server.pid)), default=0)
        lines.append(
            f"\nmémoire crête d'un worker gunicorn (VmHWM) : {peak / 1024:.0f} Mo"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ini", default=os.environ.get("CKAN_INI", "var/ckan.ini"))
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_SQLALCHEMY_URL")
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="disable the answer cache (measure every query cold)",
    )
    parser.add_argument("--root", default=os.getcwd())
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the seeded database and index if it already holds the "
        "largest size; measure the queries only",
    )
    args = parser.parse_args()

    from ckan.cli import CKANConfigLoader

    conf = CKANConfigLoader(args.ini).get_config()
    url = args.database_url or conf["sqlalchemy.url"].rsplit("/", 1)[0] + "/ckan_bench"
    os.environ["CKAN_SQLALCHEMY_URL"] = url
    env = dict(os.environ, CKAN_INI=os.path.abspath(args.ini), CKAN_SQLALCHEMY_URL=url)
    if args.no_cache:
        env["CKANEXT__TERRITOIRE__SEARCH__CACHE_SIZE"] = "0"
        os.environ["CKANEXT__TERRITOIRE__SEARCH__CACHE_SIZE"] = "0"
    _load_ckan(args.ini)
    sizes = [int(s) for s in args.sizes.split(",")]

    reuse = False
    if args.reuse:
        try:
            reuse = _package_count() >= max(sizes)
        except sa.exc.DBAPIError:
            reuse = False
    where = url.rsplit("@", 1)[-1]
    print(
        f"# Benchmark recherche PostgreSQL — base {where}"
        + (" (réutilisée)" if reuse else " (effacée)")
    )
    orgs: list[str] = []
    creator = ""
    if not reuse:
        orgs, creator = fresh_database()
    rng = random.Random(20261122)
    seeded = 0
    report: list[str] = []
    for size in sizes:
        if reuse and size != max(sizes):
            continue
        report += run_size(
            args,
            size,
            seeded,
            env,
            orgs,
            creator,
            rng,
            reuse=reuse,
        )
        seeded = size
        print("\n".join(report[-12:]), flush=True)
    print("\n".join(report))


if __name__ == "__main__":
    main()
