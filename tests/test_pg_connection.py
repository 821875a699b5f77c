"""The PostgreSQL connection speaks sqlite3's dialect for us: `?` placeholders (translated
once per SQL text, never inside quotes or comments) and values read back in SQLite's forms."""

from __future__ import annotations

import psycopg
import pytest

from deskpulse.store.backends.postgres import to_pyformat


def test_placeholders_outside_quotes_and_comments_become_psycopgs():
    assert to_pyformat("SELECT ? WHERE a = ? AND b LIKE 'x%'") == \
        "SELECT %s WHERE a = %s AND b LIKE 'x%%'"
    assert to_pyformat("SELECT '?', \"odd?name\", 'it''s ?' -- why?\n, ?") == \
        "SELECT '?', \"odd?name\", 'it''s ?' -- why?\n, %s"
    assert to_pyformat("SELECT /* ? % */ ? % 2") == "SELECT /* ? %% */ %s %% 2"
    assert to_pyformat("SELECT 'unterminated ?") == "SELECT 'unterminated ?"


def test_values_come_back_as_sqlite_gives_them(pg_target):
    from deskpulse.store import Store

    store = Store.open(pg_target)
    try:
        row = store.conn.execute(
            "SELECT ?::timestamptz, ?::timestamptz, ?::date, ?::jsonb, ?::json, "
            "SUM(x), AVG(x), 1 = 1, 1 = 2, ?::bytea, 2.5::float8 "
            "FROM (VALUES (1::bigint), (2::bigint)) AS v(x)",
            ("2026-03-02T09:00:00Z", "2026-03-02 10:00:00.75+01:00", "2026-03-02",
             '{"b": [1, 2], "a": "ü"}', '{"b": [1, 2], "a": "ü"}', b"\x00\x01")).fetchone()
        assert row == ("2026-03-02T09:00:00Z", "2026-03-02T09:00:00Z", "2026-03-02",
                       '{"a":"ü","b":[1,2]}', '{"b": [1, 2], "a": "ü"}', 3, 1.5, 1, 0,
                       b"\x00\x01", 2.5)
        assert store.conn.execute("SELECT NULL::timestamptz, NULL::jsonb").fetchone() == \
            (None, None)
        assert not store.conn.in_transaction
        with store.transaction():
            assert store.conn.in_transaction
            with store.transaction():  # a savepoint, rolled back alone
                store.conn.execute("INSERT INTO kpi_meta (key, value) VALUES ('a', '1')")
                with pytest.raises(psycopg.errors.NotNullViolation), store.transaction():
                    store.conn.execute("INSERT INTO kpi_meta (key, value) VALUES ('b', ?)",
                                       (None,))  # NOT NULL: fails, rolls back alone
        assert store.conn.execute("SELECT key FROM kpi_meta").fetchall() == [("a",)]
    finally:
        store.close()
