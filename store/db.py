"""`Store`: the few verbs the rest of deskpulse needs on the SQLite file.

The page is the unit of work: `commit_page` writes a page's records, its dead letters, the
stream's new cursor, the run's counters and the set of tickets whose KPI facts are now stale
(`kpi_dirty`) in one transaction. A crash before it leaves nothing of the page; a crash after
it leaves everything, including the note that KPIs must be refreshed, so a restart resumes
exactly from the last committed page and re-reading a page upserts the same rows.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlite_utils

from store.models import (
    BusinessSchedule,
    Event,
    Group,
    NormalizedRecord,
    Person,
    Rating,
    Rejected,
    Ticket,
    TimeEntry,
    VendorMetrics,
    iso,
)
from store.schedules import record_versions
from store.schema import migrate

BUSY_TIMEOUT_MS = 30_000
_IN_CHUNK = 500  # SQLite's default bound-variable limit is far above; stay well below it


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _now_iso() -> str:
    return iso(datetime.now(UTC)) or ""


def ticket_row(source: str, t: Ticket) -> dict[str, Any]:
    return {
        "source": source, "id": t.id, "subject": t.subject, "status": t.status,
        "vendor_status": t.vendor_status, "priority": t.priority, "channel": t.channel,
        "type": t.type, "requester_id": t.requester_id, "assignee_id": t.assignee_id,
        "group_id": t.group_id, "organization_id": t.organization_id, "tags": _json(t.tags),
        "created_at": iso(t.created_at), "updated_at": iso(t.updated_at),
        "solved_at": iso(t.solved_at), "closed_at": iso(t.closed_at),
        "deleted": int(t.deleted), "events_truncated": int(t.events_truncated),
        "events_seen": t.events_seen,
        "raw": _json(t.raw),
    }


def event_row(source: str, e: Event, *, keep_body: bool = True) -> dict[str, Any]:
    return {
        "source": source, "id": e.id, "ticket_id": e.ticket_id, "at": iso(e.at),
        "kind": e.kind, "actor_id": e.actor_id, "actor_role": e.actor_role,
        "public": int(e.public), "channel": e.channel, "old_value": e.old_value,
        "new_value": e.new_value, "body": e.body if keep_body else None,
    }


def person_row(source: str, p: Person) -> dict[str, Any]:
    return {
        "source": source, "id": p.id, "role": p.role, "name": p.name, "email": p.email,
        "organization_id": p.organization_id, "time_zone": p.time_zone, "active": int(p.active),
    }


def rating_row(source: str, r: Rating) -> dict[str, Any]:
    positive = None if r.positive is None else int(r.positive)
    return {
        "source": source, "id": r.id, "ticket_id": r.ticket_id, "at": iso(r.at),
        "score": r.score, "scale": r.scale, "positive": positive, "comment": r.comment,
        "kind": r.kind,
    }


def time_entry_row(source: str, e: TimeEntry) -> dict[str, Any]:
    billable = None if e.billable is None else int(e.billable)
    return {"source": source, "id": e.id, "ticket_id": e.ticket_id, "agent_id": e.agent_id,
            "seconds": e.seconds, "billable": billable, "at": iso(e.at), "note": e.note}


def schedule_row(source: str, s: BusinessSchedule) -> dict[str, Any]:
    return {"source": source, "id": s.id, "name": s.name, "time_zone": s.time_zone,
            "is_default": int(s.is_default), "hours": _json(s.hours),
            "holidays": _json(s.holidays)}


class Store:
    """An open deskpulse SQLite file (one writer; any number of readers through WAL)."""

    def __init__(self, conn: sqlite3.Connection, path: str, *, keep_bodies: bool = True):
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.path = path
        self.keep_bodies = keep_bodies

    @classmethod
    def open(cls, path: str | Path, *, keep_bodies: bool = True) -> Store:
        """Open (creating owner-only if new) and migrate the file at `path`."""
        path = str(path)
        if path != ":memory:" and not os.path.exists(path):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
        return cls(conn, path, keep_bodies=keep_bodies)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """A write transaction, taken with BEGIN IMMEDIATE (nested: a savepoint).

        IMMEDIATE takes the write lock up front, so two writers in one process (the daemon
        syncing several sources) queue on busy_timeout instead of failing with
        SQLITE_BUSY_SNAPSHOT when a deferred read transaction tries to upgrade.
        """
        if self.conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- sources, cursors -------------------------------------------------------------

    def ensure_source(self, name: str, kind: str, account: str | None) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO sources (name, kind, account, added_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, account = excluded.account",
                (name, kind, account, _now_iso()),
            )

    def cursor(self, source: str, stream: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT cursor FROM sync_state WHERE source = ? AND stream = ?", (source, stream)
        ).fetchone()
        return None if row is None or row[0] is None else json.loads(row[0])

    def reset_cursor(self, source: str, stream: str | None = None) -> None:
        """Forget where a stream (or all streams of a source) stopped; it restarts."""
        with self.transaction():
            if stream is None:
                self.conn.execute("DELETE FROM sync_state WHERE source = ?", (source,))
            else:
                self.conn.execute(
                    "DELETE FROM sync_state WHERE source = ? AND stream = ?", (source, stream)
                )

    # -- the unit of work ---------------------------------------------------------------

    def commit_page(
        self,
        source: str,
        stream: str,
        records: Sequence[NormalizedRecord],
        cursor: dict[str, Any] | None,
        *,
        run_id: int | None = None,
        requests: int = 0,
        keep_bodies: bool | None = None,
    ) -> set[str]:
        """Write a page and its cursor atomically; return the ids of tickets it changed.

        `keep_bodies=False` (a source's `store_bodies = false`) drops message text.
        """
        grouped = _group(records)
        keep = self.keep_bodies if keep_bodies is None else keep_bodies
        with self.transaction():
            changed = self._write_records(source, stream, grouped, keep)
            self._mark_dirty(source, changed)
            self.conn.execute(
                "INSERT INTO sync_state (source, stream, cursor, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source, stream) DO UPDATE SET cursor = excluded.cursor, "
                "updated_at = excluded.updated_at",
                (source, stream, None if cursor is None else _json(cursor), _now_iso()),
            )
            if run_id is not None:
                self.conn.execute(
                    "UPDATE sync_runs SET pages = pages + 1, records = records + ?, "
                    "requests = requests + ? WHERE id = ?",
                    (len(records), requests, run_id),
                )
        return changed

    def _write_records(
        self, source: str, stream: str, grouped: dict[type, list[Any]], keep_bodies: bool
    ) -> set[str]:
        changed: set[str] = set()
        if tickets := grouped.get(Ticket):
            self._upsert("tickets", [ticket_row(source, t) for t in tickets])
            changed.update(t.id for t in tickets)
        if events := grouped.get(Event):
            self._upsert("events", [event_row(source, e, keep_body=keep_bodies) for e in events])
            changed.update(e.ticket_id for e in events)
        if people := grouped.get(Person):
            changed.update(self._tickets_acted_on_by_changed_roles(source, people))
            self._upsert("people", [person_row(source, p) for p in people])
        if groups := grouped.get(Group):
            self._upsert("groups", [{"source": source, "id": g.id, "name": g.name,
                                     "schedule_id": g.schedule_id} for g in groups])
        if ratings := grouped.get(Rating):
            self._upsert("ratings", [rating_row(source, r) for r in ratings])
            changed.update(r.ticket_id for r in ratings if r.ticket_id is not None)
        if metrics := grouped.get(VendorMetrics):
            rows = [
                {"source": source, "ticket_id": m.ticket_id, "metrics": _json(m.metrics)}
                for m in metrics
            ]
            self._upsert("vendor_metrics", rows, pk=("source", "ticket_id"))
        if entries := grouped.get(TimeEntry):
            changed.update(self._time_entries_that_change(source, entries))
            self._upsert("time_entries", [time_entry_row(source, e) for e in entries])
        if schedules := grouped.get(BusinessSchedule):
            self._upsert("schedules", [schedule_row(source, s) for s in schedules])
            record_versions(self.conn, source, schedules)
        for rejected in grouped.get(Rejected, []):
            self.add_dead_letter(source, stream, rejected)
        return changed

    def _upsert(
        self, table: str, rows: list[dict[str, Any]], pk: tuple[str, ...] = ("source", "id")
    ) -> None:
        """INSERT … ON CONFLICT DO UPDATE with one prepared statement per table.

        sqlite-utils' upsert_all does the same SQL but inspects every value in Python first;
        on a backfill that was the largest cost of the whole pipeline (bench/local.py).
        """
        if not rows:
            return
        columns = list(rows[0])
        self.conn.executemany(_upsert_sql(table, tuple(columns), pk),
                              [tuple(row[c] for c in columns) for row in rows])

    def _tickets_acted_on_by_changed_roles(self, source: str, people: list[Person]) -> set[str]:
        """A person whose role changed re-labels every event they made (KPI catalog §7.4)."""
        new_roles = {p.id: p.role for p in people}
        old_roles = dict(self._select_in(
            "SELECT id, role FROM people WHERE source = ? AND id IN ({})", source, list(new_roles)
        ))
        moved = [pid for pid, role in new_roles.items() if old_roles.get(pid) != role]
        return {row[0] for row in self._select_in(
            "SELECT DISTINCT ticket_id FROM events WHERE source = ? AND actor_id IN ({})",
            source, moved,
        )}

    def _time_entries_that_change(self, source: str, entries: list[TimeEntry]) -> set[str]:
        """Tickets whose logged time moves: sources re-read a day of entries every sync, and
        an entry read again unchanged must not make its ticket's facts recompute."""
        old = {row[0]: (row[1], row[2]) for row in self._select_in(
            "SELECT id, ticket_id, seconds FROM time_entries WHERE source = ? AND id IN ({})",
            source, [e.id for e in entries])}
        moved: set[str] = set()
        for entry in entries:
            before = old.get(entry.id)
            if before != (entry.ticket_id, entry.seconds):
                moved.update(t for t in (entry.ticket_id, before[0] if before else None) if t)
        return moved

    def events_seen(self, source: str, ticket_ids: list[str]) -> dict[str, int]:
        """The vendor's history count stored with each ticket when its events were read
        (Intercom: `count_conversation_parts`), for connectors that skip unchanged ones."""
        return {row[0]: row[1] for row in self._select_in(
            "SELECT id, events_seen FROM tickets WHERE source = ? AND id IN ({}) "
            "AND events_seen IS NOT NULL", source, ticket_ids)}

    def _select_in(self, sql: str, source: str, keys: list[str]) -> Iterator[tuple[Any, ...]]:
        for start in range(0, len(keys), _IN_CHUNK):
            chunk = keys[start : start + _IN_CHUNK]
            query = sql.format(",".join("?" * len(chunk)))
            yield from self.conn.execute(query, (source, *chunk))

    def _mark_dirty(self, source: str, ticket_ids: Iterable[str]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO kpi_dirty (source, ticket_id) VALUES (?, ?)",
            [(source, tid) for tid in ticket_ids],
        )

    def add_dead_letter(self, source: str, stream: str, rejected: Rejected) -> None:
        self.conn.execute(
            "INSERT INTO dead_letters (source, stream, at, error, payload) VALUES (?, ?, ?, ?, ?)",
            (source, stream, iso(rejected.at) or _now_iso(), rejected.error,
             _json(rejected.payload)),
        )

    # -- runs ---------------------------------------------------------------------------

    def start_run(self, source: str, mode: str) -> int:
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO sync_runs (source, mode, started_at, status) "
                "VALUES (?, ?, ?, 'running')",
                (source, mode, _now_iso()),
            )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, error: str | None = None) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE sync_runs SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                (status, error, _now_iso(), run_id),
            )

    def dirty_tickets(self, source: str | None = None) -> set[tuple[str, str]]:
        sql, args = "SELECT source, ticket_id FROM kpi_dirty", ()
        if source is not None:
            sql, args = sql + " WHERE source = ?", (source,)
        return {(row[0], row[1]) for row in self.conn.execute(sql, args)}


@lru_cache(maxsize=64)
def _upsert_sql(table: str, columns: tuple[str, ...], pk: tuple[str, ...]) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in pk)
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {updates}")


def _group(records: Sequence[NormalizedRecord]) -> dict[type, list[Any]]:
    grouped: dict[type, list[Any]] = {}
    for record in records:
        grouped.setdefault(type(record), []).append(record)
    return grouped
