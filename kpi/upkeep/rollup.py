"""Additive day rollups (`kpi_daily`), maintained by deltas from changed tickets' facts.

Each count or sum is anchored on one day of the ticket (kpi-catalog §1 "anchor date"):
created → `created_day`; first reply → `first_reply_day`; first solve (solved, resolution,
waits, replies, touches, reopens) → `first_solved_day`; full resolution → `last_solved_day`;
CSAT → `rated_day`; bot-only, with-bots and survey counts on `first_solved_day`, escalations
(group or priority; tags are configuration, added per report) on `created_day`. The backlog
is a difference array over `unsolved_spans`: +1 on the day a span opens, −1 on the day it
closes, so `SUM(backlog_delta)` up to day D is the number of
tickets unsolved at the end of D. Dimensions: 'all' (value ''), 'channel', 'group', 'agent'
(the current assignee), 'priority' and 'type', each the ticket's current value ('' when unset).
A refresh subtracts what a changed ticket's old facts added and adds what its new facts add,
so its cost follows the changed tickets, never the days they touch.
"""

from __future__ import annotations

from typing import Any

from deskpulse.kpi.upkeep.inputs import marks
from deskpulse.store.backends import Connection
from deskpulse.store.kpi_schema import ANCHOR_DAYS

COUNTERS = ("created", "replied", "frt_sum", "solved", "first_res_sum", "full_res_n",
            "full_res_sum", "requester_wait_sum", "agent_wait_sum", "on_hold_sum",
            "replies_sum", "reopens_sum", "reopened_tickets", "one_touch", "two_touch",
            "multi_touch", "zero_touch", "fcr", "csat_rated", "csat_positive", "backlog_delta",
            "bot_only", "with_bots", "surveys_offered", "surveys_answered", "escalated")
DIMENSIONS = (("all", None), ("channel", "channel"), ("group", "group_id"),
              ("agent", "assignee_id"), ("priority", "priority"), ("type", "type"))
FACT_COLUMNS = ("ticket_id", *ANCHOR_DAYS, "channel", "group_id", "assignee_id", "priority",
                "type", "frt_cal", "first_resolution_cal", "full_resolution_cal",
                "requester_wait_cal", "agent_wait_cal", "on_hold_cal", "replies", "reopens",
                "one_touch", "two_touch", "multi_touch", "zero_touch", "fcr", "csat_positive",
                "flags", "bot_msgs", "csat_offered", "group_stations", "priority_raised")

Key = tuple[str, str, str]
Counters = list[int]  # one value per name in COUNTERS, in that order
_AT = {name: index for index, name in enumerate(COUNTERS)}


def _contributions(fact: dict[str, Any], day: str) -> list[tuple[int, int]]:
    """What one ticket adds to one day's counters, as (index in COUNTERS, amount)."""
    add: list[tuple[int, int]] = []
    if fact["created_day"] == day:
        add.append((_AT["created"], 1))
        # escalated without the configured tags (kpi.shares adds tagged tickets per report)
        if fact["group_stations"] >= 2 or fact["priority_raised"]:
            add.append((_AT["escalated"], 1))
    if fact["first_reply_day"] == day:
        add += [(_AT["replied"], 1), (_AT["frt_sum"], fact["frt_cal"])]
    if fact["first_solved_day"] == day:
        add += [(_AT["solved"], 1), (_AT["first_res_sum"], fact["first_resolution_cal"])]
        add += [(_AT[f"{name}_sum"], fact[f"{name}_cal"])
                for name in ("requester_wait", "agent_wait", "on_hold")]
        add += [(_AT["replies_sum"], fact["replies"]), (_AT["reopens_sum"], fact["reopens"]),
                (_AT["reopened_tickets"], int(fact["reopens"] > 0))]
        add += [(_AT[name], fact[name])
                for name in ("one_touch", "two_touch", "multi_touch", "zero_touch", "fcr")]
        # bot-only resolutions (flag 16), tickets with a bot message, surveys offered/answered
        add += [(_AT["bot_only"], int(fact["flags"] & 16 != 0)),
                (_AT["with_bots"], int(fact["bot_msgs"] > 0)),
                (_AT["surveys_offered"], fact["csat_offered"]),
                (_AT["surveys_answered"], int(fact["csat_positive"] is not None))]
    if fact["last_solved_day"] == day and fact["full_resolution_cal"] is not None:
        add += [(_AT["full_res_n"], 1), (_AT["full_res_sum"], fact["full_resolution_cal"])]
    if fact["rated_day"] == day:
        add += [(_AT["csat_rated"], 1), (_AT["csat_positive"], fact["csat_positive"] or 0)]
    return add


