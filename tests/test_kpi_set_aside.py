"""Real accounts (issue #15): an Intercom outbound conversation closed unanswered, a ticket
whose facts cannot be computed, and tickets with no status history never break the KPIs."""

from __future__ import annotations

import importlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from typer.testing import CliRunner

from deskpulse import kpi
from deskpulse.app.cli.main import app
from deskpulse.connectors import load, open_source
from deskpulse.connectors.intercom.streams import IntercomSettings
from deskpulse.store import Event, Person, Store, Ticket
from tests.fakedesk import FakeDesk, fixture

SINCE = datetime.fromtimestamp(1790900000, UTC)
NOW = datetime.fromtimestamp(1791968400, UTC)
CLOSED_AT = 1791003600  # an hour after the admin's message; the contact never wrote
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TABLES = ("ticket_facts", "unsolved_spans", "reply_cycles", "kpi_daily", "kpi_values")


def _outbound_closed_unanswered(desk: FakeDesk) -> None:
    """Conversation 502 as Intercom sends it: admin-initiated email, no contact reply, then
    closed by the admin (statistics all null, as Intercom keeps them until the contact
    writes: vendor-apis.md §4.4)."""
    page = fixture("intercom/search_page2").json()
    summary = next(c for c in fixture("intercom/search_page1").json()["conversations"]
                   if c["id"] == "502")
    summary.update(state="closed", open=False, updated_at=CLOSED_AT)
    summary["statistics"]["count_conversation_parts"] = 1
    page["conversations"] = [summary]
    full = fixture("intercom/conversation_502").json()
    full.update(state="closed", open=False, updated_at=CLOSED_AT)
    full["statistics"]["count_conversation_parts"] = 1
    full["conversation_parts"] = {"type": "conversation_part.list", "total_count": 1,
                                  "conversation_parts": [
        {"type": "conversation_part", "id": "3170050210", "part_type": "close", "body": None,
         "created_at": CLOSED_AT, "updated_at": CLOSED_AT, "notified_at": CLOSED_AT,
         "assigned_to": None, "author": {"id": "7002", "type": "admin"},
         "attachments": [], "redacted": False, "state": "closed"}]}
    desk.add("POST", "/conversations/search", httpx.Response(200, json=page))
    desk.add("GET", "/conversations/502", httpx.Response(200, json=full))


def test_an_outbound_conversation_closed_unanswered_has_facts_and_no_first_resolution(tmp_path):
    desk = FakeDesk()
    _outbound_closed_unanswered(desk)
    source = open_source(load("intercom"), "ic", IntercomSettings(token="t", concurrency=1),
                         transport=desk.transport(), sleep=lambda s: None, clock=lambda: NOW)
    pages = list(source.read("conversations", None, since=SINCE, stored=lambda ids: {}))
    desk.assert_consumed()
    store = Store.open(tmp_path / "i.db")
    store.ensure_source("ic", "intercom", "api.intercom.io")
    for page in pages:
        store.commit_page("ic", "conversations", page.records, page.cursor)

    assert kpi.refresh(store) == 1
    status, solved_at, first_day, first, resolutions, full, flags = store.conn.execute(
        "SELECT status, first_solved_at, first_solved_day, first_resolution_cal, resolutions, "
        "full_resolution_cal, flags FROM ticket_facts WHERE ticket_id = '502'").fetchone()
    # Intercom measures nothing before the contact writes: the close is no first resolution
    assert (status, solved_at, first_day, first, full) == ("solved", None, None, None, None)
    assert resolutions == 1 and flags & 8 and flags & 1
    created, solved, backlog = store.conn.execute(
        "SELECT SUM(created), SUM(solved), SUM(backlog_delta) FROM kpi_daily "
        "WHERE dimension = 'all'").fetchone()
    assert (created, solved, backlog) == (1, 0, 0)  # closed: out of the backlog
    assert store.dirty_count("ic") == 0
    assert not store.conn.execute("SELECT * FROM kpi_set_aside").fetchall()
    store.close()


