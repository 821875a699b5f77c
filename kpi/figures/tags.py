"""KPIs per tag (`deskpulse kpi --by tag`): volume and speed of each tag's tickets.

Tags are many per ticket, so they are not a rollup dimension (a ticket would count once per
tag and no column would add up to the total); each figure is computed from `ticket_facts`
joined with the ticket's tags over the range instead, with the same keys and anchor days as
`kpi.summary`. Intercom conversations have no type field, so tags are how they are sorted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from deskpulse.kpi.figures.stats import ratio, spread
from deskpulse.store import Store

DURATIONS = (("frt", "frt_cal", "first_reply_day"),
             ("first_resolution", "first_resolution_cal", "first_solved_day"),
             ("full_resolution", "full_resolution_cal", "last_solved_day"))


def by_tag(store: Store, *, source: str | None = None, since: date | None = None,
           until: date | None = None) -> list[dict[str, Any]]:
    """One row per tag: created, solved, FRT/resolution p50/p90/mean/n, one-touch, reopen and
    CSAT rates, each anchored as in `kpi.summary` (created: creation day; solves and the
    rates measured at the solve: first-solve day; CSAT: rating day)."""
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    values: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))

    def tagged(anchor: str, columns: str) -> Any:
        clauses, args = [f"f.{anchor} IS NOT NULL"], []
        for condition, value in (("f.source = ?", source),
                                 (f"f.{anchor} >= ?", since and since.isoformat()),
                                 (f"f.{anchor} <= ?", until and until.isoformat())):
            if value:
                clauses.append(condition)
                args.append(value)
        return store.conn.execute(
            f"SELECT j.value, {columns} FROM ticket_facts f JOIN tickets t ON "
            "t.source = f.source AND t.id = f.ticket_id, json_each(t.tags) j "
            f"WHERE {' AND '.join(clauses)}", args)

    for (tag, _one) in tagged("created_day", "1"):
        rows[tag]["created"] += 1
    for tag, one_touch, reopens in tagged("first_solved_day", "f.one_touch, f.reopens"):
        rows[tag]["solved"] += 1
        rows[tag]["one_touch"] += one_touch
        rows[tag]["reopened"] += int(reopens > 0)
    for tag, positive in tagged("rated_day", "f.csat_positive"):
        rows[tag]["rated"] += 1
        rows[tag]["positive"] += positive or 0
    for metric, column, anchor in DURATIONS:
        for tag, seconds in tagged(anchor, f"f.{column}"):
            if seconds is not None:
                values[tag][metric].append(seconds)
    return [_row(tag, rows[tag], values[tag]) for tag in sorted(set(rows) | set(values))]


def _row(tag: str, counts: dict[str, int], values: dict[str, list[int]]) -> dict[str, Any]:
    row: dict[str, Any] = {"tag": tag, "created": counts["created"], "solved": counts["solved"],
                           "reopened": counts["reopened"]}
    for metric, _column, _anchor in DURATIONS:
        row |= spread(metric, values.get(metric, []))
    row["one_touch_pct"] = ratio(counts["one_touch"], counts["solved"], 100)
    row["reopen_pct"] = ratio(counts["reopened"], counts["solved"], 100)
    row["csat_pct"] = ratio(counts["positive"], counts["rated"], 100)
    row["csat_n"] = counts["rated"]
    return row
