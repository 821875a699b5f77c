"""Leases: which process syncs which source now, so that any number of daemons, on any
number of machines, share one database's sources and each source is synced by one at a time.

One `source_leases` row per source and job (`sync`: daemons and `deskpulse sync`;
`backfill`: `deskpulse backfill`, which keeps its own cursor slot and may run beside them).
Every verb is a compare-and-set UPDATE judged by its rowcount, in portable SQL (`?`
placeholders, no `FOR UPDATE`, no engine functions), so it means the same on SQLite and
PostgreSQL: on SQLite the write lock orders the UPDATEs, on PostgreSQL the row lock makes
the second UPDATE re-read the row the first one wrote and find its condition false.

Fencing: each claim bumps `generation`. `commit_page(lease=...)` renews the lease inside the
page's own transaction only while holder and generation still match; otherwise it raises
`LeaseLost` and the transaction (page, cursor, dirty keys) rolls back. So a process that
paused past its lease's expiry can never commit after another took the source over, however
far apart the machines' clocks are: clocks only decide how soon an expired lease is taken.

Time is the caller's clock, written as the store's ISO text (whole seconds): the daemons'
machines must agree to within a small fraction of `lease_ttl` (NTP does), or a source may be
taken from a live holder early (wasted work, never a doubled page: the fence stops it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from deskpulse.store.models import iso

Clock = Callable[[], datetime]


class LeaseLost(Exception):  # noqa: N818 - a state the sync reports, not a bug
    """The lease was taken over (it expired first): this process must stop writing."""


@dataclass(frozen=True)
class Lease:
    """A claim on (source, job) by `holder`; `generation` fences its writes."""

    source: str
    job: str
    holder: str
    generation: int
    due: datetime  # the due moment this claim serves (next_due_at when claimed)
    ttl: timedelta
    clock: Clock
    previous: str | None = None  # the holder whose expired lease this claim took over

    def expiry(self) -> str:
        return iso(self.clock() + self.ttl) or ""


class _Conn(Protocol):
    def execute(self, sql: str, params: Any = ..., /) -> Any: ...


class _Store(Protocol):
    conn: Any

    def transaction(self) -> AbstractContextManager[Any]: ...


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def fence(conn: _Conn, lease: Lease) -> None:
    """Renew `lease` inside the caller's transaction, or raise LeaseLost (the caller's
    transaction then rolls back, so nothing it wrote lands)."""
    cur = conn.execute(
        "UPDATE source_leases SET expires_at = ? WHERE source = ? AND job = ? "
        "AND holder = ? AND generation = ?",
        (lease.expiry(), lease.source, lease.job, lease.holder, lease.generation))
    if cur.rowcount != 1:
        row = conn.execute("SELECT holder, expires_at FROM source_leases WHERE source = ? "
                           "AND job = ?", (lease.source, lease.job)).fetchone()
        now_held = f"now held by {row[0]} until {row[1]}" if row and row[0] else "now free"
        msg = (f"lease lost: the {lease.job} lease of source {lease.source} expired and was "
               f"taken over ({now_held}); this process stopped writing it")
        raise LeaseLost(msg)


class LeaseVerbs:
    """The lease verbs of `Store` (mixed into it, so they run in its transactions)."""

    def add_leases(self: _Store, sources: Iterable[str], job: str, due: datetime) -> None:
        """A lease row (free, due at `due`) for each source that has none yet."""
        with self.transaction():
            for source in sources:
                self.conn.execute(
                    "INSERT INTO source_leases (source, job, generation, next_due_at) "
                    "VALUES (?, ?, 0, ?) ON CONFLICT (source, job) DO NOTHING",
                    (source, job, iso(due)))

    def due_sources(self: _Store, job: str, now: datetime) -> list[str]:
        """Sources due at `now` whose lease is free or expired, the longest overdue first."""
        moment = iso(now)
        return [row[0] for row in self.conn.execute(
            "SELECT source FROM source_leases WHERE job = ? AND next_due_at <= ? "
            "AND (holder IS NULL OR expires_at <= ?) ORDER BY next_due_at, source",
            (job, moment, moment)).fetchall()]

    def claim_lease(self: _Store, source: str, job: str, holder: str, *, ttl: timedelta,
                    clock: Clock, due_only: bool = True,
                    dead: str | None = None) -> Lease | None:
        """Take (source, job) if it is free or expired (and, with `due_only`, due): the
        compare-and-set UPDATE lets exactly one of several racing claimers win. `dead`: a
        holder known to be dead (its pid is gone on this host), taken over before expiry."""
        now = clock()
        moment = iso(now)
        with self.transaction():
            self.conn.execute(
                "INSERT INTO source_leases (source, job, generation, next_due_at) "
                "VALUES (?, ?, 0, ?) ON CONFLICT (source, job) DO NOTHING",
                (source, job, moment))
            before = self.conn.execute(
                "SELECT holder, generation, next_due_at FROM source_leases WHERE source = ? "
                "AND job = ?", (source, job)).fetchone()
            due_clause = " AND next_due_at <= ?" if due_only else ""
            cur = self.conn.execute(
                "UPDATE source_leases SET holder = ?, generation = generation + 1, "
                "acquired_at = ?, expires_at = ? WHERE source = ? AND job = ? "
                "AND generation = ? AND (holder IS NULL OR expires_at <= ? OR holder = ?)"
                + due_clause,
                (holder, moment, iso(now + ttl), source, job, before[1], moment, dead,
                 *((moment,) if due_only else ())))
            if cur.rowcount != 1:
                return None
        return Lease(source, job, holder, int(before[1]) + 1, _parse(before[2]), ttl, clock,
                     previous=before[0])

    def hold_lease(self: _Store, lease: Lease) -> None:
        """Push the expiry `ttl` past now, or raise LeaseLost (it was taken over)."""
        with self.transaction():
            fence(self.conn, lease)

    def renew_lease(self: _Store, lease: Lease) -> bool:
        """`hold_lease`, False when the lease was lost meanwhile."""
        try:
            self.hold_lease(lease)  # type: ignore[attr-defined]
        except LeaseLost:
            return False
        return True

    def release_lease(self: _Store, lease: Lease, next_due: datetime | None = None) -> bool:
        """Free the lease, setting when the source is next due (None: it stays due, so
        another process takes it up at once); False when it had been lost already."""
        sql = "UPDATE source_leases SET holder = NULL, expires_at = NULL"
        args: tuple[Any, ...] = ()
        if next_due is not None:
            sql, args = sql + ", next_due_at = ?", (iso(next_due),)
        with self.transaction():
            cur = self.conn.execute(
                sql + " WHERE source = ? AND job = ? AND holder = ? AND generation = ?",
                (*args, lease.source, lease.job, lease.holder, lease.generation))
        return cur.rowcount == 1

    def leases(self: _Store, source: str | None = None) -> list[dict[str, Any]]:
        """Lease rows (of one source), for `status`: who holds what until when."""
        sql = ("SELECT source, job, holder, generation, acquired_at, expires_at, next_due_at "
               "FROM source_leases")
        args: tuple[Any, ...] = ()
        if source is not None:
            sql, args = sql + " WHERE source = ?", (source,)
        cur = self.conn.execute(sql + " ORDER BY source, job", args)
        names = ("source", "job", "holder", "generation", "acquired_at", "expires_at",
                 "next_due_at")
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def next_slot(due: datetime, interval: timedelta, now: datetime) -> datetime:
    """The first moment on `due`'s grid of `interval` after `now`: slots missed while a run
    was long (or every daemon was down) collapse into one."""
    if now < due:  # synced ahead of its slot (a forced claim): the slot stays
        return due
    return due + interval * ((now - due) // interval + 1)

