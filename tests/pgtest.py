"""A scratch PostgreSQL schema for tests that hold SQL against SQLite, and the helpers they
share: values read back as SQLite gives them, and tables copied from a SQLite store.

The server is the one CI provides (127.0.0.1:5432, database `test`, trust auth). When it is
unreachable the test FAILS with a one-line reason, unless DESKPULSE_TEST_POSTGRES=skip.
Each schema is `pgsql_<random>`, first on the search_path, and dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from deskpulse.store import postgres_compat

DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5"
SKIP_ENV = "DESKPULSE_TEST_POSTGRES"


def connect() -> psycopg.Connection:
    """A connection to the test server, or the test fails (skips only when asked to)."""
    try:
        return psycopg.connect(DSN, autocommit=True)
    except psycopg.OperationalError as exc:
        first = (str(exc).strip().splitlines() or ["no reason given"])[0]
        reason = (f"PostgreSQL at 127.0.0.1:5432 (database test) is unreachable: {first}; "
                  f"start it, or set {SKIP_ENV}=skip to skip the PostgreSQL tests")
        if os.environ.get(SKIP_ENV) == "skip":
            pytest.skip(reason)
        pytest.fail(reason, pytrace=False)


@contextmanager
def scratch_schema(*, compat: bool = True) -> Iterator[psycopg.Connection]:
    """A connection whose search_path is a new schema (with the compat functions), in UTC."""
    conn = connect()
    schema = f"pgsql_{secrets.token_hex(6)}"
    try:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path TO {schema}")
        conn.execute("SET TimeZone TO 'UTC'")
        if compat:
            postgres_compat.install(conn)
        yield conn
    finally:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.close()


def as_sqlite(value: Any) -> Any:
    """A value read from PostgreSQL as SQLite returns it (what the PostgreSQL backend's
    loaders do): instants and days as the store's text, booleans as 0/1, numerics as int
    when whole text without a point, else float."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = str(value)
        return int(text) if "." not in text and "E" not in text.upper() else float(value)
    return value


def typed(value: Any) -> tuple[str, Any]:
    """A value with its Python type, so 1 and 1.0 (SQLite: INTEGER and REAL) differ."""
    return (type(value).__name__, value)


def row_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((v is None, "" if v is None else str(v)) for v in row)


# The PostgreSQL type of a column copied from the SQLite schema, after pgcore's rules:
# instants timestamptz, days date, JSON text jsonb, INTEGER bigint, REAL double precision.
JSON_COLUMNS = {"tags", "raw", "metrics", "hours", "holidays", "conditions", "cursor",
                "payload"}
DAY_COLUMNS = {"day", "period_start", "period_end", "start_date", "churn_date"}


def pg_type(column: str, declared: str) -> str:
    if column == "at" or column.endswith("_at"):
        return "timestamptz"
    if column in DAY_COLUMNS or column.endswith("_day"):
        return "date"
    if column in JSON_COLUMNS:
        return "jsonb"
    return {"INTEGER": "bigint", "REAL": "double precision", "BLOB": "bytea"}.get(
        declared.upper(), "text")


def copy_tables(lite: sqlite3.Connection, pg: psycopg.Connection) -> list[str]:
    """Create every table of the SQLite store in the PostgreSQL schema (a quick translation
    of its DDL: columns, types, primary keys) and copy its rows; return the table names."""
    tables = [name for (name,) in lite.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    for table in tables:
        info = lite.execute(f"PRAGMA table_info('{table}')").fetchall()
        columns = [f"{name} {pg_type(name, declared)}" for _cid, name, declared, *_rest in info]
        key = [name for _cid, name, _d, _nn, _default, pk in sorted(info, key=lambda r: r[5])
               if pk]
        if key:
            columns.append(f"PRIMARY KEY ({', '.join(key)})")
        pg.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
        rows = lite.execute(f"SELECT * FROM {table}").fetchall()
        if rows:
            marks = ", ".join(["%s"] * len(info))
            with pg.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    return tables


class _Loaders:
    """psycopg loaders giving SQLite's values (the PostgreSQL backend registers its own)."""

    @staticmethod
    def register(conn: psycopg.Connection) -> None:
        from psycopg.adapt import Loader

        class Instant(Loader):
            def load(self, data: Any) -> str:  # '2026-01-30 10:00:00+00' in a UTC session
                text = bytes(data).decode()
                return text[:10] + "T" + text[11:19] + "Z"

        class Day(Loader):
            def load(self, data: Any) -> str:
                return bytes(data).decode()

        class Number(Loader):
            def load(self, data: Any) -> int | float:
                text = bytes(data).decode()
                return int(text) if "." not in text else float(text)

        class Flag(Loader):
            def load(self, data: Any) -> int:
                return int(bytes(data) == b"t")

        for name, loader in (("timestamptz", Instant), ("date", Day), ("numeric", Number),
                             ("bool", Flag), ("jsonb", Day)):
            conn.adapters.register_loader(name, loader)


class QmarkConnection:
    """The few sqlite3 verbs kpi/ and store/ use, on psycopg: `?` placeholders become `%s`
    (a test stand-in for the PostgreSQL backend's connection, to run our SQL unchanged)."""

    def __init__(self, conn: psycopg.Connection):
        self.raw = conn
        _Loaders.register(conn)

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Any = ()) -> Any:
        return self.raw.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Any) -> Any:
        cursor = self.raw.cursor()
        rows = [tuple(row) for row in rows]
        if rows:
            cursor.executemany(self._sql(sql), rows)
        return cursor

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


class QmarkStore:
    """A Store-shaped object over `QmarkConnection`: `conn` and nested `transaction()`."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = QmarkConnection(conn)
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[QmarkStore]:
        self._depth += 1
        name = f"sp{self._depth}"
        outer = self._depth == 1
        self.conn.raw.execute("BEGIN" if outer else f"SAVEPOINT {name}")
        try:
            yield self
        except BaseException:
            self.conn.raw.execute("ROLLBACK" if outer else f"ROLLBACK TO SAVEPOINT {name}")
            raise
        else:
            self.conn.raw.execute("COMMIT" if outer else f"RELEASE SAVEPOINT {name}")
        finally:
            self._depth -= 1
