"""The store's own SQL (store/pages.py upserts, unmapped values, schedule versions, dead
letters, dirty keys; store/external.py imports) writes the same rows on PostgreSQL.

A simulated backfill runs on SQLite with every committed page recorded; the same pages are
then committed (`Store.commit_page`) to a new PostgreSQL store on a fresh schema
(tests/backends.py), twice (a page read again upserts the same rows), and the example
imports go through `store.external` on both. Tables are compared row by row; JSON is
compared as values, import times are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from deskpulse.app.imports.importer import parse, write
from deskpulse.store import Store, pages
from deskpulse.store.backends import pg_schema
from tests.backends import opened, row_key, typed
from tests.simdesk import backfilled_store
from tests.test_business_kpis import FIXTURES
from tests.test_postgres_views import NOW

SKIPPED = {"sync_runs", "ext_imports", "kpi_meta"}  # run times and import times: the clock
TIMED = {"imported_at", "updated_at"}
JSON_COLUMNS = {name for name, kind in pg_schema.COLUMN_TYPES.items()
                if kind in (pg_schema.JSONB, pg_schema.JSON)}


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


def tables(store: Store) -> list[str]:
    return [name for name in store.names("table") if name not in SKIPPED]


@pytest.fixture
def pg(tmp_path) -> Iterator[Store]:
    """A new PostgreSQL store on a fresh schema."""
    with opened("postgresql", tmp_path) as made:
        yield made


@pytest.fixture
def recorded(tmp_path, monkeypatch) -> tuple[Store, list[tuple[Any, ...]]]:
    """A backfilled SQLite store and every page its sync committed."""
    seen: list[tuple[Any, ...]] = []
    original = Store.commit_page

    def recording(self, source, stream, records, cursor, **kwargs):
        seen.append((source, stream, list(records), cursor, kwargs.get("keep_bodies")))
        return original(self, source, stream, records, cursor, **kwargs)

    monkeypatch.setattr(Store, "commit_page", recording)
    store = backfilled_store(tmp_path / "s.db", tickets=150, seed=3, now=NOW, days=20)
    monkeypatch.undo()
    return store, seen


def replay(pg: Store, seen: list[tuple[Any, ...]]) -> None:
    """Commit each recorded page again (no run to count it in, no lease to hold)."""
    for source, stream, records, cursor, keep_bodies in seen:
        pg.commit_page(source, stream, records, cursor, keep_bodies=keep_bodies)


def test_a_backfills_pages_write_the_same_rows_on_postgresql(recorded, pg):
    store, seen = recorded
    assert len(seen) > 3
    pg.conn.execute("INSERT INTO sources VALUES (?, ?, ?, ?)",
                    store.conn.execute("SELECT * FROM sources").fetchone())
    for _ in range(2):  # a page read again changes nothing
        replay(pg, seen)
        for name in tables(store):
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


def test_imports_write_the_same_rows_on_postgresql(tmp_path, pg):
    store = Store.open(tmp_path / "i.db")
    for target in (store, pg):
        target.ensure_source("desk", "zendesk", None)
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


def test_the_dirty_keys_of_a_page_are_kept_once(tmp_path, pg):
    """INSERT ... ON CONFLICT DO NOTHING (was INSERT OR IGNORE) on both engines."""
    with opened("sqlite", tmp_path) as lite:
        for target in (lite.conn, pg.conn):
            pages.mark_dirty(target, "s", ["a", "b", "a"])
            pages.mark_dirty(target, "s", ["b", "c"])
        assert table(pg.conn, "kpi_dirty") == table(lite.conn, "kpi_dirty") == [
            (typed("s"), typed(t)) for t in "abc"]

