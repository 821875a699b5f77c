"""Zendesk's real shapes end to end: fixtures → connector → store → KPI facts → verify.

The ticket export carries each ticket's `metric_set` inside the ticket (as Zendesk sends it
with `include=metric_sets`); a top-level `metric_sets` list is the variant an earlier reading
of the docs assumed, still accepted. Wait times are null on tickets never put on pending.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from deskpulse import kpi
from deskpulse.app.cli.main import app
from deskpulse.app.verify.facts import summary, verify
from deskpulse.connectors import load, open_source
from deskpulse.connectors.zendesk.streams import ZendeskSettings
from deskpulse.store import Event, Store, Ticket, VendorMetrics
from tests.fakedesk import FakeDesk, fixture

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
TICKETS = "/api/v2/incremental/tickets/cursor.json"
EVENTS = "/api/v2/incremental/ticket_events.json"
USERS = "/api/v2/incremental/users/cursor.json"


def top_level_variant(name: str):
    """The same page with the metric sets moved out of the tickets into `metric_sets`."""
    body = json.loads(fixture(name).content)
    body["metric_sets"] = [t.pop("metric_set") for t in body["tickets"] if "metric_set" in t]
    return fixture(name, **body)


def pages(desk: FakeDesk, stream: str, *, until_done: bool = True):
    config = ZendeskSettings(subdomain="acme", email="ops@acme.example", token="zd-token")
    source = open_source(load("zendesk"), "acme", config, transport=desk.transport(),
                         sleep=lambda seconds: None)
    read = source.read(stream, None, since=SINCE)
    return list(read) if until_done else [next(iter(read))]


def synced(tmp_path, first_tickets_page) -> Store:
    desk = FakeDesk()
    desk.add("GET", USERS, fixture("zendesk/incremental_users/only_page"))
    desk.add("GET", TICKETS, first_tickets_page, fixture("zendesk/incremental_tickets/last_page"))
    desk.add("GET", EVENTS, fixture("zendesk/incremental_ticket_events/first_page"),
             fixture("zendesk/incremental_ticket_events/last_page"))
    store = Store.open(tmp_path / "zd.db")
    kpi.install_views(store)
    store.ensure_source("acme", "zendesk", "acme")
    for stream in ("users", "tickets", "ticket_events"):
        for page in pages(desk, stream):
            store.commit_page("acme", stream, page.records, page.cursor)
    desk.assert_consumed()
    kpi.refresh(store)
    return store


@pytest.mark.parametrize("shape", ["per ticket", "top-level list"])
def test_every_ticket_gets_its_metric_set_and_solved_at_in_either_shape(shape):
    first = ("zendesk/incremental_tickets/first_page" if shape == "per ticket" else None)
    desk = FakeDesk().add("GET", TICKETS, fixture(first) if first else top_level_variant(
        "zendesk/incremental_tickets/first_page"))
    records = [r for page in pages(desk, "tickets", until_done=False) for r in page.records]
    metrics = {m.ticket_id: m.metrics for m in records if isinstance(m, VendorMetrics)}
    tickets = {t.id: t for t in records if isinstance(t, Ticket)}
    assert set(metrics) == set(tickets) == {"101", "102", "103"}
    assert tickets["101"].solved_at == datetime(2026, 3, 2, 11, tzinfo=UTC)
    assert tickets["103"].solved_at == datetime(2026, 3, 2, 13, tzinfo=UTC)
    assert metrics["103"]["reply_time_in_minutes"] == {"calendar": 3060, "business": 1200}
    assert "metric_set" not in tickets["101"].raw  # kept once, as the vendor's metrics


def test_verify_compares_every_ticket_and_counts_unmeasured_waits_apart(tmp_path):
    store = synced(tmp_path, fixture("zendesk/incremental_tickets/first_page"))
    checks = {c.name: c for c in verify(store, "acme", load("zendesk"))}
    store.close()
    reply = checks["reply_time_in_minutes"]
    assert (reply.compared, reply.disagreements) == (3, [])
    wait = checks["agent_wait_time_in_minutes"]  # 101 and 103 never pending: null, not 0
    assert (wait.compared, wait.agreed, wait.unmeasured) == (1, 1, 2)
    assert "2 not measured by the vendor" in summary(wait)
    assert all(not c.disagreements for c in checks.values()), [
        (c.name, c.disagreements) for c in checks.values() if c.disagreements]


def test_a_deletion_and_a_restore_are_deleted_events_not_statuses(tmp_path):
    store = synced(tmp_path, fixture("zendesk/incremental_tickets/first_page"))
    rows = store.conn.execute(
        "SELECT id, kind, old_value, new_value FROM events WHERE ticket_id = '102' "
        "AND (kind = 'deleted' OR new_value = 'deleted' OR old_value = 'deleted') "
        "ORDER BY at").fetchall()
    statuses = {v for (v,) in store.conn.execute(
        "SELECT new_value FROM events WHERE kind IN ('status', 'created') UNION "
        "SELECT old_value FROM events WHERE kind = 'status'") if v}
    deleted = store.conn.execute("SELECT status, vendor_status, deleted FROM tickets "
                                 "WHERE id = '104'").fetchone()
    pending = store.conn.execute("SELECT status FROM ticket_facts WHERE ticket_id = '102'"
                                 ).fetchone()
    store.close()
    assert [tuple(r) for r in rows] == [("deleted-102", "deleted", "pending", "deleted"),
                                       ("2102", "deleted", "deleted", "restored")]
    assert statuses <= {"new", "open", "pending", "on_hold", "solved", "closed"}
    assert tuple(deleted) == ("closed", "deleted", 1)
    assert pending is not None and pending[0] == "pending"  # the restore left it pending


def test_a_deletion_is_one_event_whichever_stream_says_so():
    audit = json.loads(fixture("zendesk/incremental_ticket_events/last_page").content)
    desk = FakeDesk().add("GET", TICKETS, fixture("zendesk/incremental_tickets/last_page"))
    from_ticket = [e for p in pages(desk, "tickets") for e in p.records
                   if isinstance(e, Event)]
    assert [(e.id, e.new_value) for e in from_ticket] == [("deleted-104", "deleted")]
    deleting = next(a for a in audit["ticket_events"] if a["id"] == 2091)
    from deskpulse.connectors.zendesk.mapping import audit_records
    assert audit_records(deleting)[0].id == "deleted-102"


def test_verify_with_no_vendor_metrics_says_nothing_to_compare_and_exits_1(tmp_path):
    store = synced(tmp_path, fixture("zendesk/incremental_tickets/first_page"))
    store.conn.execute("DELETE FROM vendor_metrics")
    checks = verify(store, "acme", load("zendesk"))
    store.close()
    assert all(c.compared == 0 and c.nothing == "no vendor metrics stored for this source"
               for c in checks)
    assert "nothing to compare (no vendor metrics stored" in summary(checks[0])
    result = CliRunner().invoke(app, ["verify", "acme", "--database", str(tmp_path / "zd.db")])
    assert result.exit_code == 1, result.output
    assert "100.0%" not in result.output and "Nothing was compared" in result.output


def test_a_figure_absent_from_every_metric_set_is_nothing_to_compare(tmp_path):
    store = synced(tmp_path, fixture("zendesk/incremental_tickets/first_page"))
    for ticket, metrics in store.conn.execute("SELECT ticket_id, metrics FROM vendor_metrics"
                                              ).fetchall():
        kept = {k: v for k, v in json.loads(metrics).items() if k != "reopens"}
        store.conn.execute("UPDATE vendor_metrics SET metrics = ? WHERE ticket_id = ?",
                           (json.dumps(kept), ticket))
    checks = {c.name: c for c in verify(store, "acme", load("zendesk"))}
    store.close()
    reopens = checks["reopens"]
    assert reopens.compared == 0 and "absent or null on all 3 tickets" in reopens.nothing
    assert "deskpulse has a value on 3" in reopens.nothing
    assert checks["replies"].compared == 3  # the rest is still compared
