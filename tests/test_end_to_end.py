"""Zendesk end to end on the simulated help desk: connector → store → KPIs, in-process.

The simulator computes Zendesk's ticket metrics with its own timeline replay (it shares no
code with kpi/), so agreement here is a real check of both.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from deskpulse import kpi
from deskpulse.app.demo.run import demo_source
from deskpulse.app.sync.runner import Runner
from deskpulse.simulator import ZendeskAPI, generate
from deskpulse.store import Store
from tests.simdesk import CrashAfter

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=40)
TOKEN = "e2e-token-5b1f0c"
METRIC_PAIRS = {  # vendor metric (minutes) → our fact (seconds)
    "reply_time_in_minutes": "frt_cal",
    "first_resolution_time_in_minutes": "first_resolution_cal",
    "full_resolution_time_in_minutes": "full_resolution_cal",
    "agent_wait_time_in_minutes": "agent_wait_cal",
    "requester_wait_time_in_minutes": "requester_wait_cal",
    "on_hold_time_in_minutes": "on_hold_cal",
}
COUNT_PAIRS = {"reopens": "reopens", "replies": "replies"}
# null on a ticket never put on pending: Zendesk did not measure it (compared elsewhere: 0)
UNMEASURED_WHEN_NULL = {"agent_wait_time_in_minutes", "requester_wait_time_in_minutes"}


def desk_and_api(tickets: int = 300, seed: int = 11):
    desk = generate(seed=seed, tickets=tickets, start=SINCE, end=NOW - timedelta(days=1))
    return desk, ZendeskAPI(desk, email="demo@deskpulse.example", token=TOKEN)


def run(store: Store, transport: httpx.BaseTransport, *, backfill: bool = True):
    runner = Runner(store, demo_source(), transport=transport,
                    environ={"DESKPULSE_DEMO_TOKEN": TOKEN})
    return runner.backfill(SINCE - timedelta(days=1)) if backfill else runner.sync()


def open_store(path) -> Store:
    store = Store.open(path)
    kpi.install_views(store)
    return store


def table(store: Store, name: str) -> list[tuple]:
    return sorted(store.conn.execute(f"SELECT * FROM {name}").fetchall(), key=repr)


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    desk, api = desk_and_api()
    store = open_store(tmp_path_factory.mktemp("e2e") / "e2e.db")
    result = run(store, httpx.MockTransport(api.handler))
    result.backfill_requests = list(api.requests)  # before tests read the API themselves
    yield desk, api, store, result
    store.close()


def test_backfill_fetches_every_ticket_and_event_exactly_once(synced):
    desk, api, store, result = synced
    assert result.status == "ok", result.error
    tickets = store.conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM tickets").fetchone()
    assert tickets[0] == tickets[1] == len(api_tickets(api))
    audit_ids = {audit["id"] for audit in api_audits(api)}
    created = store.conn.execute("SELECT COUNT(*) FROM events WHERE kind='created'").fetchone()[0]
    assert created == len(tickets_created(api))
    assert len(audit_ids) > tickets[0], "events should hold more than one audit per ticket"
    stored_requests = store.conn.execute("SELECT SUM(requests) FROM sync_runs").fetchone()[0]
    assert stored_requests == result.requests


def test_no_request_is_made_per_ticket(synced):
    _desk, _api, _store, result = synced
    paths = {path for _method, path, _query in result.backfill_requests}
    assert all("/tickets/" not in path or "incremental" in path for path in paths), paths
    assert len(result.backfill_requests) == result.requests < 40


def test_kpi_facts_agree_with_the_simulators_zendesk_metrics_for_every_ticket(synced):
    _desk, _api, store, _result = synced
    store.conn.row_factory = None
    vendor = dict(store.conn.execute(
        "SELECT v.ticket_id, v.metrics FROM vendor_metrics v JOIN tickets t "
        "ON t.source = v.source AND t.id = v.ticket_id WHERE t.deleted = 0"
    ).fetchall())
    assert len(vendor) > 250
    disagreements, unmeasured = [], 0
    for ticket_id, metrics_json in vendor.items():
        metrics = json.loads(metrics_json)
        facts = kpi.ticket_facts_for(store, "demo", ticket_id)
        assert facts is not None, f"ticket {ticket_id} has no facts"
        for name, fact in METRIC_PAIRS.items():
            theirs = metrics[name]["calendar"]
            ours = facts[fact]
            if theirs is None and name in UNMEASURED_WHEN_NULL:
                unmeasured += 1
                continue
            if (theirs is None) != (ours is None) or (
                theirs is not None and abs(theirs - ours / 60) > 1
            ):
                disagreements.append((ticket_id, name, theirs, ours))
        for name, fact in COUNT_PAIRS.items():
            if metrics[name] != facts[fact]:
                disagreements.append((ticket_id, name, metrics[name], facts[fact]))
    assert disagreements == []
    assert 0 < unmeasured < 2 * len(vendor)  # some tickets were never pending, some were


def test_an_incremental_sync_after_changes_equals_a_fresh_backfill(tmp_path):
    desk, api = desk_and_api(tickets=200, seed=5)
    store = open_store(tmp_path / "inc.db")
    assert run(store, httpx.MockTransport(api.handler)).status == "ok"
    changed = desk.advance(NOW, seed=99)
    assert changed
    before = len(api.requests)
    result = run(store, httpx.MockTransport(api.handler), backfill=False)
    assert result.status == "ok"
    assert len(api.requests) - before <= 10, "an incremental pass reads only what changed"

    fresh = open_store(tmp_path / "fresh.db")
    assert run(fresh, httpx.MockTransport(api.handler)).status == "ok"
    for name in ("tickets", "events", "people", "ratings", "vendor_metrics", "ticket_facts",
                 "kpi_daily"):
        assert table(store, name) == table(fresh, name), name
    kpi.rebuild(store)
    assert table(store, "kpi_daily") == table(fresh, "kpi_daily")
    store.close()
    fresh.close()


def test_a_crash_at_any_request_resumes_to_the_same_database(tmp_path):
    _desk, api = desk_and_api(tickets=150, seed=3)
    reference = open_store(tmp_path / "ref.db")
    total = run(reference, httpx.MockTransport(api.handler)).requests
    assert total >= 5
    for crash_after in range(1, total):
        store = open_store(tmp_path / f"crash{crash_after}.db")
        with pytest.raises(KeyboardInterrupt):
            run(store, CrashAfter(api.handler, crash_after))
        assert run(store, httpx.MockTransport(api.handler)).status == "ok"
        for name in ("tickets", "events", "people", "groups", "ratings", "ticket_facts",
                     "kpi_daily", "unsolved_spans", "reply_cycles"):
            assert table(store, name) == table(reference, name), (crash_after, name)
        statuses = [r[0] for r in store.conn.execute("SELECT status FROM sync_runs ORDER BY id")]
        assert statuses == ["interrupted", "ok"]
        store.close()
    reference.close()


# -- what the simulator served, read back over its own API -------------------------------


def _get_all(api: ZendeskAPI, first: str, items: str, next_key: str) -> list[dict]:
    client = httpx.Client(transport=httpx.MockTransport(api.handler),
                          base_url="https://demo.zendesk.com",
                          auth=("demo@deskpulse.example/token", TOKEN))
    found, url = [], first
    with client:
        while url:
            body = client.get(url).json()
            found.extend(body[items])
            url = None if body.get("end_of_stream") else body.get(next_key)
    return found


def api_tickets(api: ZendeskAPI) -> set:
    tickets = _get_all(api, "/api/v2/incremental/tickets/cursor.json?start_time=1",
                       "tickets", "after_url")
    return {ticket["id"] for ticket in tickets}


def api_audits(api: ZendeskAPI) -> list[dict]:
    return _get_all(api, "/api/v2/incremental/ticket_events.json?start_time=1"
                    "&include=comment_events", "ticket_events", "next_page")


def tickets_created(api: ZendeskAPI) -> set:
    return {audit["ticket_id"] for audit in api_audits(api)
            if any(child.get("event_type") == "Create" for child in audit["child_events"])}


def test_verify_reports_full_agreement_and_names_a_tampered_ticket(synced):
    from deskpulse.app.verify.facts import verify
    from deskpulse.connectors import load

    _desk, _api, store, _result = synced
    checks = {c.name: c for c in verify(store, "demo", load("zendesk"))}
    assert all(not c.disagreements for c in checks.values())
    assert checks["reply_time_in_minutes"].compared > 250
    # no [[schedule]] configured: the account's own synced business hours are used
    assert checks["reply_time_in_minutes (business)"].compared > 250
    assert not checks["reply_time_in_minutes (business)"].skipped
    ticket = store.conn.execute("SELECT ticket_id FROM ticket_facts WHERE frt_cal IS NOT NULL "
                                "LIMIT 1").fetchone()[0]
    store.conn.execute("UPDATE ticket_facts SET frt_cal = frt_cal + 600 WHERE ticket_id = ?",
                       (ticket,))
    try:
        tampered = {c.name: c for c in verify(store, "demo", load("zendesk"))}
        [(which, _ours, _theirs, reason)] = tampered["reply_time_in_minutes"].disagreements
        assert which == ticket and 540 <= float(reason.split()[-1]) <= 660
    finally:
        store.conn.execute("UPDATE ticket_facts SET frt_cal = frt_cal - 600 "
                           "WHERE ticket_id = ?", (ticket,))
