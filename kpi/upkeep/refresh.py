"""The only KPI code that touches the database: facts for changed tickets, and the day
buckets they contribute to.

`refresh` takes the tickets listed in `kpi_dirty` (written in the same transaction as the
page that changed them), recomputes their facts, and moves each `kpi_daily` bucket by the
difference between what their old and new facts contribute, all in one transaction. Cost
grows with what changed, not with the store. `rebuild` is the same code over every ticket
from empty tables, so a full rebuild and any sequence of incremental refreshes give
identical rows (integer sums).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from deskpulse.kpi.facts.compute import TicketFacts, compute
from deskpulse.kpi.facts.cycles import Cycle
from deskpulse.kpi.facts.rules import rules_for
from deskpulse.kpi.hours.schedules import BusinessClock, Calendars, as_calendars
from deskpulse.kpi.hours.seconds import Schedule
from deskpulse.kpi.sla.instances import instances as sla_instances
from deskpulse.kpi.sla.instances import rows as sla_rows
from deskpulse.kpi.sla.policy import Target, dump_targets
from deskpulse.kpi.sla.policy import fingerprint as sla_fingerprint
from deskpulse.kpi.upkeep import set_aside
from deskpulse.kpi.upkeep.contacts import contacts_of, move_neighbours, update_gaps
from deskpulse.kpi.upkeep.inputs import (
    condition_fields,
    events_of,
    group_names,
    marks,
    parse_time,
    ratings_of,
)
from deskpulse.kpi.upkeep.rollup import Deltas, contributions_of
from deskpulse.kpi.upkeep.set_aside import Fault
from deskpulse.kpi.upkeep.values import ValueLog, Values, values_of
from deskpulse.store import Store
from deskpulse.store.schema import statements

CHUNK = 500


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


def _days_in(zone_name: str) -> DayOf:
    """The day of a moment on the report's calendar ([kpi] report_tz; UTC: the fast path)."""
    if zone_name == "UTC":
        return _day
    zone = ZoneInfo(zone_name)
    return lambda moment: None if moment is None else moment.astimezone(zone).strftime(
        "%Y-%m-%d")


def report_zone(store: Store) -> str:
    """The zone the stored day columns are in (recorded by `ensure_definitions`)."""
    row = store.conn.execute("SELECT value FROM kpi_meta WHERE key = 'report_tz'").fetchone()
    return row[0] if row else "UTC"


def refresh(store: Store, *, source: str | None = None,
            schedule: Schedule | Calendars | None = None, targets: Sequence[Target] = (),
            fault: Fault | None = None) -> int:
    """Recompute facts of every ticket in `kpi_dirty` (of `source`, or all); return how many.
    `schedule` gives business time (the `_bus` columns); without it they stay NULL.
    `targets` are the SLA targets (`sla_instances`); without them there are none. A ticket
    whose facts cannot be computed is set aside (`kpi.upkeep.set_aside`), never blocking the rest;
    `fault(source, ticket_id)` is called before each ticket's facts (tests inject errors)."""
    done, calendars, day = 0, as_calendars(schedule), _days_in(report_zone(store))
    with store.transaction():
        for name in [source] if source else set_aside.sources(store.conn):
            set_aside.retry(store.conn, name)
            deltas = Deltas(store.conn, name)  # rollups written once, not once a chunk
            values = Values(store.conn, name)  # the percentile figures' sorted values

            def run(ids: list[str], without: frozenset[str], name: str = name,
                    deltas: Deltas = deltas, values: Values = values) -> Callable[[], None]:
                old = contributions_of(store.conn, name, ids)
                old_values = values_of(store.conn, name, ids)
                contacts = contacts_of(store.conn, name, ids)
                _replace_facts(store, name, ids, calendars, day, targets, without, fault)
                update_gaps(store.conn, name, ids)
                new = contributions_of(store.conn, name, ids)
                log = ValueLog()  # applied to `values` only once the chunk stands
                log.add(old_values, values_of(store.conn, name, ids))
                move_neighbours(store.conn, name, ids, contacts, log)
                return lambda: (deltas.add(old, new), log.replay(values))

            for chunk in _dirty_chunks(store, name):
                done += set_aside.refresh_isolated(store, name, chunk, run)
                store.conn.execute(
                    "DELETE FROM kpi_dirty WHERE source = ? AND ticket_id IN "
                    f"({marks(len(chunk))})", (name, *chunk))
            deltas.flush()
            values.finish()
    return done


