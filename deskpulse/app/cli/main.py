"""The `deskpulse` command line: the demo, syncing and KPIs here; backfill, import and schema
in their own modules (registered here, in this order); check and retry in setup.py; status,
verify, record and simulate in tools.py. Only the CLI modules (and the demo they start) print."""

from __future__ import annotations

import logging
import os
import sys
import threading
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from deskpulse.app.cli.backfill import backfill_command
from deskpulse.app.cli.common import (
    ConfigOption,
    DatabaseOption,
    app,
    console,
    day_range,
    err,
    fail,
    known_source,
    kpi_options,
    parse_moment,
    read_config,
    read_store,
    simulated_vendor,
    source_names,
    summarize,
)
from deskpulse.app.cli.imports import import_command
from deskpulse.app.cli.migrate import migrate_command
from deskpulse.app.cli.schema import schema_command
from deskpulse.app.config.file import ConfigError
from deskpulse.app.report.business import render_business
from deskpulse.app.report.export import render_csv, render_json
from deskpulse.app.report.figures import BY_CHOICES, kpi_figures
from deskpulse.app.report.sla import sla_command
from deskpulse.app.report.tables import render_headline, render_table
from deskpulse.app.report.unmapped import figure_notes
from deskpulse.app.sync.jobs import sync_sources
from deskpulse.app.sync.lock import LockedError
from deskpulse.app.sync.result import RunResult
from deskpulse.app.sync.runs import resume_hint, stop_on_signals


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
    from deskpulse.app.demo.run import run_demo

    simulated_vendor(vendor)
    result = run_demo(out, console, tickets=tickets, seed=seed, now=parse_moment(now, "--now"),
                      show_progress=console.is_terminal, vendor=vendor)
    if result.backfill.status != "ok" or result.sync.status != "ok":
        raise typer.Exit(1)


app.command("backfill")(backfill_command)  # deskpulse/app/cli/backfill.py


@app.command()
def sync(
    sources: Annotated[list[str] | None, typer.Argument(
        help="source names (default: all)", autocompletion=source_names)] = None,
    config: ConfigOption = None,
) -> None:
    """One incremental pass over each source."""
    cfg = read_config(config)
    names = sources or list(cfg.sources)
    if not names:
        msg = f"no sources configured in {cfg.path}"
        raise fail(msg)
    stop, done = threading.Event(), []

    def finished(result: RunResult) -> None:
        done.append(result.source)
        summarize(result)
        if result.status == "stopped":
            err.print(f"  {resume_hint(result.source, {})}")

    try:
        with stop_on_signals(stop, lambda text: err.print(text, style="yellow")):
            results = sync_sources(cfg, names, on_result=finished, stop=stop)
    except KeyboardInterrupt:
        current = next((name for name in names if name not in done), names[-1])
        err.print(f"{current} sync: interrupted; {resume_hint(current, {})}")
        raise typer.Exit(1) from None
    except (ConfigError, LockedError) as exc:
        raise fail(str(exc)) from None
    if any(result.status != "ok" for result in results):
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
    """Sync every source at its interval until SIGTERM/SIGINT (which finish the page in hand);
    several daemons on one database share the sources."""
    from deskpulse.app.sync.daemon import Daemon
    from deskpulse.app.sync.logs import configure
    from deskpulse.app.sync.metrics import for_config
    from deskpulse.app.sync.metrics_http import MetricsServer, parse_address

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
    # No writer lock: any number of daemons share the file's sources through leases.
    with server or nullcontext():
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
        figures = kpi_figures(store, cfg, by=by, since=first, until=last, source=source,
                              now=datetime.now(UTC), options=options,
                              business_per_row=output != "table")
    finally:
        store.close()
    for line in figures.notes:
        err.print(line, style="yellow", markup=False)
    rows, previous, business = figures.rows, figures.previous, figures.business
    if output in ("csv", "json"):
        found = figures.merged()
        sys.stdout.write(render_csv(found) if output == "csv" else render_json(found) + "\n")
    else:
        span = f"{since or 'start'} .. {until or 'now'}"
        if by is None and rows:
            render_headline(rows[0], console, f"KPIs {span}", previous, figures.no_previous)
        else:
            render_table(rows, console, f"KPIs {span}" + (f" by {by}" if by else ""), figures.names)
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
    from deskpulse.app.report.html import write_report

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


app.command("import")(import_command)  # deskpulse/app/cli/imports.py
app.command("schema")(schema_command)  # deskpulse/app/cli/schema.py
app.command("migrate")(migrate_command)  # deskpulse/app/cli/migrate.py

# check, retry, status, verify, record and simulate: registered on the app after the commands above
from deskpulse.app.cli import setup as cli_setup  # noqa: E402, F401
from deskpulse.app.cli import tools as cli_tools  # noqa: E402, F401


def main() -> None:
    from deskpulse.app.sync.logs import configure, without_run_summaries

    level = os.environ.get("DESKPULSE_LOG_LEVEL", "WARNING").upper()
    configure(os.environ.get("DESKPULSE_LOG_FORMAT", "text"),
              getattr(logging, level, logging.WARNING))
    without_run_summaries()
    app()

