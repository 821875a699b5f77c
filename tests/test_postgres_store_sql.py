"""The store's own SQL (store/pages.py upserts, unmapped values, schedule versions, dead
letters, dirty keys; store/external.py imports) writes the same rows on PostgreSQL.

A simulated backfill runs on SQLite with every committed page recorded; the same pages are
then written through `store.pages` into an empty PostgreSQL copy of the schema (via
tests/pgtest.py's `QmarkStore`), twice (a page read again upserts the same rows), and the
example imports go through `store.external` on both. Tables are compared row by row; JSON is
compared as values (jsonb keeps its own spelling), import times are left out.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from deskpulse.app.imports.importer import parse, write
from deskpulse.store import Store, pages
from deskpulse.store.schema import migrate
from tests.pgtest import JSON_COLUMNS, QmarkStore, copy_tables, row_key, scratch_schema, typed
from tests.simdesk import backfilled_store
from tests.test_business_kpis import FIXTURES
from tests.test_postgres_views import NOW

SKIPPED = {"sync_runs", "ext_imports", "kpi_meta"}  # run times and import times: the clock
TIMED = {"imported_at", "updated_at"}


def table(conn: Any, name: str) -> list[tuple]:
    cursor = conn.execute(f"SELECT * FROM {name}")
    names = [d[0] for d in cursor.description]
    rows = []
    for row in cursor.fetchall():
        rows.append(tuple(
            typed(json.loads(v) if column in JSON_COLUMNS and isinstance(v, str) else v)
            for column, v in zip(names, row, strict=True)
            if not (column in TIMED and name == "sync_state")))
    return sorted(rows, key=row_key)


def tables(conn: sqlite3.Connection) -> list[str]:
    return [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name") if name not in SKIPPED]


@pytest.fixture
def recorded(tmp_path, monkeypatch) -> tuple[Store, list[tuple[Any, ...]]]:
    """A backfilled SQLite store and every page its sync committed."""
    seen: list[tuple[Any, ...]] = []
    original = Store.commit_page

    def recording(self, source, stream, records, cursor, **kwargs):
        seen.append((source, stream, list(records), cursor))
        return original(self, source, stream, records, cursor, **kwargs)

    monkeypatch.setattr(Store, "commit_page", recording)
    store = backfilled_store(tmp_path / "s.db", tickets=150, seed=3, now=NOW, days=20)
    monkeypatch.undo()
    return store, seen


def replay(pg: QmarkStore, seen: list[tuple[Any, ...]]) -> None:
    """What Store.commit_page does with a page, on the stand-in connection."""
    for source, stream, records, cursor in seen:
        with pg.transaction():
            grouped = pages.group(records)
            changed = pages.write_records(pg.conn, source, stream, grouped, True)
            pages.mark_dirty(pg.conn, source, changed)
            pg.conn.execute(
                "INSERT INTO sync_state (source, stream, cursor, updated_at) VALUES "
                "(?, ?, ?, ?) ON CONFLICT (source, stream) DO UPDATE SET "
                "cursor = excluded.cursor, updated_at = excluded.updated_at",
                (source, stream, None if cursor is None else json.dumps(cursor),
                 pages.now_iso()))


def empty_schema(folder: Path) -> sqlite3.Connection:
    lite = sqlite3.connect(folder / "empty.db", isolation_level=None)
    migrate(lite)
    return lite


def test_a_backfills_pages_write_the_same_rows_on_postgresql(recorded, tmp_path):
    store, seen = recorded
    assert len(seen) > 3
    with scratch_schema() as conn:
        empty = empty_schema(tmp_path)
        copy_tables(empty, conn)
        empty.close()
        pg = QmarkStore(conn)
        pg.conn.execute("INSERT INTO sources VALUES (?, ?, ?, ?)",
                        store.conn.execute("SELECT * FROM sources").fetchone())
        for _ in range(2):  # a page read again changes nothing
            replay(pg, seen)
            for name in tables(store.conn):
                if name.startswith(("kpi_", "ticket_facts", "unsolved", "reply_cycles",
                                    "sla_instances")) and name != "kpi_dirty":
                    continue  # the facts: tests/test_postgres_kpi.py
                if name == "sync_state":  # the runner drops finished backfill slots
                    written = table(pg.conn, name)
                    assert all(row in written for row in table(store.conn, name))
                    continue
                if name == "kpi_dirty":
                    assert table(pg.conn, name) == sorted(
                        (typed("demo"), typed(tid)) for (tid,) in store.conn.execute(
                            "SELECT id FROM tickets"))
                    continue
                assert table(pg.conn, name) == table(store.conn, name), name
    store.close()


def test_imports_write_the_same_rows_on_postgresql(tmp_path):
    store = Store.open(tmp_path / "i.db")
    store.ensure_source("desk", "zendesk", None)
    with scratch_schema() as conn:
        copy_tables(store.conn, conn)
        pg = QmarkStore(conn)
        for kind in ("costs", "revenue", "agent_hours", "accounts", "surveys", "costs"):
            parsed = parse(kind, FIXTURES / f"{kind}.csv")
            results = [write(target, parsed, file_name=f"{kind}.csv", source="desk")
                       for target in (store, pg)]
            assert results[0].rows == results[1].rows
            assert results[0].replaced == results[1].replaced
            assert results[0].import_id == results[1].import_id
        for name in ("ext_costs", "ext_revenue", "ext_agent_hours", "ext_accounts", "ratings",
                     "kpi_dirty"):
            assert table(pg.conn, name) == table(store.conn, name), name
        assert [r[:5] for r in table(pg.conn, "ext_imports")] == [
            r[:5] for r in table(store.conn, "ext_imports")]
    store.close()


def test_the_dirty_keys_of_a_page_are_kept_once(tmp_path):
    """INSERT ... ON CONFLICT DO NOTHING (was INSERT OR IGNORE) on both engines."""
    with scratch_schema() as conn:
        empty = empty_schema(tmp_path)
        copy_tables(empty, conn)
        pg = QmarkStore(conn)
        for target in (empty, pg.conn):
            pages.mark_dirty(target, "s", ["a", "b", "a"])
            pages.mark_dirty(target, "s", ["b", "c"])
        assert table(pg.conn, "kpi_dirty") == table(empty, "kpi_dirty") == [
            (typed("s"), typed(t)) for t in "abc"]
        empty.close()

