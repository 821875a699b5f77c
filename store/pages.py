"""A page's records → upserts, dead letters and the tickets whose KPI facts they made stale.

Runs inside the transaction `Store.commit_page` opens, so all of it lands with the page's
cursor or none of it does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from deskpulse.store import rows
from deskpulse.store.backends import Connection
from deskpulse.store.models import (
    BusinessSchedule,
    Event,
    Group,
    NormalizedRecord,
    Person,
    Rating,
    RatingHalf,
    RatingMoment,
    Rejected,
    SlaDeadlines,
    SlaPolicies,
    Ticket,
    TimeEntry,
    Unmapped,
    VendorMetrics,
    iso,
)
from deskpulse.store.rating_join import write_halves
from deskpulse.store.schedules import record_versions
from deskpulse.store.unmapped import write_unmapped

_IN_CHUNK = 500  # SQLite's default bound-variable limit is far above; stay well below it

# record type → (table, columns, row builder); `write_records` adds the change tracking
_TABLES: dict[type, tuple[str, tuple[str, ...], Callable[[str, Any], rows.Row]]] = {
    Ticket: ("tickets", rows.TICKET_COLUMNS, rows.ticket_row),
    Person: ("people", rows.PERSON_COLUMNS, rows.person_row),
    Group: ("groups", rows.GROUP_COLUMNS, rows.group_row),
    Rating: ("ratings", rows.RATING_COLUMNS, rows.rating_row),
    TimeEntry: ("time_entries", rows.TIME_ENTRY_COLUMNS, rows.time_entry_row),
    BusinessSchedule: ("schedules", rows.SCHEDULE_COLUMNS, rows.schedule_row),
}


def now_iso() -> str:
    return iso(datetime.now(UTC)) or ""


def group(records: Sequence[NormalizedRecord]) -> dict[type, list[Any]]:
    grouped: dict[type, list[Any]] = {}
    for record in records:
        grouped.setdefault(type(record), []).append(record)
    return grouped


def write_records(conn: Connection, source: str, stream: str,
                  grouped: dict[type, list[Any]], keep_bodies: bool) -> set[str]:
    """Upsert every record of a page; return the ids of tickets whose facts may change."""
    changed: set[str] = set()
    if tickets := grouped.get(Ticket):
        upsert(conn, source, Ticket, tickets)
        changed.update(t.id for t in tickets)
    if events := grouped.get(Event):
        conn.executemany(rows.upsert_sql("events", rows.EVENT_COLUMNS, ("source", "id")),
                         [rows.event_row(source, e, keep_body=keep_bodies) for e in events])
        changed.update(e.ticket_id for e in events)
    if people := grouped.get(Person):
        changed.update(_tickets_acted_on_by_changed_roles(conn, source, people))
        upsert(conn, source, Person, people)
    if groups := grouped.get(Group):
        upsert(conn, source, Group, groups)
    if ratings := grouped.get(Rating):
        upsert(conn, source, Rating, ratings)
        changed.update(r.ticket_id for r in ratings if r.ticket_id is not None)
    if RatingHalf in grouped or RatingMoment in grouped:  # Zendesk: two halves, joined here
        changed.update(write_halves(conn, source, grouped.get(RatingHalf, []),
                                    grouped.get(RatingMoment, [])))
    if metrics := grouped.get(VendorMetrics):
        conn.executemany(rows.upsert_sql("vendor_metrics", rows.METRICS_COLUMNS,
                                         ("source", "ticket_id")),
                         [rows.metrics_row(source, m) for m in metrics])
    if entries := grouped.get(TimeEntry):
        changed.update(_time_entries_that_change(conn, source, entries))
        upsert(conn, source, TimeEntry, entries)
    if schedules := grouped.get(BusinessSchedule):
        upsert(conn, source, BusinessSchedule, schedules)
        record_versions(conn, source, schedules)
    for policies in grouped.get(SlaPolicies, []):
        replace_sla_policies(conn, source, policies)
    if deadlines := grouped.get(SlaDeadlines):
        replace_deadlines(conn, source, deadlines)
    resolve_dead_letters(conn, source, stream, grouped)
    for rejected in grouped.get(Rejected, []):
        add_dead_letter(conn, source, stream, rejected)
    write_unmapped(conn, source, stream, grouped, grouped.get(Unmapped, []), now_iso())
    return changed


def resolve_dead_letters(conn: Connection, source: str, stream: str,
                         grouped: dict[type, list[Any]]) -> None:
    """Drop the dead letters of this stream whose object a page has now stored (the vendor
    fixed it, or a retry mapped it): a letter stays only while its record is missing."""
    if conn.execute("SELECT 1 FROM dead_letters WHERE source = ? LIMIT 1",
                    (source,)).fetchone() is None:
        return  # the usual case: one indexed probe instead of a DELETE per 500 records
    ids = [str(record.id) for kind, records in grouped.items() if kind is not Rejected
           for record in records if getattr(record, "id", None) is not None]
    base = stream.split("@", 1)[0]
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        conn.execute(
            "DELETE FROM dead_letters WHERE source = ? AND (stream = ? OR stream LIKE ?) "
            f"AND record_id IN ({','.join('?' * len(part))})", (source, base, f"{base}@%", *part))


def replace_sla_policies(conn: Connection, source: str, found: SlaPolicies) -> None:
    """The source's policies become exactly `found` (deleted ones go). No ticket is marked
    dirty: the KPI side sees the change in the source's definitions fingerprint and rebuilds
    that source's facts."""
    for table in ("sla_policies", "sla_policy_targets"):
        conn.execute(f"DELETE FROM {table} WHERE source = ?", (source,))
    conn.executemany("INSERT INTO sla_policies VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [rows.sla_policy_row(source, p) for p in found.policies])
    conn.executemany("INSERT INTO sla_policy_targets VALUES (?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT (source, policy_id, metric, priority) DO UPDATE SET "
                     "target_s = excluded.target_s, business = excluded.business",
                     [row for p in found.policies for row in rows.sla_target_rows(source, p)])


def replace_deadlines(conn: Connection, source: str,
                      found: list[SlaDeadlines]) -> None:
    """Each ticket's vendor due moments become exactly those read now."""
    conn.executemany("DELETE FROM vendor_sla WHERE source = ? AND ticket_id = ?",
                     [(source, d.ticket_id) for d in found])
    conn.executemany("INSERT INTO vendor_sla VALUES (?, ?, ?, ?, ?) "
                     "ON CONFLICT (source, ticket_id, metric) DO UPDATE SET "
                     "due_at = excluded.due_at, escalated = excluded.escalated",
                     [(source, d.ticket_id, item.metric, iso(item.due_at),
                       None if item.escalated is None else int(item.escalated))
                      for d in found for item in d.deadlines])


def upsert(conn: Connection, source: str, kind: type, records: list[Any]) -> None:
    """One prepared INSERT … ON CONFLICT DO UPDATE per table, rows built as tuples.

    sqlite-utils' upsert_all does the same SQL but inspects every value in Python first;
    on a backfill that was the largest cost of the whole pipeline (bench/local.py).
    """
    table, columns, build = _TABLES[kind]
    conn.executemany(rows.upsert_sql(table, columns, ("source", "id")),
                     [build(source, record) for record in records])


def _tickets_acted_on_by_changed_roles(conn: Connection, source: str,
                                       people: list[Person]) -> set[str]:
    """A person whose role changed re-labels every event they made (KPI catalog §7.4)."""
    new_roles = {p.id: p.role for p in people}
    old_roles = dict(select_in(
        conn, "SELECT id, role FROM people WHERE source = ? AND id IN ({})", source,
        list(new_roles)))
    moved = [pid for pid, role in new_roles.items() if old_roles.get(pid) != role]
    return {row[0] for row in select_in(
        conn, "SELECT DISTINCT ticket_id FROM events WHERE source = ? AND actor_id IN ({})",
        source, moved)}


def _time_entries_that_change(conn: Connection, source: str,
                              entries: list[TimeEntry]) -> set[str]:
    """Tickets whose logged time moves: sources re-read a day of entries every sync, and
    an entry read again unchanged must not make its ticket's facts recompute."""
    old = {row[0]: (row[1], row[2]) for row in select_in(
        conn, "SELECT id, ticket_id, seconds FROM time_entries WHERE source = ? AND id IN ({})",
        source, [e.id for e in entries])}
    moved: set[str] = set()
    for entry in entries:
        before = old.get(entry.id)
        if before != (entry.ticket_id, entry.seconds):
            moved.update(t for t in (entry.ticket_id, before[0] if before else None) if t)
    return moved


def select_in(conn: Connection, sql: str, source: str,
              keys: list[str]) -> Iterator[tuple[Any, ...]]:
    """Rows of `sql` (one `IN ({})` placeholder) for many keys, in bounded chunks."""
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start : start + _IN_CHUNK]
        query = sql.format(",".join("?" * len(chunk)))
        yield from conn.execute(query, (source, *chunk))


def mark_dirty(conn: Connection, source: str, ticket_ids: Iterable[str]) -> None:
    conn.executemany(
        "INSERT INTO kpi_dirty (source, ticket_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(source, tid) for tid in ticket_ids],
    )


def add_dead_letter(conn: Connection, source: str, stream: str,
                    rejected: Rejected) -> None:
    conn.execute(
        "INSERT INTO dead_letters (source, stream, at, error, payload, record_id) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (source, stream, iso(rejected.at) or now_iso(), rejected.error,
         rows.to_json(rejected.payload), rejected.record_id),
    )
