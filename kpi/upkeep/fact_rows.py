"""A chunk of tickets' facts, computed and written as rows: `ticket_facts`, `unsolved_spans`,
`reply_cycles` and `sla_instances`. `kpi.upkeep.refresh` decides which tickets and holds the
transaction; this module only turns events into rows, with day columns on the report's
calendar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from deskpulse.kpi.facts.compute import TicketFacts, compute
from deskpulse.kpi.facts.cycles import Cycle
from deskpulse.kpi.facts.rules import rules_for
from deskpulse.kpi.hours.schedules import BusinessClock, Calendars
from deskpulse.kpi.sla.instances import instances as sla_instances
from deskpulse.kpi.sla.instances import rows as sla_rows
from deskpulse.kpi.sla.policy import Target
from deskpulse.kpi.upkeep.inputs import (
    condition_fields,
    events_of,
    group_names,
    marks,
    parse_time,
    ratings_of,
)
from deskpulse.kpi.upkeep.set_aside import Fault
from deskpulse.store import Store


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.year >= 1000 and not moment.microsecond:  # isoformat: C-fast, same text
        return moment.isoformat()[:19] + "Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat()[:10] if moment.year >= 1000 else moment.strftime("%Y-%m-%d")


DayOf = Callable[[datetime | None], str | None]


def days_in(zone_name: str) -> DayOf:
    """The day of a moment on the report's calendar ([kpi] report_tz; UTC: the fast path)."""
    if zone_name == "UTC":
        return _day
    zone = ZoneInfo(zone_name)
    return lambda moment: None if moment is None else moment.astimezone(zone).strftime(
        "%Y-%m-%d")


def replace_facts(store: Store, source: str, ids: list[str],
                   calendars: Calendars | None, day: DayOf,
                   targets: Sequence[Target] = (), without: frozenset[str] = frozenset(),
                   fault: Fault | None = None) -> None:
    """Delete the tickets' facts and insert them again; those in `without` (set aside) and
    deleted tickets get none."""
    conn, placeholders = store.conn, marks(len(ids))
    for table in ("ticket_facts", "unsolved_spans", "reply_cycles", "sla_instances"):
        conn.execute(f"DELETE FROM {table} WHERE source = ? AND ticket_id IN ({placeholders})",
                     (source, *ids))
    tickets = {row[0]: row for row in conn.execute(
        "SELECT id, created_at, channel, priority, group_id, assignee_id, type, requester_id, "
        f"status FROM tickets WHERE source = ? AND id IN ({placeholders}) AND deleted = 0",
        (source, *ids)) if row[0] not in without}
    conditioned = any(t.conditions for t in targets if t.source in (None, source))
    fields = condition_fields(store, source, ids) if conditioned else {}
    events, ratings = events_of(store, source, ids), ratings_of(store, source, ids)
    handled = dict(conn.execute(
        "SELECT ticket_id, SUM(seconds) FROM time_entries WHERE source = ? AND ticket_id IN "
        f"({placeholders}) GROUP BY ticket_id", (source, *ids)))
    kind = conn.execute("SELECT kind FROM sources WHERE name = ?", (source,)).fetchone()
    rules = rules_for(kind[0] if kind else None)
    names = group_names(store, source) if calendars and calendars.by_group else {}
    fact_rows, span_rows, cycle_rows, instance_rows = [], [], [], []
    for tid, (_id, created, channel, priority, group, assignee, kind, requester, status) in \
            sorted(tickets.items()):
        if fault is not None:
            fault(source, tid)
        schedule = calendars.for_group(group, names.get(group)) if calendars else None
        facts = compute(parse_time(created), events.get(tid, []), ratings.get(tid, []), schedule,
                        rules, status)
        facts.handle_time = handled.get(tid)
        fact_rows.append(_fact_row(source, tid, facts, channel, priority, group, assignee, day)
                         | {"type": kind, "requester_id": requester})
        span_rows.extend(
            (source, tid, seq, _iso(span.start), _iso(span.end), day(span.start),
             day(span.end)) for seq, span in enumerate(facts.spans))
        cycle_rows.extend(_cycle_row(source, tid, seq, cycle, schedule, day)
                          for seq, cycle in enumerate(facts.cycles))
        if targets:
            instance_rows.extend(sla_rows(source, tid, channel, group, sla_instances(
                facts, events.get(tid, []), source=source, channel=channel, priority=priority,
                targets=targets, schedule=schedule, rules=rules, ticket=fields.get(tid)), day))
    if fact_rows:
        columns = list(fact_rows[0])
        conn.executemany(
            f"INSERT INTO ticket_facts ({', '.join(columns)}) VALUES ({marks(len(columns))})",
            [tuple(row.values()) for row in fact_rows])
    conn.executemany("INSERT INTO unsolved_spans VALUES (?, ?, ?, ?, ?, ?, ?)", span_rows)
    conn.executemany("INSERT INTO reply_cycles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", cycle_rows)
    conn.executemany(f"INSERT INTO sla_instances VALUES ({marks(18)})", instance_rows)


