"""The package installs anywhere, not only in ``make run``'s editable mode.

A wheel is built from the sources, installed non-editable in a fresh
virtualenv (its dependencies from the package index, or pip's cache), and
used there: every plugin and RDF profile of ours loads, every module
imports, every data file is in place, and CKAN starts from it against the
test database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO_ROOT

SOURCE = REPO_ROOT / "ckanext-territoire"
SKIPPED_DIRS = {".git", ".venv", "var", "build", "dist", "__pycache__", "node_modules"}


def _source_files() -> list[Path]:
    """The repository's files, as a clean clone has them."""
    if (REPO_ROOT / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        return [REPO_ROOT / name for name in listed if (REPO_ROOT / name).is_file()]
    return [
        path
        for path in REPO_ROOT.rglob("*")
        if path.is_file()
        and not SKIPPED_DIRS.intersection(path.relative_to(REPO_ROOT).parts)
        and ".egg-info" not in str(path)
    ]


def _run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(c) for c in command],
        capture_output=True,
        text=True,
        timeout=900,
        **kwargs,
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
        f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    )
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the sources (the build writes beside them)."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    for path in _source_files():
        target = src / path.relative_to(REPO_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    out = work / "dist"
    _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "-q", "-w", out, src,
    )  # fmt: skip
    (found,) = out.glob("ckanext_territoire-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed, not editable."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    _run(sys.executable, "-m", "venv", root)
    _run(root / "bin" / "python", "-m", "pip", "install", "-q", wheel)
    # the documented second step: ckanext-xloader without its dependency
    # floors, which clash with CKAN's pins (deploy/requirements-xloader.txt)
    _run(
        root / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps",
        "-r", REPO_ROOT / "deploy" / "requirements-xloader.txt",
    )  # fmt: skip
    return root


def test_the_wheel_holds_every_module_and_data_file(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = set()
    for path in _source_files():
        relative = path.relative_to(REPO_ROOT)
        if relative.parts[0] == "ckanext-territoire" and relative.parts[1] == "ckanext":
            expected.add("/".join(relative.parts[1:]))
        elif relative.parts[0] == "schemas":
            expected.add("ckanext/territoire/" + "/".join(relative.parts))
    # the message template is a build input (make i18n), not used at run time
    expected = {name for name in expected if not name.endswith(".pot")}
    # the namespace package's __init__ becomes setuptools' -nspkg.pth
    expected.discard("ckanext/__init__.py")
    assert expected - names == set()
    assert any(name.endswith("-nspkg.pth") for name in names)
    for folder in ("harvesters", "compat", "search", "dcat", "territories"):
        assert f"ckanext/territoire/{folder}/__init__.py" in names
    assert not [name for name in names if "/bench" in name or "tests/" in name]


_CHECK = textwrap.dedent(
    """
    import importlib, importlib.metadata, importlib.resources, json, pkgutil, sys
    import sysconfig

    site = sysconfig.get_paths()["purelib"]
    dist = importlib.metadata.distribution("ckanext-territoire")
    loaded = {}
    for ep in dist.entry_points:
        if ep.group in ("ckan.plugins", "ckan.rdf.profiles"):
            obj = ep.load()
            loaded[ep.group + ":" + ep.name] = sys.modules[obj.__module__].__file__
    import ckanext.territoire as root
    modules = []
    for info in pkgutil.walk_packages(root.__path__, "ckanext.territoire."):
        if ".migration" not in info.name:
            modules.append(importlib.import_module(info.name).__file__)
    files = importlib.resources.files
    data = [
        files("ckanext.territoire.schemas") / "territoire_dataset.yaml",
        files("ckanext.territoire.schemas") / "codelists" / "eu-data-themes.json",
        files("ckanext.territoire") / "config_declaration.yaml",
        files("ckanext.territoire.search") / "config_declaration.yaml",
        files("ckanext.territoire") / "i18n" / "fr" / "LC_MESSAGES"
        / "ckanext-territoire.mo",
        files("ckanext.territoire") / "i18n" / "en" / "LC_MESSAGES"
        / "ckanext-territoire.mo",
        files("ckanext.territoire") / "templates" / "package" / "read.html",
        files("ckanext.territoire") / "assets" / "webassets.yml",
        files("ckanext.territoire") / "territories" / "data" / "cog.json.gz",
        files("ckanext.territoire") / "demo" / "grand_est.yaml",
        files("ckanext.territoire") / "migration" / "territoire" / "alembic.ini",
        files("ckanext.territoire") / "migration" / "territoire_pgsearch"
        / "versions",
    ]
    print(json.dumps({
        "site": site,
        "loaded": loaded,
        "modules": modules,
        "missing": [str(p) for p in data if not p.exists()],
    }))
    """
)


def test_every_plugin_and_profile_loads_from_the_installed_wheel(venv: Path):
    out = _run(venv / "bin" / "python", "-c", _CHECK, cwd=venv).stdout
    report = json.loads(out.strip().splitlines()[-1])
    site = report["site"]
    assert set(report["loaded"]) == {
        "ckan.plugins:territoire",
        "ckan.plugins:territoire_pgsearch",
        "ckan.plugins:territoire_opendatasoft",
        "ckan.plugins:territoire_udata",
        "ckan.plugins:territoire_scdl",
        "ckan.plugins:territoire_ckan",
        "ckan.plugins:territoire_dcat_rdf",
        "ckan.rdf.profiles:territoire_dcat_ap",
    }
    # from the installed files, not from this checkout
    for path in [*report["loaded"].values(), *report["modules"]]:
        assert path.startswith(site), path
    assert report["missing"] == []


def test_ckan_runs_from_the_installed_wheel(venv: Path):
    """CKAN starts with our plugins from the wheel (the test database, the
    test configuration) and runs our commands and migrations lookup."""
    ckan = venv / "bin" / "ckan"
    ini = REPO_ROOT / "config" / "test.ini"
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    status = _run(ckan, "-c", ini, "territoire", "search", "status", env=env, cwd=venv)
    assert json.loads(status.stdout[status.stdout.index("{") :])["backend"] == (
        "postgresql"
    )
    pending = _run(ckan, "-c", ini, "db", "pending-migrations", env=env, cwd=venv)
    assert "territoire" not in pending.stdout
