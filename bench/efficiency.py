"""Requests a backfill needs vs the API's minimum, incremental cost, and rate-limit use."""

from __future__ import annotations

import math
import time
from pathlib import Path

import httpx

from bench.common import ENV, NOW, api, backfill, desk, open_store, rate_table, repeat_for, table
from deskpulse.app.demo.run import demo_source
from deskpulse.app.sync.runner import Runner
from deskpulse.simulator.zendesk_render import audits


def minimum_requests(account) -> dict[str, int]:
    """Zendesk's floor: 1,000 tickets, audits or users per export page; 100 groups or
    offered surveys per list page (answered ratings come with the exports: the default
    `ratings = "exports"`); at least one request per stream."""
    tickets = account.visible_tickets()
    audit_count = sum(len(audits(t, account.now, "")) for t in tickets)
    ratings = sum(1 for t in tickets
                  if (rating := t.rating_at(account.now)) and rating.score == "offered")
    return {
        "users": max(1, math.ceil(len(account.people) / 1000)),
        "groups": max(1, math.ceil(len(account.groups) / 100)),
        "business_hours": 2,  # the schedule list and its one schedule's holidays
        "sla_policies": 1,  # the whole policy list, unpaginated
        "tickets": max(1, math.ceil(len(tickets) / 1000)),
        "ticket_events": max(1, math.ceil(audit_count / 1000)),
        "satisfaction_ratings": max(1, math.ceil(ratings / 100)),
    }


def request_efficiency(tickets: int, folder: Path) -> str:
    account = desk(tickets)
    simulated = api(account)
    store = open_store(folder / "efficiency.db")
    result = backfill(store, httpx.MockTransport(simulated.handler))
    by_path: dict[str, int] = {}
    for _method, path, _query in simulated.requests:
        by_path[path] = by_path.get(path, 0) + 1
    floor = minimum_requests(account)
    rows = [(f"  {stream}", f"{floor[stream]:,} minimum") for stream in floor]
    rows.insert(0, ("backfill requests (all streams)", f"{result.requests:,}"))
    rows.append(("theoretical minimum", f"{sum(floor.values()):,}"))
    rows.append(("ratio (target <= 1.05)", f"{result.requests / sum(floor.values()):.3f}"))
    for changed in (10, 100, 1000):
        before = len(simulated.requests)
        account.advance(account.now + timedelta_for(changed), seed=changed)
        sync = Runner(store, demo_source(), transport=httpx.MockTransport(simulated.handler),
                      environ=ENV).sync()
        rows.append((f"incremental sync, {sync.changed_tickets:,} ticket keys changed",
                     f"{len(simulated.requests) - before} requests"))
    store.close()
    return table(f"Request efficiency, Zendesk, {tickets:,} tickets", rows)


def timedelta_for(changed: int):
    from datetime import timedelta

    return timedelta(minutes=max(5, changed * 2))


def rate_limit_use(tickets: int, folder: Path, limit: int = 30, window: float = 10.0,
                   duration: float = 40.0) -> str:
    """The simulator enforces `limit` requests per `window` seconds on its real clock and
    sends Zendesk's headers; deskpulse paces itself by them (no client-side cap). The limit
    is set below what the pipeline could do unthrottled, as real vendor limits are (Zendesk
    exports: 10 a minute), so the figure measures pacing, not local speed. Windows of a few
    seconds understate it: the reset header has whole-second granularity."""
    account = desk(tickets, seed=2)
    simulated = api(account, rate_limit=(limit, window))
    statuses: list[int] = []

    def counting(request: httpx.Request) -> httpx.Response:
        response = simulated.handler(request)
        statuses.append(response.status_code)
        return response

    store = open_store(folder / "ratelimit.db")
    requests, rounds, elapsed = repeat_for(duration, lambda: backfill(
        store, httpx.MockTransport(counting), sleep=time.sleep))
    store.close()
    return rate_table("Zendesk", limit=limit, window=window, duration=duration,
                      requests=requests, rounds=rounds, elapsed=elapsed,
                      limited=statuses.count(429))


__all__ = ["NOW", "rate_limit_use", "request_efficiency"]
