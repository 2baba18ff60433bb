"""Create and restore backups (see the package docstring for the layout).

Messages are bilingual, French first: these run from the command line, where
no request carries a language.
"""

from __future__ import annotations

import configparser
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg2
import sqlalchemy as sa

import ckan.plugins.toolkit as tk

FORMAT = 1
MANIFEST = "manifest.json"
FILES_ARCHIVE = "files.tar.gz"
FILES_LIST = "files.sha256"
CONFIG_COPY = "ckan.ini"
#: folders of ckan.storage_path that are made again, not backed up
REGENERATED = frozenset({"webassets", "dcat"})
SECRET_PLACEHOLDER = "<secret : à renseigner / secret: to be set>"
_SECRET_KEY = re.compile(
    r"(secret|password|passwd|token|_key$|^key$|smtp\.user$)", re.I
)
_URL_PASSWORD = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+(?P<tail>@)", re.I
)

Say = Callable[[str], None]


class BackupError(Exception):
    """What went wrong and what to do, in French then English."""


# --------------------------------------------------------------------------
# Databases


@dataclass(frozen=True)
class Database:
    """One database of the portal, from a SQLAlchemy URL of the config."""

    role: str  # "ckan" or "datastore": the dump's file name
    url: sa.engine.URL

    @classmethod
    def from_config(cls, role: str, key: str) -> Database | None:
        value = tk.config.get(key)
        return cls(role, sa.engine.make_url(value)) if value else None

    @property
    def dump_name(self) -> str:
        return f"{self.role}.dump"

    def conninfo(self) -> dict[str, Any]:
        return {
            "host": self.url.host or "localhost",
            "port": self.url.port or 5432,
            "user": self.url.username,
            "password": self.url.password,
            "dbname": self.url.database,
        }

    def cli_args(self) -> list[str]:
        """Connection arguments of pg_dump/pg_restore; the password goes in
        the environment (``PGPASSWORD``), never on the command line."""
        info = self.conninfo()
        return [
            f"--host={info['host']}",
            f"--port={info['port']}",
            f"--username={info['user']}",
            f"--dbname={info['dbname']}",
        ]

    def cli_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.url.password:
            env["PGPASSWORD"] = str(self.url.password)
        return env

    def label(self) -> str:
        return f"{self.url.database} ({self.url.host}:{self.url.port or 5432})"

    @contextmanager
    def connect(self) -> Iterator[Any]:
        try:
            conn = psycopg2.connect(**self.conninfo(), connect_timeout=10)
        except psycopg2.Error as error:
            raise BackupError(
                f"connexion à la base {self.label()} impossible : {error}".strip()
                + " — vérifiez que PostgreSQL tourne et la configuration "
                f"/ cannot connect to {self.label()}: check that PostgreSQL "
                "is running and the configuration"
            ) from error
        try:
            yield conn
        finally:
            conn.close()


def _databases() -> list[Database]:
    found = [Database.from_config("ckan", "sqlalchemy.url")]
    found.append(Database.from_config("datastore", "ckan.datastore.write_url"))
    return [db for db in found if db is not None]


def _tables(cur: Any) -> list[str]:
    cur.execute(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) "
        "FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
        "ORDER BY 1"
    )
    return [row[0] for row in cur.fetchall()]


def count_rows(cur: Any) -> dict[str, int]:
    """Exact row count of every table (in the cursor's snapshot)."""
    counts = {}
    for table in _tables(cur):
        cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (quoted)
        counts[table] = int(cur.fetchone()[0])
    return counts


def _server_major(cur: Any) -> int:
    cur.execute("SHOW server_version_num")
    return int(cur.fetchone()[0]) // 10000


# --------------------------------------------------------------------------
# PostgreSQL programs


