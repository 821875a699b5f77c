"""The `deskpulse` command line: the demo, syncing and KPIs here; status, verify, record and
simulate in cli_tools.py. Only the CLI modules (and the demo they start) print."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

import kpi
from deskpulse.business import business_rows, merged, render_business
from deskpulse.cli_common import (
    BY_CHOICES,
    ConfigOption,
    DatabaseOption,
    app,
    business_calendars,
    console,
    day_range,
    err,
    fail,
    known_source,
    kpi_options,
    open_store,
    parse_day,
    parse_moment,
    read_config,
    read_store,
    simulated_vendor,
    source_config,
    summarize,
    writer_lock,
)
from deskpulse.cli_import import import_command
from deskpulse.cli_schema import schema_command
from deskpulse.export import render_csv, render_json
from deskpulse.progress import SyncProgress
from deskpulse.report import render_headline, render_table, with_names
from deskpulse.sla import sla_command, unapplied_targets
from deskpulse.sync import Runner
from deskpulse.unmapped import figure_notes
from store import Store


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="folder for demo.db")] = Path("deskpulse-demo"),
    tickets: Annotated[int, typer.Option(min=10, help="size of the simulated account")] = 2000,
    seed: Annotated[int, typer.Option(help="seed of the simulated account")] = 7,
    vendor: Annotated[str, typer.Option(help="zendesk, freshdesk or intercom")] = "zendesk",
    now: Annotated[str | None, typer.Option(help="the simulated desk's present, e.g. "
                                            "2026-03-11T00:01:00Z (default: the clock)")
                   ] = None,
) -> None:
    """Backfill + sync the built-in simulated help desk (offline) and print the KPI report."""
    from deskpulse.demo import run_demo

    simulated_vendor(vendor)
    result = run_demo(out, console, tickets=tickets, seed=seed, now=parse_moment(now, "--now"),
                      show_progress=console.is_terminal, vendor=vendor)
    if result.backfill.status != "ok" or result.sync.status != "ok":
        raise typer.Exit(1)


@app.command()
def backfill(
    source: Annotated[str, typer.Argument(help="source name from the config")],
    since: Annotated[str, typer.Option(help="first day to fetch, e.g. 2024-01-01")],
    until: Annotated[str | None, typer.Option(help="last day to fetch (default: now)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan and an "
                                          "estimate; fetch and write nothing")] = False,
    config: ConfigOption = None,
) -> None:
    """Fetch everything changed since a date; interrupt it and run it again to resume."""
    cfg = read_config(config)
    start = _day_start(parse_day(since, "--since"))
    end = _day_start(parse_day(until, "--until"), next_day=True)
    source_cfg = source_config(cfg, source)
    if dry_run:  # reads the saved cursors only: a read-only file will do, a missing one too
        store = Store.open_readonly(cfg.database) if cfg.database.exists() \
            else Store.open(":memory:")
        try:
            _print_plan(Runner(store, source_cfg).plan(start, end))
        finally:
            store.close()
        return
    with writer_lock(cfg, f"backfill-{source}"), SyncProgress(
            console, enabled=console.is_terminal) as progress:
        store = open_store(cfg.database, cfg.kpi.summary_options())
        try:
            result = Runner(store, source_cfg, progress=progress, schedule=business_calendars(cfg),
                            targets=cfg.sla_targets(), sla_targets=cfg.kpi.sla_targets,
                            report_tz=cfg.kpi.report_tz).backfill(start, end)
        finally:
            store.close()
    summarize(result)
    if result.status != "ok":
        raise typer.Exit(1)


def _day_start(day: date | None, *, next_day: bool = False) -> datetime | None:
    if day is None:
        return None
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment + timedelta(days=1) if next_day else moment


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


@app.command()
def sync(
    sources: Annotated[list[str] | None, typer.Argument(help="source names (default: all)")] = None,
    config: ConfigOption = None,
) -> None:
    """One incremental pass over each source."""
    cfg = read_config(config)
    names = sources or list(cfg.sources)
    if not names:
        msg = f"no sources configured in {cfg.path}"
        raise fail(msg)
    failed = False
    with writer_lock(cfg):
        store = open_store(cfg.database, cfg.kpi.summary_options())
        try:
            for name in names:
                result = Runner(store, source_config(cfg, name), schedule=business_calendars(cfg),
                                targets=cfg.sla_targets(), sla_targets=cfg.kpi.sla_targets,
                                report_tz=cfg.kpi.report_tz).sync()
                summarize(result)
                failed |= result.status != "ok"
        finally:
            store.close()
    if failed:
        raise typer.Exit(1)


@app.command()
def daemon(
    config: ConfigOption = None,
    log_format: Annotated[str, typer.Option(help="text|json")] = "text",
    metrics: Annotated[str | None, typer.Option(
        help="serve Prometheus /metrics and /healthz on HOST:PORT, e.g. 127.0.0.1:9108")] = None,
    unhealthy_after: Annotated[int, typer.Option(
        min=1, help="/healthz turns 503 when a source has not synced for this many of "
        "its intervals")] = 3,
) -> None:
    """Sync every source at its interval until SIGTERM/SIGINT (which finish the page in hand)."""
    from deskpulse.daemon import Daemon
    from deskpulse.logs import configure
    from deskpulse.metrics import for_config
    from deskpulse.metrics_http import MetricsServer, parse_address

    if log_format not in ("text", "json"):
        msg = "--log-format must be text or json"
        raise fail(msg)
    level = os.environ.get("DESKPULSE_LOG_LEVEL", "INFO").upper()
    configure(log_format, getattr(logging, level, logging.INFO))
    cfg = read_config(config)
    if not cfg.sources:
        msg = f"no sources configured in {cfg.path}"
        raise fail(msg)
    server = None
    if metrics is not None:  # a bad address or a port in use: a Failure, exit 2
        parse_address(metrics)  # a typo fails before the file is opened
        server = MetricsServer(for_config(cfg, unhealthy_after), metrics)
    with writer_lock(cfg, "sync"), server or nullcontext():
        Daemon(cfg, metrics=server.metrics if server else None).run()


@app.command("kpi")
def kpi_command(
    by: Annotated[str | None, typer.Option(
        help="day|week|channel|group|agent|priority|type|tag")] = None,
    since: Annotated[str | None, typer.Option(help="first day, e.g. 2024-01-01")] = None,
    until: Annotated[str | None, typer.Option(help="last day (inclusive)")] = None,
    source: Annotated[str | None, typer.Option(help="only this source")] = None,
    output: Annotated[str, typer.Option("--format", help="table|csv|json")] = "table",
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Support KPIs from the local store: counts, FRT and resolution p50/p90, FCR, CSAT, SLAs."""
    if by is not None and by not in BY_CHOICES:
        msg = f"--by must be one of {', '.join(BY_CHOICES)}"
        raise fail(msg)
    if output not in ("table", "csv", "json"):
        msg = "--format must be table, csv or json"
        raise fail(msg)
    first, last = day_range(since, until)
    options = kpi_options(config, database)
    store = read_store(config, database)
    try:
        known_source(store, source)
        cfg = None if config is None and database is not None else read_config(config)
        stale, notes = unapplied_targets(store, cfg), figure_notes(store, cfg, source)
        rows = kpi.by_tag(store, source=source, since=first, until=last) if by == "tag" \
            else kpi.summary(store, source=source, since=first, until=last, by=by,
                             now=datetime.now(UTC), **options)
        if by is None and rows:  # the queue as it stands, whatever the range
            rows[0] |= kpi.unsolved_now(store, source)
        previous, no_previous = None, None
        if by is None and first is not None:  # the same number of days just before
            end = last or datetime.now(UTC).date()
            before = first - timedelta(days=1)
            start = before - (end - first)
            gap = kpi.uncovered_period(store, start, source)
            if gap:
                no_previous = f"{gap}, after the previous period's first day ({start})"
            else:
                previous = (kpi.summary(store, source=source, since=start, until=before,
                                        now=datetime.now(UTC), **options) or [{}])[0]
        names = kpi.display_names(store, by or "", source)
        business = business_rows(store, rows if output != "table" else [],
                                 by if output != "table" else None, first, last)
    finally:
        store.close()
    for line in ([stale] if stale else []) + notes:
        err.print(line, style="yellow", markup=False)
    if output in ("csv", "json"):
        found = merged(with_names(rows, by, names) if names else rows, business)
        sys.stdout.write(render_csv(found) if output == "csv" else render_json(found) + "\n")
    else:
        span = f"{since or 'start'} .. {until or 'now'}"
        if by is None and rows:
            render_headline(rows[0], console, f"KPIs {span}", previous, no_previous)
        else:
            render_table(rows, console, f"KPIs {span}" + (f" by {by}" if by else ""), names)
        render_business(business, console)


