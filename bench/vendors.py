"""Freshdesk and Intercom: requests per backfill vs the API's floor, the O(k) cost of an
incremental sync, and how fully the vendor's rate budget is used (issue #8, items 1–2).

Both vendors need one call per changed ticket or conversation (its conversations or parts),
by design: those are counted apart from the list and search pages.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx

from bench.common import ENV, NOW, TOKEN, desk, open_store, rate_table, repeat_for, table
from deskpulse.app.demo.simulated import vendor
from deskpulse.app.sync.runner import Runner, RunResult
from deskpulse.simulator import FreshdeskAPI, IntercomAPI
from deskpulse.simulator.freshdesk_render import agent_replies, flag
from deskpulse.simulator.model import Desk
from deskpulse.store import Store

URLS = {"freshdesk": "https://bench.freshdesk.com", "intercom": "https://api.intercom.io"}
PER_TICKET = {"freshdesk": "/conversations", "intercom": "/conversations/"}


def _runner(kind: str, store: Store, handler: Callable, **engine) -> Runner:
    config = vendor(kind).source("bench", URLS[kind], "${DESKPULSE_DEMO_TOKEN}")
    return Runner(store, config, transport=httpx.MockTransport(handler), environ=ENV,
                  **engine)


def _backfill(runner: Runner) -> RunResult:
    result = runner.backfill(NOW - timedelta(days=400))
    if result.status != "ok":
        msg = f"backfill failed: {result.error}"
        raise RuntimeError(msg)
    return result


def floor(kind: str, account: Desk) -> tuple[int, int]:
    """(list/search pages, per-ticket calls) the API cannot go below for a full backfill."""
    now = account.now
    visible = account.visible_tickets()
    live = [t for t in visible if not t.is_deleted(now)]
    customers = len(account.customers())
    if kind == "intercom":
        return (math.ceil(len(live) / 150) + math.ceil(customers / 150) + 2, len(live))
    deleted = sum(1 for t in visible if flag(t, now) == "deleted")
    ratings = sum(1 for t in live if (r := t.rating_at(now)) and r.score in ("good", "bad"))
    entries = sum(len(agent_replies(account, t)) for t in live)
    pages = (math.ceil(len(live) / 100) + max(1, math.ceil(deleted / 100))
             + max(1, math.ceil((len(visible) - len(live) - deleted) / 100))
             + math.ceil(len(account.agents()) / 100) + math.ceil(customers / 100)
             + 1 + 1 + 1 + 1 + max(1, math.ceil(ratings / 100))
             + max(1, math.ceil(entries / 100)))  # groups, business hours, SLA policies, surveys
    return pages, len(live)


def efficiency(kind: str, tickets: int, folder: Path) -> str:
    account = desk(tickets)
    simulated = vendor(kind).api(account, TOKEN, None)
    store = open_store(folder / f"{kind}-efficiency.db")
    result = _backfill(_runner(kind, store, simulated.handler))
    per_ticket = sum(1 for m, path, _q in simulated.requests
                     if PER_TICKET[kind] in path and m == "GET")
    pages = result.requests - per_ticket
    least_pages, least_per_ticket = floor(kind, account)
    rows = [("backfill requests (all streams)", f"{result.requests:,}"),
            ("  list / search pages", f"{pages:,} (minimum {least_pages:,}, ratio "
                                      f"{pages / least_pages:.3f}, target <= 1.05)"),
            ("  one call per ticket", f"{per_ticket:,} (minimum {least_per_ticket:,}, ratio "
                                      f"{per_ticket / least_per_ticket:.3f})")]
    for minutes in (20, 200, 2000):
        before = len(simulated.requests)
        account.advance(account.now + timedelta(minutes=minutes), seed=minutes)
        sync = _runner(kind, store, simulated.handler).sync()
        rows.append((f"incremental sync, {sync.changed_tickets:,} ticket keys changed",
                     f"{len(simulated.requests) - before} requests"))
    store.close()
    return table(f"Request efficiency, {kind.title()}, {tickets:,} tickets", rows)


def rate_limit_use(kind: str, folder: Path, *, limit: int, window: float, duration: float,
                   tickets: int = 40) -> str:
    """The simulated vendor enforces `limit` per `window` seconds on the real clock and sends
    its own headers; deskpulse paces itself by them alone (no client-side cap)."""
    account = desk(tickets, seed=2)
    if kind == "intercom":  # Intercom's windows are 10 seconds, whatever `window` says
        window = 10.0
        simulated = IntercomAPI(account, token=TOKEN, per_window=limit)
    else:
        simulated = FreshdeskAPI(account, api_key=TOKEN, per_minute=limit,
                                 window_seconds=window)
    statuses: list[int] = []

    def counting(request: httpx.Request) -> httpx.Response:
        response = simulated.handler(request)
        statuses.append(response.status_code)
        return response

    store = open_store(folder / f"{kind}-ratelimit.db")
    requests, rounds, elapsed = repeat_for(duration, lambda: _backfill(
        _runner(kind, store, counting, sleep=time.sleep)))
    store.close()
    return rate_table(kind.title(), limit=limit, window=window, duration=duration,
                      requests=requests, rounds=rounds, elapsed=elapsed,
                      limited=statuses.count(429))


__all__ = ["efficiency", "floor", "rate_limit_use"]
