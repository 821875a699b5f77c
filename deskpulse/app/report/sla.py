"""`deskpulse sla`: the tickets whose SLA is about to breach, or has breached and still
waits, soonest first. Registered in deskpulse/app/cli/main.py, after `kpi`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from deskpulse.app.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    err,
    fail,
    known_source,
    read_config,
    read_store,
)
from deskpulse.app.config.durations import parse_interval
from deskpulse.app.report.export import render_csv, render_json
from deskpulse.app.report.figures import at_risk_window, sla_risks

FORMATS = ("table", "csv", "json")


def sla_command(
    within: Annotated[str | None, typer.Option(
        "--within", help="due within this, e.g. 30m, 4h (default: [kpi] sla_at_risk, 1h)")
    ] = None,
    source: Annotated[str | None, typer.Option(help="only this source")] = None,
    output: Annotated[str, typer.Option("--format", help="table|csv|json")] = "table",
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """SLA instances at risk now (pending, due within the window) and overdue ones
    (pending past their breach moment: already counted as breached)."""
    if output not in FORMATS:
        msg = f"--format must be {', '.join(FORMATS)}"
        raise fail(msg)
    cfg = None if database is not None and config is None else read_config(config)
    try:
        window = parse_interval(within) if within else at_risk_window(cfg)
    except ValueError as exc:
        raise fail(str(exc)) from None
    store = read_store(config, database)
    try:
        known_source(store, source)
        risks = sla_risks(store, cfg, window=window, source=source, now=datetime.now(UTC))
    finally:
        store.close()
    for line in risks.notes:
        err.print(line, style="yellow", markup=False)
    if output == "csv":
        sys.stdout.write(render_csv(risks.rows))
    elif output == "json":
        sys.stdout.write(render_json(risks.rows) + "\n")
    elif risks.metrics:
        _table(console, risks.rows, window)


def _table(console: Console, rows: list[dict], window: timedelta) -> None:
    table = Table(title=f"SLAs overdue or due within {_duration(window)}", title_justify="left",
                  header_style="bold")
    for name in ("state", "due in", "ticket", "metric", "priority", "status", "assignee",
                 "subject"):
        table.add_column(name, justify="right" if name == "due in" else "left")
    for row in rows:
        left = row["seconds_left"]
        due = _duration(timedelta(seconds=abs(left)))
        table.add_row(row["state"], f"-{due}" if left < 0 else due,
                      escape(f"{row['source']}/{row['ticket_id']}"), row["metric"] +
                      (" (business)" if row["business"] else ""), row["priority"] or "–",
                      row["status"], escape(row["assignee_name"] or row["assignee_id"] or "–"),
                      escape(row["subject"] or ""))  # vendor text, never markup
    console.print(table if rows else "No SLA is overdue or due within "
                  f"{_duration(window)}.")


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"
