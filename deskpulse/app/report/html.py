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

from deskpulse import kpi
from deskpulse.app.private import write_private
from deskpulse.app.report.business import BUSINESS, show
from deskpulse.app.report.charts import bar_chart, empty_chart, line_chart
from deskpulse.app.report.tables import change_size, format_value
from deskpulse.store import Store

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
@media (max-width:600px){body{margin:10px}}
h1{margin:0 0 4px}.sub{color:#555;margin-bottom:16px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.tile{border:1px solid #ddd;border-radius:8px;padding:10px;min-width:0}
.tile .v{font-size:22px;font-weight:600}
.tile .d{font-size:12px;color:#555}.tile .d.good{color:#15803d}.tile .d.bad{color:#b91c1c}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(520px,100%),1fr));
gap:16px;margin:18px 0}
svg.chart{width:100%;height:auto;border:1px solid #eee;border-radius:8px;background:#fff}
.chart-title{font-weight:600;font-size:13px}.tick{font-size:10px;fill:#444}
.partial-label{fill:#777}.grid{stroke:#eee}.missing{fill:#888;font-size:13px}
.wide{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:8px 0 20px}
td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.note{color:#666;font-size:12px}
"""


def _change(now: Any, before: Any, good: str | None, unit: str,
            compared: bool = True) -> str:
    if not compared:
        return ""  # the file does not hold the previous period: the heading says so
    if now is None or before is None:
        return '<span class="d">no earlier figure</span>'
    delta = now - before
    if delta == 0:
        return '<span class="d">unchanged</span>'
    tone = "" if good is None else ("good" if (delta > 0) == (good == "up") else "bad")
    arrow = "▲" if delta > 0 else "▼"
    return f'<span class="d {tone}">{arrow} {change_size(delta, unit)} vs previous</span>'


def _tile_list(rows: tuple[tuple[str, str, str, str | None], ...], current: dict[str, Any],
               previous: dict[str, Any] | None) -> list[str]:
    compared = previous is not None
    return [f'<div class="tile" data-kpi="{key}"><div>{escape(label)}</div>'
            f'<div class="v">{format_value(current.get(key), unit)}</div>'
            f"{_change(current.get(key), (previous or {}).get(key), good, unit, compared)}"
            "</div>" for label, key, unit, good in rows]


def _tiles(current: dict[str, Any], previous: dict[str, Any] | None) -> str:
    tiles = _tile_list(TILES, current, previous)
    if current.get("csat_n") == 0:
        tiles[-1] = ('<div class="tile" data-kpi="csat_pct"><div>CSAT</div>'
                     '<div class="v">–</div><span class="d">no CSAT ratings in period</span></div>')
    return '<div class="tiles">' + "".join(tiles + _sla_tiles(current, previous)) + "</div>"


def _sla_tiles(current: dict[str, Any], previous: dict[str, Any] | None) -> list[str]:
    """SLA tiles: achievement, tickets meeting all SLAs, breaches, at risk now; with no
    targets none (the missing-input note says why), never 0%."""
    if current.get("sla_n") is None:
        return []
    tiles = _tile_list(SLA_TILES, current, previous)
    tiles.append(f'<div class="tile" data-kpi="sla_at_risk"><div>SLAs at risk now</div>'
                 f'<div class="v">{format_value(current.get("sla_at_risk"), "")}</div>'
                 f'<span class="d">{format_value(current.get("sla_overdue"), "")} overdue'
                 "</span></div>")
    if current.get("sla_note"):
        tiles.append(f'<div class="tile"><div>SLA</div><span class="d">'
                     f'{escape(current["sla_note"])}</span></div>')
    return tiles


def _missing_note(current: dict[str, Any], figures: dict[str, Any]) -> str:
    """Every missing input in one short note, each with how many figures it holds back,
    instead of a tile per figure saying the same thing."""
    held: dict[str, int] = {}
    if current and current.get("sla_n") is None:
        held["SLA targets: " + (current.get("sla_note") or "no SLA targets configured")] = 3
    for _label, key, _unit in BUSINESS:
        value = figures.get(key)
        if isinstance(value, str):
            reason = value.removeprefix("missing input: ")
            held[reason] = held.get(reason, 0) + 1
    if not held:
        return ""
    items = "; ".join(f"{escape(reason)} ({count} KPI{'s' if count > 1 else ''})"
                      for reason, count in held.items())
    return (f'<p class="note missing-note">Not shown, missing input: {items}. Business '
            "inputs come from <code>deskpulse import</code> (docs/imports.md).</p>")


def _business(figures: dict[str, Any]) -> str:
    """Tiles of the KPIs whose imported inputs are there (the others: the missing note)."""
    tiles = []
    for label, key, unit in BUSINESS:
        value = figures.get(key)
        if isinstance(value, str):
            continue
        shown = show(value, unit, figures.get("currency"))
        tiles.append(f'<div class="tile" data-kpi="{key}"><div>{escape(label)}</div>'
                     f'<div class="v">{escape(shown)}</div></div>')
    if not tiles:
        return ""
    return ("<h2>Business KPIs</h2><p class=note>From imported inputs (<code>deskpulse "
            "import</code>), all sources.</p>" + '<div class="tiles">' + "".join(tiles)
            + "</div>")


def partial_weeks(weeks: list[str], since: date, until: date) -> dict[int, str]:
    """The weeks (by Monday) that [since, until] covers only in part, with how much: their
    counts are not comparable with full weeks, so the charts mark them."""
    partial = {}
    for index, monday in enumerate(weeks):
        first = date.fromisoformat(monday)
        days = (min(first + timedelta(days=6), until) - max(first, since)).days + 1
        if days < 7:
            partial[index] = f"{days} of 7 days in the range"
    return partial


def _charts(weekly: list[dict], ages: list[dict], channels: list[dict],
            priorities: list[dict], partial: dict[int, str]) -> str:
    weeks = [row["period"] for row in weekly]
    bands = [name for name in ages[0] if name != "day"] if ages else []
    charts = [
        line_chart("created-solved", "Created vs solved per week", weeks,
                   {"created": [r["created"] for r in weekly],
                    "solved": [r["solved"] for r in weekly]}, partial=partial),
        line_chart("backlog", "Backlog at the end of each day, by age",
                   [r["day"] for r in ages],
                   {"all": [sum(r[b] for b in bands) for r in ages],
                    **{band: [r[band] for r in ages] for band in bands}}),
        line_chart("frt", "First reply time per week (calendar)", weeks,
                   {"p50": [r["frt_p50_s"] for r in weekly],
                    "p90": [r["frt_p90_s"] for r in weekly]}, "h", partial),
        line_chart("resolution", "Full resolution time per week (calendar)", weeks,
                   {"p50": [r["full_resolution_p50_s"] for r in weekly],
                    "p90": [r["full_resolution_p90_s"] for r in weekly]}, "h", partial),
        _business_chart(weekly, weeks, partial),
        _sla_chart(weekly, weeks, partial),
        bar_chart("channels", "Tickets created by channel",
                  [(r["channel"] or "(none)", r["created"]) for r in channels]),
        bar_chart("priorities", "Tickets created by priority",
                  [(r["priority"] or "(none)", r["created"]) for r in priorities]),
    ]
    if any(r["csat_n"] for r in weekly):
        charts.append(line_chart("csat", "CSAT per week", weeks,
                                 {"CSAT %": [r["csat_pct"] for r in weekly]}, "%", partial))
    else:
        charts.append(empty_chart("csat", "CSAT per week", "no CSAT ratings in period"))
    return '<div class="charts">' + "".join(charts) + "</div>"


def _sla_chart(weekly: list[dict], weeks: list[str], partial: dict[int, str]) -> str:
    metrics = [m for m in kpi.SLA_METRICS if weekly and weekly[0].get(f"sla_{m}_n") is not None]
    if not metrics:
        note = (weekly[0].get("sla_note") if weekly else None) or "no SLA targets configured"
        return empty_chart("sla", "SLA achievement per metric", f"missing input: {note}")
    return line_chart("sla", "SLA achievement per metric per week", weeks,
                      {m.replace("_", " "): [r[f"sla_{m}_pct"] for r in weekly]
                       for m in metrics}, "%", partial)


def _business_chart(weekly: list[dict], weeks: list[str], partial: dict[int, str]) -> str:
    if not any(r["frt_bus_n"] or r["full_resolution_bus_n"] for r in weekly):
        return empty_chart("business-hours", "Business-hours FRT and resolution",
                           "no schedule configured")
    return line_chart("business-hours", "FRT and full resolution per week (business hours)",
                      weeks, {"FRT p50": [r["frt_bus_p50_s"] for r in weekly],
                              "FRT p90": [r["frt_bus_p90_s"] for r in weekly],
                              "resolution p50": [r["full_resolution_bus_p50_s"] for r in weekly],
                              "resolution p90": [r["full_resolution_bus_p90_s"]
                                                 for r in weekly]}, "h", partial)


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
    return (f'<div class="wide"><table data-table="{escape(key)}">{head}{"".join(body)}'
            "</table></div>")


def write_report(store: Store, out: Path, *, source: str | None = None,
                 since: date | None = None, until: date | None = None,
                 today: date | None = None, options: dict[str, Any] | None = None,
                 now: datetime | None = None, notes: list[str] | None = None) -> Path:
    """Write the report for [since, until] (default: the 8 calendar weeks, Monday to
    Sunday, that end with this one) to `out`, owner-only; `options` are the config's [kpi]
    choices for `kpi.summary`; `now` (default: the clock) decides which pending SLAs have
    breached and which are at risk; `notes` say why figures are empty or bent
    (deskpulse.app.report.unmapped), above everything else. The change vs the previous period of the
    same length is shown only when the file holds that period."""
    now = now or datetime.now(UTC)
    until = until or today or now.date()
    since = since or until - timedelta(days=until.weekday(), weeks=7)
    before_until = since - timedelta(days=1)
    before_since = before_until - (until - since)

    def summary(**kwargs: Any) -> list[dict[str, Any]]:
        return kpi.summary(store, source=source, now=now, **kwargs, **(options or {}))

    current = (summary(since=since, until=until) or [{}])[0]
    gap = kpi.uncovered_period(store, before_since, source)
    previous = None if gap else (summary(since=before_since, until=before_until) or [{}])[0]
    compared = (f"no comparison with {before_since} – {before_until}: {escape(gap)}" if gap
                else f"compared with {before_since} – {before_until}")
    figures = kpi.business_kpis(store, since=since, until=until)
    span = {"since": since, "until": until}
    weekly = summary(by="week", **span)
    page = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>deskpulse KPIs {since} – {until}</title><style>{CSS}</style></head><body>"
        f"<h1>Support KPIs</h1><div class=sub>{since} – {until}"
        f"{' · source ' + escape(source) if source else ''} · {compared}</div>"
        + "".join(f'<p class="missing">{escape(note)}</p>' for note in notes or [])
        + (_tiles(current, previous) if current else
           '<p class="missing">no tickets in this period</p>')
        + _missing_note(current, figures)
        + _charts(weekly, kpi.backlog_by_age(store, source=source, since=since, until=until),
                  summary(by="channel", **span), summary(by="priority", **span),
                  partial_weeks([r["period"] for r in weekly], since, until))
        + _business(figures)
        + "<h2>Agents</h2>" + _table("agent", summary(by="agent", **span), "agent",
                                     kpi.display_names(store, "agent", source),
                                     kpi.agent_activity(store, source=source, **span))
        + "<h2>Groups</h2>" + _table("group", summary(by="group", **span), "group",
                                     kpi.display_names(store, "group", source))
        + '<p class="note">Times are calendar hours unless marked business hours; '
          "p50/p90 are exact, from per-ticket facts. Figures match <code>deskpulse kpi</code> "
          "and the kpi_* views for the same period. Hollow points on a shaded band are "
          "weeks the range covers only in part.</p></body></html>")
    return write_private(out, page)
