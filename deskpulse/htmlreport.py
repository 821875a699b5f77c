"""`deskpulse report`: one self-contained HTML page of KPIs, tiles, charts and tables.

Every number comes from `kpi.summary` for the same filters, so the page, the CLI and the
`kpi_*` views agree. A missing input is shown as missing ("no CSAT ratings in period",
"no schedule configured"), never as a zero line. Inline CSS and SVG only: it opens offline.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

import kpi
from deskpulse.business import BUSINESS, show
from deskpulse.charts import bar_chart, empty_chart, line_chart
from deskpulse.private import write_private
from deskpulse.report import change_size, format_value
from store import Store

TILES = (  # label, summary key, unit, which direction is good
    ("Tickets created", "created", "", None),
    ("Tickets solved", "solved", "", "up"),
    ("Backlog at end", "backlog", "", "down"),
    ("First reply p50", "frt_p50_s", "h", "down"),
    ("First reply p90", "frt_p90_s", "h", "down"),
    ("Next reply p50", "reply_p50_s", "h", "down"),
    ("Full resolution p50", "full_resolution_p50_s", "h", "down"),
    ("Full resolution p90", "full_resolution_p90_s", "h", "down"),
    ("First contact resolution", "fcr_pct", "%", "up"),
    ("Reopen rate", "reopen_pct", "%", "down"),
    ("CSAT", "csat_pct", "%", "up"),
)
SLA_TILES = (
    ("SLA achievement", "sla_pct", "%", "up"),
    ("Tickets meeting all SLAs", "sla_all_met_pct", "%", "up"),
    ("SLA breaches", "sla_breaches", "", "down"),
)
CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;
color:#111}
h1{margin:0 0 4px}.sub{color:#555;margin-bottom:16px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}
.tile{border:1px solid #ddd;border-radius:8px;padding:10px}.tile .v{font-size:22px;font-weight:600}
.tile .d{font-size:12px;color:#555}.good{color:#15803d}.bad{color:#b91c1c}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:16px;
margin:18px 0}
svg.chart{width:100%;height:auto;border:1px solid #eee;border-radius:8px;background:#fff}
.chart-title{font-weight:600;font-size:13px}.tick{font-size:10px;fill:#444}
.grid{stroke:#eee}.missing{fill:#888;font-size:13px}
table{border-collapse:collapse;margin:8px 0 20px}
td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.note{color:#666;font-size:12px}
"""


def _hours(value: float) -> str:
    return f"{value / 3600:.1f} h"


def _change(now: Any, before: Any, good: str | None, unit: str) -> str:
    if now is None or before is None:
        return '<span class="d">no earlier figure</span>'
    delta = now - before
    if delta == 0:
        return '<span class="d">unchanged</span>'
    tone = "" if good is None else ("good" if (delta > 0) == (good == "up") else "bad")
    arrow = "▲" if delta > 0 else "▼"
    return f'<span class="d {tone}">{arrow} {change_size(delta, unit)} vs previous</span>'


def _tiles(current: dict[str, Any], previous: dict[str, Any]) -> str:
    tiles = [
        f'<div class="tile" data-kpi="{key}"><div>{escape(label)}</div>'
        f'<div class="v">{format_value(current.get(key), unit)}</div>'
        f"{_change(current.get(key), previous.get(key), good, unit)}</div>"
        for label, key, unit, good in TILES]
    if current.get("csat_n") == 0:
        tiles[-1] = ('<div class="tile" data-kpi="csat_pct"><div>CSAT</div>'
                     '<div class="v">–</div><span class="d">no CSAT ratings in period</span></div>')
    return '<div class="tiles">' + "".join(tiles + _sla_tiles(current, previous)) + "</div>"


