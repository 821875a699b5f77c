"""A psycopg 3 connection that speaks the same DB-API dialect as sqlite3 does for us.

SQL keeps SQLite's `?` placeholders; each distinct SQL text is translated once (cached) to
psycopg's `%s`, with `%` doubled, leaving `?` and `%` inside quoted literals, quoted names
and comments alone. The connection runs in autocommit mode: `Store.transaction` opens
transactions with BEGIN, nests them with savepoints, and ends them, as on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from deskpulse.store.backends import pg_types
from deskpulse.store.backends.target import DatabaseUrl
from deskpulse.store.opening import StoreUnusable

CONNECT_TIMEOUT_S = 10


@lru_cache(maxsize=4096)
def to_pyformat(sql: str) -> str:
    """`sql` with `?` → `%s` and `%` → `%%` outside quotes and comments (psycopg's format)."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char in "'\"":
            end = sql.find(char, i + 1)
            while end != -1 and sql[end + 1:end + 2] == char:  # '' or "" inside: escaped
                end = sql.find(char, end + 2)
            end = n if end == -1 else end + 1
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end == -1 else end + 2
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        else:
            out.append("%s" if char == "?" else "%%" if char == "%" else char)
            i += 1
    return "".join(out)


class PgConnection:
    """The `Connection` protocol over psycopg: execute, executemany, in_transaction, close."""

    backend = "postgresql"

    def __init__(self, raw: psycopg.Connection[Any]):
        self.raw = raw

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> psycopg.Cursor[Any]:
        return self.raw.execute(to_pyformat(sql), tuple(parameters))  # type: ignore[arg-type]

    def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]], /
                    ) -> psycopg.Cursor[Any]:
        cursor = self.raw.cursor()
        cursor.executemany(to_pyformat(sql),  # type: ignore[arg-type]
                           [tuple(row) for row in seq_of_parameters])
        return cursor

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


def connect(url: DatabaseUrl, *, readonly: bool = False) -> PgConnection:
    """A session in UTC, autocommit, with SQLite-shaped loaders; read-only when asked (every
    transaction of the session refuses to write)."""
    try:
        raw = psycopg.connect(url.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).replace(url.url, str(url)).split())[:300] or "refused"
        msg = f"cannot connect to the database {url}: {reason}"
        raise StoreUnusable(msg, "check that the PostgreSQL server runs and that the URL "
                            "(host, port, user, database) is right") from None
    raw.execute("SET TimeZone = 'UTC'")
    raw.execute("SET DateStyle = 'ISO, YMD'")
    if readonly:
        raw.execute("SET default_transaction_read_only = on")
    row = raw.execute("SELECT current_schema(), current_setting('search_path')").fetchone()
    if row is None or row[0] is None:
        raw.close()
        msg = (f"the database {url} has no schema to use: its search_path "
               f"({row[1] if row else '?'}) names none that exists")
        raise StoreUnusable(msg, "create the schema (CREATE SCHEMA …) or fix the URL's "
                            "options=-csearch_path%3D…")
    pg_types.register(raw)
    return PgConnection(raw)
