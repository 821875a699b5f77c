"""`deskpulse status`, `verify`, `record` and `simulate`: watching and checking deskpulse and
trying it against a help desk of your own making, next to the commands in
deskpulse/app/cli/main.py."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from deskpulse.app.cli.common import (
    ConfigOption,
    DatabaseOption,
    app,
    console,
    fail,
    open_store,
    parse_moment,
    read_config,
    read_store,
    simulated_vendor,
    source_config,
    source_names,
    summarize,
)
from deskpulse.app.config.file import ConfigError
from deskpulse.app.report.unmapped import add_unmapped, print_unmapped, schedule_problems
from deskpulse.app.sync.failed_runs import merge_into_status
from deskpulse.app.sync.runner import Runner
from deskpulse.app.sync.status import all_status


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Cursors, last runs, lag and dead letters per source. Exit 1 if a source is failing."""
    cfg = None if database is not None else read_config(config)
    names = {} if cfg is None else {name: source.kind for name, source in cfg.sources.items()}
    store = read_store(config, database)
    try:
        report = all_status(store, names, datetime.now(UTC))
        merge_into_status(report, store.path)  # runs the locked file could not log
        add_unmapped(store, report, configured=bool(cfg and cfg.schedule))
    finally:
        store.close()
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        for item in report:
            _print_status(item)
    if any(item["health"] == "failing" for item in report):
        raise typer.Exit(1)


SET_ASIDE_SHOWN = 20


def _print_status(item: dict) -> None:
    color = {"ok": "green", "failing": "red"}.get(item["health"], "yellow")
    kind = f" ({item['kind']})" if item["kind"] else ""
    console.print(f"[bold]{escape(item['source'])}[/bold]{kind}: [{color}]{item['health']}"
                  f"[/{color}]  last success {item['last_success'] or 'never'}"
                  + (f" ({item['lag_seconds'] // 60} min ago)" if item["lag_seconds"] else ""))
    if item["newest_ticket_update"]:
        console.print(f"  newest ticket change held: {item['newest_ticket_update']}")
    console.print(f"  {item['tickets']:,} tickets, {item['events']:,} events, "
                  f"{item['dead_letters']:,} dead letters, {item['kpi_pending']:,} tickets "
                  f"awaiting KPI refresh, {item['requests_total']:,} requests in recent runs")
    if item["dead_letters"]:
        console.print(f"  retry the dead letters with `deskpulse retry {item['source']}`")
    if item.get("ratings_without_time"):
        console.print(f"  [yellow]{item['ratings_without_time']:,} ratings wait for their "
                      "time[/yellow] (the ticket export gave them, no SatisfactionRating event "
                      "yet; the next sync of ticket events completes them, else see "
                      "docs/kpis.md \"CSAT\")", highlight=False)
    for run in item["running"]:
        console.print(f"  running now: {run['mode']} since {run['started_at']} (pid "
                      f"{run['pid']} on {run['host']}), {run['records']:,} records so far")
    run = item["last_run"]
    if run and run["status"] != "running":
        console.print(f"  last run: {run['mode']} {run['status']} at {run['started_at']}, "
                      f"{run['pages']:,} pages, {run['records']:,} records, "
                      f"{run['requests']:,} requests"
                      + (f"\n  error: {escape(run['error'])}" if run["error"] else "")
                      + (f"\n  fix: {escape(run['fix'])}" if run.get("fix") else "")
                      + (f"\n  {escape(run['resume'])}" if run.get("resume") else ""))
    for stream in item["streams"]:
        console.print(f"  cursor {stream['stream']}: saved {stream['cursor_saved_at']}")
    _print_leases(item.get("leases", []))
    print_unmapped(item, console)
    _print_set_aside(item["kpi_set_aside"])


def _print_leases(leases: list[dict]) -> None:
    """Which daemon or command holds the source, until when; when the daemons sync it next."""
    for lease in leases:
        if lease["holder"]:
            gone = " (expired: the next daemon to look takes it over)" if lease["expired"] \
                else ""
            console.print(f"  {lease['job']} held by {lease['holder']} until "
                          f"{lease['expires_at']}{gone}", markup=False, highlight=False)
        if lease["job"] == "sync":
            console.print(f"  next due {lease['next_due_at']}", markup=False, highlight=False)


def _print_set_aside(tickets: list[dict]) -> None:
    """Tickets left out of the KPIs (kpi.set_aside), with why; retried at every refresh."""
    if not tickets:
        return
    console.print(f"  [yellow]{len(tickets)} tickets set aside from the KPIs[/yellow] (their "
                  "facts could not be computed; retried at every refresh):", highlight=False)
    for ticket in tickets[:SET_ASIDE_SHOWN]:
        console.print(f"    {ticket['ticket_id']}: {ticket['error']} "
                      f"(tried {ticket['attempts']} times)", markup=False, highlight=False)
    if len(tickets) > SET_ASIDE_SHOWN:
        console.print(f"    … and {len(tickets) - SET_ASIDE_SHOWN} more (deskpulse status "
                      "--json lists them all)")


