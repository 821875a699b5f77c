"""`deskpulse demo`: the whole product on the built-in simulated help desk, offline.

It generates a seeded account of one vendor (Zendesk unless `--vendor` says otherwise),
backfills it into a fresh SQLite file through the real connector (the simulator is the HTTP
transport, so nothing leaves the process), lets the simulated desk move on by a day, runs an
incremental sync, and prints the KPI report.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from deskpulse import kpi
from deskpulse.app.config.file import SourceConfig
from deskpulse.app.demo.simulated import vendor as simulated_vendor
from deskpulse.app.private import private_folder
from deskpulse.app.report.html import write_report
from deskpulse.app.report.tables import render_headline, render_table
from deskpulse.app.sync.progress import SyncProgress, stored_counts
from deskpulse.app.sync.runner import Runner, RunResult
from deskpulse.kpi import Schedule
from deskpulse.simulator import generate
from deskpulse.store import Store

DEMO_SOURCE = "demo"
# Office hours of the simulated Intercom workspace, which (like Intercom) serves none: they come
# from config. The simulated Zendesk and Freshdesk serve theirs, and the demo uses those.
DEMO_SCHEDULE = Schedule.from_config({
    "tz": "America/New_York",
    "hours": {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
})


# SLA targets a support team might set, so the demo shows SLA figures too (in a real setup
# they are `[[sla]]` tables in deskpulse.toml; docs/kpis.md "SLAs"). The simulated Zendesk
# and Freshdesk serve SLA policies of their own, which the demo uses instead
# (`sla_targets="vendor"`); Intercom serves none, so its demo uses these.
DEMO_TARGETS = (
    kpi.Target("first_reply", 2 * 3600, business=True, priorities=("high", "urgent")),
    kpi.Target("first_reply", 8 * 3600, business=True),
    kpi.Target("next_reply", 24 * 3600),
    kpi.Target("requester_wait", 3 * 24 * 3600),
)


@dataclass
class DemoResult:
    database: Path
    backfill: RunResult
    sync: RunResult
    changed_by_simulator: int


DEMO_URLS = {"zendesk": "https://demo.zendesk.com", "freshdesk": "https://demo.freshdesk.com",
             "intercom": "https://api.intercom.io"}


# what a user of the simulated account configures: its one custom Freshdesk status, 7, is
# "On hold" (without this, `status` and `kpi` would list status '7' as unmapped)
DEMO_OPTIONS: dict[str, dict[str, Any]] = {"freshdesk": {"status_map": {"7": "on_hold"}}}


def demo_source(token_variable: str = "DESKPULSE_DEMO_TOKEN", kind: str = "zendesk"
                ) -> SourceConfig:
    """The demo's source, served by the simulator, with no client-side request cap."""
    return simulated_vendor(kind).source(DEMO_SOURCE, DEMO_URLS[kind],
                                         "${" + token_variable + "}",
                                         **DEMO_OPTIONS.get(kind, {}))


def run_demo(
    out_dir: Path,
    console: Console,
    *,
    tickets: int = 2000,
    seed: int = 7,
    now: datetime | None = None,
    show_progress: bool = True,
    vendor: str = "zendesk",
) -> DemoResult:
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    private_folder(out_dir)
    database = out_dir / "demo.db"
    for leftover in out_dir.glob("demo.db*"):
        leftover.unlink()

    started = time.perf_counter()
    desk = generate(seed=seed, tickets=tickets, start=now - timedelta(days=91),
                    end=now - timedelta(days=1))
    token = secrets.token_urlsafe(24)
    api = simulated_vendor(vendor).api(desk, token, None)
    console.print(f"[bold]Simulated {vendor.title()} account[/bold]: {tickets:,} tickets over "
                  "90 days "
                  f"(seed {seed}), generated in {time.perf_counter() - started:.1f}s")

    store = Store.open(database)
    kpi.install_views(store)
    runner = Runner(store, demo_source(kind=vendor), transport=httpx.MockTransport(api.handler),
                    environ={"DESKPULSE_DEMO_TOKEN": token},
                    schedule=DEMO_SCHEDULE if vendor == "intercom" else None,
                    targets=DEMO_TARGETS, sla_targets="vendor")
    try:
        since = (now - timedelta(days=92)).replace(hour=0, minute=0, second=0)
        backfill = _timed(console, "Backfill", runner, lambda r: r.backfill(since), show_progress)
        changed = desk.advance(now, seed=seed + 1)
        console.print(f"\nThe simulated desk moved on by a day: {len(changed):,} tickets changed.")
        sync = _timed(console, "Incremental sync", runner, lambda r: r.sync(), show_progress)
        _print_report(store, console, now)
        report = write_report(store, out_dir / "report.html", source=DEMO_SOURCE,
                              today=now.date())
    finally:
        store.close()
    console.print(f"\nHTML report: [bold]{report}[/bold]")
    console.print(f"Database: [bold]{database}[/bold] — open it with sqlite3, Datasette, "
                  "pandas or DuckDB; the kpi_* views hold the same figures.\n"
                  f"Try: deskpulse kpi --database {database} --by channel")
    return DemoResult(database, backfill, sync, len(changed))


def _timed(console: Console, label: str, runner: Runner,
           run: Callable[[Runner], RunResult], show_progress: bool) -> RunResult:
    started = time.perf_counter()
    with SyncProgress(console, enabled=show_progress) as progress:
        runner.progress = progress
        result = run(runner)
    runner.progress = None
    seconds = time.perf_counter() - started
    console.print(f"[bold]{label}[/bold] {result.status}: {result.records:,} records "
                  f"({stored_counts(result)}) in {result.pages:,} pages, "
                  f"{result.requests:,} requests, "
                  f"{seconds:.1f}s; KPI facts recomputed for {result.kpi_refreshed:,} tickets.")
    if result.error:
        console.print(f"[red]{result.error}[/red]")
    return result


def _print_report(store: Store, console: Console, now: datetime) -> None:
    since = (now - timedelta(weeks=8)).date()
    console.print()
    headline = kpi.summary(store, source=DEMO_SOURCE, since=since, now=now)
    if headline:
        headline[0] |= kpi.unsolved_now(store, DEMO_SOURCE)
        render_headline(headline[0], console, f"Support KPIs since {since} (source "
                        f"'{DEMO_SOURCE}')")
    rows = kpi.summary(store, source=DEMO_SOURCE, since=since, by="week")
    render_table(rows, console, f"KPIs by week since {since}")
    rows = kpi.summary(store, source=DEMO_SOURCE, since=since, by="channel")
    render_table(rows, console, "KPIs by channel, same period")
