"""Patches of upstream code live in ``ckanext/territoire/compat/`` and nowhere else.

Each one is put in place by ``compat.sync()`` from a plugin's
``update_config``, undone when the plugins that need it are unloaded, and
refused at start-up when an upstream version differs from the one it was
written against.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pysolr
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import ckan
import ckan.lib.search as search
import ckan.lib.search.common as search_common
import ckan.plugins as p
from ckan.tests import factories

from ckanext.harvest import queue

from ckanext.territoire import compat
from ckanext.territoire.compat import commits
from ckanext.territoire.compat import search as search_compat

from .conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "ckanext-territoire" / "ckanext" / "territoire"
UPSTREAM = ("ckan", "ckanext.harvest", "ckanext.dcat", "sqlalchemy", "rdflib")


# --------------------------------------------------------------------------
# Where patches may be


def _our_modules() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migration" not in path.parts and "compat" not in path.parts
    ]


def _upstream_names(tree: ast.AST) -> set[str]:
    """Names bound to upstream modules (or their members) by imports."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(UPSTREAM):
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            UPSTREAM
        ):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _root(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def test_no_module_outside_compat_assigns_to_upstream_modules():
    found = []
    for path in _our_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        upstream = _upstream_names(tree)
        for node in ast.walk(tree):
            targets: list[ast.AST] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and _root(target) in upstream:
                    found.append(f"{path.name}:{node.lineno} {ast.unparse(target)}")
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                target = node.args[0] if node.args else None
                if (
                    called == "setattr"
                    and target is not None
                    and _root(target) in upstream
                ) or called.endswith("event.listen"):
                    found.append(f"{path.name}:{node.lineno} {called}(…)")
    assert not found, "patches outside compat/: " + ", ".join(found)


_SNAPSHOT = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    import sqlalchemy as sa

    UPSTREAM = {upstream!r}

    def ours():
        import ckanext.territoire as root
        for info in pkgutil.walk_packages(root.__path__, "ckanext.territoire."):
            if ".migration" not in info.name:
                importlib.import_module(info.name)

    def snapshot(names):
        out = {{}}
        for name in names:
            module = sys.modules[name]
            out[name] = {{k: id(v) for k, v in vars(module).items()}}
        # every SQLAlchemy event listener, whatever its target (private, but
        # the only complete list)
        listeners = len(sa.event.registry._key_to_collection)
        return out, listeners

    if sys.argv[1] == "list":
        ours()
        print(json.dumps(sorted(
            n for n, m in list(sys.modules.items())
            if m is not None and n.startswith(UPSTREAM)
            and not n.startswith("ckanext.territoire")
        )))
    else:
        names = json.loads(sys.argv[2])
        for name in names:
            importlib.import_module(name)
        before, listeners_before = snapshot(names)
        ours()
        after, listeners_after = snapshot(names)
        changed = sorted(
            f"{{name}}.{{attr}}"
            for name in names
            for attr, ident in before[name].items()
            if after[name].get(attr) != ident
        )
        print(json.dumps({{"changed": changed,
                          "listeners": [listeners_before, listeners_after]}}))
    """
).format(upstream=UPSTREAM)


def _python(*args: str) -> str:
    env = dict(os.environ)
    result = subprocess.run(
        [sys.executable, "-c", _SNAPSHOT, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


# Module-level counters that any ordinary use moves: SQLAlchemy numbers every
# Column, Table or relationship it creates (to keep declaration order), so a
# module of ours that declares a table at import bumps it. Not a patch.
COUNTERS = {"sqlalchemy.util.langhelpers._creation_order"}


def test_importing_any_module_of_ours_changes_nothing_upstream():
    # first: which upstream modules our modules import; then, in a fresh
    # process, those are imported alone, looked at, ours imported, and
    # looked at again
    upstream = _python("list")
    report = json.loads(_python("compare", upstream))
    assert [name for name in report["changed"] if name not in COUNTERS] == []
    assert report["listeners"][0] == report["listeners"][1]


# --------------------------------------------------------------------------
# Installed while needed, undone after


def _swaps() -> list[compat.Swap]:
    return [
        change
        for patch in compat.patches()
        for change in patch.changes
        if isinstance(change, compat.Swap)
    ]


def _reload(names: list[str]) -> None:
    """Load again the plugins a test unloaded, together (they chain actions)."""
    missing = [name for name in names if not p.plugin_loaded(name)]
    if missing:
        p.load(*missing)


def test_the_portal_s_plugins_put_every_patch_in_place():
    for patch in compat.patches():
        assert patch.owned(), patch.name
        if patch.changes:
            assert patch.is_applied(), patch.name
    assert search.check_solr_schema_version() is True
    assert search_common.make_connection().__class__.__name__ == "PgSearchConnection"
    connection = queue.get_connection()
    assert connection.connection_pool.connection_kwargs["socket_timeout"] is None


def test_unloading_the_plugins_undoes_every_patch():
    loaded = list(p.core._PLUGINS)  # type: ignore[attr-defined]
    originals = {
        (s.module, s.attr): compat.original(s.module, s.attr) for s in _swaps()
    }
    try:
        p.unload_all()
        for (module, attr), original in originals.items():
            assert getattr(importlib.import_module(module), attr) is original, attr
            assert not getattr(original, "__territoire_patch__", None)
        # bindings by name too (ckan.lib.search imported make_connection)
        assert search.make_connection is search_common.make_connection
        assert not sa.event.contains(Engine, "commit", commits._commit)
        assert not any(patch.is_applied() for patch in compat.patches())
    finally:
        _reload(loaded)
    assert all(patch.is_applied() for patch in compat.patches() if patch.changes)


def test_a_patch_left_behind_steps_aside_when_called():
    loaded = list(p.core._PLUGINS)  # type: ignore[attr-defined]
    (patch,) = search_compat.PATCHES
    try:
        p.unload_all()
        patch.apply()  # as if its plugin had gone with no hook of ours left
        assert patch.is_applied()
        connection = search_common.make_connection()
        assert isinstance(connection, pysolr.Solr)  # CKAN's own function ran
        assert not patch.is_applied()
    finally:
        patch.undo()
        _reload(loaded)


def test_only_the_owners_plugins_install_a_patch():
    loaded = list(p.core._PLUGINS)  # type: ignore[attr-defined]
    try:
        p.unload_all()
        p.load("territoire_pgsearch")
        applied = {patch.name for patch in compat.patches() if patch.is_applied()}
        assert applied == {"search-backend"}
        p.unload("territoire_pgsearch")
        assert not any(patch.is_applied() for patch in compat.patches())
    finally:
        _reload(loaded)


# --------------------------------------------------------------------------
# Versions


def test_the_tested_versions_are_the_pinned_ones():
    pins = {}
    for requirement in importlib.metadata.requires("ckanext-territoire") or []:
        name, _, version = requirement.partition("==")
        pins[name.split("[")[0].strip()] = "==" + version.split(";")[0].strip()
    for dist in ("ckan", "ckanext-harvest", "ckanext-dcat"):
        assert compat.TESTED[dist] == pins[dist], dist


def test_every_patch_names_what_it_replaces_and_its_upstream():
    for patch in compat.patches():
        assert patch.replaces and patch.owners and patch.upstream, patch.name
        assert set(patch.upstream) <= set(compat.TESTED), patch.name


def test_another_ckan_version_stops_the_plugin_from_loading(monkeypatch):
    p.unload("territoire_pgsearch")
    monkeypatch.setattr(ckan, "__version__", "2.13.0")
    try:
        with pytest.raises(compat.UpstreamVersionError) as error:
            p.load("territoire_pgsearch")
        message = str(error.value)
        assert "ckan 2.13.0 ≠ 2.12.0" in message
        assert "search-backend" in message and "compat.strict" in message
    finally:
        monkeypatch.undo()
        if not p.plugin_loaded("territoire_pgsearch"):
            p.load("territoire_pgsearch")
        p.plugins_update()
    assert compat.patches()[0].is_applied()


@pytest.mark.ckan_config("ckanext.territoire.compat.strict", "false")
def test_not_strict_starts_with_a_warning(monkeypatch, caplog):
    monkeypatch.setattr(compat, "installed_version", lambda dist: "0.1")
    logger = logging.getLogger(compat.__name__)
    monkeypatch.setattr(logger, "disabled", False)
    monkeypatch.setattr(logger, "handlers", [*logger.handlers, caplog.handler])
    with caplog.at_level(logging.WARNING, logger=compat.__name__):
        compat.sync()
    assert "ckanext-harvest 0.1 ≠ 1.6.3" in caplog.text


def test_ckan_refuses_to_start_on_another_version(tmp_path: Path):
    """The real start-up: ``ckan`` with CKAN's version faked before it loads."""
    (tmp_path / "sitecustomize.py").write_text(
        "import ckan\nckan.__version__ = '2.11.4'\n", encoding="utf-8"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    ckan_cli = Path(sys.executable).with_name("ckan")
    result = subprocess.run(
        [
            str(ckan_cli),
            "-c",
            str(REPO_ROOT / "config" / "test.ini"),
            "sysadmin",
            "list",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert result.returncode != 0
    assert "ckan 2.11.4 ≠ 2.12.0" in result.stderr
    assert "UpstreamVersionError" in result.stderr


# --------------------------------------------------------------------------
# Copies of upstream code give upstream's result


@pytest.mark.usefixtures("clean_db")
def test_the_tolerant_catalogue_serializes_like_ckanext_dcat():
    from rdflib import Graph
    from rdflib.compare import to_isomorphic

    from ckanext.dcat.processors import RDFSerializer

    from ckanext.territoire.compat.dcat import TolerantRDFSerializer

    org = factories.Organization()
    dicts = [
        factories.Dataset(owner_org=org["id"], title="Arrêts de tram", notes="Lignes"),
        factories.Dataset(
            owner_org=org["id"],
            title="Budget",
            notes="Budget primitif",
            resources=[{"url": "http://example.com/b.csv", "format": "CSV"}],
        ),
    ]
    info = {"count": 2, "rows": 2, "page": 1, "current": "http://x/catalog.ttl"}
    theirs = RDFSerializer().serialize_catalog(
        {}, dicts, _format="ttl", pagination_info=info
    )
    ours = TolerantRDFSerializer().serialize_catalog(
        {}, dicts, _format="ttl", pagination_info=info
    )
    assert to_isomorphic(Graph().parse(data=ours, format="turtle")) == to_isomorphic(
        Graph().parse(data=theirs, format="turtle")
    )


def test_the_compat_command_lists_the_patches(cli):
    from ckan.cli.cli import ckan as ckan_command

    result = cli.invoke(ckan_command, ["territoire", "compat"])
    assert result.exit_code == 0, result.output
    for patch in compat.patches():
        assert patch.name in result.output
    assert "search-backend: en place" in result.output
    assert "ckan 2.12.0 (écrite pour 2.12.0)" in result.output


def test_our_chains_of_one_action_are_composed_in_order():
    from ckanext.territoire.plugin import _merged

    calls: list[str] = []

    def chain(tag: str):
        @p.toolkit.chained_action
        @p.toolkit.side_effect_free
        def action(up_func, context, data_dict):
            calls.append(tag)
            return up_func(context, data_dict)

        return action

    merged = _merged({"package_show": chain("guard")}, {"package_show": chain("ours")})
    composed = merged["package_show"]
    assert composed.chained_action and composed.side_effect_free
    assert composed(lambda c, d: calls.append("ckan") or "ok", {}, {}) == "ok"
    assert calls == ["guard", "ours", "ckan"]
    with pytest.raises(RuntimeError, match="package_show"):
        _merged({"package_show": chain("a")}, {"package_show": lambda c, d: None})
