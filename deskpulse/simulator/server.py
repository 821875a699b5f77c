"""Serve a simulated vendor API on 127.0.0.1 (`deskpulse simulate`), for tests and benchmarks.

Each HTTP request is handed to the same httpx handler that tests use in-process, so the
network path and the in-process path cannot drift apart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

Handler = Callable[[httpx.Request], httpx.Response]


def make_server(handle: Handler, host: str = "127.0.0.1", port: int = 0
                ) -> ThreadingHTTPServer:
    """Serve `handle` (an API's `.handler`, maybe wrapped in faults) on `host:port`
    (port 0: any free port; see `server.server_address`)."""

    class Bridge(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            host_header = self.headers.get("host") or f"{host}:{self.server.server_address[1]}"
            request = httpx.Request(self.command, f"http://{host_header}{self.path}",
                                    headers=dict(self.headers.items()), content=body)
            try:
                response = handle(request)
            except httpx.TransportError:  # an injected reset or timeout: drop the connection
                self.close_connection = True
                return
            payload = response.content
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve  # noqa: N815 - the names BaseHTTPRequestHandler calls

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # quiet: the API keeps its own request log

    server = ThreadingHTTPServer((host, port), Bridge)
    server.daemon_threads = True
    return server


def delayed(handle: Handler, seconds: float,
            sleep: Callable[[float], None] = time.sleep) -> Handler:
    """Answer every request `seconds` late, like a slow vendor (`deskpulse simulate
    --latency`): makes a sync's pages slow enough to be caught mid-page."""

    def slow(request: httpx.Request) -> httpx.Response:
        sleep(seconds)
        return handle(request)

    return slow
