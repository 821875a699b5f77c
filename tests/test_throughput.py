"""The throughput work (issue #18) must never change what is stored: a backfill with the
store's bulk settings (`store.backends.sqlite.WAL_AUTOCHECKPOINT_PAGES`) leaves exactly the rows a
backfill with SQLite's defaults leaves, and a page with no dead letters to resolve skips
that DELETE without keeping a letter whose record came back."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from deskpulse.store import Store
from deskpulse.store.backends import sqlite as db
from deskpulse.store.models import Rejected, Ticket
from tests.simdesk import backfilled_store

NOW = datetime(2026, 3, 11, 0, 1, tzinfo=UTC)
# columns written from the wall clock as the run goes, not from what the vendor sent
WALL_CLOCK = {"sources": {"added_at"}, "sync_state": {"updated_at"},
              "sync_runs": {"started_at", "finished_at", "pid", "host"},
              "unmapped": {"seen_at"}, "dead_letters": {"at"}}


def tables(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, without the wall-clock columns."""
    found = {}
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                "AND name NOT LIKE 'sqlite_%' ORDER BY name"):
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info('{name}')")
                   if row[1] not in WALL_CLOCK.get(name, set())]
        found[name] = sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {name}"),
                             key=repr)
    return found


def backfill(path: Path) -> dict[str, list[tuple]]:
    store = backfilled_store(path, tickets=300, seed=7, now=NOW, days=60)
    try:
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == \
            db.WAL_AUTOCHECKPOINT_PAGES
        return tables(store.conn)
    finally:
        store.close()


def test_a_backfill_stores_exactly_what_it_stores_with_sqlites_defaults(tmp_path, monkeypatch):
    bulk = backfill(tmp_path / "bulk.db")
    monkeypatch.setattr(db, "WAL_AUTOCHECKPOINT_PAGES", 1000)  # SQLite's own default
    plain = backfill(tmp_path / "plain.db")
    assert sum(len(rows) for rows in bulk.values()) > 1000  # a real account, not an empty one
    assert bulk["ticket_facts"] and bulk["kpi_daily"] and bulk["events"]
    assert bulk.keys() == plain.keys()
    for name in bulk:
        assert bulk[name] == plain[name], name


def _ticket(tid: str) -> Ticket:
    return Ticket(id=tid, status="open", channel="email", created_at=NOW, updated_at=NOW)


def test_a_letter_goes_when_its_record_comes_back_and_pages_without_letters_go_on(tmp_path):
    store = Store.open(tmp_path / "d.db")
    store.ensure_source("s", "zendesk", None)
    store.commit_page("s", "tickets", [_ticket("1")], None)  # no letters: the probe skips
    store.commit_page("s", "tickets", [Rejected(error="bad", payload={"id": 2}, record_id="2"),
                                       Rejected(error="bad", payload={"id": 3}, record_id="3")],
                      None)
    store.commit_page("s", "tickets", [_ticket("2")], None)
    assert [r[0] for r in store.conn.execute("SELECT record_id FROM dead_letters")] == ["3"]
    assert store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 2
