"""Vendor values deskpulse could not map (`Unmapped` records), counted without doubling.

One row per (source, record, kind, value): a record read again — a page re-read after a
crash, a ticket updated and exported again, the boundary second Zendesk repeats — lands on
its own row, so counts are of distinct records, never of sightings. A record the store keeps
(a ticket, an event, a person, a group, a schedule) starts clean each time it is written, so
a value mapped since (a new `status_map` entry, a newer deskpulse) stops being counted
once the record is read again. Runs inside the page's transaction (store.pages).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deskpulse.store.backends import Connection
from deskpulse.store.models import BusinessSchedule, Event, Group, Person, Ticket, Unmapped

UNMAPPED_VALUES = """
CREATE TABLE unmapped (
    source TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    stream TEXT NOT NULL,
    field TEXT NOT NULL,
    effect TEXT NOT NULL,
    fix TEXT,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (source, record_type, record_id, kind, value),
    FOREIGN KEY (source) REFERENCES sources (name)
) WITHOUT ROWID;
CREATE VIEW unmapped_values AS
SELECT source, kind, value, COUNT(*) AS records, MIN(record_type || ' ' || record_id) AS example,
       MAX(field) AS field, MAX(effect) AS effect, MAX(fix) AS fix, MAX(seen_at) AS last_seen
FROM unmapped GROUP BY source, kind, value;
"""

# the record types the store keeps, under the name an `Unmapped.record_type` uses for them
KEPT: dict[type, str] = {Ticket: "ticket", Event: "event", Person: "person", Group: "group",
                         BusinessSchedule: "schedule"}


def write_unmapped(conn: Connection, source: str, stream: str,
                   grouped: dict[type, list[Any]], items: list[Unmapped], at: str) -> None:
    """Forget what was noted on the page's kept records, then note what this page found."""
    if conn.execute("SELECT 1 FROM unmapped WHERE source = ? LIMIT 1", (source,)).fetchone():
        conn.executemany(
            "DELETE FROM unmapped WHERE source = ? AND record_type = ? AND record_id = ?",
            [(source, name, record.id) for kind, name in KEPT.items()
             for record in grouped.get(kind, [])])
    conn.executemany(
        "INSERT INTO unmapped VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, "
        "record_type, record_id, kind, value) DO UPDATE SET stream = excluded.stream, "
        "field = excluded.field, effect = excluded.effect, fix = excluded.fix, "
        "seen_at = excluded.seen_at",
        [(source, u.record_type, u.record_id, u.kind, u.value, stream, u.field, u.effect,
          u.fix, at) for u in items])


def unmapped_values(conn: Connection, sources: Iterable[str] | None = None
                    ) -> list[dict[str, Any]]:
    """Each distinct unmapped value per source: how many records carry it, one of them,
    where it was seen, what deskpulse did instead and what to do; most records first."""
    cursor = conn.execute(
        "SELECT source, kind, value, records, example, field, effect, fix, last_seen "
        "FROM unmapped_values ORDER BY source, records DESC, kind, value")
    names = [d[0] for d in cursor.description]
    wanted = None if sources is None else set(sources)
    return [row for row in (dict(zip(names, r, strict=True)) for r in cursor)
            if wanted is None or row["source"] in wanted]
