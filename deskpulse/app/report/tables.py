"""KPI output for people (a table) and for scripts (CSV, JSON). Only formatting lives here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    unit: str = ""  # "h" (seconds shown as hours), "%" (ratio shown as percent), "" (as is)


KPI_COLUMNS: tuple[Column, ...] = (  # titles wrap at "\n", so the table fits 100 columns
    Column("created", "created"),
    Column("solved", "solved"),
    Column("backlog", "backlog"),
    Column("frt_p50_s", "FRT\np50 h", "h"),
    Column("frt_p90_s", "FRT\np90 h", "h"),
    Column("full_resolution_p50_s", "resol\np50 h", "h"),
    Column("full_resolution_p90_s", "resol\np90 h", "h"),
    Column("one_touch_pct", "1-touch", "%"),
    Column("fcr_pct", "FCR", "%"),
    Column("reopen_pct", "reopen", "%"),
    Column("csat_pct", "CSAT", "%"),
    Column("sla_pct", "SLA\nmet", "%"),
    Column("sla_breaches", "SLA\nbreach"),
)
HEADLINE: tuple[tuple[str, str, str], ...] = (
    ("Tickets created", "created", ""),
    ("Tickets solved (first solve)", "solved", ""),
    ("Backlog at the end", "backlog", ""),
    ("Unsolved now (last sync)", "unsolved_now", ""),
    ("… of them unassigned", "unassigned_unsolved_now", ""),
    ("First reply time", "frt", "h"),
    ("Next reply time", "reply", "h"),
    ("Time to first assignment", "first_assignment", "h"),
    ("First resolution time", "first_resolution", "h"),
    ("Full resolution time", "full_resolution", "h"),
    ("Requester wait (mean)", "requester_wait_mean_s", "h"),
    ("Agent work time", "agent_work", "h"),
    ("Social media first reply", "social_frt", "h"),
    ("Handle time (logged)", "handle_time", "h"),
    ("Replies per solved ticket", "replies_per_solved", ""),
    ("One-touch", "one_touch_pct", "%"),
    ("First contact resolution", "fcr_pct", "%"),
    ("Repeat contact rate", "repeat_contact_pct", "%"),
    ("Escalation rate (of created)", "escalation_pct", "%"),
    ("Reopen rate", "reopen_pct", "%"),
    ("CSAT", "csat_pct", "%"),
    ("Survey response rate", "survey_response_pct", "%"),
    ("Bot-only resolutions", "bot_only_pct", "%"),
)
NAME_WIDTH = 24
SLA_METRICS = (("first reply", "first_reply"), ("next reply", "next_reply"),
               ("requester wait", "requester_wait"), ("agent work", "agent_work"),
               ("periodic update", "periodic_update"), ("pausable update", "pausable_update"))


def format_value(value: Any, unit: str) -> str:
    """One figure for people: hours from seconds, a percentage, a count; '–' for no data."""
    if value is None:
        return "–"
    if unit == "h":
        return f"{value / 3600:.1f} h"
    if unit == "%":
        return f"{value:.0f}%"
    if isinstance(value, float):
        return f"{value:.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def hours(value: Any) -> str:
    """Seconds as hours without the unit, for table columns whose title carries it."""
    return "–" if value is None else f"{value / 3600:.1f}"


def key_column(rows: Sequence[dict[str, Any]]) -> str | None:
    """The grouping key of summary rows (period or dimension value), if any."""
    known = {column.key for column in KPI_COLUMNS}
    for key in rows[0] if rows else ():
        if key not in known and not key.endswith(("_s", "_n", "_pct", "_mean")):
            return key
    return None


def with_names(rows: Sequence[dict[str, Any]], key: str, names: dict[str, str],
               name_key: str | None = None) -> list[dict[str, Any]]:
    """Rows holding an id (`agent`, `group`, `assignee_id`) with its name next to it as
    `name_key` (default `<key>_name`; None when the file holds no name), for JSON and CSV."""
    named = []
    for row in rows:
        out: dict[str, Any] = {}
        for field, value in row.items():
            out[field] = value
            if field == key:
                out[name_key or f"{key}_name"] = names.get(value) if value else None
        named.append(out)
    return named


def label(value: Any, names: dict[str, str] | None = None) -> str:
    """A grouping value for people: the name of an agent or group id when it is known."""
    if not value:
        return "(none)"
    return (names or {}).get(value) or str(value)


def render_table(rows: Sequence[dict[str, Any]], console: Console, title: str,
                 names: dict[str, str] | None = None) -> None:
    """One line per period or dimension value. The key column never wraps or is cut (a
    period is a whole date); headers wrap instead, so the table fits 100 columns."""
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD,
                  show_edge=False, padding=(0, 0 if console.width < 120 else 1))
    group = key_column(rows)
    columns = [c for c in KPI_COLUMNS if any(c.key in row for row in rows)]
    keys = [label(row.get(group), names) for row in rows] if group else []
    if group:  # whole dates and short names on one line; a long name folds at 24
        longest = max(map(len, [group, *keys]))
        table.add_column(group, no_wrap=longest <= NAME_WIDTH, overflow="fold",
                         min_width=min(longest, NAME_WIDTH))
    for column in columns:
        table.add_column(column.title, justify="right", no_wrap=False)
    for index, row in enumerate(rows):
        cells = [hours(row.get(column.key)) if column.unit == "h" else
                 format_value(row.get(column.key), column.unit) for column in columns]
        # a tag, group or agent name is vendor text: shown as written, never as markup
        table.add_row(*([escape(keys[index])] if group else []), *cells)
    console.print(table)
    console.print("[dim]Times in calendar hours, p50/p90 exact from per-ticket facts; "
                  "'–' = no data (not zero).[/dim]")


def render_headline(row: dict[str, Any], console: Console, title: str,
                    previous: dict[str, Any] | None = None, no_previous: str | None = None
                    ) -> None:
    """One period's KPIs, one per line, with p50 / p90 / mean / n for durations, and the
    change against the previous period of the same length when it is given; `no_previous`
    says why there is no such column (the file does not cover that period)."""
    table = Table(title=title, title_justify="left", header_style="bold")
    for name, justify in (("KPI", "left"), ("value", "right"), ("p90", "right"),
                          ("mean", "right"), ("n", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    if previous is not None:
        table.add_column("vs previous", justify="right")
    for label, key, unit in HEADLINE:
        main = f"{key}_p50_s" if f"{key}_p50_s" in row else key
        if main != key:
            cells = [f"{label} (p50)", *(format_value(row[f"{key}_{part}"], unit)
                                         for part in ("p50_s", "p90_s", "mean_s")),
                     format_value(row[f"{key}_n"], "")]
        else:
            extra = f"n={row['csat_n']}" if key == "csat_pct" else ""
            cells = [label, format_value(row.get(key), unit), "", "", extra]
        if previous is not None:
            cells.append(_change(row.get(main), previous.get(main), unit))
        table.add_row(*cells)
    for cells, key, unit in _sla_lines(row):
        if previous is not None:
            cells.append(_change(row.get(key), previous.get(key), unit) if key else "")
        table.add_row(*cells)
    console.print(table)
    if no_previous:
        console.print(f"[dim]No change vs previous: {escape(no_previous)}.[/dim]")


def _sla_lines(row: dict[str, Any]) -> list[tuple[list[str], str | None, str]]:
    """SLA lines of the headline: achievement per metric that has targets (n = instances
    with an outcome), all SLAs met, breaches, at risk now; or the note saying what is
    missing ("no SLA targets configured") instead of a figure."""
    if "sla_pct" not in row:
        return []
    note = row.get("sla_note")
    if row.get("sla_n") is None:
        return [(["SLA achievement", note or "–", "", "", ""], None, "")]
    lines = [([f"SLA {label} achieved", format_value(row[f"sla_{key}_pct"], "%"), "", "",
               f"n={row[f'sla_{key}_n']}"], f"sla_{key}_pct", "%")
             for label, key in SLA_METRICS if row.get(f"sla_{key}_n") is not None]
    lines += [
        (["SLA achieved (all metrics)", format_value(row["sla_pct"], "%"), "", "",
          f"n={row['sla_n']}"], "sla_pct", "%"),
        (["Tickets meeting all SLAs", format_value(row["sla_all_met_pct"], "%"), "", "",
          f"n={row['sla_tickets_n']}"], "sla_all_met_pct", "%"),
        (["SLA breaches", format_value(row["sla_breaches"], ""), "", "", ""],
         "sla_breaches", ""),
        (["SLAs at risk now / overdue", f"{format_value(row['sla_at_risk'], '')} / "
          f"{format_value(row['sla_overdue'], '')}", "", "", ""], None, "")]
    if note:
        lines.append(([note, "", "", "", ""], None, ""))
    return lines


def change_size(delta: float, unit: str) -> str:
    """How big a change is, for people: percentage points for rates, else as the figure."""
    return f"{abs(delta):.0f} pts" if unit == "%" else format_value(abs(delta), unit)


def _change(now: Any, before: Any, unit: str) -> str:
    if now is None or before is None:
        return "–"
    delta = now - before
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    return f"{sign}{change_size(delta, unit)}"
