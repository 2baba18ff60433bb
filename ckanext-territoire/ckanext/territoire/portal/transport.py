"""Static files cached for long, text answers compressed: fast pages.

A WSGI layer around CKAN's Flask application (``IMiddleware``), so that it
sees the headers CKAN's own hooks have set last:

- a fingerprinted asset (``/webassets/<bundle>/<8 hex>_<name>``: its name
  changes with its content) is cached a year, ``immutable``; other static
  files (the public folders: logos, images, fonts) a day;
- HTML, CSS, JavaScript, JSON, XML, SVG, Turtle answers of known length are
  gzip-compressed when the client accepts it; compressed static files are
  kept in memory (by path and ETag), so each is compressed once per process.
  Streamed answers (DCAT and DataStore dumps) pass as they are: compressing
  them would hold them in memory.

nginx in front may compress too; it leaves an answer that already has a
``Content-Encoding`` alone.
"""

from __future__ import annotations

import gzip
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.datastructures import Headers

FINGERPRINTED = re.compile(r"^/webassets/.+/[0-9a-f]{8}_[^/]+$")
YEAR = "public, max-age=31536000, immutable"
DAY = "public, max-age=86400"
COMPRESSIBLE = (
    "text/",
    "application/javascript",
    "application/json",
    "application/ld+json",
    "application/xml",
    "application/rdf+xml",
    "image/svg+xml",
)
MIN_SIZE = 512
MAX_SIZE = 8 << 20
CACHE_ENTRIES = 256


class Transport:
    def __init__(
        self, app: Callable[..., Iterable[bytes]], compress: bool = True
    ) -> None:
        self.app = app
        self.compress = compress
        self._cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        captured: dict[str, Any] = {}
        tags = str(environ.get("HTTP_IF_NONE_MATCH") or "")
        revalidating_gzip = '-gz"' in tags
        if revalidating_gzip:
            # the tag of the compressed form names the same file
            environ["HTTP_IF_NONE_MATCH"] = tags.replace('-gz"', '"')

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return _no_write

        body = self.app(environ, capture)
        if "status" not in captured:  # never seen from Flask; pass it on
            return body
        status: str = captured["status"]
        headers = Headers(captured["headers"])
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        static = _is_static(headers)
        if method in ("GET", "HEAD") and status.startswith("200") and static:
            headers["Cache-Control"] = YEAR if FINGERPRINTED.match(path) else DAY
        if self.compress and self._compressible(environ, status, headers):
            data = self._compressed(path, headers, body, static)
            headers["Content-Encoding"] = "gzip"
            headers["Content-Length"] = str(len(data))
            etag = headers.get("ETag")
            if etag:
                # another representation: another tag
                headers["ETag"] = (
                    etag[:-1] + '-gz"' if etag.endswith('"') else etag + "-gz"
                )
            _vary(headers)
            start_response(status, headers.to_wsgi_list(), captured["exc_info"])
            return [data]
        if _type_of(headers).startswith(COMPRESSIBLE) or status.startswith("304"):
            _vary(headers)
            etag = headers.get("ETag")
            if (
                status.startswith("304")
                and revalidating_gzip
                and etag
                and etag.endswith('"')
            ):
                headers["ETag"] = etag[:-1] + '-gz"'
        start_response(status, headers.to_wsgi_list(), captured["exc_info"])
        return body

    def _compressible(
        self, environ: dict[str, Any], status: str, headers: Headers
    ) -> bool:
        if environ.get("REQUEST_METHOD") == "HEAD" or not status.startswith("200"):
            return False
        if "gzip" not in environ.get("HTTP_ACCEPT_ENCODING", ""):
            return False
        if "Content-Encoding" in headers or "HTTP_RANGE" in environ:
            return False
        if not _type_of(headers).startswith(COMPRESSIBLE):
            return False
        try:
            length = int(headers.get("Content-Length", ""))
        except ValueError:
            return False  # streamed
        return MIN_SIZE <= length <= MAX_SIZE

    def _compressed(
        self, path: str, headers: Headers, body: Iterable[bytes], static: bool
    ) -> bytes:
        key = (
            (path, headers.get("ETag", "")) if static and headers.get("ETag") else None
        )
        if key is not None:
            with self._lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
            if hit is not None:
                _close(body)
                return hit
        try:
            raw = b"".join(body)
        finally:
            _close(body)
        data = gzip.compress(raw, compresslevel=6, mtime=0)
        if key is not None:
            with self._lock:
                self._cache[key] = data
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return data


def _no_write(data: bytes) -> None:
    raise RuntimeError("the WSGI write() callable is not supported")


def _type_of(headers: Headers) -> str:
    return (headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()


def _is_static(headers: Headers) -> bool:
    # files of the public folders and webassets: Flask's send_file marks them
    disposition = headers.get("Content-Disposition") or ""
    return disposition.startswith("inline; filename=") and "ETag" in headers


def _vary(headers: Headers) -> None:
    vary = [v.strip() for v in (headers.get("Vary") or "").split(",") if v.strip()]
    if "accept-encoding" not in (v.lower() for v in vary):
        vary.append("Accept-Encoding")
    headers["Vary"] = ", ".join(vary)


def _close(body: Iterable[bytes]) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()
