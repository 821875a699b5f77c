"""What copying a whole store needs beyond the sync verbs (`deskpulse migrate`): its tables,
their columns, row counts and the counters behind identity columns, on either engine.

Kept apart from store/db.py so the PostgreSQL backend's Store stays the one place that knows
how to open and write each engine; this module only asks questions through `store.conn`
(the `?`-placeholder connection both engines offer) and branches on `store.backend` where
the two engines keep their catalogue or their counters differently.
"""

from __future__ import annotations

from typing import Any

# Tables SQLite keeps for itself: never deskpulse rows, never copied.
SQLITE_INTERNAL = "sqlite_%"


def backend(store: Any) -> str:
    """"sqlite" or "postgresql" (a Store without the attribute predates PostgreSQL)."""
    return getattr(store, "backend", "sqlite")


def quoted(name: str) -> str:
    """An identifier quoted the SQL-standard way (both engines): `until`, `at`, `position`
    and friends are column names here."""
    return '"' + name.replace('"', '""') + '"'


def table_names(store: Any) -> list[str]:
    """Every deskpulse table, in creation order (SQLite) or by name (PostgreSQL)."""
    if backend(store) == "sqlite":
        return [row[0] for row in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE ? "
            "ORDER BY rowid", (SQLITE_INTERNAL,))]
    return [row[0] for row in store.conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = "
        "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")]


def column_names(store: Any, table: str) -> list[str]:
    """The table's columns in their declared order."""
    if backend(store) == "sqlite":
        return [row[1] for row in store.conn.execute(f"PRAGMA table_info({quoted(table)})")]
    return [row[0] for row in store.conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ? ORDER BY ordinal_position", (table,))]


def identity_column(store: Any, table: str) -> str | None:
    """The column whose values the engine hands out (`INTEGER PRIMARY KEY AUTOINCREMENT` on
    SQLite, an identity or serial column on PostgreSQL), or None."""
    if backend(store) == "sqlite":
        keys = [row for row in store.conn.execute(f"PRAGMA table_info({quoted(table)})")
                if row[5]]
        if len(keys) == 1 and keys[0][2].upper() == "INTEGER":
            return keys[0][1]
        return None
    for column in column_names(store, table):
        found = store.conn.execute("SELECT pg_get_serial_sequence(?, ?)",
                                   (table, column)).fetchone()
        if found and found[0]:
            return column
    return None


def last_id(store: Any, table: str, column: str) -> int:
    """The highest id the table has ever handed out: SQLite's AUTOINCREMENT counter remembers
    ids of deleted rows (a retried dead letter), so a copy must not hand them out again."""
    highest = store.conn.execute(
        f"SELECT COALESCE(MAX({quoted(column)}), 0) FROM {quoted(table)}").fetchone()[0]
    if backend(store) == "sqlite":
        counter = store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence "
                                     "WHERE name = ?", (table,)).fetchone()
        return max(int(highest), int(counter[0]) if counter else 0)
    return int(highest)


def set_last_id(store: Any, table: str, column: str, value: int) -> None:
    """Make the next id the engine hands out in `table` be `value + 1`."""
    if backend(store) == "sqlite":
        updated = store.conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = ?",
                                     (value, table))
        if updated.rowcount == 0 and value > 0:
            store.conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                               (table, value))
        return
    # setval(seq, n, false) makes n the next value; n = value + 1 >= 1, as sequences need.
    store.conn.execute("SELECT setval(pg_get_serial_sequence(?, ?), ?, false)",
                       (table, column, value + 1))


def row_count(store: Any, table: str) -> int:
    return int(store.conn.execute(f"SELECT COUNT(*) FROM {quoted(table)}").fetchone()[0])


def has_rows(store: Any, table: str) -> bool:
    return store.conn.execute(f"SELECT 1 FROM {quoted(table)} LIMIT 1").fetchone() is not None

