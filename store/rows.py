"""Normalized records → SQLite rows: one column list and one row builder per table.

Rows are tuples in their table's column order, built straight from the (already validated)
record: a backfill writes well over a million of them, so no dict per row and no second
normalization of values the models have already normalized (`iso` takes a fast path for
their whole-second UTC datetimes).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from deskpulse.store.models import (
    BusinessSchedule,
    Event,
    Group,
    Person,
    Rating,
    SlaPolicy,
    Ticket,
    TimeEntry,
    VendorMetrics,
    iso,
)

Row = tuple[Any, ...]

TICKET_COLUMNS = ("source", "id", "subject", "status", "vendor_status", "priority", "channel",
                  "type", "requester_id", "assignee_id", "group_id", "organization_id", "tags",
                  "created_at", "updated_at", "solved_at", "closed_at", "deleted",
                  "events_truncated", "events_seen", "raw")
EVENT_COLUMNS = ("source", "id", "ticket_id", "at", "kind", "actor_id", "actor_role", "public",
                 "channel", "old_value", "new_value", "body")
PERSON_COLUMNS = ("source", "id", "role", "name", "email", "organization_id", "time_zone",
                  "active")
GROUP_COLUMNS = ("source", "id", "name", "schedule_id")
RATING_COLUMNS = ("source", "id", "ticket_id", "at", "score", "scale", "positive", "comment",
                  "kind")
METRICS_COLUMNS = ("source", "ticket_id", "metrics")
TIME_ENTRY_COLUMNS = ("source", "id", "ticket_id", "agent_id", "seconds", "billable", "at",
                      "note")
SCHEDULE_COLUMNS = ("source", "id", "name", "time_zone", "is_default", "hours", "holidays")


def to_json(value: Any) -> str:
    """The one JSON text form in the file: compact, keys sorted, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def sla_policy_row(source: str, p: SlaPolicy) -> Row:
    return (source, p.id, p.title, p.position, int(p.active),
            to_json(p.conditions.model_dump()), iso(p.updated_at))


def sla_target_rows(source: str, p: SlaPolicy) -> list[Row]:
    return [(source, p.id, t.metric, t.priority, t.seconds, int(t.business)) for t in p.targets]


def ticket_row(source: str, t: Ticket) -> Row:
    return (source, t.id, t.subject, t.status, t.vendor_status, t.priority, t.channel, t.type,
            t.requester_id, t.assignee_id, t.group_id, t.organization_id, to_json(t.tags),
            iso(t.created_at), iso(t.updated_at), iso(t.solved_at), iso(t.closed_at),
            int(t.deleted), int(t.events_truncated), t.events_seen, to_json(t.raw))


def event_row(source: str, e: Event, *, keep_body: bool = True) -> Row:
    return (source, e.id, e.ticket_id, iso(e.at), e.kind, e.actor_id, e.actor_role,
            int(e.public), e.channel, e.old_value, e.new_value, e.body if keep_body else None)


def person_row(source: str, p: Person) -> Row:
    return (source, p.id, p.role, p.name, p.email, p.organization_id, p.time_zone,
            int(p.active))


def group_row(source: str, g: Group) -> Row:
    return (source, g.id, g.name, g.schedule_id)


def rating_row(source: str, r: Rating) -> Row:
    return (source, r.id, r.ticket_id, iso(r.at), r.score, r.scale, _flag(r.positive),
            r.comment, r.kind)


def metrics_row(source: str, m: VendorMetrics) -> Row:
    return (source, m.ticket_id, to_json(m.metrics))


def time_entry_row(source: str, e: TimeEntry) -> Row:
    return (source, e.id, e.ticket_id, e.agent_id, e.seconds, _flag(e.billable), iso(e.at),
            e.note)


def schedule_row(source: str, s: BusinessSchedule) -> Row:
    return (source, s.id, s.name, s.time_zone, int(s.is_default), to_json(s.hours),
            to_json(s.holidays))


@lru_cache(maxsize=64)
def upsert_sql(table: str, columns: tuple[str, ...], pk: tuple[str, ...]) -> str:
    """INSERT … ON CONFLICT DO UPDATE of every non-key column: re-reading a page upserts."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in pk)
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {updates}")
