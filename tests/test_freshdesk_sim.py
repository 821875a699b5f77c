"""Freshdesk end to end: the simulated Freshdesk (its own rules, its own stats) read by the
real connector, engine, store and KPIs."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from deskpulse import kpi
from deskpulse.app.demo.simulated import vendor
from deskpulse.app.sync.runner import Runner
from deskpulse.app.verify.facts import verify
from deskpulse.connectors import load
from deskpulse.simulator import Faults, FreshdeskAPI, generate, with_faults
from deskpulse.simulator.faults import HARMLESS_DATA, TRANSPORT
from deskpulse.store import Store
from tests.simdesk import CrashAfter, FakeTime, rows

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
KEY = "fd-sim-key-77"
AUTH = {"authorization": "Basic " + base64.b64encode(f"{KEY}:X".encode()).decode()}
TABLES = ("tickets", "events", "people", "groups", "ratings", "vendor_metrics",
          "time_entries", "schedules", "ticket_facts", "kpi_daily")


def desk_of(tickets: int, seed: int = 5, days: int = 60):
    return generate(seed=seed, tickets=tickets, start=NOW - timedelta(days=days), end=NOW)


def runner(store: Store, handler, *, clock=None, sleep=None, **options) -> Runner:
    config = vendor("freshdesk").source("fd", "https://acme.freshdesk.com", "${FD_KEY}",
                                        **options)
    return Runner(store, config, transport=httpx.MockTransport(handler),
                  environ={"FD_KEY": KEY}, sleep=sleep or (lambda s: None),
                  clock=clock or (lambda: NOW))


def get(api: FreshdeskAPI, path: str, **params) -> httpx.Response:
    request = httpx.Request("GET", f"https://acme.freshdesk.com{path}", params=params,
                            headers=AUTH)
    return api.handler(request)


# -- the simulated API keeps Freshdesk's rules --------------------------------------------


def test_without_updated_since_only_the_last_30_days_are_listed():
    desk = desk_of(400, days=90)
    api = FreshdeskAPI(desk, api_key=KEY)
    listed = []
    for page in range(1, 10):
        listed += get(api, "/api/v2/tickets", per_page=100, page=page).json()
    created = [datetime.fromisoformat(t["created_at"].replace("Z", "+00:00")) for t in listed]
    assert listed and min(created) >= NOW - timedelta(days=30)
    everything = get(api, "/api/v2/tickets", updated_since="2000-01-01T00:00:00Z",
                     order_type="asc", per_page=100, page=1).json()
    oldest = min(t["created_at"] for t in everything)
    assert oldest < (NOW - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_page_301_and_oversized_pages_are_refused():
    api = FreshdeskAPI(desk_of(20), api_key=KEY)
    refused = get(api, "/api/v2/tickets", updated_since="2000-01-01T00:00:00Z", page=301)
    assert refused.status_code == 400
    assert "beyond the 300th page" in refused.json()["errors"][0]["message"]
    assert get(api, "/api/v2/tickets", per_page=101).status_code == 400


def test_the_ticket_list_has_its_own_per_minute_limit():
    clock = [0.0]
    api = FreshdeskAPI(desk_of(20), api_key=KEY, ticket_list_per_minute=2,
                       clock=lambda: clock[0])
    codes = [get(api, "/api/v2/tickets").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = get(api, "/api/v2/tickets")
    assert int(limited.headers["retry-after"]) == 60
    assert get(api, "/api/v2/agents").status_code == 200  # other endpoints are not capped
    clock[0] = 61.0
    assert get(api, "/api/v2/tickets").status_code == 200
    assert {"x-ratelimit-total", "x-ratelimit-remaining",
            "x-ratelimit-used-currentrequest"} <= set(limited.headers)


# -- the connector on the simulated account ------------------------------------------------


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """A backfill, a day of changes and two syncs; returns (desk, store)."""
    desk = desk_of(900)
    api = FreshdeskAPI(desk, api_key=KEY)
    store = Store.open(tmp_path_factory.mktemp("fd") / "fd.db")
    kpi.install_views(store)
    assert runner(store, api.handler).backfill(NOW - timedelta(days=400)).status == "ok"
    desk.advance(NOW + timedelta(days=1), seed=9)
    later = NOW + timedelta(days=1)
    for _ in range(2):
        assert runner(store, api.handler, clock=lambda: later).sync().status == "ok"
    yield desk, store
    store.close()


def test_every_ticket_exactly_once_with_its_conversations(synced):
    desk, store = synced
    now = desk.now
    visible = {str(t.id) for t in desk.visible_tickets()}
    assert {r[0] for r in store.conn.execute("SELECT id FROM tickets")} == visible
    flagged = {str(t.id) for t in desk.visible_tickets() if t.is_deleted(now)}
    assert {r[0] for r in store.conn.execute("SELECT id FROM tickets WHERE deleted = 1")} == \
        flagged and flagged
    comments = sum(len([a for a in t.visible(now) if a.kind == "comment"]) - 1
                   for t in desk.visible_tickets() if not t.is_deleted(now))
    stored = store.conn.execute(
        "SELECT count(*) FROM events WHERE kind IN ('message', 'note') "
        "AND id NOT LIKE '%-description' AND channel != 'survey feedback'").fetchone()[0]
    assert stored == comments


def test_facts_agree_with_freshdesk_stats_on_every_ticket(synced):
    _desk, store = synced
    checks = verify(store, "fd", load("freshdesk"))
    assert checks and all(c.compared > 500 for c in checks)
    assert [(c.name, c.disagreements[:3]) for c in checks if c.disagreements] == []


def test_outbound_tickets_have_no_first_response(synced):
    desk, store = synced
    outbound = [str(t.id) for t in desk.visible_tickets()
                if t.submitter != t.requester and not t.is_deleted(desk.now)]
    frt = dict(store.conn.execute("SELECT ticket_id, frt_cal FROM ticket_facts"))
    replied = store.conn.execute(
        "SELECT count(DISTINCT ticket_id) FROM events WHERE kind = 'message' AND "
        "actor_role = 'agent' AND id NOT LIKE '%-description'").fetchone()[0]
    assert outbound and replied and all(frt[tid] is None for tid in outbound)


def test_people_ratings_time_entries_and_business_hours_arrive(synced):
    desk, store = synced
    roles = dict(store.conn.execute("SELECT role, count(*) FROM people GROUP BY role"))
    assert roles == {"agent": len(desk.agents()), "customer": len(desk.customers())}
    scales = {r[0] for r in store.conn.execute("SELECT DISTINCT scale FROM ratings")}
    assert scales == {"freshdesk-3"}
    assert store.conn.execute("SELECT count(*) FROM time_entries").fetchone()[0] > 500
    (hours,) = store.conn.execute("SELECT hours FROM schedules").fetchone()
    assert json.loads(hours)["mon"] == ["09:00-17:00"]


def test_concurrent_conversation_fetches_stay_inside_the_rate_budget(tmp_path):
    """A 120-a-minute account with a 20-a-minute ticket list: 4 conversation fetches in
    flight, paced by the engine, never draw a 429."""
    time = FakeTime(0.0)
    api = FreshdeskAPI(desk_of(250), api_key=KEY, per_minute=120, ticket_list_per_minute=20,
                       clock=lambda: time.now)
    store = Store.open(tmp_path / "paced.db")
    result = runner(store, time.observe(api.handler), sleep=time.sleep,
                    clock=lambda: NOW + timedelta(seconds=time.now),
                    requests_per_minute=None, ticket_list_requests_per_minute=20,
                    concurrency=4).backfill(NOW - timedelta(days=400))
    assert result.status == "ok"
    assert 429 not in time.statuses and len(time.statuses) > 250
    assert store.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 250


def test_faults_are_retried_or_dead_lettered_and_the_tables_equal_a_clean_run(tmp_path):
    desk = desk_of(300, seed=8)
    clean = Store.open(tmp_path / "clean.db")
    assert runner(clean, FreshdeskAPI(desk, api_key=KEY).handler).backfill(
        NOW - timedelta(days=400)).status == "ok"
    faults = Faults(rate=0.3, transport=TRANSPORT, data_rate=0.05, data=HARMLESS_DATA,
                    seed=4, max_in_a_row=3)
    faulty = Store.open(tmp_path / "faulty.db")
    handler = with_faults(FreshdeskAPI(desk, api_key=KEY).handler, faults)
    result = runner(faulty, handler).backfill(NOW - timedelta(days=400))
    assert result.status == "ok", result.error
    assert set(faults.injected) & set(TRANSPORT) and set(faults.injected) & set(HARMLESS_DATA)
    for table in TABLES:
        assert rows(faulty, table) == rows(clean, table), table


def test_a_crash_at_any_request_resumes_to_the_same_database(tmp_path):
    desk = desk_of(60, seed=2)
    api = FreshdeskAPI(desk, api_key=KEY)
    reference = Store.open(tmp_path / "ref.db")
    since = NOW - timedelta(days=400)
    total = runner(reference, api.handler).backfill(since).requests
    assert total > 60
    for crash_after in range(1, total):
        store = Store.open(tmp_path / f"crash{crash_after}.db")
        crashing = runner(store, api.handler)
        crashing.transport = CrashAfter(api.handler, crash_after)
        with pytest.raises(KeyboardInterrupt):
            crashing.backfill(since)
        assert runner(store, api.handler).backfill(since).status == "ok"
        for table in TABLES:
            assert rows(store, table) == rows(reference, table), (crash_after, table)
        store.close()


def test_handle_time_is_the_time_agents_logged_and_unchanged_entries_recompute_nothing(
        synced):
    _desk, store = synced
    logged = dict(store.conn.execute(
        "SELECT ticket_id, SUM(seconds) FROM time_entries GROUP BY ticket_id"))
    facts = dict(store.conn.execute("SELECT ticket_id, handle_time_s FROM ticket_facts"))
    assert logged and all(facts[tid] == seconds for tid, seconds in logged.items()
                          if tid in facts)
    assert all(facts[tid] is None for tid in facts if tid not in logged)
    from deskpulse.store import TimeEntry

    entry = store.conn.execute("SELECT id, ticket_id, seconds, at FROM time_entries "
                               "LIMIT 1").fetchone()
    same = TimeEntry(id=entry[0], ticket_id=entry[1], seconds=entry[2], at=entry[3])
    assert store.commit_page("fd", "time_entries", [same], None) == set()
    longer = same.model_copy(update={"seconds": entry[2] + 60})
    assert store.commit_page("fd", "time_entries", [longer], None) == {entry[1]}
    kpi.refresh(store)
    assert store.conn.execute("SELECT handle_time_s FROM ticket_facts WHERE ticket_id = ?",
                              (entry[1],)).fetchone()[0] == logged[entry[1]] + 60
