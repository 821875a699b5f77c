"""Freshdesk as a user runs it: `deskpulse simulate --vendor freshdesk`, a configured source,
`deskpulse backfill` and `deskpulse status`; and a backfill past Freshdesk's 300-page wall."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import httpx
from typer.testing import CliRunner

from deskpulse.app.cli.main import app
from deskpulse.app.demo.simulated import vendor
from deskpulse.app.sync.runner import Runner
from deskpulse.simulator import FreshdeskAPI, generate
from deskpulse.store import Store
from tests.simdesk import TOKEN, cli, start_simulator, stop

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_simulate_freshdesk_then_backfill_and_status(tmp_path):
    url, server = start_simulator(tickets=200, seed=3, vendor="freshdesk")
    try:
        config = tmp_path / "deskpulse.toml"
        config.write_text(f"""
database = "fd.db"
[sources.helpdesk]
kind = "freshdesk"
domain = "acme"
api_key = "${{SIM_TOKEN}}"
base_url = "{url}"
requests_per_minute = 100000
ticket_list_requests_per_minute = 100000
""", encoding="utf-8")
        done = cli("backfill", "helpdesk", "--since", "2000-01-01", "--config", str(config))
        out, err = done.communicate(timeout=300)
        assert done.returncode == 0, out + err
        db = sqlite3.connect(tmp_path / "fd.db")
        assert db.execute("SELECT count(*), count(DISTINCT id) FROM tickets").fetchone() == \
            (200, 200)
        status = cli("status", "--config", str(config))
        shown, _ = status.communicate(timeout=60)
        (requests,) = db.execute("SELECT requests FROM sync_runs").fetchone()
        assert requests > 200 and f"{requests:,} requests" in shown
        assert "(freshdesk)" in shown
    finally:
        stop(server)


def test_a_backfill_past_the_300_page_wall_stores_every_ticket_exactly_once(tmp_path):
    """30,500 changed tickets: 305 pages of 100, more than Freshdesk will page through."""
    desk = generate(seed=11, tickets=30_500, start=NOW - timedelta(days=90), end=NOW)
    api = FreshdeskAPI(desk, api_key=TOKEN)
    source = vendor("freshdesk").source("fd", "https://acme.freshdesk.com", "${SIM_TOKEN}")
    store = Store.open(tmp_path / "big.db")
    result = Runner(store, source, transport=httpx.MockTransport(api.handler),
                    environ={"SIM_TOKEN": TOKEN}, sleep=lambda s: None,
                    clock=lambda: NOW).backfill(NOW - timedelta(days=400))
    assert result.status == "ok", result.error
    listed = [q for _m, path, q in api.requests if path == "/api/v2/tickets"
              and "filter" not in q]
    assert len(listed) > 300 and all("page=1&" in q or q.endswith("page=1") for q in listed)
    assert store.conn.execute("SELECT count(*), count(DISTINCT id) FROM tickets").fetchone() \
        == (30_500, 30_500)
    conversation_calls = sum(1 for _m, path, _q in api.requests if path.endswith(
        "/conversations"))
    assert conversation_calls == 30_500 - sum(1 for t in desk.tickets.values()
                                              if t.is_deleted(NOW))
    shown = CliRunner().invoke(app, ["status", "--database", str(tmp_path / "big.db")])
    assert f"{result.requests:,} requests" in shown.output
    assert result.requests == len(api.requests)
