"""Forward-only migrations of a PostgreSQL store, numbered as SQLite's `user_version`.

The version lives in `deskpulse_schema(version)`. A new database gets the whole current
schema in one transaction (translated from the SQLite migrations, store.backends.pg_schema);
a database at an older version gets each later migration translated statement by
statement, one transaction per step. Every step takes a transaction-scoped advisory lock
and reads the version again under it, so deskpulse processes opening the same new database
at once migrate it once: the others wait, then find it done.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from deskpulse.store import postgres_compat, schema
from deskpulse.store.backends.pg_schema import (
    identity_resyncs,
    schema_ddl,
    snapshot,
    step_statements,
)
from deskpulse.store.backends.postgres import PgConnection

VERSION_TABLE = "deskpulse_schema"


def version(conn: PgConnection) -> int:
    """The schema version of the database in the connection's current schema (0: none)."""
    found = conn.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_name = ?", (VERSION_TABLE,)).fetchone()
    if found is None:
        return 0
    row = conn.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()
    return 0 if row is None else int(row[0])


def _lock(conn: PgConnection) -> None:
    """Serialize schema changes per database schema until the transaction ends."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('deskpulse-migrate:' || "
                 "current_schema()))")


def migrate(conn: PgConnection) -> int:
    """Bring the database to the latest version; return it."""
    latest = len(schema.MIGRATIONS)
    if version(conn) == 0:
        _in_transaction(conn, _create, latest)
    while (current := version(conn)) < latest:
        _in_transaction(conn, _step, current)
    if current > latest:  # Store.open says so first, with the fix (store.opening)
        msg = f"database schema version {current} is newer than this deskpulse"
        raise RuntimeError(msg)
    # SQLite's functions as PostgreSQL functions (store.postgres_compat), (re)installed only
    # when their script changed: CREATE OR REPLACE FUNCTION at every open locked pg_proc
    # rows other daemons' queries were using, and deadlocked with them
    # (tests/test_daemon_processes.py); under the migration lock, as two sessions replacing
    # one function at once fail ("tuple concurrently updated").
    if installed_compat(conn) != _digest(postgres_compat.script()):
        _in_transaction(conn, install_compat, None)
    return latest


def _in_transaction(conn: PgConnection, work: Callable[[PgConnection, Any], None],
                    argument: Any) -> None:
    conn.execute("BEGIN")
    try:
        _lock(conn)
        work(conn, argument)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _create(conn: PgConnection, latest: int) -> None:
    if version(conn) != 0:
        return  # another process created it while this one waited for the lock
    for statement in schema_ddl(latest):
        conn.execute(statement)
    conn.execute(f"CREATE TABLE {VERSION_TABLE} (version bigint NOT NULL)")
    conn.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (?)", (latest,))


def _step(conn: PgConnection, before: int) -> None:
    if version(conn) != before:
        return  # another process took this step while this one waited for the lock
    scratch = snapshot(before)
    try:
        for statement in step_statements(scratch, schema.MIGRATIONS[before]):
            conn.execute(statement)
        for statement in identity_resyncs(scratch):
            conn.execute(statement)
    finally:
        scratch.close()
    conn.execute(f"UPDATE {VERSION_TABLE} SET version = ?", (before + 1,))


def _digest(script: str) -> str:
    return hashlib.sha256(script.encode()).hexdigest()


def installed_compat(conn: PgConnection) -> str | None:
    """The digest of the compat script installed in this schema (None: none yet), kept
    beside the schema version."""
    found = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = ? AND column_name = 'compat_digest'", (VERSION_TABLE,)).fetchone()
    if found is None:
        return None
    row = conn.execute(f"SELECT compat_digest FROM {VERSION_TABLE}").fetchone()
    return None if row is None or row[0] is None else str(row[0])


def install_compat(conn: PgConnection, _: object = None) -> None:
    """Install SQLite's functions our SQL calls and remember their script's digest, unless
    another process did while this one waited for the lock."""
    script = postgres_compat.script()
    if installed_compat(conn) == _digest(script):
        return
    postgres_compat.install(conn.raw)
    conn.execute(f"ALTER TABLE {VERSION_TABLE} ADD COLUMN IF NOT EXISTS compat_digest text")
    conn.execute(f"UPDATE {VERSION_TABLE} SET compat_digest = ?", (_digest(script),))
