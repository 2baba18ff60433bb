"""Partner portals played by real HTTP servers on 127.0.0.1.

``partner`` starts a threaded HTTP server on a free loopback port; a test
declares routes on it (path → handler or fixed answer) and reads the requests
it received. Payloads are files of ``tests/data/`` written in the partners'
public formats. The harvest allow-list (config/test.ini) lets 127.0.0.1 in;
tests of the address checks take it out again.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")


def data_path(*parts: str) -> str:
    return os.path.join(DATA, *parts)


def read_data(*parts: str) -> bytes:
    with open(data_path(*parts), "rb") as f:
        return f.read()


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Answer:
    status: int = 200
    body: bytes | str = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Answer:
        return cls(status=status, body=json.dumps(payload, ensure_ascii=False))


Handler = Callable[[Request], Answer]


class PartnerServer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self.httpd: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def route(self, path: str, answer: Answer | Handler) -> None:
        self.routes[path] = answer if callable(answer) else (lambda _r, a=answer: a)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def start(self) -> None:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body leave in separate writes: without this, Nagle's
            # algorithm holds each answer for ~40 ms
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                request = Request(
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                )
                server.requests.append(request)
                handler = server.routes.get(parts.path)
                answer = (
                    handler(request)
                    if handler
                    else Answer.json({"error": "not found"}, status=404)
                )
                if answer.delay:
                    time.sleep(answer.delay)
                body = (
                    answer.body.encode("utf-8")
                    if isinstance(answer.body, str)
                    else answer.body
                )
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(body)))
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()


@pytest.fixture
def partner() -> Iterator[PartnerServer]:
    server = PartnerServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def empty_harvest_queues(with_plugins) -> Iterator[None]:
    """No job or object of an earlier test waits in the Redis queues."""
    from ckanext.harvest.queue import purge_queues

    purge_queues()
    yield
    purge_queues()
