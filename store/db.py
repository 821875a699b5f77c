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
from pathlib import Path
from typing import Any

import sqlite_utils

from deskpulse.store import pages
from deskpulse.store.leases import Lease, LeaseVerbs, fence
from deskpulse.store.models import NormalizedRecord, Rejected
from deskpulse.store.opening import StoreUnusable, check_version, create_private, open_readonly
from deskpulse.store.pages import now_iso as _now_iso
from deskpulse.store.rows import to_json as _json
from deskpulse.store.schema import migrate

BUSY_TIMEOUT_MS = 30_000
# How long a writer waits for another program's write transaction before giving up
# ("database is locked"); DESKPULSE_BUSY_TIMEOUT_MS overrides it (tests, impatient cron jobs).
BUSY_TIMEOUT_ENV = "DESKPULSE_BUSY_TIMEOUT_MS"
# SQLite's page cache per connection (its default is 2 MiB). A backfill inserts events into
# two indexes in ticket order and the KPI refresh reads them back by ticket: with 2 MiB most
# of those pages came back from the OS on every page commit. Memory, not durability.
CACHE_SIZE_KIB = 32_768
# WAL pages written before SQLite copies them into the file (its default is 1,000: 4 MB).
# A backfill's commits rewrite the same index pages again and again; checkpointing every
# 40 MB instead copies each of them once per 40 MB, and syncs the file a tenth as often:
# ~1.5 s of `commit_page` in a 20,000-ticket local backfill of ~23 s (docs/benchmarks.md §3).
WAL_AUTOCHECKPOINT_PAGES = 10_000


def busy_timeout_ms() -> int:
    value = os.environ.get(BUSY_TIMEOUT_ENV, "")
    return int(value) if value.isdigit() else BUSY_TIMEOUT_MS


class Store(LeaseVerbs):
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
        create_private(path)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            # Off on purpose: the foreign keys are declared for readers, never enforced while
            # syncing (a page of events may arrive before its tickets; store/relations_schema.py).
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute(f"PRAGMA cache_size = -{CACHE_SIZE_KIB}")
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
            check_version(conn, path, writable=True)
            migrate(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if isinstance(exc, sqlite3.OperationalError):
                raise
            msg = f"{path} is not a SQLite database ({exc})"
            raise StoreUnusable(msg, "point `database` / --database at a deskpulse file, "
                                "or at a new file name") from None
        return cls(conn, path, keep_bodies=keep_bodies)

    @classmethod
    def open_readonly(cls, path: str | Path) -> Store:
        """Open `path` for reading only: its bytes never change, whoever owns it
        (store.opening says how a WAL file is read without write access)."""
        conn = open_readonly(Path(path))
        conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
        return cls(conn, str(path))

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
        lease: Lease | None = None,
    ) -> set[str]:
        """Write a page and its cursor atomically; return the ids of tickets it changed.

        `keep_bodies=False` (a source's `store_bodies = false`) drops message text.
        `lease`: the page lands only while the lease is still this writer's (and renews
        it); else `LeaseLost` and nothing of the page is written (store.leases).
        """
        grouped = pages.group(records)
        keep = self.keep_bodies if keep_bodies is None else keep_bodies
        with self.transaction():
            if lease is not None:
                fence(self.conn, lease)
            changed = pages.write_records(self.conn, source, stream, grouped, keep)
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

    def events_seen(self, source: str, ticket_ids: list[str]) -> dict[str, int]:
        """The vendor's history count stored with each ticket when its events were read
        (Intercom: `count_conversation_parts`), for connectors that skip unchanged ones."""
        return {row[0]: row[1] for row in pages.select_in(
            self.conn, "SELECT id, events_seen FROM tickets WHERE source = ? AND id IN ({}) "
            "AND events_seen IS NOT NULL", source, ticket_ids)}

    def _mark_dirty(self, source: str, ticket_ids: Iterable[str]) -> None:
        pages.mark_dirty(self.conn, source, ticket_ids)

    def add_dead_letter(self, source: str, stream: str, rejected: Rejected) -> None:
        pages.add_dead_letter(self.conn, source, stream, rejected)

    # -- runs ---------------------------------------------------------------------------

    def start_run(self, source: str, mode: str, *, pid: int | None = None,
                  host: str | None = None, since: str | None = None,
                  until: str | None = None) -> int:
        """Log a run as running, with its owner (pid, host) so a dead one can be told."""
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO sync_runs (source, mode, started_at, status, pid, host, since, "
                "until) VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
                (source, mode, _now_iso(), pid, host, since, until),
            )
        return int(cur.lastrowid or 0)

    def add_finished_runs(self, runs: Sequence[dict[str, Any]]) -> None:
        """Log runs that ended without being able to write here (their record was kept
        beside the file: deskpulse.app.sync.failed_runs), with their own times, owner and error."""
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO sync_runs (source, mode, started_at, finished_at, status, error, "
                "pid, host, since, until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [tuple(run.get(key) for key in ("source", "mode", "started_at", "finished_at",
                                                "status", "error", "pid", "host", "since",
                                                "until")) for run in runs])

    def running_runs(self, source: str) -> list[dict[str, Any]]:
        """Runs of `source` still marked running (live, or their process died)."""
        cur = self.conn.execute(
            "SELECT id, mode, pid, host, since, until FROM sync_runs "
            "WHERE source = ? AND status = 'running' ORDER BY id", (source,))
        names = [column[0] for column in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def dead_letters(self, source: str) -> list[tuple[int, str, Any]]:
        """(id, stream, vendor object) of every dead letter of `source`, oldest first."""
        return [(row[0], row[1], json.loads(row[2]) if row[2] else None)
                for row in self.conn.execute(
                    "SELECT id, stream, payload FROM dead_letters WHERE source = ? ORDER BY id",
                    (source,))]

    def retry_dead_letter(self, letter_id: int, source: str, stream: str,
                          records: Sequence[NormalizedRecord]) -> None:
        """Store what a retried dead letter now maps to, in place of the letter (a letter
        that is rejected again is replaced by the new rejection, with its new reason)."""
        grouped = pages.group(records)
        with self.transaction():
            self.conn.execute("DELETE FROM dead_letters WHERE id = ?", (letter_id,))
            self._mark_dirty(source, pages.write_records(self.conn, source, stream, grouped,
                                                         self.keep_bodies))

    def finish_run(self, run_id: int, status: str, error: str | None = None) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE sync_runs SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                (status, error, _now_iso(), run_id),
            )

    def dirty_count(self, source: str) -> int:
        """How many of `source`'s tickets wait for a KPI refresh."""
        return self.conn.execute("SELECT COUNT(*) FROM kpi_dirty WHERE source = ?",
                                 (source,)).fetchone()[0]

    def dirty_tickets(self, source: str | None = None) -> set[tuple[str, str]]:
        sql, args = "SELECT source, ticket_id FROM kpi_dirty", ()
        if source is not None:
            sql, args = sql + " WHERE source = ?", (source,)
        return {(row[0], row[1]) for row in self.conn.execute(sql, args)}
