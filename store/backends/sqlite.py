"""The SQLite side of the store seam: opening the file the way deskpulse needs it, and the
questions about its schema that only SQLite's catalog (`sqlite_master`, PRAGMAs) answers."""

from __future__ import annotations

import os
import sqlite3

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


def connect_writable(path: str) -> sqlite3.Connection:
    """The file in WAL mode, autocommit (Store.transaction opens transactions)."""
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
    except BaseException:
        conn.close()
        raise
    return conn


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def names(conn: sqlite3.Connection, kind: str, prefix: str = "") -> list[str]:
    """Tables or views (`kind`) whose name starts with `prefix`, in creation order."""
    return [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = ? AND name LIKE ? "
        "AND name NOT LIKE 'sqlite_%' ORDER BY rowid", (kind, f"{prefix}%"))]


def column_names(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info('{table}')")]
