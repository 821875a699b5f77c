"""The relations migration: foreign keys declared for readers, never enforced while syncing,
and an upgrade that keeps every row, index and KPI figure."""

from __future__ import annotations

from datetime import UTC, date, datetime

from deskpulse import kpi
from deskpulse.store import Event, Store, pages
from deskpulse.store import schema as store_schema
from deskpulse.store.rating_join import RATING_HALVES
from deskpulse.store.relations_schema import RELATIONS
from deskpulse.store.schema import SOURCE_LEASES
from tests.simdesk import backfilled_store, rows

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def schema_objects(db: Store) -> list[tuple]:
    return sorted(db.conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ).fetchall(), key=repr)


def test_an_event_whose_ticket_has_not_arrived_is_stored_and_joins_once_it_does(tmp_path):
    db = Store.open(tmp_path / "early.db")
    db.commit_page("acme", "ticket_events", [
        Event(id="e1", ticket_id="t9", at=T0, kind="message", public=True)], None)
    assert db.conn.execute("SELECT ticket_id FROM events").fetchall() == [("t9",)]
    assert db.conn.execute("PRAGMA foreign_keys").fetchone() == (0,)
    # Declared all the same: SQLite's own check names the event as waiting for its ticket.
    orphans = db.conn.execute("PRAGMA foreign_key_check(events)").fetchall()
    assert [(table, parent) for table, _rowid, parent, _fk in orphans] == [("events", "tickets")]
    db.close()


def test_upgrading_a_file_from_the_previous_version_keeps_rows_indexes_and_kpis(
        tmp_path, monkeypatch):
    before = store_schema.MIGRATIONS
    # A file written just before RELATIONS; the migrations that follow it (the rating
    # halves, source_leases) only add tables, so upgrading through them keeps every row.
    index = before.index(RELATIONS)
    assert before[index + 1:] == [RATING_HALVES, SOURCE_LEASES], \
        "migrations appended since: adjust this"
    monkeypatch.setattr(store_schema, "MIGRATIONS", before[:index])
    # the old file is written by a deskpulse from before the rating join (its tables are new)
    monkeypatch.setattr(pages, "write_halves", lambda *args: set())
    old = backfilled_store(tmp_path / "old.db", tickets=150, seed=8, now=NOW, days=20)
    monkeypatch.undo()
    assert old.conn.execute("PRAGMA user_version").fetchone()[0] == index
    old.conn.execute("INSERT INTO ext_imports (kind, feed, file_name, rows, replaced, "
                     "imported_at) VALUES ('costs', 'csv', 'c.csv', 1, 0, '2026-03-01')")
    tables = [name for (name,) in old.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    kept = {table: rows(old, table, without_raw=False) for table in tables}
    sequences = old.conn.execute("SELECT * FROM sqlite_sequence ORDER BY name").fetchall()
    period = {"since": date(2026, 3, 1), "until": date(2026, 3, 20), "now": NOW}
    figures = kpi.summary(old, by="day", **period)
    days = old.conn.execute("SELECT * FROM kpi_days ORDER BY source, day").fetchall()
    old.close()
    assert sum(len(found) for found in kept.values()) > 1000
    assert kept["events"] and kept["ticket_facts"] and kept["sync_runs"]

    upgraded = Store.open(tmp_path / "old.db")
    assert upgraded.conn.execute("PRAGMA user_version").fetchone()[0] == len(before)
    for table, found in kept.items():
        assert rows(upgraded, table, without_raw=False) == found, f"{table} changed"
    assert upgraded.conn.execute(
        "SELECT * FROM sqlite_sequence ORDER BY name").fetchall() == sequences
    assert kpi.summary(upgraded, by="day", **period) == figures
    assert upgraded.conn.execute("SELECT * FROM kpi_days ORDER BY source, day").fetchall() == days
    assert upgraded.conn.execute("PRAGMA foreign_key_list(events)").fetchall()
    assert upgraded.conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    fresh = Store.open(tmp_path / "fresh.db")
    kpi.install_views(fresh)
    assert schema_objects(upgraded) == schema_objects(fresh)
    upgraded.close()
    fresh.close()
