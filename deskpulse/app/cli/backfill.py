"""`deskpulse backfill SOURCE`: a resumable read of a date range, with progress, and its
`--dry-run` plan. Registered in deskpulse/app/cli/main.py."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from deskpulse.app.cli.common import (
    ConfigOption,
    console,
    err,
    fail,
    parse_day,
    read_config,
    source_config,
    source_names,
    summarize,
)
from deskpulse.app.config.file import ConfigError
from deskpulse.app.sync.jobs import backfill_source, day_start
from deskpulse.app.sync.lock import LockedError
from deskpulse.app.sync.progress import SyncProgress, planned_totals
from deskpulse.app.sync.runner import Runner
from deskpulse.app.sync.runs import resume_hint, stop_on_signals
from deskpulse.store import Store
from deskpulse.store.backends import DatabaseUrl
from deskpulse.store.opening import StoreEmpty


def backfill_command(
    source: Annotated[str, typer.Argument(
        help="source name from the config", autocompletion=source_names)],
    since: Annotated[str | None, typer.Option(
        help="first day to fetch, e.g. 2024-01-01 (default: the source's start_date, "
        "else the account's beginning)")] = None,
    until: Annotated[str | None, typer.Option(help="last day to fetch (default: now)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan and an "
                                          "estimate; fetch and write nothing")] = False,
    config: ConfigOption = None,
) -> None:
    """Fetch everything changed since a date; interrupt it and run it again to resume."""
    cfg = read_config(config)
    source_cfg = source_config(cfg, source)
    start = day_start(parse_day(since, "--since")) or source_cfg.since()
    end = day_start(parse_day(until, "--until"), next_day=True)
    if dry_run:  # reads the saved cursors only: a read-only file will do, a missing one too
        store = _saved_cursors(cfg.database)
        try:
            _print_plan(Runner(store, source_cfg).plan(start, end))
        finally:
            store.close()
        return
    stop = threading.Event()
    hint = resume_hint(source, {"mode": "backfill", "since": start.date().isoformat(),
                                "until": until})
    try:
        with SyncProgress(console, enabled=console.is_terminal, lines=True, log=err) as progress, \
                stop_on_signals(stop, lambda text: err.print(text, style="yellow")):
            result = backfill_source(
                cfg, source, start, end, progress=progress, stop=stop, phase=progress.phase,
                before=lambda runner: progress.expect(planned_totals(
                    runner, start, end, lambda text: err.print(text, style="yellow",
                                                               markup=False))))
    except KeyboardInterrupt:
        err.print(f"{source} backfill: interrupted; {hint}")
        raise typer.Exit(1) from None
    except (ConfigError, LockedError) as exc:
        raise fail(str(exc)) from None
    summarize(result)
    if result.status == "stopped":
        err.print(f"  {hint}")
    if result.status != "ok":
        raise typer.Exit(1)


def _print_plan(plan: dict) -> None:
    tickets = plan["estimate"].get("tickets")
    rate = plan["requests_per_minute"]
    console.print(f"[bold]{escape(plan['source'])}[/bold] ({plan['kind']}) backfill from "
                  f"{plan['since']} to {plan['until'] or 'now'} — dry run, nothing written")
    for stream in plan["streams"]:
        resume = plan["resume_from"].get(stream)
        console.print(f"  {stream}: " + ("resume from the saved cursor" if resume
                                         else "start from the beginning of the range"))
    if tickets is None:
        console.print("  the vendor gave no ticket count: no estimate")
        _print_pace(plan["estimate"], rate)
        return
    requests = plan["estimate"].get("requests")
    line = f"  ~{tickets:,} tickets"
    if requests is None:
        console.print(line)
        return
    line += f" → at most ~{requests:,} requests"
    if rate:
        line += f", ~{requests / rate:.0f} min at {rate:g} requests/min"
    console.print(line + " (the range only narrows it)")


def _print_pace(estimate: dict, rate: float | None) -> None:
    """Without a count, what the rate learned from the vendor's headers means in hours."""
    per_1000, plan = estimate.get("requests_per_1000_tickets"), estimate.get("plan_per_minute")
    if not rate or not per_1000:
        return
    told = f"the plan allows {plan:,}/min (its headers), " if plan else ""
    hours = 100 * per_1000 / rate / 60
    console.print(f"  {told}deskpulse paces at {rate:g} requests/min: ~{hours:.1f} h per "
                  f"100,000 changed tickets (~{per_1000 * 100:,} requests)")


def _saved_cursors(database: Path | DatabaseUrl) -> Store:
    """The store a dry run plans from, read-only; a missing file or a database without
    deskpulse data yet (a new PostgreSQL database) has no cursors: an empty one in memory."""
    if isinstance(database, Path) and not database.exists():
        return Store.open(":memory:")
    try:
        return Store.open_readonly(database)
    except StoreEmpty:
        return Store.open(":memory:")
