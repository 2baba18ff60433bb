"""The container image: Dockerfile rules, the scripts it ships, the ini
written from the environment, and the `web` role of the entrypoint serving
the test database with gunicorn (the image's own commands, run from this
checkout's virtualenv)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import DEPLOY, REPO_ROOT, free_port, need_tool

DOCKER = DEPLOY / "docker"
SCRIPTS = [
    DOCKER / "entrypoint.sh",
    DOCKER / "postgres" / "10-territoire.sh",
    DEPLOY / "solr" / "precreate.sh",
    DEPLOY / "systemd" / "install.sh",
]


def stages() -> dict[str, list[str]]:
    """Dockerfile instructions per stage (continuation lines joined)."""
    text = (DOCKER / "Dockerfile").read_text("utf-8")
    text = re.sub(r"\\\n\s*", " ", text)
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+(\S+)\s+AS\s+(\S+)", line, re.I)
        if match:
            current = match.group(2)
            out[current] = [line]
        elif current:
            out[current].append(line)
    return out


def test_dockerfile_is_multi_stage_non_root_and_installs_the_wheel():
    all_stages = stages()
    assert {"build", "runtime", "nginx"} <= set(all_stages)
    # `docker build` without --target makes the CKAN image
    assert list(all_stages)[-1] == "runtime"
    text = (DOCKER / "Dockerfile").read_text("utf-8")
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    build = " ".join(all_stages["build"])
    assert "pybabel compile" in build
    assert "pip wheel --no-deps --no-build-isolation" in build
    runtime = all_stages["runtime"]
    installs = [i for i in runtime if "pip install" in i]
    assert any("ckanext_territoire-*.whl" in i for i in installs)
    assert any("requirements-xloader.txt" in i and "--no-deps" in i for i in installs)
    assert not any(re.search(r"\s-e\s|--editable", i) for i in installs)
    assert "--no-index" in " ".join(installs)  # no network once built
    users = [i.split()[1] for i in runtime if i.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert runtime.index(
        next(i for i in runtime if i.startswith("USER "))
    ) < runtime.index(next(i for i in runtime if i.startswith("ENTRYPOINT")))
    assert 'ENTRYPOINT ["/srv/app/entrypoint.sh"]' in runtime
    assert any(i.startswith("HEALTHCHECK") for i in runtime)
    # no compiler in the runtime, no secret anywhere
    assert not any("build-essential" in i for i in runtime)
    for line in text.splitlines():
        if line.startswith(("ENV", "ARG")):
            assert not re.search(r"PASSWORD|SECRET|TOKEN", line), line
    ignore = (DOCKER / "Dockerfile.dockerignore").read_text("utf-8").split()
    assert {".git", ".venv", "var", "deploy/docker/.env"} <= set(ignore)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_parse_and_pass_shellcheck(script: Path):
    assert os.access(script, os.X_OK), f"{script} is not executable"
    subprocess.run(["bash", "-n", script], check=True)
    tool = need_tool(shutil.which("shellcheck"), "shellcheck")
    result = subprocess.run([tool, "-x", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def _ckan_ini(env: dict[str, str]):
    sys.path.insert(0, str(DOCKER))
    try:
        import ckan_ini
    finally:
        sys.path.remove(str(DOCKER))
    return ckan_ini, ckan_ini.settings(env, str(REPO_ROOT / "config" / "ckan.ini"))


BASE_ENV = {
    "CKAN_SQLALCHEMY_URL": "postgresql://ckan:pw@db/ckan",
    "CKAN_REDIS_URL": "redis://:r%edis@redis:6380/0",
    "CKAN_SITE_URL": "https://donnees.example.org",
    "CKAN_SECRET_KEY": "s3cr%t",
    "CKAN__SITE_TITLE": "Données ouvertes",
    "CKANEXT__TERRITOIRE__IDENTITY__PUBLISHER": "Région",
}


def test_the_ini_comes_from_the_environment(tmp_path: Path):
    module, values = _ckan_ini(BASE_ENV)
    assert values["sqlalchemy.url"] == BASE_ENV["CKAN_SQLALCHEMY_URL"]
    assert values["ckan.site_url"] == "https://donnees.example.org"
    assert values["SECRET_KEY"] == values["WTF_CSRF_SECRET_KEY"] == "s3cr%t"
    assert values["api_token.jwt.encode.secret"] == "string:s3cr%t"
    assert values["ckan.harvest.mq.hostname"] == "redis"
    assert values["ckan.harvest.mq.port"] == "6380"
    assert values["ckan.harvest.mq.password"] == "r%edis"
    assert values["ckan.site_title"] == "Données ouvertes"
    assert values["ckanext.territoire.identity.publisher"] == "Région"
    assert "territoire_pgsearch" in values["ckan.plugins"].split()

    # written as CKAN reads it: % survives the interpolation
    ini = tmp_path / "ckan.ini"
    ini.write_text(module.render(values), "utf-8")
    from ckan.cli import CKANConfigLoader

    loaded = CKANConfigLoader(str(ini)).get_config()
    assert loaded["SECRET_KEY"] == "s3cr%t"
    assert loaded["ckan.site_title"] == "Données ouvertes"
    # the base configuration is chained
    assert loaded["ckan.locale_default"] == "fr"


def test_solr_is_one_variable():
    _, values = _ckan_ini(
        {
            **BASE_ENV,
            "TERRITOIRE_SEARCH": "solr",
            "CKAN_SOLR_URL": "http://solr:8983/solr/ckan",
        }
    )
    plugins = values["ckan.plugins"].split()
    assert "territoire_pgsearch" not in plugins
    assert "territoire" in plugins and "harvest" in plugins
    assert values["solr_url"] == "http://solr:8983/solr/ckan"
    module, _ = _ckan_ini(BASE_ENV)
    with pytest.raises(module.ConfigError, match="CKAN_SOLR_URL"):
        module.settings(
            {**BASE_ENV, "TERRITOIRE_SEARCH": "solr"},
            str(REPO_ROOT / "config" / "ckan.ini"),
        )
    with pytest.raises(module.ConfigError, match="CKAN_SQLALCHEMY_URL"):
        module.settings(
            {**BASE_ENV, "CKAN_SQLALCHEMY_URL": "postgresql://ckan:change-me@db/ckan"},
            str(REPO_ROOT / "config" / "ckan.ini"),
        )
    with pytest.raises(module.ConfigError, match="CKAN_SECRET_KEY"):
        module.settings(
            {k: v for k, v in BASE_ENV.items() if k != "CKAN_SECRET_KEY"},
            str(REPO_ROOT / "config" / "ckan.ini"),
        )


def test_public_files_are_collected_for_nginx(tmp_path: Path):
    subprocess.run(
        [sys.executable, DOCKER / "collect_static.py", tmp_path / "static"],
        check=True,
        capture_output=True,
    )
    static = tmp_path / "static"
    assert (static / "territoire" / "logo.svg").is_file()
    assert (static / "base" / "images").is_dir()
    assert not list(static.rglob("*.scss"))


def test_the_web_role_serves_the_portal_with_gunicorn(tmp_path: Path):
    """entrypoint.sh web: ini from the environment, gunicorn, the health check."""
    from ckan.common import config

    app = tmp_path / "app"
    (app / "config").mkdir(parents=True)
    for name in ("ckan_ini.py", "entrypoint.sh"):
        shutil.copy(DOCKER / name, app / name)
    shutil.copy(DEPLOY / "local" / "wsgi.py", app / "wsgi.py")
    shutil.copy(REPO_ROOT / "config" / "ckan.ini", app / "config" / "ckan.ini")
    port = free_port()
    bin_dir = Path(sys.executable).parent
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "APP_DIR": str(app),
        "CKAN_INI": str(tmp_path / "ckan.ini"),
        "CKAN_PORT": str(port),
        "GUNICORN_WORKERS": "1",
        "TERRITOIRE_PROXY_HOPS": "1",
        "CKAN_SQLALCHEMY_URL": config["sqlalchemy.url"],
        "CKAN_REDIS_URL": config["ckan.redis.url"],
        "CKAN_DATASTORE_WRITE_URL": config["ckan.datastore.write_url"],
        "CKAN_DATASTORE_READ_URL": config["ckan.datastore.read_url"],
        "CKAN_SITE_URL": f"http://127.0.0.1:{port}",
        "CKAN_SITE_ID": config["ckan.site_id"],
        "CKAN_STORAGE_PATH": str(tmp_path / "storage"),
        "CKAN_SECRET_KEY": "test-only-not-a-secret",
        "CKAN_SOLR_URL": config["solr_url"],
        "CKANEXT__TERRITOIRE__RATE_LIMIT__EXEMPT_NETWORKS": "127.0.0.1/32",
    }
    log = tmp_path / "web.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [app / "entrypoint.sh", "web"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            health = subprocess.run(
                [app / "entrypoint.sh", "health", "web"], env=env, capture_output=True
            )
            if health.returncode == 0:
                break
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        url = f"http://127.0.0.1:{port}/api/3/action/status_show"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            # 127.0.0.1 is exempt from the API limits
            assert "X-RateLimit-Limit" not in response.headers
        # TERRITOIRE_PROXY_HOPS=1: the address nginx puts last is the client's
        forwarded = urllib.request.Request(
            url, headers={"X-Forwarded-For": "203.0.113.7"}
        )
        with urllib.request.urlopen(forwarded, timeout=10) as response:
            assert response.status == 200
            assert response.headers["X-RateLimit-Limit"]
        # the ini was written from the environment, private, and the
        # secrets are gone from the serving process's environment
        ini = tmp_path / "ckan.ini"
        assert oct(ini.stat().st_mode & 0o777) == "0o600"
        assert "test-only-not-a-secret" in ini.read_text("utf-8")
        environ = Path(f"/proc/{proc.pid}/environ").read_bytes().split(b"\0")
        assert not [
            v for v in environ if v.startswith((b"CKAN_SECRET", b"CKAN_SQLALCHEMY"))
        ]
        assert (tmp_path / "storage" / "webassets").is_dir()
        queue = subprocess.run(
            [app / "entrypoint.sh", "health", "queue"], env=env, capture_output=True
        )
        assert queue.returncode == 0, queue.stderr
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def test_an_unknown_role_is_refused():
    result = subprocess.run(
        [DOCKER / "entrypoint.sh", "nope"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "unknown role: nope" in result.stderr
