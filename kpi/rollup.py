"""Additive day rollups (`kpi_daily`) from ticket facts, for a given set of days.

Each count or sum is anchored on one day of the ticket (kpi-catalog §1 "anchor date"):
created → `created_day`; first reply → `first_reply_day`; first solve (solved, resolution,
waits, replies, touches, reopens) → `first_solved_day`; full resolution → `last_solved_day`;
CSAT → `rated_day`. The backlog is a difference array over `unsolved_spans`: +1 on the day a
span opens, −1 on the day it closes, so `SUM(backlog_delta)` up to day D is the number of
tickets unsolved at the end of D. Dimensions: 'all' (value ''), 'channel', 'group', 'agent'
(the current assignee) and 'priority', each the ticket's current value ('' when unset).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

from store.kpi_schema import ANCHOR_DAYS

COUNTERS = ("created", "replied", "frt_sum", "solved", "first_res_sum", "full_res_n",
            "full_res_sum", "requester_wait_sum", "agent_wait_sum", "on_hold_sum",
            "replies_sum", "reopens_sum", "reopened_tickets", "one_touch", "two_touch",
            "multi_touch", "zero_touch", "fcr", "csat_rated", "csat_positive", "backlog_delta")
DIMENSIONS = (("all", None), ("channel", "channel"), ("group", "group_id"),
              ("agent", "assignee_id"), ("priority", "priority"))
FACT_COLUMNS = ("ticket_id", *ANCHOR_DAYS, "channel", "group_id", "assignee_id", "priority",
                "frt_cal", "first_resolution_cal", "full_resolution_cal", "requester_wait_cal",
                "agent_wait_cal", "on_hold_cal", "replies", "reopens", "one_touch", "two_touch",
                "multi_touch", "zero_touch", "fcr", "csat_positive")

Key = tuple[str, str, str]


def _contributions(fact: dict[str, Any], day: str) -> dict[str, int]:
    """What one ticket adds to one day's counters."""
    add: dict[str, int] = defaultdict(int)
    if fact["created_day"] == day:
        add["created"] += 1
    if fact["first_reply_day"] == day:
        add["replied"] += 1
        add["frt_sum"] += fact["frt_cal"]
    if fact["first_solved_day"] == day:
        add["solved"] += 1
        add["first_res_sum"] += fact["first_resolution_cal"]
        for name in ("requester_wait", "agent_wait", "on_hold"):
            add[f"{name}_sum"] += fact[f"{name}_cal"]
        add["replies_sum"] += fact["replies"]
        add["reopens_sum"] += fact["reopens"]
        add["reopened_tickets"] += int(fact["reopens"] > 0)
        for name in ("one_touch", "two_touch", "multi_touch", "zero_touch", "fcr"):
            add[name] += fact[name]
    if fact["last_solved_day"] == day and fact["full_resolution_cal"] is not None:
        add["full_res_n"] += 1
        add["full_res_sum"] += fact["full_resolution_cal"]
    if fact["rated_day"] == day:
        add["csat_rated"] += 1
        add["csat_positive"] += fact["csat_positive"] or 0
    return add


def aggregate_days(conn: sqlite3.Connection, source: str, days: list[str]) -> list[dict[str, Any]]:
    """Fresh kpi_daily rows for `days` (every dimension), in primary-key order."""
    if not days:
        return []
    wanted = set(days)
    facts = _facts_on(conn, source, days)
    totals: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for fact in facts.values():
        for day in {fact[column] for column in ANCHOR_DAYS} & wanted:
            _add(totals, fact, day, _contributions(fact, day))
    for tid, start_day, end_day in _spans_on(conn, source, days):
        fact = facts.get(tid)
        if fact is None:
            continue
        if start_day in wanted:
            _add(totals, fact, start_day, {"backlog_delta": 1})
        if end_day in wanted:
            _add(totals, fact, end_day, {"backlog_delta": -1})
    return [{"source": source, "day": day, "dimension": dim, "value": value, **counters}
            for (day, dim, value), counters in sorted(totals.items())
            if any(counters.values())]


def _add(totals: dict[Key, dict[str, int]], fact: dict[str, Any], day: str,
         add: dict[str, int]) -> None:
    for dimension, column in DIMENSIONS:
        value = "" if column is None else str(fact[column] or "")
        counters = totals[(day, dimension, value)]
        for name, amount in add.items():
            counters[name] += amount


def _facts_on(conn: sqlite3.Connection, source: str, days: list[str]) -> dict[str, dict]:
    marks = ",".join("?" * len(days))
    found: dict[str, dict[str, Any]] = {}
    queries = [f"SELECT {', '.join(FACT_COLUMNS)} FROM ticket_facts "
               f"WHERE source = ? AND {column} IN ({marks})" for column in ANCHOR_DAYS]
    queries.append(
        f"SELECT {', '.join('f.' + c for c in FACT_COLUMNS)} FROM ticket_facts f "
        "JOIN unsolved_spans s ON s.source = f.source AND s.ticket_id = f.ticket_id "
        f"WHERE s.source = ? AND (s.start_day IN ({marks}) OR s.end_day IN ({marks}))")
    for number, sql in enumerate(queries):
        args = (source, *days) if number < len(ANCHOR_DAYS) else (source, *days, *days)
        for row in conn.execute(sql, args):
            found[row[0]] = dict(zip(FACT_COLUMNS, row, strict=True))
    return found


def _spans_on(conn: sqlite3.Connection, source: str, days: list[str]) -> list[tuple]:
    marks = ",".join("?" * len(days))
    return conn.execute(
        "SELECT ticket_id, start_day, end_day FROM unsolved_spans WHERE source = ? "
        f"AND (start_day IN ({marks}) OR end_day IN ({marks}))",
        (source, *days, *days)).fetchall()