@app.command()
def record(
    source: Annotated[str, typer.Argument(
        help="source name from the config", autocompletion=source_names)],
    out: Annotated[Path, typer.Option(help="folder for the recorded responses")],
    pages: Annotated[int, typer.Option(min=1, help="pages per stream at most")] = 3,
    config: ConfigOption = None,
) -> None:
    """Record a bounded sync of a real account as scrubbed fixtures (no tokens, emails,
    names or message text); replay them with `deskpulse simulate --replay DIR`."""
    import tempfile

    import httpx

    from deskpulse.app.config.secrets import secret_values
    from deskpulse.app.demo.record import RecordingTransport, Scrubber

    cfg = read_config(config)
    source_cfg = source_config(cfg, source)
    try:
        scrubber = Scrubber(secret_values(source_cfg.settings()))
    except ConfigError as exc:
        raise fail(str(exc)) from None
    transport = RecordingTransport(httpx.HTTPTransport(retries=0), out, scrubber)
    with tempfile.TemporaryDirectory() as scratch:
        store = open_store(Path(scratch) / "record.db")
        try:
            result = Runner(store, source_cfg, transport=transport, max_pages=pages).sync()
        finally:
            store.close()
    summarize(result)
    console.print(f"{transport.count} responses recorded in {out}")
    if result.status not in ("ok", "stopped"):
        raise typer.Exit(1)


@app.command()
def verify(
    source: Annotated[str, typer.Argument(
        help="source name", autocompletion=source_names)],
    show: Annotated[int, typer.Option(help="disagreeing tickets to list per metric")] = 5,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Compare deskpulse's KPI facts with the vendor's own figures, ticket by ticket.
    Exit 1 when any compared figure disagrees, or when nothing at all could be compared."""
    from deskpulse.app.verify.facts import summary
    from deskpulse.app.verify.facts import verify as run_verify
    from deskpulse.app.verify.sla import verify_deadlines
    from deskpulse.connectors import load

    store = read_store(config, database)
    try:
        kind = store.conn.execute("SELECT kind FROM sources WHERE name = ?", (source,))
        row = kind.fetchone()
        if row is None:
            msg = f"no source named '{source}' in the database"
            raise fail(msg)
        cfg = None if config is None and database is not None else read_config(config)
        problems = [line for name, line in schedule_problems(store, bool(cfg and cfg.schedule))
                    if name == source]
        checks = run_verify(store, source, load(row[0]), *problems[:1]) + \
            verify_deadlines(store, source)
    finally:
        store.close()
    for line in problems:
        console.print(f"[red]error:[/red] {escape(line)}")
    for check in checks:
        console.print(summary(check), markup=False)
        for ticket, ours, theirs, reason in check.disagreements[:show]:
            console.print(escape(f"  ticket {ticket}: deskpulse {ours}, vendor {theirs} — "
                                 f"{reason}"))
    if not any(check.compared for check in checks):
        console.print(f"Nothing was compared for '{source}' (the reasons are above); a sync "
                      "stores the vendor's figures with the tickets.")
        raise typer.Exit(1)
    if any(check.disagreements for check in checks):
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
    now: Annotated[str | None, typer.Option(help="the simulated desk's present, e.g. "
                                            "2026-03-11T00:01:00Z (default: the clock)")
                   ] = None,
    forbid: Annotated[list[str] | None, typer.Option(help="answer this API path with 403, "
                                                     "as for a feature the plan lacks")] = None,
    latency: Annotated[float, typer.Option(min=0.0, help="seconds every answer is late, "
                                           "like a slow vendor")] = 0.0,
) -> None:
    """Serve the simulated help desk on 127.0.0.1 for your own tests and benchmarks."""
    from deskpulse.simulator import (
        Faults,
        delayed,
        forbidding,
        generate,
        make_server,
        with_faults,
    )

    simulated = simulated_vendor(vendor)
    if replay is not None:
        from deskpulse.simulator import ReplayAPI

        handler = ReplayAPI(replay).handler
        what = f"Replaying the responses recorded in {replay}"
    else:
        present = parse_moment(now, "--now") or datetime.now(UTC).replace(microsecond=0)
        desk = generate(seed=seed, tickets=tickets, start=present - timedelta(days=90),
                        end=present)
        api = simulated.api(desk, token, rate_limit)
        api.prepare()
        handler = with_faults(api.handler, Faults(rate=fault_rate, seed=seed)) \
            if fault_rate else api.handler
        what = f"Simulated {vendor.title()} with {tickets:,} tickets"
    if forbid:
        handler = forbidding(handler, forbid)
    if latency:
        handler = delayed(handler, latency)
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

