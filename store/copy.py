"""What copying a whole store needs beyond the sync verbs and `Store.names` /
`Store.column_names` (`deskpulse migrate`): row counts, and the counters behind identity
columns, which each engine keeps its own way (SQLite's `sqlite_sequence`, PostgreSQL's
identity sequences). Asked through `store.conn`, branching on `store.backend`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deskpulse.store.db import Store

def quoted(name: str) -> str:
    """An identifier quoted the SQL-standard way (both engines): `until`, `at`, `position`
    and friends are column names here."""
    return '"' + name.replace('"', '""') + '"'


def identity_column(store: Store, table: str) -> str | None:
    """The column whose values the engine hands out (`INTEGER PRIMARY KEY AUTOINCREMENT` on
    SQLite, an identity or serial column on PostgreSQL), or None."""
    if store.backend == "sqlite":
        keys = [row for row in store.conn.execute(f"PRAGMA table_info({quoted(table)})")
                if row[5]]
        if len(keys) == 1 and keys[0][2].upper() == "INTEGER":
            return keys[0][1]
        return None
    for column in store.column_names(table):
        found = store.conn.execute("SELECT pg_get_serial_sequence(?, ?)",
                                   (table, column)).fetchone()
        if found and found[0]:
            return column
    return None


def last_id(store: Store, table: str, column: str) -> int:
    """The highest id the table has ever handed out: SQLite's AUTOINCREMENT counter remembers
    ids of deleted rows (a retried dead letter), so a copy must not hand them out again."""
    highest = store.conn.execute(
        f"SELECT COALESCE(MAX({quoted(column)}), 0) FROM {quoted(table)}").fetchone()[0]
    if store.backend == "sqlite":
        counter = store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence "
                                     "WHERE name = ?", (table,)).fetchone()
        return max(int(highest), int(counter[0]) if counter else 0)
    return int(highest)


def set_last_id(store: Store, table: str, column: str, value: int) -> None:
    """Make the next id the engine hands out in `table` be `value + 1`."""
    if store.backend == "sqlite":
        updated = store.conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = ?",
                                     (value, table))
        if updated.rowcount == 0 and value > 0:
            store.conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                               (table, value))
        return
    # setval(seq, n, false) makes n the next value; n = value + 1 >= 1, as sequences need.
    store.conn.execute("SELECT setval(pg_get_serial_sequence(?, ?), ?, false)",
                       (table, column, value + 1))


def row_count(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT COUNT(*) FROM {quoted(table)}").fetchone()[0])


def has_rows(store: Store, table: str) -> bool:
    return store.conn.execute(f"SELECT 1 FROM {quoted(table)} LIMIT 1").fetchone() is not None




def insert_rows(store: Store, table: str, columns: list[str], rows: list[tuple]) -> None:
    """Add `rows` (values in `columns` order) to `table` in the caller's transaction: one
    `executemany` on SQLite, one COPY on PostgreSQL, its values sent by the connection's own
    dumpers (store.backends.pg_types: NUL as U+FFFD, as every write there). COPY is 2.5x an
    executemany there; building COPY's text ourselves was slower still (bench/migrate.py)."""
    names = ", ".join(quoted(column) for column in columns)
    if store.backend == "postgresql":
        raw = store.conn.raw  # type: ignore[attr-defined]
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {quoted(table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    store.conn.executemany(f"INSERT INTO {quoted(table)} ({names}) VALUES ({marks})", rows)