app.command("sla")(sla_command)


@app.command()
def report(
    out: Annotated[Path, typer.Option(help="where to write the HTML file")] = Path(
        "deskpulse-report.html"),
    since: Annotated[str | None, typer.Option(
        help="first day (default: the Monday 7 weeks before this week's)")] = None,
    until: Annotated[str | None, typer.Option(help="last day (default: today)")] = None,
    source: Annotated[str | None, typer.Option(help="only this source")] = None,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Write a self-contained HTML KPI report (tiles, charts, agent and group tables)."""
    from deskpulse.htmlreport import write_report

    first, last = day_range(since, until)
    options = kpi_options(config, database)
    store = read_store(config, database)
    try:
        known_source(store, source)
        notes = figure_notes(store, None if config is None and database is not None
                             else read_config(config), source)
        path = write_report(store, out, source=source, since=first, until=last,
                            options=options, notes=notes)
    finally:
        store.close()
    for line in notes:
        err.print(line, style="yellow", markup=False)
    console.print(f"Report written to {path}")


app.command("import")(import_command)  # deskpulse/cli_import.py
app.command("schema")(schema_command)  # deskpulse/cli_schema.py

# status, verify, record and simulate: registered on the app after the commands above
from deskpulse import cli_tools  # noqa: E402, F401


def main() -> None:
    from deskpulse.logs import configure

    level = os.environ.get("DESKPULSE_LOG_LEVEL", "WARNING").upper()
    configure(os.environ.get("DESKPULSE_LOG_FORMAT", "text"),
              getattr(logging, level, logging.WARNING))
    app()

