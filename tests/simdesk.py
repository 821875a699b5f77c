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

import kpi
from deskpulse.demo import demo_source
from deskpulse.simulator import ZendeskAPI, generate
from deskpulse.sync import Runner
from store import Store

TOKEN = "proc-token-c0ffee"


def backfilled_store(path: Path, *, tickets: int, seed: int, now: datetime,
                     days: int) -> Store:
    """A store holding a simulated account of `days` up to `now`, backfilled in-process."""
    desk = generate(seed=seed, tickets=tickets, start=now - timedelta(days=days), end=now)
    api = ZendeskAPI(desk, email="demo@deskpulse.example", token="t")
    store = Store.open(path)
    kpi.install_views(store)
    result = Runner(store, demo_source(), transport=httpx.MockTransport(api.handler),
                    environ={"DESKPULSE_DEMO_TOKEN": "t"}).backfill(
        now - timedelta(days=days + 1))
    assert result.status == "ok", result.error
    return store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_simulator(tickets: int, seed: int, token: str = TOKEN, vendor: str = "zendesk",
                    ) -> tuple[str, subprocess.Popen]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "deskpulse", "simulate", "--port", str(port), "--tickets",
         str(tickets), "--seed", str(seed), "--token", token, "--vendor", vendor],
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
