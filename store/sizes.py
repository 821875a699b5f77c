"""How many bytes a store takes, asked of whichever engine it runs on: per table (with its
indexes) and in all.

The benchmarks (bench/) report store size on SQLite and on PostgreSQL; the engines' catalogs
(`dbstat`, `pg_total_relation_size`) stay here, behind the store's seam (a table's columns are
`Store.column_names`), so nothing above it names an engine's internals.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deskpulse.store.db import Store


def bytes_by_table(store: Store) -> dict[str, int] | None:
    """Bytes of each table with its indexes (and, on PostgreSQL, its TOAST); None where the
    engine cannot tell (a SQLite built without the `dbstat` table)."""
    if store.backend == "postgresql":
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
    if store.backend == "postgresql":
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
    if store.backend == "sqlite":
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