def _dirty_chunks(store: Store, source: str) -> Iterator[list[str]]:
    """The source's dirty tickets, CHUNK at a time, read as they are needed: a backfill of a
    million tickets leaves a million ids, which held in one list grew the process's memory
    with the account (bench/memory.py)."""
    after = ""
    while True:
        chunk = [row[0] for row in store.conn.execute(
            "SELECT ticket_id FROM kpi_dirty WHERE source = ? AND ticket_id > ? "
            "ORDER BY ticket_id LIMIT ?", (source, after, CHUNK))]
        if not chunk:
            return
        yield chunk
        after = chunk[-1]


def rebuild(store: Store, *, source: str | None = None,
            schedule: Schedule | Calendars | None = None, targets: Sequence[Target] = (),
            fault: Fault | None = None) -> int:
    """Drop every fact and rollup (of `source`, or all) and recompute them from the events."""
    with store.transaction():
        where, args = ("WHERE source = ?", (source,)) if source else ("", ())
        for table in ("ticket_facts", "unsolved_spans", "reply_cycles", "kpi_daily",
                      "sla_instances", "kpi_values"):
            store.conn.execute(f"DELETE FROM {table} {where}", args)
        store.conn.execute(f"INSERT OR IGNORE INTO kpi_dirty (source, ticket_id) "
                           f"SELECT source, id FROM tickets {where}", args)
        return refresh(store, source=source, schedule=schedule, targets=targets, fault=fault)


# Bump when a fact's definition changes in code: files computed by an older deskpulse then
# rebuild their facts on the next run, as they do when the schedule changes.
# 2: reply cycles; 3: handle time; 4: first assignment, bots; 5: agent work; 6: priority raised;
# 7: SLA requester wait / agent work re-activated by a reopen, pausable update (one branch) and
# sorted day values (kpi_values), next-contact gaps, share and escalation counters (another);
# 8: both at once; 9: the ticket's own status without status events, no Intercom first
# resolution without a customer message
FACTS_VERSION = 9


def ensure_definitions(store: Store, schedule: Schedule | Calendars | None,
                       targets: Sequence[Target] = (), *, report_tz: str = "UTC") -> bool:
    """Rebuild every fact when the definitions changed since they were computed (a schedule
    or SLA target added, edited or removed, another report time zone, or a newer
    FACTS_VERSION); return True when it rebuilt. The targets in use are kept in `kpi_meta`
    for the reports."""
    calendars = as_calendars(schedule)
    fingerprint = f"v{FACTS_VERSION}:" + (calendars.fingerprint() if calendars else "no-schedule")
    fingerprint += f":sla-{sla_fingerprint(targets)}" if targets else ""
    fingerprint += "" if report_tz == "UTC" else f":days in {report_tz}"
    row = store.conn.execute("SELECT value FROM kpi_meta WHERE key = 'definitions'").fetchone()
    if row is not None and row[0] == fingerprint:
        return False
    has_facts = store.conn.execute("SELECT 1 FROM ticket_facts LIMIT 1").fetchone() is not None
    with store.transaction():
        for key, value in (("report_tz", report_tz), ("definitions", fingerprint),
                           ("sla_targets", dump_targets(targets))):
            store.conn.execute("INSERT INTO kpi_meta (key, value) VALUES (?, ?) "
                               "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                               (key, value))
        if has_facts:  # in the same transaction: a crash leaves the old definitions
            rebuild(store, schedule=schedule, targets=targets)
    return has_facts


def install_views(store: Store, options: dict[str, Any] | None = None) -> None:
    """(Re)create the kpi_* views from kpi/views.sql; with `options` (the config's [kpi]
    `repeat_days`, `escalation_tags` and `sla_at_risk`, as for `kpi.summary`), record them in
    kpi_meta for the views that depend on them."""
    sql = resources.files("deskpulse.kpi").joinpath("views.sql").read_text(encoding="utf-8")
    with store.transaction():
        if options is not None:
            at_risk = options.get("sla_at_risk")
            for key, value in (("repeat_contact_days", str(int(options["repeat_days"]))),
                               ("escalation_tags", json.dumps(list(
                                   options["escalation_tags"]))),
                               ("sla_at_risk_seconds", str(int(
                                   at_risk.total_seconds())) if at_risk else "3600")):
                store.conn.execute(
                    "INSERT INTO kpi_meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
        for (name,) in store.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'view' AND name LIKE 'kpi_%'"
        ).fetchall():
            store.conn.execute(f"DROP VIEW {name}")
        for statement in statements(sql):
            store.conn.execute(statement)


def _replace_facts(store: Store, source: str, ids: list[str],
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
