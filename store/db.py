"""`Store`: the few verbs the rest of deskpulse needs on its database (SQLite or PostgreSQL).

The page is the unit of work: `commit_page` writes a page's records, its dead letters, the
stream's new cursor, the run's counters and the set of tickets whose KPI facts are now stale
(`kpi_dirty`) in one transaction. A crash before it leaves nothing of the page; a crash after
it leaves everything, including the note that KPIs must be refreshed, so a restart resumes
exactly from the last committed page and re-reading a page upserts the same rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from deskpulse.store import pages
from deskpulse.store.backends import Connection, DatabaseUrl, Target, catalog, is_url
from deskpulse.store.backends import sqlite as sqlite_backend
from deskpulse.store.leases import Lease, LeaseVerbs, fence
from deskpulse.store.models import NormalizedRecord, Rejected
from deskpulse.store.opening import StoreUnusable, check_version, create_private, open_readonly
from deskpulse.store.pages import now_iso as _now_iso
from deskpulse.store.rows import to_json as _json
from deskpulse.store.schema import migrate


class Store(LeaseVerbs):
    """An open deskpulse database: a SQLite file (one writer; any number of readers through
    WAL) or a PostgreSQL database (`backend`), behind one `conn` (store.backends)."""

    def __init__(self, conn: Connection, path: str | Target, *, keep_bodies: bool = True,
                 backend: str = "sqlite"):
        self.conn = conn
        self.target: Target = path if isinstance(path, DatabaseUrl) else Path(path)
        self.path = str(path)  # a URL shows without its password
        self.keep_bodies = keep_bodies
        self.backend = backend
        self._savepoints = 0

    @classmethod
    def open(cls, target: str | Path | DatabaseUrl, *, keep_bodies: bool = True) -> Store:
        """Open (creating if new: a file owner-only) and migrate `target`, a SQLite path or
        a postgresql:// URL."""
        if is_url(target):
            return cls._open_postgres(DatabaseUrl(target), keep_bodies)  # type: ignore[arg-type]
        path = str(target)
        create_private(path)
        try:
            conn = sqlite_backend.connect_writable(path)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                raise
            raise _not_sqlite(path, exc) from None
        try:
            check_version(conn, path, writable=True)
            migrate(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if isinstance(exc, sqlite3.OperationalError):
                raise
            raise _not_sqlite(path, exc) from None
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, keep_bodies=keep_bodies)

    @classmethod
    def _open_postgres(cls, url: DatabaseUrl, keep_bodies: bool,
                       readonly: bool = False) -> Store:
        from deskpulse.store.backends import pg_migrate, postgres

        conn = postgres.connect(url, readonly=readonly)
        try:
            check_version(pg_migrate.version(conn), url, writable=not readonly)
            if not readonly:
                pg_migrate.migrate(conn)
        except BaseException:
            conn.close()
            raise
        return cls(conn, url, keep_bodies=keep_bodies, backend="postgresql")

    @classmethod
    def open_readonly(cls, target: str | Path | DatabaseUrl) -> Store:
        """Open `target` for reading only: a file's bytes never change, whoever owns it
        (store.opening says how a WAL file is read without write access); a PostgreSQL
        session refuses to write (`default_transaction_read_only`)."""
        if is_url(target):
            return cls._open_postgres(DatabaseUrl(target), True,  # type: ignore[arg-type]
                                      readonly=True)
        conn = open_readonly(Path(target))
        conn.execute(f"PRAGMA busy_timeout = {sqlite_backend.busy_timeout_ms()}")
        conn.execute("PRAGMA query_only = ON")
        return cls(conn, str(target))

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """A write transaction (nested: a savepoint, rolled back alone when it raises).

        SQLite: BEGIN IMMEDIATE takes the write lock up front, so two writers in one process
        (the daemon syncing several sources) queue on busy_timeout instead of failing with
        SQLITE_BUSY_SNAPSHOT when a deferred read transaction tries to upgrade.
        PostgreSQL: BEGIN; rows are locked as they are written.
        """
        if self.conn.in_transaction:
            with self._savepoint():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE" if self.backend == "sqlite" else "BEGIN")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        self._savepoints += 1
        name = f"deskpulse_{self._savepoints}"
        try:
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    self.conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            self.conn.execute(f"RELEASE SAVEPOINT {name}")
        finally:
            self._savepoints -= 1

    # -- what only the database's own catalog knows (store.backends.catalog) -------------

    def schema_version(self) -> int:
        """The migrations applied (SQLite `user_version`; PostgreSQL `deskpulse_schema`)."""
        return catalog.schema_version(self.conn, self.backend)

    def names(self, kind: str = "table", prefix: str = "") -> list[str]:
        """Tables or views (`kind`) whose name starts with `prefix`."""
        return catalog.names(self.conn, self.backend, kind, prefix)

    def column_names(self, table: str) -> list[str]:
        """A table's or view's columns, in their order."""
        return catalog.column_names(self.conn, self.backend, table)

    def analyze(self) -> None:
        """Refresh the query planner's statistics after a bulk change (a backfill's or a
        rebuild's KPI refresh). PostgreSQL plans from them, and autovacuum may be off or
        behind: without them a 500-id lookup on `ticket_facts` scanned a day index instead
        of the key (docs/benchmarks.md §9). SQLite: nothing; its plans come from the query
        forms (kpi.upkeep.refresh pins them) and `sqlite_stat1` would move them."""
        if self.backend == "postgresql":
            for name in self.names("table"):
                self.conn.execute(f"ANALYZE {name}")

    def drop_views(self, prefix: str) -> None:
        """Drop the views named `prefix…` in the caller's transaction (store.backends.catalog
        says how PostgreSQL differs)."""
        catalog.drop_views(self.conn, self.backend, prefix)

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
                "until) VALUES (?, ?, ?, 'running', ?, ?, ?, ?) RETURNING id",
                (source, mode, _now_iso(), pid, host, since, until),
            )
            return int(cur.fetchone()[0])

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


def _not_sqlite(path: str, exc: sqlite3.DatabaseError) -> StoreUnusable:
    return StoreUnusable(f"{path} is not a SQLite database ({exc})",
                         "point `database` / --database at a deskpulse file, or at a new "
                         "file name, or at a postgresql:// URL")
