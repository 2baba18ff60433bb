"""Fixtures of the deployment tests: the shipped nginx configuration, rendered
and run in front of the live test portal (``live_portal``)."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# the variables install.sh hands to envsubst (and the nginx image sets)
TEMPLATE_VARS = (
    "CKAN_UPSTREAM",
    "LISTEN_PORT",
    "SERVER_NAME",
    "STATIC_ROOT",
    "CKAN_STORAGE_ROOT",
    "CLIENT_MAX_BODY_SIZE",
    "API_RATE",
)


def need_tool(path: str | None, package: str) -> str:
    """The tool's path, or a skip naming the Debian package (``make test``
    installs it when run as root: deploy/local/devctl.sh)."""
    if path and os.access(path, os.X_OK):
        return path
    pytest.skip(
        f"{package} absent: apt-get install {package} "
        "(make test installs it when run as root)"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render_template(values: dict[str, str]) -> str:
    """deploy/nginx/territoire.conf.template through envsubst, as install.sh does."""
    envsubst = need_tool(shutil.which("envsubst"), "gettext-base")
    shell_format = " ".join("${%s}" % name for name in TEMPLATE_VARS)
    return subprocess.run(
        [envsubst, shell_format],
        input=(DEPLOY / "nginx" / "territoire.conf.template").read_text("utf-8"),
        env={**os.environ, **values},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def upload_limit_mb() -> int:
    from ckan.common import config

    return int(config.get("ckan.max_resource_size")) + 10


@dataclass
class Front:
    url: str
    static_root: Path
    storage_root: Path
    upload_limit_mb: int
    prefix: Path


def _unprivileged() -> list[str]:
    """nginx never runs as root here: as root, it runs as `nobody`."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]


@pytest.fixture
def nginx_front(live_portal: str) -> Iterator[Front]:
    """nginx with the shipped configuration (TLS off) in front of the live
    test portal, as an unprivileged process on a free high port."""
    with run_nginx(live_portal.removeprefix("http://"), free_port()) as front:
        yield front


@pytest.fixture
def portal_behind_nginx(ckan_config, make_app, monkeypatch) -> Iterator[Front]:
    """The portal as in production: ``ckan.site_url`` is nginx's address
    (pages and their scripts call the portal there), CKAN served over real
    HTTP behind it."""
    from werkzeug.serving import make_server

    from ckan.lib.i18n import build_js_translations

    port = free_port()
    monkeypatch.setitem(ckan_config, "ckan.site_url", f"http://127.0.0.1:{port}")
    app = make_app().app
    build_js_translations()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with run_nginx(f"127.0.0.1:{server.server_port}", port) as front:
            yield front
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextlib.contextmanager
def run_nginx(upstream: str, port: int) -> Iterator[Front]:
    """nginx, shipped configuration rendered (TLS off), listening on ``port``
    in front of ``upstream`` (host:port)."""
    need_tool(NGINX, "nginx")
    from ckan.lib.webassets_tools import get_webassets_path

    webassets = Path(get_webassets_path()).resolve()
    assert webassets.name == "webassets"
    webassets.mkdir(parents=True, exist_ok=True)
    # not under pytest's private tmp folder: `nobody` must read it
    prefix = Path(tempfile.mkdtemp(prefix="territoire-nginx-"))
    try:
        prefix.chmod(0o755)
        for sub in ("conf/snippets", "logs", "tmp"):
            (prefix / sub).mkdir(parents=True)
        static = prefix / "static"
        subprocess.run(
            [sys.executable, DEPLOY / "docker" / "collect_static.py", static],
            check=True,
            capture_output=True,
        )
        for snippet in (DEPLOY / "nginx").glob("territoire-*.conf"):
            shutil.copy(snippet, prefix / "conf" / "snippets" / snippet.name)
        shutil.copy("/etc/nginx/mime.types", prefix / "conf" / "mime.types")
        limit = upload_limit_mb()
        (prefix / "conf" / "territoire.conf").write_text(
            render_template(
                {
                    "CKAN_UPSTREAM": upstream,
                    "LISTEN_PORT": str(port),
                    "SERVER_NAME": "_",
                    "STATIC_ROOT": str(static),
                    "CKAN_STORAGE_ROOT": str(webassets.parent),
                    "CLIENT_MAX_BODY_SIZE": f"{limit}m",
                    # low, so that a short burst meets it
                    "API_RATE": "2r/s",
                }
            ),
            "utf-8",
        )
        (prefix / "conf" / "nginx.conf").write_text(
            f"""
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    include mime.types;
    default_type application/octet-stream;
    access_log {prefix}/logs/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include territoire.conf;
}}
""",
            "utf-8",
        )
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            for path in [prefix, *prefix.rglob("*")]:
                os.chown(path, nobody.pw_uid, nobody.pw_gid, follow_symlinks=False)
        command = [*_unprivileged(), NGINX, "-p", str(prefix), "-c", "conf/nginx.conf"]
        check = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        proc = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "nginx did not listen"
                    time.sleep(0.05)
            yield Front(
                f"http://127.0.0.1:{port}", static, webassets.parent, limit, prefix
            )
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
