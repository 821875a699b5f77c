"""`deskpulse status`, `verify`, `record` and `simulate`: watching and checking deskpulse and
trying it against a help desk of your own making, next to the commands in deskpulse/cli.py."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from deskpulse.cli_common import (
    ConfigOption,
    DatabaseOption,
    app,
    console,
    fail,
    open_store,
    read_config,
    read_store,
    simulated_vendor,
    source_config,
    summarize,
)
from deskpulse.config import ConfigError
from deskpulse.status import all_status
from deskpulse.sync import Runner


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Cursors, last runs, lag and dead letters per source. Exit 1 if a source is failing."""
    names = [] if database is not None else list(read_config(config).sources)
    store = read_store(config, database)
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


SET_ASIDE_SHOWN = 20


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
    _print_set_aside(item["kpi_set_aside"])


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
    source: Annotated[str, typer.Argument(help="source name")],
    show: Annotated[int, typer.Option(help="disagreeing tickets to list per metric")] = 5,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Compare deskpulse's KPI facts with the vendor's own figures, ticket by ticket.
    Exit 1 when any compared figure disagrees."""
    from connectors import load
    from deskpulse.verify import verify as run_verify
    from deskpulse.verify_sla import verify_deadlines

    store = read_store(config, database)
    try:
        kind = store.conn.execute("SELECT kind FROM sources WHERE name = ?", (source,))
        row = kind.fetchone()
        if row is None:
            msg = f"no source named '{source}' in the database"
            raise fail(msg)
        checks = run_verify(store, source, load(row[0])) + verify_deadlines(store, source)
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

    simulated = simulated_vendor(vendor)
    if replay is not None:
        from deskpulse.simulator import ReplayAPI

        handler = ReplayAPI(replay).handler
        what = f"Replaying the responses recorded in {replay}"
    else:
        now = datetime.now(UTC).replace(microsecond=0)
        desk = generate(seed=seed, tickets=tickets, start=now - timedelta(days=90), end=now)
        api = simulated.api(desk, token, rate_limit)
        api.prepare()
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