def _sla_tiles(current: dict[str, Any], previous: dict[str, Any]) -> list[str]:
    """SLA tiles: achievement, tickets meeting all SLAs, breaches, at risk now; with no
    targets one tile that says so, never 0%."""
    if current.get("sla_n") is None:
        note = current.get("sla_note") or "no SLA targets configured"
        return ['<div class="tile" data-kpi="sla_pct"><div>SLA achievement</div>'
                f'<div class="v">–</div><span class="d">missing input: {escape(note)}'
                "</span></div>"]
    tiles = [
        f'<div class="tile" data-kpi="{key}"><div>{escape(label)}</div>'
        f'<div class="v">{format_value(current.get(key), unit)}</div>'
        f"{_change(current.get(key), previous.get(key), good, unit)}</div>"
        for label, key, unit, good in SLA_TILES]
    tiles.append(f'<div class="tile" data-kpi="sla_at_risk"><div>SLAs at risk now</div>'
                 f'<div class="v">{format_value(current.get("sla_at_risk"), "")}</div>'
                 f'<span class="d">{format_value(current.get("sla_overdue"), "")} overdue'
                 "</span></div>")
    if current.get("sla_note"):
        tiles.append(f'<div class="tile"><div>SLA</div><span class="d">'
                     f'{escape(current["sla_note"])}</span></div>')
    return tiles


def _business(figures: dict[str, Any]) -> str:
    """Tiles of the KPIs that need imported inputs; a missing one says so in its tile."""
    tiles = []
    for label, key, unit in BUSINESS:
        value = figures.get(key)
        missing = isinstance(value, str)
        shown = "–" if missing else show(value, unit, figures.get("currency"))
        note = f'<span class="d">{escape(value)}</span>' if missing else ""
        tiles.append(f'<div class="tile" data-kpi="{key}"><div>{escape(label)}</div>'
                     f'<div class="v">{escape(shown)}</div>{note}</div>')
    return ("<h2>Business KPIs</h2><p class=note>From imported inputs (<code>deskpulse "
            "import</code>), all sources.</p>" + '<div class="tiles">' + "".join(tiles)
            + "</div>")


def _charts(weekly: list[dict], ages: list[dict], channels: list[dict],
            priorities: list[dict]) -> str:
    weeks = [row["period"] for row in weekly]
    bands = [name for name in ages[0] if name != "day"] if ages else []
    charts = [
        line_chart("created-solved", "Created vs solved per week", weeks,
                   {"created": [r["created"] for r in weekly],
                    "solved": [r["solved"] for r in weekly]}),
        line_chart("backlog", "Backlog at the end of each day, by age",
                   [r["day"] for r in ages],
                   {"all": [sum(r[b] for b in bands) for r in ages],
                    **{band: [r[band] for r in ages] for band in bands}}),
        line_chart("frt", "First reply time per week (calendar)", weeks,
                   {"p50": [r["frt_p50_s"] for r in weekly],
                    "p90": [r["frt_p90_s"] for r in weekly]}, _hours),
        line_chart("resolution", "Full resolution time per week (calendar)", weeks,
                   {"p50": [r["full_resolution_p50_s"] for r in weekly],
                    "p90": [r["full_resolution_p90_s"] for r in weekly]}, _hours),
        _business_chart(weekly, weeks),
        _sla_chart(weekly, weeks),
        bar_chart("channels", "Tickets created by channel",
                  [(r["channel"] or "(none)", r["created"]) for r in channels]),
        bar_chart("priorities", "Tickets created by priority",
                  [(r["priority"] or "(none)", r["created"]) for r in priorities]),
    ]
    if any(r["csat_n"] for r in weekly):
        charts.append(line_chart("csat", "CSAT per week", weeks,
                                 {"CSAT %": [r["csat_pct"] for r in weekly]},
                                 lambda v: f"{v:.0f}%"))
    else:
        charts.append(empty_chart("csat", "CSAT per week", "no CSAT ratings in period"))
    return '<div class="charts">' + "".join(charts) + "</div>"


def _sla_chart(weekly: list[dict], weeks: list[str]) -> str:
    metrics = [m for m in kpi.SLA_METRICS if weekly and weekly[0].get(f"sla_{m}_n") is not None]
    if not metrics:
        note = (weekly[0].get("sla_note") if weekly else None) or "no SLA targets configured"
        return empty_chart("sla", "SLA achievement per metric", f"missing input: {note}")
    return line_chart("sla", "SLA achievement per metric per week", weeks,
                      {m.replace("_", " "): [r[f"sla_{m}_pct"] for r in weekly]
                       for m in metrics}, lambda v: f"{v:.0f}%")


