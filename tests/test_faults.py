"""Bad days at the vendor: every injected fault is retried, stored the same, or dead-lettered;
nothing is lost or doubled, and an unparseable page leaves the committed cursor in place."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from deskpulse import kpi
from deskpulse.app.demo.run import demo_source
from deskpulse.app.sync.runner import Runner
from deskpulse.simulator import Faults, ZendeskAPI, generate, with_faults
from deskpulse.simulator.faults import BAD_DATA, HARMLESS_DATA, TRANSPORT
from deskpulse.store import Store
from tests.simdesk import rows

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
TOKEN = "fault-token-9d9d9d"
TABLES = ("tickets", "events", "people", "groups", "ratings", "vendor_metrics", "ticket_facts",
          "kpi_daily")


def desk_api(seed: int = 6, tickets: int = 1200):
    desk = generate(seed=seed, tickets=tickets, start=NOW - timedelta(days=30), end=NOW)
    return desk, ZendeskAPI(desk, email="demo@deskpulse.example", token=TOKEN)


def backfill(path, handler, slept=None):
    store = Store.open(path)
    kpi.install_views(store)
    runner = Runner(store, demo_source(), transport=httpx.MockTransport(handler),
                    environ={"DESKPULSE_DEMO_TOKEN": TOKEN},
                    sleep=(slept.append if slept is not None else lambda s: None),
                    clock=lambda: NOW)
    result = runner.backfill(NOW - timedelta(days=31))
    return store, result


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    _desk, api = desk_api()
    store, result = backfill(tmp_path_factory.mktemp("clean") / "c.db", api.handler)
    assert result.status == "ok"
    yield store
    store.close()


def test_transient_faults_are_retried_and_the_rows_equal_a_clean_run(tmp_path, clean):
    _desk, api = desk_api()
    faults = Faults(rate=0.6, transport=TRANSPORT, seed=2, cycle=True, max_in_a_row=4)
    slept: list[float] = []
    handler = with_faults(api.handler, faults, clock=lambda: NOW)
    store, result = backfill(tmp_path / "f.db", handler, slept)
    assert result.status == "ok", result.error
    assert set(faults.injected) == set(TRANSPORT), "every fault kind was exercised"
    assert 3.0 in slept and 4.0 in slept  # Retry-After in seconds and as an HTTP date
    for table in TABLES:
        assert rows(store, table, without_raw=False) == rows(clean, table, without_raw=False)
    store.close()


def test_harmless_data_changes_store_the_same_rows(tmp_path, clean):
    _desk, api = desk_api()
    faults = Faults(data_rate=0.3, data=HARMLESS_DATA, seed=4)
    store, result = backfill(tmp_path / "h.db", with_faults(api.handler, faults))
    assert result.status == "ok"
    assert set(faults.injected) == set(HARMLESS_DATA)
    for table in TABLES:
        assert rows(store, table) == rows(clean, table), table
    assert store.conn.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0] == 0
    store.close()


def test_bad_records_become_dead_letters_and_the_rest_of_each_page_is_kept(tmp_path, clean):
    _desk, api = desk_api()
    faults = Faults(data_rate=0.05, data=BAD_DATA, seed=5)
    store, result = backfill(tmp_path / "b.db", with_faults(api.handler, faults))
    assert result.status == "ok"
    letters = store.conn.execute("SELECT stream, error, payload FROM dead_letters").fetchall()
    assert len(letters) >= len([k for k in faults.injected]) // 2 > 0
    assert all(error and json.loads(payload) for _stream, error, payload in letters)
    stored = store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    assert 0 < stored < rows(clean, "tickets").__len__() + 1
    assert stored + sum(1 for s, _e, _p in letters if s.startswith("tickets")) >= len(
        {r[1] for r in rows(clean, "tickets")}) - 1
    store.close()


def test_megabyte_strings_round_trip_unchanged(tmp_path):
    _desk, api = desk_api(tickets=40)
    faults = Faults(data_rate=1.0, data=("huge-string",), seed=1)
    store, result = backfill(tmp_path / "x.db", with_faults(api.handler, faults))
    assert result.status == "ok"
    longest = store.conn.execute("SELECT MAX(LENGTH(subject)) FROM tickets").fetchone()[0]
    assert longest > 1_000_000
    store.close()


def test_an_unparseable_page_fails_the_run_naming_where_and_keeps_the_cursor(tmp_path):
    _desk, api = desk_api()
    events = "/api/v2/incremental/ticket_events.json"
    faults = Faults(persistent=(events,))
    store, result = backfill(tmp_path / "p.db", with_faults(api.handler, faults))
    assert result.status == "failed"
    error = result.error or ""
    assert "zendesk source 'demo'" in error and events in error
    assert "stream ticket_events" in error and "resuming from cursor null" in error
    assert TOKEN not in error
    assert store.cursor("demo", "ticket_events@backfill:2026-05-01") is None
    tickets_cursor = store.cursor("demo", "tickets")
    assert tickets_cursor is not None  # streams before it completed and were kept
    store.close()

    store, result = backfill(tmp_path / "p.db", api.handler)  # the vendor recovers
    assert result.status == "ok"
    store.close()


def test_records_changing_while_a_backfill_pages_are_caught_by_the_next_sync(tmp_path):
    desk, api = desk_api(tickets=2500)
    moved = {"done": False}

    def handler(request: httpx.Request) -> httpx.Response:
        response = api.handler(request)
        if "ticket_events" in request.url.path and not moved["done"]:
            desk.advance(NOW + timedelta(hours=6), seed=77)  # the desk changes mid-backfill
            moved["done"] = True
        return response

    store, result = backfill(tmp_path / "m.db", handler)
    assert result.status == "ok" and moved["done"]
    runner = Runner(store, demo_source(), transport=httpx.MockTransport(api.handler),
                    environ={"DESKPULSE_DEMO_TOKEN": TOKEN})
    assert runner.sync().status == "ok"
    fresh, fresh_result = backfill(tmp_path / "fresh.db", api.handler)
    assert fresh_result.status == "ok"
    for table in TABLES:
        assert rows(store, table) == rows(fresh, table), table
    store.close()
    fresh.close()
