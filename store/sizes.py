"""What a store holds, asked of whichever engine it runs on: a table's columns, bytes per
table, bytes in all.

The benchmarks (bench/) report store size and copy rows column by column on SQLite and on
PostgreSQL; the engine's catalog (`PRAGMA table_info`, `dbstat`, `pg_total_relation_size`)
stays here, behind the store's seam, so nothing above it names an engine's internals.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deskpulse.store.db import Store


def backend(store: Store) -> str:
    """"sqlite" or "postgresql" (a store from before the PostgreSQL backend is SQLite)."""
    return str(getattr(store, "backend", "sqlite"))


def columns(store: Store, table: str) -> list[str]:
    """The columns of `table`, in their declared order."""
    if backend(store) == "postgresql":
        rows = store.conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() ORDER BY ordinal_position", (table,))
        return [row[0] for row in rows]
    return [row[1] for row in store.conn.execute(
        "SELECT * FROM pragma_table_info(?)", (table,))]


def bytes_by_table(store: Store) -> dict[str, int] | None:
    """Bytes of each table with its indexes (and, on PostgreSQL, its TOAST); None where the
    engine cannot tell (a SQLite built without the `dbstat` table)."""
    if backend(store) == "postgresql":
        rows = store.conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')")
        return {name: int(size) for name, size in rows}
    checkpoint(store)
    try:
        rows = store.conn.execute(
            "SELECT m.tbl_name, SUM(s.pgsize) FROM dbstat AS s "
            "JOIN sqlite_master AS m ON m.name = s.name GROUP BY m.tbl_name")
        return {name: int(size) for name, size in rows}
    except sqlite3.OperationalError:  # "no such table: dbstat"
        return None


def total_bytes(store: Store) -> int:
    """Bytes the store takes: the SQLite file after a checkpoint (its WAL folded in), or
    every relation of the store's PostgreSQL schema with indexes and TOAST."""
    if backend(store) == "postgresql":
        row = store.conn.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'm')").fetchone()
        return int(row[0])
    checkpoint(store)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    size = store.conn.execute("PRAGMA page_size").fetchone()[0]
    return int(pages) * int(size)


def checkpoint(store: Store) -> None:
    """Fold SQLite's WAL into the file (sizes read afterwards are the file's); on
    PostgreSQL nothing to do: its WAL is not part of a database's size."""
    if backend(store) == "sqlite":
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
