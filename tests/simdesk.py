"""Test helpers shared by the suites that need a simulated Zendesk: in-process (a store
backfilled through the real connector) or as processes (`deskpulse simulate` on 127.0.0.1)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from deskpulse import kpi
from deskpulse.app.demo.run import demo_source
from deskpulse.app.sync.runner import Runner
from deskpulse.simulator import ZendeskAPI, generate
from deskpulse.store import Store

TOKEN = "proc-token-c0ffee"
# The simulated desk's present in every test that starts one: a run must not depend on the
# time of day it is started at (a minute past midnight once failed where 23:35 passed).
SIM_NOW = "2026-03-11T00:01:00Z"


def backfilled_store(path: Path | str, *, tickets: int, seed: int, now: datetime,
                     days: int, sla_targets: str = "auto") -> Store:
    """A store holding a simulated account of `days` up to `now`, backfilled in-process
    (SLA targets: the simulated account's own policies, unless `sla_targets="config"`)."""
    desk = generate(seed=seed, tickets=tickets, start=now - timedelta(days=days), end=now)
    api = ZendeskAPI(desk, email="demo@deskpulse.example", token="t")
    store = Store.open(path)
    try:
        kpi.install_views(store)
        result = Runner(store, demo_source(), transport=httpx.MockTransport(api.handler),
                        environ={"DESKPULSE_DEMO_TOKEN": "t"}, sla_targets=sla_targets
                        ).backfill(now - timedelta(days=days + 1))
        assert result.status == "ok", result.error
    except BaseException:
        store.close()  # a PostgreSQL connection left open fails a later test (ResourceWarning)
        raise
    return store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_simulator(tickets: int, seed: int, token: str = TOKEN, vendor: str = "zendesk",
                    now: str = SIM_NOW) -> tuple[str, subprocess.Popen]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "deskpulse", "simulate", "--port", str(port), "--tickets",
         str(tickets), "--seed", str(seed), "--token", token, "--vendor", vendor,
         "--now", now],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert f"Simulated {vendor.title()}" in server.stdout.readline()
    return f"http://127.0.0.1:{port}", server


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)
    if process.stdout:
        process.stdout.close()


def write_config(folder: Path, base_url: str, database: str = "desk.db") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "deskpulse.toml"
    config.write_text(f"""
database = "{database}"
[sources.sim]
kind = "zendesk"
subdomain = "sim"
email = "demo@deskpulse.example"
token = "${{SIM_TOKEN}}"
base_url = "{base_url}"
incremental_requests_per_minute = 100000
interval = "1h"
""", encoding="utf-8")
    return config


def cli(*args: str, token: str = TOKEN, **popen: object) -> subprocess.Popen:
    env = os.environ | {"SIM_TOKEN": token}
    return subprocess.Popen([sys.executable, "-m", "deskpulse", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **popen)  # type: ignore[call-overload]


def rows(store: Store, table: str, without_raw: bool = True) -> list[tuple]:
    """A table's rows in a stable order (without `raw`, which keeps the vendor's spelling)."""
    columns = [c[1] for c in store.conn.execute(f"PRAGMA table_info({table})")
               if not (without_raw and c[1] == "raw")]
    return sorted(store.conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall(),
                  key=repr)


class CrashAfter(httpx.BaseTransport):
    """Delivers `limit` responses, then fails every request as if the process had died."""

    def __init__(self, handler, limit: int):
        self.inner, self.left = httpx.MockTransport(handler), limit

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.left <= 0:
            raise KeyboardInterrupt("simulated crash")
        self.left -= 1
        return self.inner.handle_request(request)


class FakeTime:
    """One clock for the simulated vendor and the engine: the engine's sleeps move it, so
    pacing is tested without waiting. `observe` wraps a handler to log response codes."""

    def __init__(self, start: float):
        self.now = start
        self.statuses: list[int] = []

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def observe(self, handler):
        def observed(request: httpx.Request) -> httpx.Response:
            response = handler(request)
            self.statuses.append(response.status_code)
            return response
        return observed
