"""The `deskpulse` command line. Only this module (and the demo it starts) prints."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

import kpi
from deskpulse.business import business_rows, merged, render_business
from deskpulse.cli_import import import_command
from deskpulse.config import Config, ConfigError, KpiConfig, SourceConfig, load_config
from deskpulse.lock import LockedError, WriterLock
from deskpulse.progress import SyncProgress
from deskpulse.report import render_csv, render_headline, render_json, render_table
from deskpulse.status import all_status
from deskpulse.sync import Runner, RunResult
from kpi import Schedule
from store import Store

if TYPE_CHECKING:
    from deskpulse.simulated import SimulatedVendor

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Keep a local SQLite copy of your help desk, with support KPIs.")
# Piped or captured output gets a width that fits the KPI tables instead of Rich's 80.
console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="deskpulse.toml (default: "
                              "$DESKPULSE_CONFIG or ./deskpulse.toml)")]
DatabaseOption = Annotated[
    Path | None, typer.Option("--database", help="read this SQLite file instead of the "
                              "config's (for kpi and status)")]
BY_CHOICES = ("day", "week", "channel", "group", "agent", "priority")


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _simulated(vendor: str) -> SimulatedVendor:
    from deskpulse.simulated import vendor as simulated_vendor

    try:
        return simulated_vendor(vendor)
    except LookupError as exc:
        raise _fail(str(exc)) from None


def _config(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _kpi_options(config: Path | None, database: Path | None) -> dict:
    """The config's [kpi] choices (escalation tags, repeat-contact window); a bare
    --database without a config uses the defaults."""
    if database is not None and config is None:
        return KpiConfig().summary_options()
    return _config(config).kpi.summary_options()


def _open_store(database: Path) -> Store:
    store = Store.open(database)
    kpi.install_views(store)
    return store


def _read_store(config_path: Path | None, database: Path | None) -> Store:
    if database is not None:
        if not database.exists():
            msg = f"{database} does not exist"
            raise _fail(msg)
        return _open_store(database)
    return _open_store(_config(config_path).database)


def _parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"{option} {text!r} is not a date like 2024-01-31"
        raise _fail(msg) from None


def _summarize(result: RunResult) -> None:
    line = (f"{result.source} {result.mode}: {result.status}, {result.records:,} records in "
            f"{result.pages} pages, {result.requests} requests")
    (err if result.error else console).print(line + (f"\n  {result.error}" if result.error else ""))


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="folder for demo.db")] = Path("deskpulse-demo"),
    tickets: Annotated[int, typer.Option(min=10, help="size of the simulated account")] = 2000,
    seed: Annotated[int, typer.Option(help="seed of the simulated account")] = 7,
    vendor: Annotated[str, typer.Option(help="zendesk, freshdesk or intercom")] = "zendesk",
) -> None:
    """Backfill + sync the built-in simulated help desk (offline) and print the KPI report."""
    from deskpulse.demo import run_demo

    _simulated(vendor)
    result = run_demo(out, console, tickets=tickets, seed=seed,
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
    cfg = _config(config)
    start = _day_start(_parse_day(since, "--since"))
    end = _day_start(_parse_day(until, "--until"), next_day=True)
    source_cfg = _source(cfg, source)
    if dry_run:
        store = _open_store(cfg.database)
        try:
            _print_plan(Runner(store, source_cfg).plan(start, end))
        finally:
            store.close()
        return
    with _writer(cfg, f"backfill-{source}"), SyncProgress(
            console, enabled=console.is_terminal) as progress:
        store = _open_store(cfg.database)
        try:
            result = Runner(store, source_cfg, progress=progress,
                            schedule=_schedule(cfg)).backfill(start, end)
        finally:
            store.close()
    _summarize(result)
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
    console.print(f"[bold]{plan['source']}[/bold] ({plan['kind']}) backfill from "
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
    cfg = _config(config)
    names = sources or list(cfg.sources)
    if not names:
        msg = f"no sources configured in {cfg.path}"
        raise _fail(msg)
    failed = False
    with _writer(cfg):
        store = _open_store(cfg.database)
        try:
            for name in names:
                result = Runner(store, _source(cfg, name), schedule=_schedule(cfg)).sync()
                _summarize(result)
                failed |= result.status != "ok"
        finally:
            store.close()
    if failed:
        raise typer.Exit(1)


@app.command()
def daemon(
    config: ConfigOption = None,
    log_format: Annotated[str, typer.Option(help="text|json")] = "text",
) -> None:
    """Sync every source at its interval until SIGTERM/SIGINT (which finish the page in hand)."""
    from deskpulse.daemon import Daemon
    from deskpulse.logs import configure

    if log_format not in ("text", "json"):
        msg = "--log-format must be text or json"
        raise _fail(msg)
    level = os.environ.get("DESKPULSE_LOG_LEVEL", "INFO").upper()
    configure(log_format, getattr(logging, level, logging.INFO))
    cfg = _config(config)
    if not cfg.sources:
        msg = f"no sources configured in {cfg.path}"
        raise _fail(msg)
    with _writer(cfg, "sync"):
        Daemon(cfg).run()


@app.command("kpi")
def kpi_command(
    by: Annotated[str | None, typer.Option(help="day|week|channel|group|agent|priority")] = None,
    since: Annotated[str | None, typer.Option(help="first day, e.g. 2024-01-01")] = None,
    until: Annotated[str | None, typer.Option(help="last day (inclusive)")] = None,
    source: Annotated[str | None, typer.Option(help="only this source")] = None,
    output: Annotated[str, typer.Option("--format", help="table|csv|json")] = "table",
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Support KPIs from the local store: counts, FRT and resolution p50/p90, FCR, CSAT."""
    if by is not None and by not in BY_CHOICES:
        msg = f"--by must be one of {', '.join(BY_CHOICES)}"
        raise _fail(msg)
    if output not in ("table", "csv", "json"):
        msg = "--format must be table, csv or json"
        raise _fail(msg)
    first, last = _parse_day(since, "--since"), _parse_day(until, "--until")
    options = _kpi_options(config, database)
    store = _read_store(config, database)
    try:
        rows = kpi.summary(store, source=source, since=first, until=last, by=by, **options)
        previous = None
        if by is None and first is not None:  # the same number of days just before
            end = last or datetime.now(UTC).date()
            before = first - timedelta(days=1)
            previous = (kpi.summary(store, source=source, since=before - (end - first),
                                    until=before, **options) or [{}])[0]
        business = business_rows(store, rows if output != "table" else [],
                                 by if output != "table" else None, first, last)
    finally:
        store.close()
    if output == "csv":
        sys.stdout.write(render_csv(merged(rows, business)))
    elif output == "json":
        sys.stdout.write(render_json(merged(rows, business)) + "\n")
    else:
        span = f"{since or 'start'} .. {until or 'now'}"
        if by is None and rows:
            render_headline(rows[0], console, f"KPIs {span}", previous)
        else:
            render_table(rows, console, f"KPIs {span}" + (f" by {by}" if by else ""))
        render_business(business, console)


