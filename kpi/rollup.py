"""Additive day rollups (`kpi_daily`), maintained by deltas from changed tickets' facts.

Each count or sum is anchored on one day of the ticket (kpi-catalog §1 "anchor date"):
created → `created_day`; first reply → `first_reply_day`; first solve (solved, resolution,
waits, replies, touches, reopens) → `first_solved_day`; full resolution → `last_solved_day`;
CSAT → `rated_day`. The backlog is a difference array over `unsolved_spans`: +1 on the day a
span opens, −1 on the day it closes, so `SUM(backlog_delta)` up to day D is the number of
tickets unsolved at the end of D. Dimensions: 'all' (value ''), 'channel', 'group', 'agent'
(the current assignee), 'priority' and 'type', each the ticket's current value ('' when unset).
A refresh subtracts what a changed ticket's old facts added and adds what its new facts add,
so its cost follows the changed tickets, never the days they touch.
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
              ("agent", "assignee_id"), ("priority", "priority"), ("type", "type"))
FACT_COLUMNS = ("ticket_id", *ANCHOR_DAYS, "channel", "group_id", "assignee_id", "priority",
                "type", "frt_cal", "first_resolution_cal", "full_resolution_cal",
                "requester_wait_cal", "agent_wait_cal", "on_hold_cal", "replies", "reopens",
                "one_touch", "two_touch", "multi_touch", "zero_touch", "fcr", "csat_positive")

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


def contributions_of(conn: sqlite3.Connection, source: str,
                     ids: list[str]) -> dict[Key, dict[str, int]]:
    """Everything the given tickets' current facts and spans add to kpi_daily."""
    totals: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    if not ids:
        return totals
    marks = ",".join("?" * len(ids))
    facts = {row[0]: dict(zip(FACT_COLUMNS, row, strict=True)) for row in conn.execute(
        f"SELECT {', '.join(FACT_COLUMNS)} FROM ticket_facts "
        f"WHERE source = ? AND ticket_id IN ({marks})", (source, *ids))}
    for fact in facts.values():
        for day in {fact[column] for column in ANCHOR_DAYS if fact[column]}:
            _add(totals, fact, day, _contributions(fact, day))
    for tid, start_day, end_day in conn.execute(
            "SELECT ticket_id, start_day, end_day FROM unsolved_spans "
            f"WHERE source = ? AND ticket_id IN ({marks})", (source, *ids)):
        _add(totals, facts[tid], start_day, {"backlog_delta": 1})
        if end_day:
            _add(totals, facts[tid], end_day, {"backlog_delta": -1})
    return totals


def apply_delta(conn: sqlite3.Connection, source: str, old: dict[Key, dict[str, int]],
                new: dict[Key, dict[str, int]]) -> None:
    """kpi_daily += new − old for the touched buckets; buckets left all-zero are dropped, as a
    full rebuild would never have written them. Integer sums make this exact."""
    changes = []
    for key in set(old) | set(new):
        before, after = old.get(key, {}), new.get(key, {})
        delta = [after.get(name, 0) - before.get(name, 0) for name in COUNTERS]
        if any(delta):
            changes.append((source, *key, *delta))
    if not changes:
        return
    columns = ", ".join(COUNTERS)
    updates = ", ".join(f"{name} = {name} + excluded.{name}" for name in COUNTERS)
    conn.executemany(
        f"INSERT INTO kpi_daily (source, day, dimension, value, {columns}) "
        f"VALUES ({', '.join('?' * (4 + len(COUNTERS)))}) "
        f"ON CONFLICT (source, day, dimension, value) DO UPDATE SET {updates}", changes)
    zero = " AND ".join(f"{name} = 0" for name in COUNTERS)
    conn.executemany(f"DELETE FROM kpi_daily WHERE source = ? AND day = ? AND dimension = ? "
                     f"AND value = ? AND {zero}", [change[:4] for change in changes])


def _add(totals: dict[Key, dict[str, int]], fact: dict[str, Any], day: str,
         add: dict[str, int]) -> None:
    for dimension, column in DIMENSIONS:
        value = "" if column is None else str(fact[column] or "")
        counters = totals[(day, dimension, value)]
        for name, amount in add.items():
            counters[name] += amount
