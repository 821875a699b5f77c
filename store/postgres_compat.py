"""SQLite's functions on PostgreSQL (store/postgres_compat.sql), so the same SQL runs on both.

kpi/views.sql and the SQL in kpi/ and store/ are written once, in SQL both engines accept;
where a rewrite would be unreadable (date arithmetic, julianday, strftime, round, json_each
over a tag array) they call SQLite's functions, which this module installs on PostgreSQL under
the same names with the same results (tests/test_postgres_compat.py holds each against
sqlite3). `install` is idempotent (CREATE OR REPLACE) and creates the functions in the first
schema of the connection's search_path, where the tables are; the PostgreSQL migration calls
it in its transaction, under its advisory lock (two sessions replacing one function at once
fail with "tuple concurrently updated").
"""

from __future__ import annotations

from importlib import resources
from typing import Any, Protocol

# every function the script defines, for readers and for the test that checks it is complete
FUNCTIONS = ("julianday", "date", "strftime", "round", "instr", "json_each")


class _Executes(Protocol):
    def execute(self, query: Any, params: Any = ..., /) -> Any: ...


def script() -> str:
    """The SQL that installs the functions."""
    return resources.files("deskpulse.store").joinpath("postgres_compat.sql").read_text(
        encoding="utf-8")


def install(conn: _Executes) -> None:
    """Create or replace the functions on a psycopg connection (not a `?`-translating
    wrapper: the script's `%` and regular expressions go to the server untouched)."""
    conn.execute(script().encode("utf-8"))
