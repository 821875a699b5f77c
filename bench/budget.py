"""Where real users wait (issue #18): the vendor's request budget, on a simulated clock.

Every figure here is a request count or simulated-clock time (the engine's pacing sleeps
move one clock shared with the simulated vendor; a request takes no time), so the shared,
loaded machine does not bend them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import httpcore._sync.http11 as http11
import httpx

from bench.common import ENV, NOW, desk, open_store, table
from bench.vendors import _backfill as _run
from deskpulse.app.demo.simulated import vendor
from deskpulse.app.sync.runner import Runner, RunResult
from deskpulse.connectors.engine import http as engine_http
from deskpulse.simulator import FreshdeskAPI, ZendeskAPI
from deskpulse.simulator.server import make_server

GENERAL_PER_MINUTE = 400  # Zendesk Professional's general API limit (Team 200, Enterprise 700)
EXPORT_PER_MINUTE = 10  # Zendesk's incremental export limit (30 with High Volume)
EXPORT_STREAMS = ("users", "tickets", "ticket_events")


class SimClock:
    """Seconds on a simulated clock; `sleep` moves it."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def moment(self):
        return NOW + timedelta(seconds=self.now)


def freshdesk_plan(tickets: int, folder: Path, plan: int = 400) -> str:
    """A Freshdesk backfill under a `plan`-a-minute account, before (the old fixed cap of
    100 a minute) and after (0.8 of the limit the headers state)."""
    account = desk(tickets, seed=3)
    rows: list[tuple[str, str]] = []
    seconds: dict[str, float] = {}
    for label, options in (("before: requests_per_minute = 100", {"requests_per_minute": 100}),
                           ("after: rate_limit_share = 0.8", {})):
        clock = SimClock()
        api = FreshdeskAPI(account, api_key="bench-key", per_minute=plan,
                           clock=lambda c=clock: c.now)
        config = vendor("freshdesk").source("bench", "https://bench.freshdesk.com",
                                            "${DESKPULSE_DEMO_TOKEN}",
                                            ticket_list_requests_per_minute=None, **options)
        store = open_store(folder / f"fd-plan-{len(seconds)}.db")
        result = _run(Runner(store, config, transport=httpx.MockTransport(api.handler),
                             environ={"DESKPULSE_DEMO_TOKEN": "bench-key"}, sleep=clock.sleep,
                             clock=clock.moment))
        store.close()
        seconds[label] = clock.now
        per_100k = clock.now / tickets * 100_000 / 3600
        rows.append((f"{label}", f"{result.requests:,} requests in {clock.now / 60:,.1f} "
                     f"simulated min ({result.requests / clock.now * 60:.0f}/min) → "
                     f"{per_100k:.1f} h per 100,000 tickets"))
    before, after = seconds.values()
    rows.append(("after / before", f"{after / before:.3f}"))
    return table(f"Freshdesk backfill under a {plan}/min plan, {tickets:,} tickets "
                 "(simulated clock)", rows)


