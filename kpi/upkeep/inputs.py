"""What a refresh reads of a chunk of tickets: their events (with each actor's role resolved
from `people` when the event does not say), ratings, group names and the fields vendor SLA
policy conditions look at. Reads only; `kpi.upkeep.refresh` does the writing."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from deskpulse.kpi.facts.timeline import EventRow, RatingRow
from deskpulse.store import Store

ROLE = {"agent": "agent", "admin": "agent", "customer": "customer", "bot": "bot"}


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)  # the store's "…Z" form; C-fast, unlike strptime


def marks(count: int) -> str:
    return ",".join("?" * count)


def condition_fields(store: Store, source: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """What vendor SLA policy conditions read of each ticket (kpi.sla_policy.FIELDS)."""
    return {tid: {"group_id": group, "type": kind, "tags": json.loads(tags or "[]"),
                  "organization_id": org, "requester_id": requester, "assignee_id": assignee}
            for tid, group, kind, tags, org, requester, assignee in store.conn.execute(
                "SELECT id, group_id, type, tags, organization_id, requester_id, assignee_id "
                f"FROM tickets WHERE source = ? AND id IN ({marks(len(ids))})", (source, *ids))}


def group_names(store: Store, source: str) -> dict[str, str]:
    return {gid: name for gid, name in store.conn.execute(
        "SELECT id, name FROM groups WHERE source = ? AND name IS NOT NULL", (source,))}


def events_of(store: Store, source: str, ids: list[str]) -> dict[str, list[EventRow]]:
    found: dict[str, list[EventRow]] = defaultdict(list)
    rows = store.conn.execute(
        "SELECT e.ticket_id, e.id, e.at, e.kind, e.actor_role, p.role, e.actor_id, "
        "e.public, e.new_value, e.channel, e.old_value FROM events e LEFT JOIN people p "
        "ON p.source = e.source AND p.id = e.actor_id "
        f"WHERE e.source = ? AND e.ticket_id IN ({marks(len(ids))})", (source, *ids))
    for tid, eid, at, kind, role, person_role, actor, public, new, channel, old in rows:
        resolved = role or ROLE.get(person_role or "")
        found[tid].append(EventRow(eid, parse_time(at), kind, resolved, actor, bool(public), new,
                                   channel, old))
    return found


def ratings_of(store: Store, source: str, ids: list[str]) -> dict[str, list[RatingRow]]:
    found: dict[str, list[RatingRow]] = defaultdict(list)
    for tid, rid, at, score, positive, kind in store.conn.execute(
            "SELECT ticket_id, id, at, score, positive, kind FROM ratings "
            f"WHERE source = ? AND ticket_id IN ({marks(len(ids))})", (source, *ids)):
        found[tid].append(RatingRow(rid, parse_time(at), score,
                                    None if positive is None else bool(positive), kind))
    return found
