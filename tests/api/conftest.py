"""A local webhook receiver (a real HTTP server on 127.0.0.1) and API helpers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Receiver:
    """What the local receiver got, and what it answers next (a queue of status codes)."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def answer(self, status: int, times: int = 1, **headers: str) -> None:
        """Answer the next ``times`` requests with ``status`` (then 200 again)."""
        self.answers.extend([(status, headers)] * times)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request["body"]) for request in self.requests]


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    """A webhook receiver on a free local port; private URLs are allowed for it."""
    settings.OSCAR_ORDERS_EXT_WEBHOOKS_ALLOW_PRIVATE_URLS = True
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server API)
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            state.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                   "body": body})
            status, headers = state.answers.pop(0) if state.answers else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(b"thanks" if status < 300 else b"nope")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield state
    server.shutdown()
    server.server_close()