@app.command()
def report(
    out: Annotated[Path, typer.Option(help="where to write the HTML file")] = Path(
        "deskpulse-report.html"),
    since: Annotated[str | None, typer.Option(help="first day (default: 8 weeks ago)")] = None,
    until: Annotated[str | None, typer.Option(help="last day (default: today)")] = None,
    source: Annotated[str | None, typer.Option(help="only this source")] = None,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Write a self-contained HTML KPI report (tiles, charts, agent and group tables)."""
    from deskpulse.htmlreport import write_report

    options = _kpi_options(config, database)
    store = _read_store(config, database)
    try:
        path = write_report(store, out, source=source, since=_parse_day(since, "--since"),
                            until=_parse_day(until, "--until"), options=options)
    finally:
        store.close()
    console.print(f"Report written to {path}")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Cursors, last runs, lag and dead letters per source. Exit 1 if a source is failing."""
    names = [] if database is not None else list(_config(config).sources)
    store = _read_store(config, database)
    try:
        report = all_status(store, names, datetime.now(UTC))
    finally:
        store.close()
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        for item in report:
            _print_status(item)
    if any(item["health"] == "failing" for item in report):
        raise typer.Exit(1)


def _print_status(item: dict) -> None:
    color = {"ok": "green", "failing": "red"}.get(item["health"], "yellow")
    console.print(f"[bold]{item['source']}[/bold] ({item['kind']}): [{color}]{item['health']}"
                  f"[/{color}]  last success {item['last_success'] or 'never'}"
                  + (f" ({item['lag_seconds'] // 60} min ago)" if item["lag_seconds"] else ""))
    if item["newest_ticket_update"]:
        console.print(f"  newest ticket change held: {item['newest_ticket_update']}")
    console.print(f"  {item['tickets']:,} tickets, {item['events']:,} events, "
                  f"{item['dead_letters']} dead letters, {item['kpi_pending']} tickets awaiting "
                  f"KPI refresh, {item['requests_total']:,} requests in recent runs")
    run = item["last_run"]
    if run:
        console.print(f"  last run: {run['mode']} {run['status']} at {run['started_at']}, "
                      f"{run['pages']} pages, {run['records']:,} records, {run['requests']} "
                      "requests" + (f"\n  error: {run['error']}" if run["error"] else ""))
    for stream in item["streams"]:
        console.print(f"  cursor {stream['stream']}: saved {stream['cursor_saved_at']}")


@app.command()
def record(
    source: Annotated[str, typer.Argument(help="source name from the config")],
    out: Annotated[Path, typer.Option(help="folder for the recorded responses")],
    pages: Annotated[int, typer.Option(min=1, help="pages per stream at most")] = 3,
    config: ConfigOption = None,
) -> None:
    """Record a bounded sync of a real account as scrubbed fixtures (no tokens, emails,
    names or message text); replay them with `deskpulse simulate --replay DIR`."""
    import tempfile

    import httpx

    from deskpulse.record import RecordingTransport, Scrubber
    from deskpulse.sync import secret_values

    cfg = _config(config)
    source_cfg = _source(cfg, source)
    try:
        scrubber = Scrubber(secret_values(source_cfg.settings()))
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    transport = RecordingTransport(httpx.HTTPTransport(retries=0), out, scrubber)
    with tempfile.TemporaryDirectory() as scratch:
        store = _open_store(Path(scratch) / "record.db")
        try:
            result = Runner(store, source_cfg, transport=transport, max_pages=pages).sync()
        finally:
            store.close()
    _summarize(result)
    console.print(f"{transport.count} responses recorded in {out}")
    if result.status not in ("ok", "stopped"):
        raise typer.Exit(1)


@app.command()
def verify(
    source: Annotated[str, typer.Argument(help="source name")],
    show: Annotated[int, typer.Option(help="disagreeing tickets to list per metric")] = 5,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Compare deskpulse's KPI facts with the vendor's own figures, ticket by ticket.
    Exit 1 when any compared figure disagrees."""
    from connectors import load
    from deskpulse.verify import verify as run_verify

    store = _read_store(config, database)
    try:
        kind = store.conn.execute("SELECT kind FROM sources WHERE name = ?", (source,))
        row = kind.fetchone()
        if row is None:
            msg = f"no source named '{source}' in the database"
            raise _fail(msg)
        checks = run_verify(store, source, load(row[0]))
    finally:
        store.close()
    failed = False
    for check in checks:
        if check.skipped and not check.compared:
            console.print(f"{check.name}: not compared ({check.skipped})")
            continue
        share = 100 * check.agreed / check.compared if check.compared else 100.0
        console.print(f"{check.name}: {check.agreed:,}/{check.compared:,} agree ({share:.1f}%)")
        for ticket, ours, theirs, reason in check.disagreements[:show]:
            console.print(f"  ticket {ticket}: deskpulse {ours}, vendor {theirs} — {reason}")
        failed |= bool(check.disagreements)
    if failed:
        raise typer.Exit(1)


@app.command()
def simulate(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8080,
    tickets: Annotated[int, typer.Option(min=1)] = 2000,
    seed: Annotated[int, typer.Option()] = 7,
    vendor: Annotated[str, typer.Option(help="zendesk, freshdesk or intercom")] = "zendesk",
    token: Annotated[str, typer.Option(help="token (Freshdesk: API key) clients must send")
                     ] = "simulated-token",
    rate_limit: Annotated[int | None, typer.Option(help="requests per minute, then 429")] = None,
    fault_rate: Annotated[float, typer.Option(min=0.0, max=1.0, help="share of requests "
                                              "answered with a 429, 5xx, reset, timeout, "
                                              "truncated or HTML body")] = 0.0,
    replay: Annotated[Path | None, typer.Option(help="serve responses recorded by "
                                                "`deskpulse record` instead")] = None,
) -> None:
    """Serve the simulated help desk on 127.0.0.1 for your own tests and benchmarks."""
    from deskpulse.simulator import Faults, generate, make_server, with_faults

    simulated = _simulated(vendor)
    if replay is not None:
        from deskpulse.simulator import ReplayAPI

        handler = ReplayAPI(replay).handler
        what = f"Replaying the responses recorded in {replay}"
    else:
        now = datetime.now(UTC).replace(microsecond=0)
        desk = generate(seed=seed, tickets=tickets, start=now - timedelta(days=90), end=now)
        api = simulated.api(desk, token, rate_limit)
        handler = with_faults(api.handler, Faults(rate=fault_rate, seed=seed)) \
            if fault_rate else api.handler
        what = f"Simulated {vendor.title()} with {tickets:,} tickets"
    server = make_server(handler, host="127.0.0.1", port=port)
    host, bound = server.server_address[:2]
    options = simulated.options(f"http://{host}:{bound}", "<the --token value>")
    settings = "  ".join(f"{key} = {value!r}" for key, value in options.items()
                         if value is not None)
    console.print(f"{what} on http://{host}:{bound}\n  kind = {vendor!r}  {settings}\n"
                  "Ctrl-C stops it.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _schedule(cfg: Config) -> Schedule | None:
    try:
        return cfg.business_schedule()
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _source(cfg: Config, name: str) -> SourceConfig:
    try:
        return cfg.source(name)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


@contextmanager
def _writer(cfg: Config, job: str = "sync") -> Iterator[None]:
    """Hold the lock of `job` on the database, or exit naming the holder's pid."""
    lock = WriterLock(cfg.database, job)
    try:
        lock.__enter__()
    except LockedError as exc:
        raise _fail(str(exc)) from None
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


app.command("import")(import_command)  # deskpulse/cli_import.py


def main() -> None:
    from deskpulse.logs import configure

    level = os.environ.get("DESKPULSE_LOG_LEVEL", "WARNING").upper()
    configure(os.environ.get("DESKPULSE_LOG_FORMAT", "text"),
              getattr(logging, level, logging.WARNING))
    app()
