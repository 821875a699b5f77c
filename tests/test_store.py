from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta

import pytest

from deskpulse.store import (
    Event,
    Person,
    Rating,
    Rejected,
    Store,
    StoreUnusable,
    Ticket,
    VendorMetrics,
)
from deskpulse.store.schema import MIGRATIONS

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ticket(tid: str | int, **changes) -> Ticket:
    fields = dict(id=tid, status="open", created_at=T0, updated_at=T0, channel="email")
    return Ticket(**(fields | changes))


def event(eid: str | int, tid: str | int, minutes: int = 0, **changes) -> Event:
    fields = dict(id=eid, ticket_id=tid, at=T0 + timedelta(minutes=minutes), kind="message",
                  public=True)
    return Event(**(fields | changes))


def count(store: Store, table: str) -> int:
    return store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_new_file_is_owner_only_wal_and_at_latest_schema(tmp_path):
    path = tmp_path / "fresh.db"
    s = Store.open(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    s.close()


def test_reopening_does_not_rerun_migrations(tmp_path):
    Store.open(tmp_path / "x.db").close()
    s = Store.open(tmp_path / "x.db")  # would fail with "table already exists" if re-run
    assert s.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    s.close()


def test_a_file_from_a_newer_deskpulse_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / "new.db")
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StoreUnusable, match="newer than this deskpulse"):
        Store.open(tmp_path / "new.db")


def test_rereading_a_page_upserts_the_same_rows(store):
    page = [ticket(1), ticket(2), event(10, 1), event(11, 2)]
    store.commit_page("acme", "tickets", page, {"after_cursor": "a"})
    store.commit_page("acme", "tickets", page, {"after_cursor": "a"})
    assert count(store, "tickets") == 2
    assert count(store, "events") == 2


def test_a_later_version_of_a_ticket_replaces_the_earlier(store):
    store.commit_page("acme", "tickets", [ticket(1)], None)
    store.commit_page("acme", "tickets", [ticket(1, status="solved", tags=["vip"])], None)
    row = store.conn.execute("SELECT status, tags FROM tickets").fetchone()
    assert row == ("solved", '["vip"]')


def test_sources_do_not_collide_on_the_same_vendor_id(store):
    store.commit_page("acme", "tickets", [ticket(1)], None)
    store.commit_page("other", "tickets", [ticket(1)], None)
    assert count(store, "tickets") == 2


def test_cursor_is_saved_with_the_page_and_read_back(store):
    assert store.cursor("acme", "tickets") is None
    store.commit_page("acme", "tickets", [ticket(1)], {"after_cursor": "xyz"})
    assert store.cursor("acme", "tickets") == {"after_cursor": "xyz"}


def test_failed_page_leaves_neither_records_nor_cursor(store, monkeypatch):
    store.commit_page("acme", "tickets", [ticket(1)], {"after_cursor": "first"})

    def explode(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_mark_dirty", explode)
    with pytest.raises(sqlite3.OperationalError):
        store.commit_page("acme", "tickets", [ticket(2)], {"after_cursor": "second"})
    assert count(store, "tickets") == 1
    assert store.cursor("acme", "tickets") == {"after_cursor": "first"}


def test_changed_tickets_are_returned_and_marked_dirty(store):
    changed = store.commit_page(
        "acme", "events",
        [event(10, 5), Rating(id=1, ticket_id=7, at=T0, score="good", scale="good_bad",
                              positive=True), VendorMetrics(ticket_id=9, metrics={"reopens": 0})],
        None,
    )
    assert changed == {"5", "7"}
    assert store.dirty_tickets("acme") == {("acme", "5"), ("acme", "7")}


def test_a_role_change_marks_the_tickets_that_person_acted_on(store):
    store.commit_page("acme", "users", [Person(id=42, role="customer")], None)
    store.commit_page("acme", "events", [event(10, 5, actor_id=42)], None)
    store.conn.execute("DELETE FROM kpi_dirty")
    assert store.commit_page("acme", "users", [Person(id=42, role="customer")], None) == set()
    assert store.commit_page("acme", "users", [Person(id=42, role="agent")], None) == {"5"}


def test_rejected_records_become_dead_letters_and_the_rest_is_kept(store):
    store.commit_page("acme", "tickets",
                      [ticket(1), Rejected(error="status: invalid", payload={"id": 2})], None)
    assert count(store, "tickets") == 1
    row = store.conn.execute("SELECT stream, error, payload FROM dead_letters").fetchone()
    assert row == ("tickets", "status: invalid", '{"id":2}')


def test_bodies_can_be_left_out(db_target):
    s = Store.open(db_target, keep_bodies=False)
    s.commit_page("acme", "events", [event(1, 1, body="customer secret text")], None)
    assert s.conn.execute("SELECT body FROM events").fetchone()[0] is None
    s.close()


def test_hostile_text_round_trips_unchanged(store):
    hostile = "Robert'); DROP TABLE tickets;-- ? %s %% \x00 \u202e ünïcødé " + "x" * 100_000
    store.commit_page("acme", "tickets", [ticket(1, subject=hostile)], None)
    # PostgreSQL text cannot hold NUL: it keeps U+FFFD in its place (docs/postgresql.md)
    kept = hostile if store.backend == "sqlite" else hostile.replace("\x00", "\ufffd")
    assert store.conn.execute("SELECT subject FROM tickets").fetchone()[0] == kept


def test_timestamps_are_stored_as_utc_iso_text(store):
    from zoneinfo import ZoneInfo

    local = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    store.commit_page("acme", "tickets", [ticket(1, created_at=local)], None)
    assert store.conn.execute("SELECT created_at FROM tickets").fetchone()[0] == (
        "2026-03-02T09:00:00Z"
    )


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        ticket(1, created_at=datetime(2026, 1, 1))


def test_runs_are_logged_with_counters(store):
    run = store.start_run("acme", "sync")
    store.commit_page("acme", "tickets", [ticket(1), ticket(2)], None, run_id=run, requests=3)
    store.finish_run(run, "ok")
    row = store.conn.execute(
        "SELECT status, pages, records, requests, finished_at IS NOT NULL FROM sync_runs"
    ).fetchone()
    assert row == ("ok", 1, 2, 3, 1)


def test_two_writers_in_one_process_queue_instead_of_failing(db_target):
    import threading

    first, second = Store.open(db_target), Store.open(db_target)
    errors: list[BaseException] = []

    def write(store: Store, offset: int) -> None:
        try:
            for n in range(40):
                store.commit_page("acme", f"s{offset}", [ticket(offset * 1000 + n)], {"n": n})
        except BaseException as exc:  # pragma: no cover - the failure we guard against
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, i)) for i, s in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(first, "tickets") == 80
    first.close()
    second.close()
