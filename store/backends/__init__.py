"""The database behind a Store: SQLite (a file) or PostgreSQL (a server), one interface.

`Connection` is the part of sqlite3's DB-API that deskpulse uses; both `sqlite3.Connection`
and `postgres.PgConnection` satisfy it, so KPI code and the store's verbs write one SQL with
`?` placeholders and never learn which database they run on.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from deskpulse.store.backends.target import DatabaseUrl, Target, is_url, redact, target


class Cursor(Protocol):
    """What callers read from an executed statement."""

    @property
    def description(self) -> Any: ...

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """A connection in autocommit mode: transactions are opened by `Store.transaction`."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any: ...

    @property
    def in_transaction(self) -> bool: ...

    def close(self) -> None: ...


def database_fault(exc: BaseException) -> bool:
    """Whether `exc` is the database itself failing (locked, unreachable, disk, I/O), not
    the data: sqlite3's OperationalError, or psycopg's when PostgreSQL is in use."""
    if isinstance(exc, sqlite3.OperationalError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.OperationalError)


__all__ = ["Connection", "Cursor", "DatabaseUrl", "Target", "database_fault", "is_url", "redact",
           "target"]