def _desk(store: Store, count: int = 4) -> None:
    records: list = [Person(id="a1", role="agent"), Person(id="c1", role="customer")]
    for number in range(count):
        tid, at = f"t{number}", T0 + timedelta(hours=number)
        records += [Ticket(id=tid, status="solved", channel="email", created_at=at,
                           updated_at=at + timedelta(hours=2), requester_id="c1"),
                    Event(id=f"{tid}-c", ticket_id=tid, at=at, kind="created", actor_id="c1",
                          new_value="new"),
                    Event(id=f"{tid}-r", ticket_id=tid, at=at + timedelta(minutes=30),
                          kind="message", actor_id="a1", public=True),
                    Event(id=f"{tid}-s", ticket_id=tid, at=at + timedelta(hours=2),
                          kind="status", actor_id="a1", new_value="solved")]
    store.commit_page("acme", "tickets", records, {"n": 1})


def _failing(*bad: str):
    def fault(source: str, ticket_id: str) -> None:
        if ticket_id in bad:
            msg = f"cannot compute {ticket_id}"
            raise ValueError(msg)
    return fault


def _rows(store: Store) -> dict[str, list[tuple]]:
    return {table: sorted(store.conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in TABLES}


@pytest.mark.parametrize("chunk", [500, 1, 3])
def test_a_ticket_that_fails_is_set_aside_and_the_rest_commits(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(importlib.import_module("deskpulse.kpi.upkeep.refresh"), "CHUNK", chunk)
    store = Store.open(tmp_path / "k.db")
    _desk(store)
    assert kpi.refresh(store, fault=_failing("t2")) == 3
    facts = [row[0] for row in store.conn.execute(
        "SELECT ticket_id FROM ticket_facts ORDER BY 1")]
    assert facts == ["t0", "t1", "t3"]
    assert store.conn.execute("SELECT SUM(created), SUM(solved) FROM kpi_daily "
                              "WHERE dimension = 'all'").fetchone() == (3, 3)
    assert store.conn.execute("SELECT source, ticket_id, error, attempts FROM kpi_set_aside"
                              ).fetchall() == [("acme", "t2", "ValueError: cannot compute t2", 1)]
    assert store.dirty_count("acme") == 0  # the pace of mid-run refreshes is not fooled
    incremental = _rows(store)
    kpi.rebuild(store, fault=_failing("t2"))
    assert _rows(store) == incremental  # incremental == rebuild for the rest

    kpi.refresh(store, fault=_failing("t2"))  # retried at every refresh, still failing
    assert store.conn.execute("SELECT attempts FROM kpi_set_aside").fetchone()[0] == 3
    assert kpi.refresh(store) == 1  # fixed: it gets its facts and leaves the list
    assert not store.conn.execute("SELECT * FROM kpi_set_aside").fetchall()
    assert store.conn.execute("SELECT SUM(solved) FROM kpi_daily WHERE dimension = 'all'"
                              ).fetchone()[0] == 4
    store.close()


def test_a_ticket_that_starts_failing_loses_its_old_facts_as_a_rebuild_would(tmp_path):
    store = Store.open(tmp_path / "k.db")
    _desk(store)
    kpi.refresh(store)
    store.commit_page("acme", "tickets", [Event(
        id="t1-n", ticket_id="t1", at=T0 + timedelta(hours=3), kind="note", actor_id="a1")],
        {"n": 2})
    assert kpi.refresh(store, fault=_failing("t1")) == 0
    incremental = _rows(store)
    assert "t1" not in {row[1] for row in incremental["ticket_facts"]}
    kpi.rebuild(store, fault=_failing("t1"))
    assert _rows(store) == incremental
    store.close()


def test_a_database_error_is_no_tickets_fault_and_fails_the_refresh(tmp_path):
    store = Store.open(tmp_path / "k.db")
    _desk(store)

    def disk_full(source: str, ticket_id: str) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(sqlite3.OperationalError):
        kpi.refresh(store, fault=disk_full)
    assert store.dirty_count("acme") == 4  # nothing committed, nothing set aside
    assert not store.conn.execute("SELECT * FROM kpi_set_aside").fetchall()
    store.close()


def test_status_names_set_aside_tickets_with_their_error(tmp_path):
    path = tmp_path / "k.db"
    store = Store.open(path)
    store.ensure_source("acme", "zendesk", "acme")
    _desk(store)
    kpi.refresh(store, fault=_failing("t1", "t3"))
    store.close()
    runner = CliRunner()
    shown = runner.invoke(app, ["status", "--database", str(path), "--json"])
    assert shown.exit_code == 0, shown.output
    (item,) = json.loads(shown.output)
    assert item["kpi_set_aside"] == [
        {"ticket_id": "t1", "error": "ValueError: cannot compute t1", "attempts": 1},
        {"ticket_id": "t3", "error": "ValueError: cannot compute t3", "attempts": 1}]
    text = runner.invoke(app, ["status", "--database", str(path)])
    assert "2 tickets set aside from the KPIs" in text.output
    assert "t1: ValueError: cannot compute t1" in text.output


def test_without_status_events_the_fact_status_is_the_tickets_own(tmp_path):
    """Imported, created closed, or older than the event window: no status change is
    recorded, so the ticket row's status stands (and a closed one is not in the backlog)."""
    store = Store.open(tmp_path / "k.db")
    store.commit_page("acme", "tickets", [
        Ticket(id="old", status="closed", channel="email", created_at=T0, updated_at=T0),
        Event(id="old-c", ticket_id="old", at=T0, kind="created", actor_id="c1",
              new_value="new"),
        Ticket(id="bare", status="open", channel="web", created_at=T0, updated_at=T0),
        Ticket(id="walked", status="open", channel="web", created_at=T0, updated_at=T0),
        Event(id="w-c", ticket_id="walked", at=T0, kind="created", new_value="new"),
        Event(id="w-s", ticket_id="walked", at=T0 + timedelta(hours=1), kind="status",
              new_value="pending")], {"n": 1})
    kpi.refresh(store)
    facts = dict(store.conn.execute("SELECT ticket_id, status || ' ' || (flags & 32) "
                                    "FROM ticket_facts"))
    # events win when they exist (the ticket row may be older than the latest event)
    assert facts == {"old": "closed 32", "bare": "open 32", "walked": "pending 0"}
    open_spans = {row[0] for row in store.conn.execute(
        "SELECT ticket_id FROM unsolved_spans WHERE end_at IS NULL")}
    assert open_spans == {"bare", "walked"}
    store.close()


def test_a_gap_added_by_one_chunk_and_dropped_by_a_later_one_keeps_values_in_step(
        tmp_path, monkeypatch):
    """t5 (solved) learns of its requester's next ticket t0 while t0's chunk runs (the gap
    is added to kpi_values), then t5's own chunk, changed by the same sync, drops that gap
    for a new one. Dropping before adding found no value ('out of step'): the edits net."""
    monkeypatch.setattr(importlib.import_module("deskpulse.kpi.upkeep.refresh"), "CHUNK", 1)
    store = Store.open(tmp_path / "k.db")
    solved = T0 + timedelta(hours=1)
    store.commit_page("acme", "tickets", [
        Ticket(id="t5", status="solved", channel="email", created_at=T0, updated_at=solved,
               requester_id="c2"),
        Event(id="t5-c", ticket_id="t5", at=T0, kind="created", new_value="new"),
        Event(id="t5-s", ticket_id="t5", at=solved, kind="status", new_value="solved")],
        {"n": 1})
    kpi.refresh(store)
    again = solved + timedelta(days=1)
    store.commit_page("acme", "tickets", [
        Ticket(id="t0", status="new", channel="email", created_at=T0 + timedelta(days=5),
               updated_at=T0 + timedelta(days=5), requester_id="c2"),
        Event(id="t5-o", ticket_id="t5", at=solved + timedelta(hours=1), kind="status",
              new_value="open"),
        Event(id="t5-s2", ticket_id="t5", at=again, kind="status", new_value="solved")],
        {"n": 2})
    kpi.refresh(store)
    incremental = _rows(store)
    assert store.conn.execute("SELECT next_contact_s FROM ticket_facts WHERE ticket_id = 't5'"
                              ).fetchone()[0] == (5 * 86400 - (again - T0).total_seconds())
    kpi.rebuild(store)
    assert _rows(store) == incremental
    store.close()