def _business_chart(weekly: list[dict], weeks: list[str]) -> str:
    if not any(r["frt_bus_n"] or r["full_resolution_bus_n"] for r in weekly):
        return empty_chart("business-hours", "Business-hours FRT and resolution",
                           "no schedule configured")
    return line_chart("business-hours", "FRT and full resolution per week (business hours)",
                      weeks, {"FRT p50": [r["frt_bus_p50_s"] for r in weekly],
                              "FRT p90": [r["frt_bus_p90_s"] for r in weekly],
                              "resolution p50": [r["full_resolution_bus_p50_s"] for r in weekly],
                              "resolution p90": [r["full_resolution_bus_p90_s"]
                                                 for r in weekly]}, _hours)


def _table(title: str, rows: list[dict], key: str, names: dict[str, str],
           activity: dict[str, dict[str, int]] | None = None) -> str:
    """Solved, FRT and CSAT by the ticket's assignee/group; for agents also what they did
    themselves in the period (handled tickets, replies), from their own events."""
    extra = "<th>handled</th><th>replies</th>" if activity is not None else ""
    head = (f"<tr><th>{escape(title)}</th><th>created</th><th>solved</th>{extra}"
            "<th>FRT p50</th><th>CSAT</th></tr>")
    body = []
    for row in sorted(rows, key=lambda r: -r["solved"]):
        own = (activity or {}).get(row[key] or "", {})
        cells = (f"<td>{own.get('handled', 0):,}</td><td>{own.get('replies', 0):,}</td>"
                 if activity is not None else "")
        body.append(
            f"<tr><td>{escape(names.get(row[key] or '', row[key] or '(unassigned)'))}</td>"
            f"<td>{row['created']:,}</td><td>{row['solved']:,}</td>{cells}"
            f"<td>{format_value(row['frt_p50_s'], 'h')}</td>"
            f"<td>{format_value(row['csat_pct'], '%')}</td></tr>")
    return f'<table data-table="{escape(key)}">{head}{"".join(body)}</table>'


def write_report(store: Store, out: Path, *, source: str | None = None,
                 since: date | None = None, until: date | None = None,
                 today: date | None = None, options: dict[str, Any] | None = None,
                 now: datetime | None = None) -> Path:
    """Write the report for [since, until] (default: the 8 weeks up to today) to `out`;
    `options` are the config's [kpi] choices for `kpi.summary`; `now` (default: the
    clock) decides which pending SLAs have breached and which are at risk."""
    now = now or datetime.now(UTC)
    until = until or today or now.date()
    since = since or until - timedelta(days=55)
    before_until = since - timedelta(days=1)
    before_since = before_until - (until - since)

    def summary(**kwargs: Any) -> list[dict[str, Any]]:
        return kpi.summary(store, source=source, now=now, **kwargs, **(options or {}))

    current = (summary(since=since, until=until) or [{}])[0]
    previous = (summary(since=before_since, until=before_until) or [{}])[0]
    people = dict(store.conn.execute("SELECT id, name FROM people"))
    groups = dict(store.conn.execute("SELECT id, name FROM groups"))
    span = {"since": since, "until": until}
    page = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>deskpulse KPIs {since} – {until}</title><style>{CSS}</style></head><body>"
        f"<h1>Support KPIs</h1><div class=sub>{since} – {until}"
        f"{' · source ' + escape(source) if source else ''} · compared with {before_since} – "
        f"{before_until}</div>"
        + (_tiles(current, previous) if current else
           '<p class="missing">no tickets in this period</p>')
        + _charts(summary(by="week", **span),
                  kpi.backlog_by_age(store, source=source, since=since, until=until),
                  summary(by="channel", **span), summary(by="priority", **span))
        + _business(kpi.business_kpis(store, since=since, until=until))
        + "<h2>Agents</h2>" + _table("agent", summary(by="agent", **span), "agent", people,
                                     kpi.agent_activity(store, source=source, **span))
        + "<h2>Groups</h2>" + _table("group", summary(by="group", **span), "group", groups)
        + '<p class="note">Times are calendar hours unless marked business hours; '
          "p50/p90 are exact, from per-ticket facts. Figures match <code>deskpulse kpi</code> "
          "and the kpi_* views for the same period.</p></body></html>")
    return write_private(out, page)
