"""The daemon's monitoring endpoint: `/metrics` (Prometheus text) and `/healthz`.

A small threaded WSGI server on its own thread, so a slow scrape never delays a sync and a
sync never delays a scrape. `/healthz` answers 200 with `{"status": "ok", ...}` or 503 with
`{"status": "unhealthy", "unhealthy": [{"source", "last_success", "reason"}]}`.
Address problems (bad text, port in use, an address not of this machine) raise
`MetricsAddressError`, a `Failure`: the CLI shows its cause and fix and exits 2.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from deskpulse.app.cli.failures import USAGE, Failure
from deskpulse.app.sync.metrics import DaemonMetrics

StartResponse = Callable[..., Any]
log = logging.getLogger(__name__)


class MetricsAddressError(Failure):
    """The --metrics address cannot be served (a usage error: exit code 2)."""

    def __init__(self, message: str, fix: str):
        super().__init__(message, fix, USAGE)


def parse_address(text: str) -> tuple[str, int]:
    """'127.0.0.1:9108', '[::1]:9108' or ':9108' (all interfaces) → (host, port)."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        msg = f"--metrics {text!r} is not HOST:PORT with a port from 1 to 65535"
        raise MetricsAddressError(msg, "give an address like 127.0.0.1:9108")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return host or "0.0.0.0", int(port_text)


def application(metrics: DaemonMetrics) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    """The WSGI app: `/metrics` (and `/`) from the daemon's own registry, `/healthz`."""
    scrape = make_wsgi_app(metrics.registry)

    def app(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path in ("/", "/metrics"):
            return scrape(environ, start_response)
        if path == "/healthz":
            report = metrics.health.report(metrics.clock())
            status = "200 OK" if report["status"] == "ok" else "503 Service Unavailable"
            body = (json.dumps(report) + "\n").encode()
            start_response(status, [("Content-Type", "application/json"),
                                    ("Content-Length", str(len(body)))])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /metrics or /healthz\n"]

    return app


class MetricsServer:
    """The endpoint, serving on a daemon thread until `close`."""

    def __init__(self, metrics: DaemonMetrics, address: str):
        self.metrics = metrics
        host, port = parse_address(address)
        server_class = _Server6 if ":" in host else _Server
        try:
            self.server = make_server(host, port, application(metrics),
                                      server_class=server_class, handler_class=_QuietHandler)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            msg = f"--metrics {address}: cannot listen there ({reason})"
            raise MetricsAddressError(msg, "choose a free port and an address of this machine "
                                      "(127.0.0.1 unless Prometheus scrapes from elsewhere)"
                                      ) from None
        self.port = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        name="deskpulse-metrics", daemon=True)
        self._thread.start()
        log.info("metrics on http://%s:%d/metrics and /healthz", address.rpartition(":")[0]
                 or "0.0.0.0", self.port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True  # a restart right after a stop may rebind at once


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    """No access line per scrape on stderr (the daemon's log is for syncs)."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass
