"""Load the COG data file into ``territoire_ref.territoire_territory`` and its companions.

The whole load is one transaction: the old rows are deleted and the new ones
inserted, so readers keep seeing the previous COG until the commit, and a
failure at any point leaves it in place. Loading the same file again gives
the same rows (only ``loaded_at`` changes).
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import sqlalchemy as sa
from psycopg2.extras import Json, execute_values

import ckan.model as model

from . import codes, lookup
from .codes import COMMUNE, DEPARTEMENT, EPCI, FRANCE, PAYS, REGION, normalize_name

log = logging.getLogger(__name__)

DEFAULT_FILE = os.path.join(os.path.dirname(__file__), "data", "cog.json.gz")

TABLES = (
    "territoire_ref.territoire_territory",
    "territoire_ref.territoire_territory_former",
    "territoire_ref.territoire_cog_meta",
)
_COLUMNS = "code, level, insee, name, name_norm, parents, population, siren"


class CogLoadError(Exception):
    """The data file or the database is not in a state to load the COG."""


@dataclass
class CogData:
    """The territories of one data file, as rows ready for the tables."""

    source: str
    version: str
    cog: int
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    former: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def read(path: str | None = None) -> CogData:
    """Parse and check the data file (gzipped or plain JSON)."""
    path = path or DEFAULT_FILE
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        doc = json.loads(raw.decode("utf-8"))
        return _rows(doc)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as e:
        raise _file_error(path, e) from e
    except (KeyError, TypeError, IndexError, AttributeError) as e:
        raise _file_error(
            path, f"structure inattendue / unexpected structure: {e!r}"
        ) from e


def _file_error(path: str, cause: Any) -> CogLoadError:
    return CogLoadError(
        f"Fichier COG illisible ou mal formé : {path} ({cause}). "
        f"/ Unreadable or malformed COG file: {path}."
    )


def _rows(doc: dict[str, Any]) -> CogData:
    data = CogData(
        source=str(doc["source"]), version=str(doc["version"]), cog=int(doc["cog"])
    )
    region_names = {str(code): str(name) for code, name in doc["regions"]}
    departements = {
        str(code): (str(name), str(region))
        for code, name, region in doc["departements"]
    }
    communes = {str(c[0]): c for c in doc["communes"]}
    epcis = {str(e[0]): e for e in doc["epci"]}
    if not (region_names and departements and communes):
        raise ValueError("régions, départements ou communes vides / empty lists")

    epci_of: dict[str, str] = {}
    for siren, _name, _type, members in epcis.values():
        for member in members:
            if member not in communes:
                raise ValueError(f"EPCI {siren}: commune inconnue / unknown {member}")
            epci_of[member] = siren
    for code, (_name, region) in departements.items():
        if region not in region_names:
            raise ValueError(f"département {code}: région inconnue / unknown {region}")

    # Only communes carry a population; wider territories get the sum of
    # their communes' (municipal population), which is what ranking needs.
    population: dict[str, int] = defaultdict(int)
    rows = data.rows
    for code, name, dep, region, siren, pop, former in communes.values():
        if dep not in departements or departements[dep][1] != region:
            raise ValueError(f"commune {code}: département/région {dep}/{region}")
        parents = [codes.make(DEPARTEMENT, dep), codes.make(REGION, region), FRANCE]
        if code in epci_of:
            parents.insert(0, codes.make(EPCI, epci_of[code]))
        for parent in parents:
            population[parent] += pop or 0
        rows.append(_row(COMMUNE, code, name, parents, pop, siren))
        data.former.extend(
            (codes.make(COMMUNE, old), codes.make(COMMUNE, code)) for old in former
        )

    for siren, name, _type, members in epcis.values():
        deps = sorted({communes[m][2] for m in members})
        regions = sorted({communes[m][3] for m in members})
        parents = [codes.make(DEPARTEMENT, d) for d in deps]
        parents += [codes.make(REGION, r) for r in regions] + [FRANCE]
        code = codes.make(EPCI, siren)
        rows.append(_row(EPCI, siren, name, parents, population.get(code), siren))

    for dep, (name, region) in departements.items():
        code = codes.make(DEPARTEMENT, dep)
        parents = [codes.make(REGION, region), FRANCE]
        rows.append(_row(DEPARTEMENT, dep, name, parents, population.get(code), None))

    for region, name in region_names.items():
        code = codes.make(REGION, region)
        rows.append(_row(REGION, region, name, [FRANCE], population.get(code), None))

    rows.append(_row(PAYS, "fr", codes.FRANCE_NAME, [], population.get(FRANCE), None))

    data.counts = {
        "regions": len(region_names),
        "departements": len(departements),
        "epci": len(epcis),
        "communes": len(communes),
        "pays": 1,
        "anciens_codes": len(data.former),
        "territoires": len(rows),
    }
    return data


def _row(
    level: str, insee: str, name: str, parents: list[str], population: Any, siren: Any
) -> tuple[Any, ...]:
    return (
        codes.make(level, str(insee)),
        level,
        str(insee),
        str(name),
        normalize_name(str(name)),
        parents,
        int(population) if population is not None else None,
        str(siren) if siren else None,
    )


def missing_tables(conn: sa.Connection) -> list[str]:
    return [
        table
        for table in TABLES
        if conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": table}).scalar()
        is None
    ]


def _check_tables(conn: sa.Connection) -> None:
    missing = missing_tables(conn)
    if missing:
        raise CogLoadError(
            "Tables du COG absentes ({tables}) : lancez "
            "`ckan db upgrade -p territoire`. / COG tables missing: run "
            "`ckan db upgrade -p territoire`.".format(tables=", ".join(missing))
        )


def status() -> dict[str, Any] | None:
    """What the last load wrote in ``territoire_ref.territoire_cog_meta``, or None."""
    with _engine().connect() as conn:
        _check_tables(conn)
        row = (
            conn.execute(
                sa.text(
                    "SELECT source, version, cog, loaded_at, counts "
                    "FROM territoire_ref.territoire_cog_meta"
                )
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def _engine() -> sa.Engine:
    engine = model.meta.engine
    if engine is None:
        raise CogLoadError(
            "Base de données non configurée (sqlalchemy.url). "
            "/ Database not configured (sqlalchemy.url)."
        )
    return engine


def _write(conn: sa.Connection, data: CogData) -> None:
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    # DELETE rather than TRUNCATE: readers keep the old rows until commit
    # instead of waiting on an exclusive lock.
    cur.execute("DELETE FROM territoire_ref.territoire_territory_former")
    cur.execute("DELETE FROM territoire_ref.territoire_territory")
    execute_values(
        cur,
        f"INSERT INTO territoire_ref.territoire_territory ({_COLUMNS}) VALUES %s",
        data.rows,
        page_size=5000,
    )
    execute_values(
        cur,
        "INSERT INTO territoire_ref.territoire_territory_former (old_code, code) VALUES %s",
        data.former,
        page_size=5000,
    )
    cur.execute(
        "INSERT INTO territoire_ref.territoire_cog_meta (singleton, source, version, cog, "
        "loaded_at, counts) VALUES (true, %s, %s, %s, now(), %s) "
        "ON CONFLICT (singleton) DO UPDATE SET source = EXCLUDED.source, "
        "version = EXCLUDED.version, cog = EXCLUDED.cog, "
        "loaded_at = EXCLUDED.loaded_at, counts = EXCLUDED.counts",
        (data.source, data.version, data.cog, Json(data.counts)),
    )


def load(path: str | None = None) -> dict[str, Any]:
    """Replace the territories with those of ``path`` (default: the shipped file).

    Returns the counts, plus ``source``, ``version``, ``cog`` and ``seconds``.
    Raises :class:`CogLoadError` when the file is unreadable or malformed,
    the tables do not exist or the database refuses the rows; the database
    is then unchanged.
    """
    started = time.monotonic()
    data = read(path)
    try:
        with _engine().begin() as conn:
            _check_tables(conn)
            _write(conn, data)
    except (psycopg2.Error, sa.exc.DBAPIError) as e:
        # The transaction has been rolled back: the previous COG is intact.
        raise CogLoadError(
            "Échec du chargement du COG, les données précédentes sont conservées "
            f": {e}. / COG load failed, the previous data is kept."
        ) from e
    lookup.reset()
    seconds = round(time.monotonic() - started, 2)
    log.info(
        "COG %s (%s %s) loaded in %ss: %s",
        data.cog,
        data.source,
        data.version,
        seconds,
        data.counts,
    )
    return {
        **data.counts,
        "source": data.source,
        "version": data.version,
        "cog": data.cog,
        "seconds": seconds,
    }
