"""Where real users wait: the vendor's request budget. Freshdesk paced at a share of the
plan's own limit, the dry run saying what that means in hours, and connections kept alive
across pacing gaps (counted against a local server, the pacing sleep injected)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpcore._sync.http11 as http11
import httpx
from typer.testing import CliRunner

from deskpulse.app.cli.main import app
from deskpulse.app.demo.simulated import vendor
from deskpulse.app.sync.runner import Runner
from deskpulse.simulator import FreshdeskAPI, ZendeskAPI, generate
from deskpulse.simulator.server import make_server
from deskpulse.store import Store
from tests.simdesk import FakeTime

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
KEY = "fd-budget-key-9"


def freshdesk_backfill(tmp_path, name: str, plan: int, **options):
    """A backfill of 120 tickets against a `plan`-a-minute Freshdesk on one simulated
    clock: the engine's sleeps move it, requests take no time. Returns (seconds, codes)."""
    desk = generate(seed=4, tickets=120, start=NOW - timedelta(days=30), end=NOW)
    clock = FakeTime(0.0)
    api = FreshdeskAPI(desk, api_key=KEY, per_minute=plan, clock=lambda: clock.now)
    config = vendor("freshdesk").source("fd", "https://acme.freshdesk.com", "${FD_KEY}",
                                        ticket_list_requests_per_minute=None, **options)
    store = Store.open(tmp_path / f"{name}.db")
    result = Runner(store, config, transport=httpx.MockTransport(clock.observe(api.handler)),
                    environ={"FD_KEY": KEY}, sleep=clock.sleep,
                    clock=lambda: NOW + timedelta(seconds=clock.now)).backfill(
        NOW - timedelta(days=60))
    assert result.status == "ok", result.error
    return clock.now, clock.statuses


def test_freshdesk_uses_its_share_of_the_plan_not_a_fixed_hundred(tmp_path):
    share, share_codes = freshdesk_backfill(tmp_path, "share", 400)
    fixed, _ = freshdesk_backfill(tmp_path, "fixed", 400, requests_per_minute=100)
    requests = len(share_codes)
    assert requests > 100 and 429 not in share_codes
    # 0.8 of 400 a minute, evenly spaced (the first request, before the headers, is free)
    assert abs(share - (requests - 2) * 60 / 320) < 1.0
    # an explicit requests_per_minute still caps it
    assert abs(fixed - (requests - 1) * 60 / 100) < 1.0
    assert fixed / share > 3.0


def test_a_small_plan_gets_the_same_share_and_draws_no_429(tmp_path):
    seconds, codes = freshdesk_backfill(tmp_path, "small", 100)
    assert 429 not in codes
    assert abs(seconds - (len(codes) - 2) * 60 / 80) < 1.0


def serve(api_handler) -> tuple[str, object]:
    server = make_server(api_handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def shut(server) -> None:
    server.shutdown()
    server.server_close()


def test_the_dry_run_learns_the_plan_limit_and_says_what_it_means_in_hours(tmp_path):
    desk = generate(seed=2, tickets=10, start=NOW - timedelta(days=10), end=NOW)
    url, server = serve(FreshdeskAPI(desk, api_key=KEY, per_minute=400).handler)
    try:
        config = tmp_path / "deskpulse.toml"
        config.write_text(f"""
database = "fd.db"
[sources.helpdesk]
kind = "freshdesk"
domain = "acme"
api_key = "${{FD_KEY}}"
base_url = "{url}"
""", encoding="utf-8")
        shown = CliRunner(env={"FD_KEY": KEY}).invoke(
            app, ["backfill", "helpdesk", "--since", "2026-01-01", "--dry-run", "--config",
                  str(config)])
    finally:
        shut(server)
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    # 0.8 × 400 = 320 a minute; 100,000 tickets ≈ 101,000 requests ≈ 5.3 h
    assert "plan allows 400/min" in text and "paces at 320 requests/min" in text
    assert "~5.3 h per 100,000 changed tickets" in text
    assert not (tmp_path / "fd.db").exists()


class AgingClock:
    """httpcore's clock, moved on by the engine's injected sleeps: an idle connection ages
    as if the pacing gap had really passed, so keep-alive expiry is tested without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.offset += seconds
        self.slept.append(seconds)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


def test_paced_export_requests_reuse_one_connection(tmp_path, monkeypatch):
    """Zendesk's export cap (10 a minute: 6 s apart) outlives httpx's 5 s default
    keep-alive; the engine keeps connections for 120 s, so a backfill opens one."""
    aging = AgingClock()
    monkeypatch.setattr(http11, "time", SimpleNamespace(monotonic=aging.monotonic))
    desk = generate(seed=3, tickets=2500, start=NOW - timedelta(days=20), end=NOW)
    api = ZendeskAPI(desk, email="demo@deskpulse.example", token="t")
    url, server = serve(api.handler)
    try:
        config = vendor("zendesk").source("zd", url, "${ZD_TOKEN}",
                                          incremental_requests_per_minute=10)
        store = Store.open(tmp_path / "kept.db")
        result = Runner(store, config, environ={"ZD_TOKEN": "t"}, sleep=aging.sleep,
                        clock=lambda: NOW).backfill(NOW - timedelta(days=30))
    finally:
        shut(server)
    assert result.status == "ok", result.error
    assert len([s for s in aging.slept if s > 5.0]) >= 3  # gaps past httpx's default
    assert result.requests > 10
    assert result.connections == 1
