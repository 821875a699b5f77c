"""Agent productivity per hour worked: help-desk events over imported `ext_agent_hours`.

An hours row (agent email, day) is matched to the desk's agents by email (`people`, any
source, case-insensitive). Work is counted only on the agent-days the file covers, so an
incomplete hours file lowers neither figure: solved per hour = tickets the agent solved on a
covered day (each ticket once per agent) / logged-in hours of matched rows; handled per hour
= distinct tickets the agent touched, per covered day / the same hours. Occupancy = logged
handle time (`time_entries`) / logged-in time, over the agents who log time at all;
utilization = productive / scheduled hours of every row, matched or not.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from deskpulse.kpi.figures.stats import ratio
from deskpulse.store import Store

# The hours of one period per (lowercase email, day), and the desk's people with that email.
_HOURS = """
WITH h AS (
    SELECT lower(agent_email) AS email, day, SUM(scheduled_h) AS scheduled,
           SUM(logged_in_h) AS logged, SUM(productive_h) AS productive
    FROM ext_agent_hours WHERE day BETWEEN ? AND ? GROUP BY 1, 2
),
who AS (
    SELECT source, id, lower(email) AS email FROM people
    WHERE email IS NOT NULL AND role IN ('agent', 'admin')
)
"""
_AGENT_EVENT = """
    FROM events e
    JOIN who ON who.source = e.source AND who.id = e.actor_id
    JOIN h ON h.email = who.email AND h.day = date(e.at)
    JOIN tickets t ON t.source = e.source AND t.id = e.ticket_id AND t.deleted = 0
    WHERE COALESCE(e.actor_role, 'agent') = 'agent'
      AND e.at >= ? AND e.at < date(?, '+1 day')
"""
SOLVE = ("e.kind = 'status' AND (e.new_value = 'solved' OR (e.new_value = 'closed' AND "
         "COALESCE(e.old_value, '') <> 'solved'))")


def missing(what: str) -> str:
    """The text a KPI shows instead of a number when its input was never imported."""
    return f"missing input: {what}"


def agent_productivity(store: Store, first: date, last: date) -> dict[str, Any]:
    span = (first.isoformat(), last.isoformat())  # the range's ? pair, once per use
    conn = store.conn
    rows, scheduled, productive = conn.execute(
        "SELECT COUNT(*), SUM(scheduled_h), SUM(productive_h) FROM ext_agent_hours "
        "WHERE day BETWEEN ? AND ?", span).fetchone()
    if not rows:
        return dict.fromkeys(("agent_hours_logged", "solved_per_agent_hour",
                              "handled_per_agent_hour", "occupancy_pct", "utilization_pct"),
                             missing("agent_hours"))
    matched_hours = conn.execute(
        _HOURS + "SELECT SUM(logged) FROM h WHERE email IN (SELECT email FROM who)", span
    ).fetchone()[0] or 0.0
    solved = conn.execute(
        _HOURS + "SELECT COUNT(*) FROM (SELECT DISTINCT who.email, e.source, e.ticket_id"
        + _AGENT_EVENT + f"AND {SOLVE}) AS solves", span * 2).fetchone()[0]
    handled = conn.execute(
        _HOURS + "SELECT COUNT(*) FROM (SELECT DISTINCT who.email, h.day, e.source, "
        "e.ticket_id" + _AGENT_EVENT + ") AS touches", span * 2).fetchone()[0]
    unmatched = missing("agent_hours matching an agent's email")
    return {
        "agent_hours_logged": round(matched_hours, 2),
        "solved_per_agent_hour": ratio(solved, matched_hours, digits=3) if matched_hours
        else unmatched,
        "handled_per_agent_hour": ratio(handled, matched_hours, digits=3) if matched_hours
        else unmatched,
        "occupancy_pct": _occupancy(store, span),
        "utilization_pct": ratio(productive or 0, scheduled or 0, 100),
    }


def _occupancy(store: Store, span: tuple[str, str]) -> float | str | None:
    """Handle time logged on covered agent-days / logged-in time of the agents who log."""
    handle, logged = store.conn.execute(
        _HOURS + """, handle AS (
            SELECT who.email, date(te.at) AS day, SUM(te.seconds) AS seconds
            FROM time_entries te JOIN who ON who.source = te.source AND who.id = te.agent_id
            WHERE te.at >= ? AND te.at < date(?, '+1 day') GROUP BY 1, 2)
        SELECT (SELECT SUM(handle.seconds) FROM handle JOIN h USING (email, day)),
               (SELECT SUM(logged) FROM h WHERE email IN (SELECT email FROM handle))""",
        span * 2).fetchone()
    if not handle:
        return missing("handle time (time entries)")
    return ratio(handle, (logged or 0) * 3600, 100)
