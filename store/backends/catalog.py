"""What only a database's own catalog knows, asked the same way of both: SQLite's
`sqlite_master` and PRAGMAs, PostgreSQL's information_schema (the connection's current
schema). `Store` exposes these as methods, so no caller reads either catalog itself."""

from __future__ import annotations

from deskpulse.store.backends import Connection
from deskpulse.store.backends import sqlite as sqlite_backend


def schema_version(conn: Connection, backend: str) -> int:
    if backend == "sqlite":
        return sqlite_backend.user_version(conn)  # type: ignore[arg-type]
    from deskpulse.store.backends import pg_migrate

    return pg_migrate.version(conn)  # type: ignore[arg-type]


def names(conn: Connection, backend: str, kind: str = "table", prefix: str = "") -> list[str]:
    """Tables or views (`kind`) whose name starts with `prefix`."""
    if backend == "sqlite":
        return sqlite_backend.names(conn, kind, prefix)  # type: ignore[arg-type]
    table = "tables" if kind == "table" else "views"
    where = " AND table_type = 'BASE TABLE'" if kind == "table" else ""
    return [row[0] for row in conn.execute(
        f"SELECT table_name FROM information_schema.{table} WHERE table_schema = "
        f"current_schema() AND table_name LIKE ?{where} ORDER BY table_name",
        (f"{prefix}%",))]


def column_names(conn: Connection, backend: str, table: str) -> list[str]:
    """A table's or view's columns, in their order."""
    if backend == "sqlite":
        return sqlite_backend.column_names(conn, table)  # type: ignore[arg-type]
    return [row[0] for row in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ? ORDER BY ordinal_position", (table,))]


def drop_views(conn: Connection, backend: str, prefix: str) -> None:
    """Drop the views named `prefix…`, in the transaction the caller holds. PostgreSQL
    refuses to drop a view another one reads: CASCADE drops those too (the caller recreates
    them), and an advisory lock keeps two installers of the views from interleaving."""
    if backend == "postgresql":
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('deskpulse-views:' || "
                     "current_schema()))")
    for name in names(conn, backend, "view", prefix):
        suffix = " CASCADE" if backend == "postgresql" else ""
        conn.execute(f"DROP VIEW IF EXISTS {name}{suffix}")
