"""Intercom end to end: the simulated Intercom (unordered search, bots, >500-part
conversations, 10-second windows, its own statistics) read by the real connector and KPIs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from deskpulse import kpi
from deskpulse.app.demo.run import DEMO_SCHEDULE
from deskpulse.app.demo.simulated import vendor
from deskpulse.app.sync.runner import Runner
from deskpulse.app.verify.facts import verify
from deskpulse.connectors import load
from deskpulse.simulator import Faults, IntercomAPI, generate, with_faults
from deskpulse.simulator.faults import HARMLESS_DATA, TRANSPORT
from deskpulse.simulator.intercom_render import BOT_ID, PADDED_EVERY
from deskpulse.store import Store
from tests.simdesk import CrashAfter, FakeTime, rows

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
TOKEN = "ic-sim-token-12"
TABLES = ("tickets", "events", "people", "groups", "ratings", "vendor_metrics",
          "ticket_facts", "kpi_daily")


def desk_of(tickets: int, seed: int = 4, days: int = 60):
    return generate(seed=seed, tickets=tickets, start=NOW - timedelta(days=days), end=NOW)


def runner(store: Store, handler, desk, *, sleep=None, clock=None, **options) -> Runner:
    config = vendor("intercom").source("ic", "https://api.intercom.io", "${IC_TOKEN}",
                                       **options)
    return Runner(store, config, transport=httpx.MockTransport(handler),
                  environ={"IC_TOKEN": TOKEN}, sleep=sleep or (lambda s: None),
                  clock=clock or (lambda: desk.now), schedule=DEMO_SCHEDULE)


def search(api: IntercomAPI, **pagination) -> httpx.Response:
    query = {"query": {"field": "updated_at", "operator": ">", "value": 0},
             "pagination": {"per_page": 150, **pagination}}
    return api.handler(httpx.Request("POST", "https://api.intercom.io/conversations/search",
                                     json=query, headers={"authorization": f"Bearer {TOKEN}"}))


def test_search_results_come_in_no_order_and_pages_stop_at_150():
    api = IntercomAPI(desk_of(400), token=TOKEN)
    page = search(api).json()
    stamps = [c["updated_at"] for c in page["conversations"]]
    assert len(stamps) == 150 and stamps != sorted(stamps)
    assert page["pages"]["next"]["starting_after"] and page["total_count"] == 400 - sum(
        1 for t in api.desk.tickets.values() if t.is_deleted(api.desk.now))
    assert search(api, per_page=151).status_code == 400


def test_the_budget_is_per_10_second_window():
    clock = [1_800_000_000.0]
    api = IntercomAPI(desk_of(20), token=TOKEN, per_window=3, clock=lambda: clock[0])
    codes = [search(api).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = search(api)
    assert limited.json()["errors"][0]["code"] == "rate_limit_exceeded"
    assert int(limited.headers["x-ratelimit-reset"]) == 1_800_000_010
    clock[0] += 10
    assert search(api).status_code == 200


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    desk = desk_of(1000)
    api = IntercomAPI(desk, token=TOKEN)
    store = Store.open(tmp_path_factory.mktemp("ic") / "ic.db")
    kpi.install_views(store)
    assert runner(store, api.handler, desk).backfill(NOW - timedelta(days=400)).status == "ok"
    desk.advance(NOW + timedelta(days=1), seed=3)
    api.requests.clear()
    assert runner(store, api.handler, desk).sync().status == "ok"
    yield desk, api, store
    store.close()


def test_every_conversation_once_and_facts_agree_with_intercom_statistics(synced):
    desk, _api, store = synced
    live = {str(t.id) for t in desk.visible_tickets() if not t.is_deleted(desk.now)}
    assert live <= {r[0] for r in store.conn.execute("SELECT id FROM tickets")}
    checks = verify(store, "ic", load("intercom"))
    assert all(c.compared > 900 and not c.skipped for c in checks)
    assert [(c.name, c.disagreements[:3]) for c in checks if c.disagreements] == []


def test_an_incremental_sync_reads_parts_only_where_they_changed(synced):
    desk, api, store = synced
    fetched = {path.rsplit("/", 1)[1] for method, path, _b in api.requests
               if method == "GET" and path.startswith("/conversations/")}
    counts = dict(store.conn.execute("SELECT id, events_seen FROM tickets"))
    listed = {c["id"]: c for page in _all_pages(api) for c in page}
    moved = {cid for cid, c in listed.items()
             if c["updated_at"] > int((NOW - timedelta(minutes=1)).timestamp())}
    assert fetched and fetched < moved  # some changed conversations kept their parts
    assert all(counts[cid] == listed[cid]["statistics"]["count_conversation_parts"]
               for cid in moved)


def _all_pages(api: IntercomAPI):
    after = None
    while True:
        page = search(api, **({"starting_after": after} if after else {})).json()
        yield page["conversations"]
        after = (page["pages"].get("next") or {}).get("starting_after")
        if not after:
            return


def test_long_conversations_are_marked_truncated_and_bots_never_answer(synced):
    desk, _api, store = synced
    truncated = {r[0] for r in store.conn.execute(
        "SELECT id FROM tickets WHERE events_truncated = 1")}
    padded = {str(t.id) for t in desk.visible_tickets() if t.id % PADDED_EVERY == 0
              and not t.is_deleted(desk.now)}
    assert truncated == padded and padded
    bot_roles = {r[0] for r in store.conn.execute(
        "SELECT DISTINCT actor_role FROM events WHERE actor_id = ?", (BOT_ID,))}
    assert bot_roles == {"bot"}


def test_an_update_landing_while_the_search_is_drained_is_picked_up_next_sync(tmp_path):
    """The desk moves on every 40 requests during the backfill; the next sync must leave
    every conversation exactly as the API now serves it."""
    desk = desk_of(900, seed=6)
    api = IntercomAPI(desk, token=TOKEN, advance_every=(40, timedelta(minutes=45)))
    store = Store.open(tmp_path / "moving.db")
    assert runner(store, api.handler, desk).backfill(NOW - timedelta(days=400)).status == "ok"
    api.advance_every = None
    assert desk.now > NOW + timedelta(hours=3)
    assert runner(store, api.handler, desk).sync().status == "ok"
    served = {c["id"]: c["updated_at"] for page in _all_pages(api) for c in page}
    stored = {r[0]: int(datetime.fromisoformat(r[1].replace("Z", "+00:00")).timestamp())
              for r in store.conn.execute("SELECT id, updated_at FROM tickets")}
    assert {cid: stored.get(cid) for cid in served} == served


def test_a_crash_mid_search_resumes_to_the_same_database(tmp_path):
    desk = desk_of(400, seed=9)
    api = IntercomAPI(desk, token=TOKEN)
    reference = Store.open(tmp_path / "ref.db")
    since = NOW - timedelta(days=400)
    total = runner(reference, api.handler, desk).backfill(since).requests
    for crash_after in range(3, total, 37):
        store = Store.open(tmp_path / f"crash{crash_after}.db")
        crashing = runner(store, api.handler, desk)
        crashing.transport = CrashAfter(api.handler, crash_after)
        with pytest.raises(KeyboardInterrupt):
            crashing.backfill(since)
        resumed = runner(store, api.handler, desk).backfill(since)
        assert resumed.status == "ok" and resumed.requests <= total
        if crash_after > 160:  # the first search page and its 150 conversations committed
            assert resumed.requests < total - 150
        for table in TABLES:
            assert rows(store, table) == rows(reference, table), (crash_after, table)
        store.close()


def test_concurrent_part_fetches_stay_inside_the_10_second_budget(tmp_path):
    time = FakeTime(1_800_000_000.0)
    desk = desk_of(300, seed=2)
    api = IntercomAPI(desk, token=TOKEN, per_window=25, clock=lambda: time.now)
    store = Store.open(tmp_path / "paced.db")
    result = runner(store, time.observe(api.handler), desk, sleep=time.sleep, concurrency=4,
                    clock=lambda: datetime.fromtimestamp(time.now, UTC)).backfill(
        NOW - timedelta(days=400))
    assert result.status == "ok" and 429 not in time.statuses and len(time.statuses) > 300


def test_faults_are_retried_and_the_tables_equal_a_clean_run(tmp_path):
    desk = desk_of(250, seed=12)
    clean = Store.open(tmp_path / "clean.db")
    assert runner(clean, IntercomAPI(desk, token=TOKEN).handler, desk).backfill(
        NOW - timedelta(days=400)).status == "ok"
    faults = Faults(rate=0.3, transport=TRANSPORT, data_rate=0.05, data=HARMLESS_DATA,
                    seed=5, max_in_a_row=3)
    faulty = Store.open(tmp_path / "faulty.db")
    handler = with_faults(IntercomAPI(desk, token=TOKEN).handler, faults)
    result = runner(faulty, handler, desk).backfill(NOW - timedelta(days=400))
    assert result.status == "ok", result.error
    assert set(faults.injected) & set(TRANSPORT)
    for table in TABLES:
        assert rows(faulty, table) == rows(clean, table), table


def test_statistics_follow_intercom_for_admin_initiated_conversations(synced):
    desk, _api, store = synced
    metrics = dict(store.conn.execute("SELECT ticket_id, metrics FROM vendor_metrics"))
    outbound = [str(t.id) for t in desk.visible_tickets()
                if t.submitter != t.requester and str(t.id) in metrics]
    assert outbound
    for cid in outbound:
        stats = json.loads(metrics[cid])
        assert stats["first_contact_reply_at"] is None or stats["first_contact_reply_at"] > \
            int(desk.tickets[int(cid)].created_at.timestamp())


def test_a_recorded_intercom_sync_replays_to_the_same_rows(tmp_path):
    """Searches are POSTs: the recording keeps each (scrubbed) body and replay matches it."""
    from deskpulse.app.demo.record import RecordingTransport, Scrubber
    from deskpulse.simulator import ReplayAPI

    desk = desk_of(120, seed=14)
    api = IntercomAPI(desk, token=TOKEN)
    recorded = Store.open(tmp_path / "recorded.db")
    live = runner(recorded, api.handler, desk)
    live.transport = RecordingTransport(httpx.MockTransport(api.handler), tmp_path / "rec",
                                        Scrubber([TOKEN]))
    assert live.backfill(NOW - timedelta(days=400)).status == "ok"
    text = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "rec").glob("*.json"))
    assert TOKEN not in text and "please help" not in text and '"json"' in text
    replayed = Store.open(tmp_path / "replayed.db")
    result = runner(replayed, ReplayAPI(tmp_path / "rec").handler, desk).backfill(
        NOW - timedelta(days=400))
    assert result.status == "ok", result.error
    assert [r[:2] for r in rows(replayed, "tickets")] == [r[:2] for r in rows(recorded,
                                                                              "tickets")]