def zendesk_streams(tickets: int, folder: Path) -> str:
    """Zendesk requests per 1,000 tickets by stream, before (every rating from the
    `/satisfaction_ratings` list) and after (answered ratings from the exports, offered
    surveys listed), on the same account in one run; and what the streams' two budgets cost
    run one after the other vs side by side (simulated, from the request counts)."""
    account = desk(tickets)
    counts: dict[str, dict[str, int]] = {}
    for mode in ("list", "exports"):
        api = ZendeskAPI(account, email="demo@deskpulse.example",
                         token=ENV["DESKPULSE_DEMO_TOKEN"])
        store = open_store(folder / f"zd-streams-{mode}.db")
        config = vendor("zendesk").source("bench", "https://bench.zendesk.com",
                                          "${DESKPULSE_DEMO_TOKEN}", ratings=mode)
        _run(Runner(store, config, transport=httpx.MockTransport(api.handler), environ=ENV))
        store.close()
        counts[mode] = _requests_by_stream(api.requests)
    before, after = counts["list"], counts["exports"]

    def per_1000(count: int) -> str:
        return f"{count / tickets * 1000:.1f}"

    rows = [(f"  {stream}", f"{per_1000(before.get(stream, 0))} → "
             f"{per_1000(after.get(stream, 0))} per 1,000 tickets")
            for stream in dict.fromkeys([*before, *after])]
    total_before, total_after = sum(before.values()), sum(after.values())
    rows.insert(0, ("backfill requests per 1,000 tickets (ratings list → exports)",
                    f"{per_1000(total_before)} → {per_1000(total_after)} "
                    f"({total_after / total_before:.3f})"))
    ratings_before = before.get("satisfaction_ratings", 0)
    ratings_after = after.get("satisfaction_ratings", 0)
    rows.append(("ratings list's share of the requests",
                 f"{ratings_before / total_before:.1%} → {ratings_after / total_after:.1%}"))
    export = sum(after.get(s, 0) for s in EXPORT_STREAMS)
    export_s = export * 60 / EXPORT_PER_MINUTE
    general_s = (total_after - export) * 60 / GENERAL_PER_MINUTE
    rows.append((f"after: streams in turn ({EXPORT_PER_MINUTE}/min exports, "
                 f"{GENERAL_PER_MINUTE}/min the rest)", f"{(export_s + general_s) / 60:.1f} min"))
    rows.append(("after: streams side by side (the longest budget)",
                 f"{max(export_s, general_s) / 60:.1f} min"))
    return table(f"Zendesk requests by stream, {tickets:,} tickets", rows)


def _requests_by_stream(log: list[tuple[str, str, str]]) -> dict[str, int]:
    names = {"/api/v2/incremental/users/cursor.json": "users",
             "/api/v2/incremental/tickets/cursor.json": "tickets",
             "/api/v2/incremental/ticket_events.json": "ticket_events",
             "/api/v2/satisfaction_ratings": "satisfaction_ratings"}
    counts: dict[str, int] = {}
    for _method, path, _query in log:
        stream = names.get(path, "other (groups, schedules, SLA policies)")
        counts[stream] = counts.get(stream, 0) + 1
    return counts


def connections(tickets: int, folder: Path) -> str:
    """TCP connections one paced Zendesk backfill opens over loopback, with httpx's 5 s
    keep-alive (before) and the engine's 120 s (after). The pacing sleeps are injected and
    age httpcore's idle connections as if the gaps had passed, so nothing really waits."""
    account = desk(tickets)
    rows = []
    for label, expiry in (("before: 5 s keep-alive (httpx default)", 5.0),
                          ("after: 120 s keep-alive", engine_http.KEEPALIVE_SECONDS)):
        result = _over_loopback(account, folder / f"conn-{int(expiry)}.db", expiry)
        rows.append((label, f"{result.connections} connections for {result.requests} requests"))
    return table(f"Connections per Zendesk backfill, {tickets:,} tickets, exports "
                 f"{EXPORT_PER_MINUTE}/min", rows)


def _over_loopback(account, path: Path, expiry: float) -> RunResult:
    offset = [0.0]

    def sleep(seconds: float) -> None:
        offset[0] += seconds

    aged: Callable[[], float] = lambda: time.monotonic() + offset[0]  # noqa: E731
    api = ZendeskAPI(account, email="demo@deskpulse.example", token=ENV["DESKPULSE_DEMO_TOKEN"])
    server = make_server(api.handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16,
                          keepalive_expiry=expiry)
    try:
        with mock.patch.object(http11, "time", SimpleNamespace(monotonic=aged)), \
                mock.patch.object(engine_http, "LIMITS", limits):
            config = vendor("zendesk").source(
                "bench", f"http://127.0.0.1:{server.server_address[1]}",
                "${DESKPULSE_DEMO_TOKEN}", incremental_requests_per_minute=EXPORT_PER_MINUTE)
            store = open_store(path)
            result = _run(Runner(store, config, environ=ENV, sleep=sleep))
            store.close()
    finally:
        server.shutdown()
        server.server_close()
    return result
