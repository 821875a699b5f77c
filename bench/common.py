"""Shared set-up for the benchmarks: a simulated account, a backfill, precomputed pages.

To measure deskpulse and not the simulator, `precompute` records every response of one
backfill in memory; `Replay` then serves those bytes as fast as a dict lookup.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from bench.targets import Target, fresh
from deskpulse import kpi
from deskpulse.app.demo.run import demo_source
from deskpulse.app.sync.runner import Runner, RunResult
from deskpulse.simulator import ZendeskAPI, generate
from deskpulse.simulator.model import Desk
from deskpulse.store import Store, sizes

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TOKEN = "bench-token"
ENV = {"DESKPULSE_DEMO_TOKEN": TOKEN}


def desk(tickets: int, seed: int = 1) -> Desk:
    return generate(seed=seed, tickets=tickets, start=NOW - timedelta(days=365), end=NOW)


def api(account: Desk, **kwargs: object) -> ZendeskAPI:
    return ZendeskAPI(account, email="demo@deskpulse.example", token=TOKEN, **kwargs)


def open_store(target: Target) -> Store:
    """An empty store at `target` (a SQLite path or a PostgreSQL URL), views installed."""
    fresh(target)
    store = Store.open(target)
    kpi.install_views(store)
    return store


def mark_changed(store: Store, ids: list[str], source: str = "demo") -> None:
    """Queue `ids` for the next KPI refresh, as a sync that changed them would."""
    with store.transaction():
        store.conn.executemany("INSERT INTO kpi_dirty (source, ticket_id) VALUES (?, ?) "
                               "ON CONFLICT DO NOTHING", [(source, tid) for tid in ids])


def last_day(store: Store) -> date:
    """The latest day with KPI rollups (the engine may hand it back as text or a date)."""
    value = store.conn.execute("SELECT MAX(day) FROM kpi_daily").fetchone()[0]
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def backfill(store: Store, transport: httpx.BaseTransport, **runner: object) -> RunResult:
    result = Runner(store, demo_source(), transport=transport, environ=ENV,
                    **runner).backfill(NOW - timedelta(days=400))  # type: ignore[arg-type]
    if result.status != "ok":
        msg = f"backfill failed: {result.error}"
        raise RuntimeError(msg)
    return result


class Recorder(httpx.BaseTransport):
    def __init__(self, handler: httpx.MockTransport):
        self.inner = handler
        self.responses: dict[tuple[str, str], deque[tuple[int, bytes, dict]]] = \
            defaultdict(deque)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        key = (request.url.path, request.url.query.decode())
        self.responses[key].append((response.status_code, response.content,
                                    dict(response.headers)))
        return response


class Replay(httpx.BaseTransport):
    """Serves recorded bytes; the pipeline under test is all that costs time."""

    def __init__(self, recorded: dict[tuple[str, str], deque[tuple[int, bytes, dict]]]):
        self.recorded = {key: list(values) for key, values in recorded.items()}
        self.used: dict[tuple[str, str], int] = defaultdict(int)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.url.path, request.url.query.decode())
        values = self.recorded[key]
        status, content, headers = values[min(self.used[key], len(values) - 1)]
        self.used[key] += 1
        return httpx.Response(status, content=content, headers=headers)


@dataclass
class Prepared:
    account: Desk
    recorded: dict
    requests: int
    seconds: float


def precompute(tickets: int, folder: Path, seed: int = 1) -> Prepared:
    account = desk(tickets, seed)
    recorder = Recorder(httpx.MockTransport(api(account).handler))
    store = open_store(folder / "precompute.db")
    started = time.perf_counter()
    result = backfill(store, recorder)
    store.close()
    return Prepared(account, recorder.responses, result.requests,
                    time.perf_counter() - started)


def log(label: str, value: str) -> None:
    """A figure as soon as it is measured, on stderr with the time of day: a long run that
    fails later keeps what it measured (the wall clock only labels, never decides)."""
    print(f"{datetime.now(UTC):%H:%M:%S} {label}: {value}", file=sys.stderr, flush=True)


def refresh_vs_rebuild(store: Store, ids: list[str]) -> tuple[float, float]:
    """Seconds of `kpi.upkeep.refresh` with `ids` marked changed (after the rebuild), and of a
    full `kpi.rebuild` of every fact and rollup."""
    started = time.perf_counter()
    kpi.rebuild(store)
    full = time.perf_counter() - started
    log("kpi.rebuild", f"{full:.1f} s")
    mark_changed(store, ids)
    started = time.perf_counter()
    kpi.refresh(store)
    return time.perf_counter() - started, full


def size_rows(store: Store, counts: dict[str, int]) -> list[tuple[str, str]]:
    """The store's bytes in all, per ticket and per event (each table with its indexes)."""
    rows = [("store size", f"{sizes.total_bytes(store) / 1e6:,.0f} MB")]
    tables = sizes.bytes_by_table(store)
    if tables is None:
        return rows + [("bytes per ticket, per event", "not known: this SQLite has no dbstat")]
    return rows + [("bytes per ticket (table + indexes + raw JSON)",
                    f"{tables['tickets'] / counts['tickets']:,.0f}"),
                   ("bytes per event (table + indexes)",
                    f"{tables['events'] / counts['events']:,.0f}")]


def table(title: str, rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _value in rows)
    lines = [title, "-" * len(title)]
    lines += [f"{name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines) + "\n"


def repeat_for(duration: float, run: Callable[[], RunResult]) -> tuple[int, int, float]:
    """Run backfills until `duration` seconds have passed: (requests, runs, seconds)."""
    started = time.monotonic()
    requests = rounds = 0
    while time.monotonic() - started < duration:
        requests += run().requests
        rounds += 1
    return requests, rounds, time.monotonic() - started


def rate_table(vendor: str, *, limit: int, window: float, duration: float, requests: int,
               rounds: int, elapsed: float, limited: int) -> str:
    achieved, allowed = requests / elapsed, limit / window
    rows = [("limit", f"{limit} requests / {window:g} s = {allowed:.1f}/s"),
            (f"requests sent (backfills repeated for ~{duration:g} s)",
             f"{requests:,} in {rounds} runs"),
            ("achieved rate", f"{achieved:.1f}/s"),
            ("achieved / limit (target >= 0.9)", f"{achieved / allowed:.3f}"),
            ("answered 429 (target <= 1%)",
             f"{limited:,} = {100 * limited / max(requests, 1):.2f}%")]
    return table(f"Rate-limit use, {vendor} headers, simulator enforcing the window", rows)