def _program_major(path: Path) -> int:
    out = subprocess.run(
        [str(path), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else 0


def pg_program(name: str, server_major: int) -> Path:
    """``pg_dump``/``pg_restore`` of a version able to read the server's:
    ``ckanext.territoire.backup.pg_bin`` when set, else the newest
    ``/usr/lib/postgresql/*/bin``, else the one on PATH."""
    candidates: list[Path] = []
    configured = tk.config.get("ckanext.territoire.backup.pg_bin")
    if configured:
        candidates.append(Path(configured) / name)
    else:
        versions = sorted(
            Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
            key=lambda p: (
                int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0
            ),
            reverse=True,
        )
        candidates.extend(versions)
        on_path = shutil.which(name)
        if on_path:
            candidates.append(Path(on_path))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            major = _program_major(path)
            if major >= server_major:
                return path
            raise BackupError(
                f"{path} est la version {major}, plus ancienne que le serveur "
                f"PostgreSQL ({server_major}) : installez postgresql-client-"
                f"{server_major} ou indiquez ckanext.territoire.backup.pg_bin "
                f"/ {path} is version {major}, older than the server "
                f"({server_major}): install postgresql-client-{server_major} "
                "or set ckanext.territoire.backup.pg_bin"
            )
    raise BackupError(
        f"{name} est introuvable : installez postgresql-client-{server_major} "
        "ou indiquez ckanext.territoire.backup.pg_bin "
        f"/ {name} not found: install postgresql-client-{server_major} or set "
        "ckanext.territoire.backup.pg_bin"
    )


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise BackupError(f"{what} a échoué / {what} failed:\n  " + "\n  ".join(detail))


# --------------------------------------------------------------------------
# Files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _storage() -> Path | None:
    value = tk.config.get("ckan.storage_path")
    return Path(value) if value else None


def _backed_up_files(storage: Path) -> list[Path]:
    """Files under the storage path that a backup keeps, relative paths."""
    if not storage.is_dir():
        return []
    kept = []
    for top in sorted(storage.iterdir()):
        if top.name in REGENERATED or top.name.startswith("."):
            continue
        if top.is_file():
            kept.append(top.relative_to(storage))
            continue
        for path in sorted(top.rglob("*")):
            if path.is_file() and not path.is_symlink():
                kept.append(path.relative_to(storage))
    return kept


def _write_files(storage: Path | None, out: Path) -> dict[str, Any]:
    names = _backed_up_files(storage) if storage else []
    total = 0
    lines = []
    with tarfile.open(out / FILES_ARCHIVE, "w:gz", compresslevel=6) as archive:
        for name in names:
            path = storage / name  # type: ignore[operator]
            archive.add(path, arcname=str(name), recursive=False)
            total += path.stat().st_size
            lines.append(f"{_sha256(path)}  {name}\n")
    (out / FILES_LIST).write_text("".join(lines), encoding="utf-8")
    return {"count": len(names), "bytes": total}


# --------------------------------------------------------------------------
# Configuration minus secrets


def _config_chain(path: Path, seen: set[Path] | None = None) -> list[Path]:
    """The ini file and those it names by ``use = config:…``, base first."""
    seen = seen or set()
    path = path.resolve()
    if path in seen or not path.is_file():
        return []
    seen.add(path)
    parser = configparser.RawConfigParser(strict=False)
    parser.read(path, encoding="utf-8")
    use = parser.get("app:main", "use", fallback="")
    chain: list[Path] = []
    if use.startswith("config:"):
        chain = _config_chain(path.parent / use[len("config:") :], seen)
    return [*chain, path]


def redact(key: str, value: str) -> str:
    if _SECRET_KEY.search(key) and value.strip():
        return SECRET_PLACEHOLDER
    return _URL_PASSWORD.sub(rf"\g<head>{SECRET_PLACEHOLDER}\g<tail>", value)


def _write_config(out: Path) -> list[str]:
    """The merged [app:main] of the ini in use, secrets replaced."""
    source = tk.config.get("__file__")
    merged: dict[str, str] = {}
    files = _config_chain(Path(source)) if source else []
    for path in files:
        parser = configparser.RawConfigParser(strict=False)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(path, encoding="utf-8")
        if parser.has_section("app:main"):
            merged.update(parser.items("app:main"))
    merged.pop("use", None)
    lines = [
        "# Configuration du portail au moment de la sauvegarde, secrets retirés.\n",
        "# Configuration of the portal when backed up, secrets removed.\n",
        *(f"# from {path}\n" for path in files),
        "[app:main]\n",
    ]
    for key in sorted(merged):
        value = redact(key, merged[key]).replace("\n", "\n    ")
        lines.append(f"{key} = {value}\n")
    (out / CONFIG_COPY).write_text("".join(lines), encoding="utf-8")
    return [str(path) for path in files]


# --------------------------------------------------------------------------
# Create


def _summary(ckan: dict[str, int], datastore: dict[str, int]) -> dict[str, int]:
    def rows(table: str) -> int:
        # reserved words (group, user) come quoted from quote_ident
        return ckan.get(f"public.{table}", ckan.get(f'public."{table}"', 0))

    return {
        "tables_ckan": len(ckan),
        "packages": rows("package"),
        "resources": rows("resource"),
        "groups": rows("group"),
        "users": rows("user"),
        "harvest_sources": rows("harvest_source"),
        "harvest_objects": rows("harvest_object"),
        "datastore_tables": sum(
            1
            for name in datastore
            if not name.split(".", 1)[1].strip('"').startswith("_")
        ),
        "datastore_rows": sum(datastore.values()),
    }


def _versions() -> dict[str, str]:
    found = {}
    for dist in ("ckan", "ckanext-territoire", "ckanext-harvest", "ckanext-dcat"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return found


def _dump(db: Database, out: Path, say: Say) -> dict[str, Any]:
    """pg_dump from a snapshot in which every table is counted."""
    with db.connect() as conn:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            major = _server_major(cur)
            counts = count_rows(cur)
            say(f"  {db.role} : {db.label()}, {len(counts)} tables")
            pg_dump = pg_program("pg_dump", major)
            _run(
                [
                    str(pg_dump),
                    *db.cli_args(),
                    f"--snapshot={snapshot}",
                    "--format=custom",
                    "--no-owner",
                    "--no-acl",
                    f"--file={out / db.dump_name}",
                ],
                db.cli_env(),
                f"pg_dump {db.label()}",
            )
        conn.rollback()
    return {"server_major": major, "tables": counts}


def _target_dir(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(
            f"{directory} existe et n'est pas un dossier vide : choisissez un "
            f"nouveau dossier (une sauvegarde n'en écrase jamais une autre) "
            f"/ {directory} exists and is not an empty folder: choose a new one "
            "(a backup never overwrites another)"
        )


def create(directory: Path, say: Say = lambda _m: None) -> dict[str, Any]:
    """Write a backup into ``directory`` (new or empty); returns the manifest.

    Built in a hidden sibling folder and renamed at the end: an interrupted
    backup leaves no folder that looks complete.
    """
    directory = directory.absolute()
    _target_dir(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    work = Path(
        tempfile.mkdtemp(prefix=f".{directory.name}.partial-", dir=directory.parent)
    )
    try:
        old_umask = os.umask(0o077)
        try:
            manifest = _create_in(work, say)
        finally:
            os.umask(old_umask)
        if directory.exists():
            directory.rmdir()
        work.rename(directory)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _create_in(out: Path, say: Say) -> dict[str, Any]:
    say("bases de données / databases")
    databases: dict[str, Any] = {}
    for db in _databases():
        databases[db.role] = _dump(db, out, say)
    say("fichiers / files")
    storage = _storage()
    files = _write_files(storage, out)
    say(f"  {files['count']} fichiers / files, {files['bytes']} octets / bytes")
    config_sources = _write_config(out)
    checksums = {}
    for name in sorted(p.name for p in out.iterdir()):
        checksums[name] = {
            "sha256": _sha256(out / name),
            "bytes": (out / name).stat().st_size,
        }
    manifest = {
        "format": FORMAT,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "databases": databases,
        "files": files,
        "config_sources": config_sources,
        "checksums": checksums,
        "summary": _summary(
            databases.get("ckan", {}).get("tables", {}),
            databases.get("datastore", {}).get("tables", {}),
        ),
    }
    (out / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    return manifest


# --------------------------------------------------------------------------
# Restore


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BackupError(
            f"{path} est absent : ce dossier n'est pas une sauvegarde complète "
            f"/ {path} is missing: not a complete backup"
        ) from error
    except ValueError as error:
        raise BackupError(
            f"{path} est illisible ({error}) / {path} is unreadable"
        ) from error
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"format de sauvegarde {manifest.get('format')!r} inconnu (attendu "
            f"{FORMAT}) / unknown backup format"
        )
    return manifest


def verify(directory: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest lists is there, with its checksum."""
    for name, expected in sorted(manifest["checksums"].items()):
        path = directory / name
        if not path.is_file():
            raise BackupError(
                f"{name} manque dans la sauvegarde {directory} / {name} is missing"
            )
        if _sha256(path) != expected["sha256"]:
            raise BackupError(
                f"{name} ne correspond pas à sa somme de contrôle : la sauvegarde "
                f"est altérée, rien n'a été restauré / {name} does not match its "
                "checksum: the backup is damaged, nothing was restored"
            )


def _occupied(databases: list[Database], storage: Path | None) -> list[str]:
    """What the target instance already holds (a restore would replace it)."""
    found = []
    for db in databases:
        with db.connect() as conn, conn.cursor() as cur:
            if db.role == "ckan":
                cur.execute("SELECT to_regclass('public.package') IS NOT NULL")
                if cur.fetchone()[0]:
                    cur.execute("SELECT count(*) FROM package WHERE state <> 'deleted'")
                    packages = cur.fetchone()[0]
                    if packages:
                        found.append(f"{packages} jeux de données / datasets")
            else:
                cur.execute(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename NOT LIKE '\\_%'"
                )
                tables = cur.fetchone()[0]
                if tables:
                    found.append(f"{tables} tables DataStore / DataStore tables")
    if storage and _backed_up_files(storage):
        found.append(f"des fichiers dans / files in {storage}")
    return found


def _restore_files(directory: Path, storage: Path, say: Say) -> int:
    """Extract into a staging folder, check every file, then move in place.

    What a folder of the target already held is moved aside, not deleted.
    """
    storage.mkdir(parents=True, exist_ok=True)
    expected = {}
    for line in (directory / FILES_LIST).read_text(encoding="utf-8").splitlines():
        digest, _sep, name = line.partition("  ")
        expected[name] = digest
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=storage))
    try:
        with tarfile.open(directory / FILES_ARCHIVE, "r:gz") as archive:
            archive.extractall(staging, filter="data")
        for name, digest in expected.items():
            path = staging / name
            if not path.is_file() or _sha256(path) != digest:
                raise BackupError(
                    f"{name} : contenu différent de la sauvegarde / content "
                    "differs from the backup"
                )
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        for top in sorted(staging.iterdir()):
            destination = storage / top.name
            if destination.exists():
                aside = storage / f".avant-restauration-{stamp}" / top.name
                aside.parent.mkdir(parents=True, exist_ok=True)
                destination.rename(aside)
                say(f"  {destination} déplacé vers / moved to {aside}")
            top.rename(destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return len(expected)


def _compare(db: Database, expected: dict[str, int]) -> list[str]:
    with db.connect() as conn, conn.cursor() as cur:
        found = count_rows(cur)
    problems = []
    for table, rows in sorted(expected.items()):
        if found.get(table) != rows:
            problems.append(
                f"{db.role} {table} : {found.get(table, 'absente / missing')} "
                f"ligne(s) au lieu de / rows instead of {rows}"
            )
    return problems


def _read_role_can_read(say: Say) -> None:
    """After a DataStore restore, the read-only role must read the tables
    (CKAN's ``datastore set-permissions`` gives it default privileges)."""
    url = tk.config.get("ckan.datastore.read_url")
    if not url:
        return
    db = Database("datastore", sa.engine.make_url(url))
    with db.connect() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = "
            "'public' AND tablename NOT LIKE '\\_%' LIMIT 1"
        )
        row = cur.fetchone()
        if row is None:
            return
        try:
            cur.execute(f"SELECT 1 FROM {row[0]} LIMIT 1")  # noqa: S608 (quoted)
        except psycopg2.errors.InsufficientPrivilege as error:
            raise BackupError(
                "le rôle de lecture du DataStore ne lit pas les tables "
                "restaurées : exécutez « ckan datastore set-permissions | psql » "
                "en super-utilisateur, puis relancez la restauration / the "
                "DataStore read-only role cannot read the restored tables: run "
                "`ckan datastore set-permissions | psql` as superuser, then "
                "restore again"
            ) from error
    say("  le rôle de lecture du DataStore lit les tables / read-only role OK")


def restore(
    directory: Path, *, force: bool = False, say: Say = lambda _m: None
) -> dict[str, Any]:
    """Restore the backup in ``directory`` into this instance.

    Refuses an instance that already holds datasets, DataStore tables or
    files unless ``force`` (then the files it held are moved aside).
    """
    directory = directory.absolute()
    manifest = read_manifest(directory)
    say("vérification des sommes de contrôle / checking checksums")
    verify(directory, manifest)
    databases = [db for db in _databases() if db.role in manifest["databases"]]
    missing = set(manifest["databases"]) - {db.role for db in databases}
    if missing:
        raise BackupError(
            "la sauvegarde contient " + ", ".join(sorted(missing)) + " mais cette "
            "instance n'a pas de base configurée pour cela (ckan.datastore.write_url) "
            "/ the backup holds a database this instance has no URL for"
        )
    storage = _storage()
    if manifest["files"]["count"] and storage is None:
        raise BackupError(
            "ckan.storage_path n'est pas défini : aucun endroit où restaurer les "
            "fichiers / ckan.storage_path is not set: nowhere to restore the files"
        )
    occupied = _occupied(databases, storage)
    if occupied and not force:
        raise BackupError(
            "l'instance cible n'est pas vide (" + ", ".join(occupied) + ") : "
            "restaurez dans une instance neuve, ou ajoutez --force pour remplacer "
            "son contenu / the target instance is not empty: restore into a new "
            "one, or add --force to replace its content"
        )
    restorers = {}
    for db in databases:
        with db.connect() as conn, conn.cursor() as cur:
            restorers[db.role] = pg_program("pg_restore", _server_major(cur))
        _run(
            [str(restorers[db.role]), "--list", str(directory / db.dump_name)],
            db.cli_env(),
            f"pg_restore --list {db.dump_name}",
        )
    for db in databases:
        say(f"restauration de / restoring {db.dump_name} → {db.label()}")
        _run(
            [
                str(restorers[db.role]),
                *db.cli_args(),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-acl",
                "--single-transaction",
                "--exit-on-error",
                str(directory / db.dump_name),
            ],
            db.cli_env(),
            f"pg_restore {db.dump_name}",
        )
    restored_files = 0
    if storage is not None:
        say(f"fichiers → {storage}")
        restored_files = _restore_files(directory, storage, say)
    say("comparaison avec le manifeste / comparing with the manifest")
    problems = []
    for db in databases:
        problems += _compare(db, manifest["databases"][db.role]["tables"])
    if restored_files != manifest["files"]["count"]:
        problems.append(
            f"fichiers / files : {restored_files} au lieu de / instead of "
            f"{manifest['files']['count']}"
        )
    if problems:
        raise BackupError(
            "la restauration ne correspond pas au manifeste / the restore does "
            "not match the manifest:\n  " + "\n  ".join(problems)
        )
    if "datastore" in manifest["databases"]:
        _read_role_can_read(say)
    return manifest


# --------------------------------------------------------------------------
# Retention


def prune(
    root: Path, *, daily: int, weekly: int, monthly: int, dry_run: bool = False
) -> tuple[list[Path], list[Path]]:
    """Keep the newest backup of each of the last ``daily`` days, ``weekly``
    ISO weeks and ``monthly`` months among the complete backups in ``root``;
    delete the other complete ones. Returns (kept, deleted).

    Only folders with a readable manifest count: an unfinished backup or
    anything else in ``root`` is never touched.
    """
    found: list[tuple[dt.datetime, Path]] = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        try:
            created = dt.datetime.fromisoformat(read_manifest(folder)["created"])
        except (BackupError, KeyError, ValueError):
            continue
        found.append((created, folder))
    found.sort(reverse=True)
    keep: set[Path] = set()
    for count, period in (
        (daily, lambda d: d.date()),
        (weekly, lambda d: d.isocalendar()[:2]),
        (monthly, lambda d: (d.year, d.month)),
    ):
        seen: list[Any] = []
        for created, folder in found:
            key = period(created)
            if key in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(key)
            keep.add(folder)
    deleted = [folder for _created, folder in found if folder not in keep]
    if not dry_run:
        for folder in deleted:
            shutil.rmtree(folder)
    return [folder for _c, folder in found if folder in keep], deleted