def contributions_of(conn: Connection, source: str,
                     ids: list[str]) -> dict[Key, Counters]:
    """Everything the given tickets' current facts and spans add to kpi_daily."""
    totals: dict[Key, Counters] = {}
    if not ids:
        return totals
    placeholders = marks(len(ids))
    facts = {row[0]: dict(zip(FACT_COLUMNS, row, strict=True)) for row in conn.execute(
        f"SELECT {', '.join(FACT_COLUMNS)} FROM ticket_facts "
        f"WHERE source = ? AND ticket_id IN ({placeholders})", (source, *ids))}
    values = {tid: _dimension_values(fact) for tid, fact in facts.items()}
    for tid, fact in facts.items():
        for day in {fact[column] for column in ANCHOR_DAYS if fact[column]}:
            _add(totals, values[tid], day, _contributions(fact, day))
    backlog = _AT["backlog_delta"]
    for tid, start_day, end_day in conn.execute(
            "SELECT ticket_id, start_day, end_day FROM unsolved_spans "
            f"WHERE source = ? AND ticket_id IN ({placeholders})", (source, *ids)):
        _add(totals, values[tid], start_day, [(backlog, 1)])
        if end_day:
            _add(totals, values[tid], end_day, [(backlog, -1)])
    return totals


class Deltas:
    """kpi_daily += new − old for the touched buckets; buckets left all-zero are dropped, as a
    full rebuild would never have written them.

    Summed over many chunks of tickets and written once: one day's bucket is shared by many
    tickets, so a refresh of thousands of tickets writes each bucket once, not once a chunk.
    Integer sums are exact in any grouping; written out every MAX_BUCKETS buckets, so memory
    stays bounded whatever the number of tickets."""

    MAX_BUCKETS = 20_000

    def __init__(self, conn: Connection, source: str):
        self.conn, self.source = conn, source
        self.pending: dict[Key, Counters] = {}

    def add(self, old: dict[Key, Counters], new: dict[Key, Counters]) -> None:
        """Add new − old (what a chunk's tickets add now, and added before)."""
        pending = self.pending
        for key, counters in new.items():
            sums = pending.get(key)
            pending[key] = counters if sums is None else [
                a + b for a, b in zip(sums, counters, strict=True)]
        for key, counters in old.items():
            sums = pending.get(key)
            pending[key] = [-b for b in counters] if sums is None else [
                a - b for a, b in zip(sums, counters, strict=True)]
        if len(pending) >= self.MAX_BUCKETS:
            self.flush()

    def flush(self) -> None:
        changes = [(self.source, *key, *sums) for key, sums in self.pending.items() if any(sums)]
        self.pending = {}
        if not changes:
            return
        columns = ", ".join(COUNTERS)
        updates = ", ".join(f"{name} = kpi_daily.{name} + excluded.{name}" for name in COUNTERS)
        self.conn.executemany(
            f"INSERT INTO kpi_daily (source, day, dimension, value, {columns}) "
            f"VALUES ({', '.join('?' * (4 + len(COUNTERS)))}) "
            f"ON CONFLICT (source, day, dimension, value) DO UPDATE SET {updates}", changes)
        zero = " AND ".join(f"{name} = 0" for name in COUNTERS)
        self.conn.executemany(
            f"DELETE FROM kpi_daily WHERE source = ? AND day = ? AND dimension = ? "
            f"AND value = ? AND {zero}", [change[:4] for change in changes])


def _dimension_values(fact: dict[str, Any]) -> list[tuple[str, str]]:
    """The (dimension, value) pairs a ticket's counters are filed under."""
    return [(dimension, "" if column is None else str(fact[column] or ""))
            for dimension, column in DIMENSIONS]


def _add(totals: dict[Key, Counters], values: list[tuple[str, str]], day: str,
         add: list[tuple[int, int]]) -> None:
    for dimension, value in values:
        counters = totals.get((day, dimension, value))
        if counters is None:
            counters = totals[(day, dimension, value)] = [0] * len(COUNTERS)
        for index, amount in add:
            counters[index] += amount