def _cycle_row(source: str, tid: str, seq: int, cycle: Cycle, schedule: BusinessClock | None,
               day: DayOf) -> tuple[Any, ...]:
    ended = cycle.end is not None
    calendar = max(0, int((cycle.end - cycle.start).total_seconds())) if ended else None
    business = schedule.seconds(cycle.start, cycle.end) if ended and schedule else None
    return (source, tid, seq, _iso(cycle.start), _iso(cycle.end), cycle.end_kind, calendar,
            business, day(cycle.end))


def _fact_row(source: str, tid: str, f: TicketFacts, channel: str, priority: str | None,
              group: str | None, assignee: str | None, day: DayOf) -> dict[str, Any]:
    def flag(value: bool | None) -> int | None:
        return None if value is None else int(value)

    return {
        "source": source, "ticket_id": tid, "status": f.status, "channel": channel,
        "priority": priority, "group_id": group, "assignee_id": assignee,
        "created_at": _iso(f.created_at), "created_day": day(f.created_at),
        "first_reply_at": _iso(f.first_reply_at), "first_reply_day": day(f.first_reply_at),
        "frt_cal": f.frt, "frt_bus": f.frt_bus,
        "first_solved_at": _iso(f.first_solved_at), "first_solved_day": day(f.first_solved_at),
        "last_solved_at": _iso(f.last_solved_at), "last_solved_day": day(f.last_solved_at),
        "resolutions": f.resolutions, "first_resolution_cal": f.first_resolution,
        "first_resolution_bus": f.first_resolution_bus,
        "full_resolution_cal": f.full_resolution, "full_resolution_bus": f.full_resolution_bus,
        "requester_wait_cal": f.requester_wait, "requester_wait_bus": f.requester_wait_bus,
        "agent_wait_cal": f.agent_wait, "agent_wait_bus": f.agent_wait_bus,
        "on_hold_cal": f.on_hold, "on_hold_bus": f.on_hold_bus, "reopens": f.reopens,
        "agent_work_cal": f.agent_work, "agent_work_bus": f.agent_work_bus,
        "replies": f.replies, "public_agent_comments": f.public_agent_comments,
        "customer_msgs": f.customer_msgs, "notes": f.notes,
        "assignee_stations": f.assignee_stations, "group_stations": f.group_stations,
        "reassignments": f.reassignments, "one_touch": int(f.touch(1)),
        "two_touch": int(f.touch(2)), "multi_touch": int(f.touch(3)),
        "zero_touch": int(f.touch(0)), "fcr": int(f.touch(1) and f.reopens == 0),
        "csat_offered": int(f.csat_offered), "csat_score": f.csat_score,
        "csat_positive": flag(f.csat_positive), "rated_at": _iso(f.rated_at),
        "rated_day": day(f.rated_at), "flags": f.flags, "reply_cycles": f.reply_cycles,
        "reply_time_median_cal": f.reply_time_median,
        "reply_time_median_bus": f.reply_time_median_bus, "handle_time_s": f.handle_time,
        "first_assigned_at": _iso(f.first_assigned_at),
        "first_assigned_day": day(f.first_assigned_at),
        "first_assignment_cal": f.first_assignment,
        "first_assignment_bus": f.first_assignment_bus, "bot_msgs": f.bot_msgs,
        "priority_raised": int(f.priority_raised),
    }
