"""deploy/nginx in front of the live test portal: what nginx serves itself
(public files, compiled webassets: cached, compressed, with the security
headers), what it refuses (uploads over the limit, API floods) and what it
hands to CKAN."""

from __future__ import annotations

import http.client
import re
import socket
from urllib.parse import urlsplit

import pytest
import yaml

from .conftest import DEPLOY, Front

CSS = "/* served by nginx */\n" + ".territoire-probe { color: #0b5d8c; }\n" * 80


def get(
    front: Front | str, path: str, **headers: str
) -> tuple[http.client.HTTPResponse, bytes]:
    base = front if isinstance(front, str) else front.url
    conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=30)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def app_csp() -> str:
    from ckan.common import config

    return config.get("ckanext.territoire.headers.content_security_policy")


def assert_security_headers(response: http.client.HTTPResponse) -> None:
    assert response.headers.get_all("Content-Security-Policy") == [app_csp()]
    assert response.headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert response.headers.get_all("Referrer-Policy") == [
        "strict-origin-when-cross-origin"
    ]
    assert "frame-ancestors 'self'" in app_csp()
    assert response.headers.get_all("X-Frame-Options") == ["SAMEORIGIN"]


def test_public_files_are_served_by_nginx_cached_compressed_and_with_headers(
    nginx_front: Front, live_portal: str
):
    probe = nginx_front.static_root / "territoire" / "nginx-probe.css"
    probe.write_text(CSS, "utf-8")
    response, body = get(nginx_front, "/territoire/nginx-probe.css")
    assert response.status == 200
    assert body.decode() == CSS
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert_security_headers(response)
    # the portal has no such file: nginx served it
    app, _ = get(live_portal, "/territoire/nginx-probe.css")
    assert app.status == 404

    gz, compressed = get(
        nginx_front, "/territoire/nginx-probe.css", **{"Accept-Encoding": "gzip"}
    )
    assert gz.headers["Content-Encoding"] == "gzip"
    assert len(compressed) < len(CSS) / 4
    assert "Accept-Encoding" in gz.headers.get("Vary", "")

    logo, _ = get(nginx_front, "/territoire/logo.svg")
    assert logo.status == 200
    assert logo.headers["Content-Type"] == "image/svg+xml"
    base, _ = get(nginx_front, "/base/images/ckan-logo.png")
    assert base.status in (200, 404)  # CKAN's own images, when it ships that one


def test_dot_files_are_never_served(nginx_front: Front):
    (nginx_front.static_root / "territoire" / ".secret").write_text("x", "utf-8")
    response, _ = get(nginx_front, "/territoire/.secret")
    assert response.status == 404
    cache, _ = get(nginx_front, "/webassets/.webassets-cache/x")
    assert cache.status == 404


def test_portal_pages_under_a_public_prefix_still_reach_ckan(nginx_front: Front):
    # /territoire/ is both a public folder and a prefix of the portal's pages
    response, body = get(nginx_front, "/territoire/no-such-page")
    assert response.status == 404
    assert b"<html" in body.lower()
    # the portal's own headers, not doubled by nginx
    assert_security_headers(response)


@pytest.mark.usefixtures("clean_db")
def test_fingerprinted_webassets_are_served_from_disk_for_a_year(nginx_front: Front):
    page, html = get(nginx_front, "/", **{"Accept-Encoding": "gzip"})
    assert page.status == 200
    assert_security_headers(page)
    if page.headers.get("Content-Encoding") == "gzip":
        import gzip

        html = gzip.decompress(html)
    assets = re.findall(r'(/webassets/[^"\']+/[0-9a-f]{8}_[^"\'/?]+)', html.decode())
    assert assets, "no webasset on the home page"
    # the page built them on disk; nginx now serves them itself
    asset = assets[0]
    response, body = get(nginx_front, asset)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert_security_headers(response)
    on_disk = nginx_front.storage_root / asset.lstrip("/")
    stat = on_disk.stat()
    # nginx's own entity tag: modification time and size of the file it sent
    assert response.headers["ETag"] == f'"{int(stat.st_mtime):x}-{stat.st_size:x}"'
    assert body == on_disk.read_bytes()


def _post_head(front: Front, path: str, length: int) -> int:
    """The status nginx answers to a POST announcing ``length`` bytes,
    before any byte of the body is sent."""
    host, port = urlsplit(front.url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
                "Content-Type: application/octet-stream\r\n"
                f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        status_line = s.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def test_uploads_over_the_portal_limit_are_refused_by_nginx(nginx_front: Front):
    limit = nginx_front.upload_limit_mb * 1024 * 1024
    assert _post_head(nginx_front, "/api/3/action/resource_create", limit + 1) == 413
    assert _post_head(nginx_front, "/dataset/new", limit + 1) == 413
    # a body under the limit goes to CKAN (which refuses it for its own reasons)
    conn = http.client.HTTPConnection(urlsplit(nginx_front.url).netloc, timeout=30)
    conn.request(
        "POST",
        "/api/3/action/resource_create",
        body=b"x" * (1024 * 1024),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert conn.getresponse().status not in (413, 429)
    conn.close()


def test_the_api_rate_limit_answers_429_to_a_burst(nginx_front: Front):
    statuses = []
    conn = http.client.HTTPConnection(urlsplit(nginx_front.url).netloc, timeout=30)
    for _ in range(80):
        conn.request("GET", "/api/3/action/status_show")
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
    conn.close()
    assert statuses[0] == 200
    # the burst (50) passes, then nginx refuses; the test portal exempts
    # 127.0.0.1 from its own limits, so every 429 is nginx's
    assert statuses.count(429) >= 20
    assert set(statuses) <= {200, 429}
    # pages are not limited
    response, _ = get(nginx_front, "/territoire/logo.svg")
    assert response.status == 200


def test_upload_size_and_long_timeouts_match_the_portal():
    from .conftest import upload_limit_mb

    expected = f"{upload_limit_mb()}m"
    compose = yaml.safe_load((DEPLOY / "docker" / "compose.yaml").read_text("utf-8"))
    assert (
        f"${{CLIENT_MAX_BODY_SIZE:-{expected}}}"
        == (compose["services"]["nginx"]["environment"]["CLIENT_MAX_BODY_SIZE"])
    )
    assert f"CLIENT_MAX_BODY_SIZE={expected}" in (
        DEPLOY / "docker" / ".env.example"
    ).read_text("utf-8")
    assert f"CLIENT_MAX_BODY_SIZE={expected}" in (
        DEPLOY / "docker" / "Dockerfile"
    ).read_text("utf-8")
    locations = (DEPLOY / "nginx" / "territoire-locations.conf").read_text("utf-8")
    for prefix in (r"location ~ ^/catalog/dump\.", "location /datastore/dump/"):
        block = locations[locations.index(prefix) :]
        block = block[: block.index("}")]
        assert "proxy_read_timeout 900s;" in block
        assert "proxy_max_temp_file_size 4096m;" in block
