"""Zendesk ratings read from the exports (ticket export: id, score, comment; ticket events'
SatisfactionRating: time) store exactly what the `/satisfaction_ratings` list stores, with
fewer requests, whichever half arrives first and in whichever run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from deskpulse import kpi
from deskpulse.app.demo.run import DEMO_SOURCE, demo_source
from deskpulse.app.report.unmapped import figure_notes
from deskpulse.app.sync.runner import Runner
from deskpulse.app.sync.status import source_status
from deskpulse.connectors import load, open_source
from deskpulse.connectors.zendesk.mapping import ticket_records
from deskpulse.connectors.zendesk.settings import ZendeskSettings
from deskpulse.simulator import ZendeskAPI, generate
from deskpulse.simulator.model import Desk
from deskpulse.store import Store
from deskpulse.store.models import RatingHalf, RatingMoment, Unmapped
from deskpulse.store.rating_join import pending_ratings
from tests.fakedesk import FakeDesk, fixture
from tests.simdesk import CrashAfter, rows

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=30)
TOKEN = "ratings-token-7d2e"
CSAT = ("ticket_id", "csat_offered", "csat_score", "csat_positive", "rated_at", "rated_day")


def desk_with_rerates(seed: int = 5, tickets: int = 300) -> Desk:
    """A simulated account where a few customers rated twice (good, then bad days later)."""
    desk = generate(seed=seed, tickets=tickets, start=SINCE, end=NOW - timedelta(days=1))
    good = [t for t in desk.tickets.values() if t.rating and t.rating.score == "good"
            and t.rating.created_at < NOW - timedelta(days=3)]
    assert len(good) >= 6
    for ticket in good[:6]:
        assert ticket.rating is not None
        ticket.rating.later.append((ticket.rating.created_at + timedelta(days=2), "bad",
                                    "Changed my mind"))
    return desk


def runner(store: Store, transport: httpx.BaseTransport, ratings: str) -> Runner:
    source = demo_source()
    source = source.model_copy(update={"options": {**source.options, "ratings": ratings}})
    return Runner(store, source, transport=transport, environ={"DESKPULSE_DEMO_TOKEN": TOKEN})


def open_store(path) -> Store:
    store = Store.open(path)
    kpi.install_views(store)
    return store


def backfill(store: Store, api: ZendeskAPI, ratings: str,
             transport: httpx.BaseTransport | None = None):
    result = runner(store, transport or httpx.MockTransport(api.handler), ratings).backfill(
        SINCE - timedelta(days=1))
    assert result.status == "ok", result.error
    return result


def csat_facts(store: Store) -> list[tuple]:
    return sorted(store.conn.execute(f"SELECT {', '.join(CSAT)} FROM ticket_facts").fetchall(),
                  key=repr)


def ratings_requests(api: ZendeskAPI) -> list[str]:
    return [query for _method, path, query in api.requests
            if path == "/api/v2/satisfaction_ratings"]


def test_exports_store_the_same_ratings_and_csat_facts_as_the_list(tmp_path):
    desk = desk_with_rerates()
    listed_api = ZendeskAPI(desk, email="demo@deskpulse.example", token=TOKEN)
    listed = open_store(tmp_path / "list.db")
    backfill(listed, listed_api, "list")
    exported_api = ZendeskAPI(desk, email="demo@deskpulse.example", token=TOKEN)
    exported = open_store(tmp_path / "exports.db")
    backfill(exported, exported_api, "exports")

    # ids, ticket ids, times, scores, comments: row for row, re-rated ones included
    assert rows(exported, "ratings") == rows(listed, "ratings")
    scores = {row[4] for row in rows(listed, "ratings")}
    assert scores == {"good", "bad", "offered"}
    rerated = exported.conn.execute(
        "SELECT COUNT(*) FROM ratings WHERE comment = 'Changed my mind' AND score = 'bad'")
    assert rerated.fetchone()[0] == 6
    assert csat_facts(exported) == csat_facts(listed)
    assert rows(exported, "kpi_daily") == rows(listed, "kpi_daily")
    assert pending_ratings(exported.conn) == []
    # the list is asked only for offered surveys, so it costs fewer pages
    assert all("score=offered" in query for query in ratings_requests(exported_api))
    assert len(ratings_requests(exported_api)) < len(ratings_requests(listed_api))
    listed.close()
    exported.close()


def test_ratings_changed_later_are_updated_with_their_new_time(tmp_path):
    desk = generate(seed=9, tickets=200, start=SINCE, end=NOW - timedelta(days=1))
    desk.now = NOW - timedelta(days=2)
    rated = next(t for t in desk.tickets.values() if t.rating and t.rating.score == "good"
                 and t.rating.created_at < desk.now)
    assert rated.rating is not None
    changed_at = (NOW - timedelta(hours=30)).replace(microsecond=0)
    rated.rating.later.append((changed_at, "bad", "Broke again"))
    api = ZendeskAPI(desk, email="demo@deskpulse.example", token=TOKEN)
    stores = {mode: open_store(tmp_path / f"{mode}.db") for mode in ("exports", "list")}
    for mode, store in stores.items():
        assert runner(store, httpx.MockTransport(api.handler), mode).sync().status == "ok"
    for store in stores.values():
        row = store.conn.execute("SELECT score, at FROM ratings WHERE id = ?",
                                 (str(rated.rating.id),)).fetchone()
        assert row[0] == "good"
    desk.advance(NOW, seed=1)
    for mode, store in stores.items():
        assert runner(store, httpx.MockTransport(api.handler), mode).sync().status == "ok"
    found = {mode: store.conn.execute(
        "SELECT score, comment, at FROM ratings WHERE id = ?", (str(rated.rating.id),)
    ).fetchone() for mode, store in stores.items()}
    assert found["exports"] == found["list"] == ("bad", "Broke again", "2026-05-31T06:00:00Z")
    facts = {mode: store.conn.execute(
        "SELECT csat_score, csat_positive FROM ticket_facts WHERE ticket_id = ?",
        (str(rated.id),)).fetchone() for mode, store in stores.items()}
    assert facts["exports"] == facts["list"] == ("bad", 0)
    for store in stores.values():
        store.close()


def test_a_backfill_resumed_after_the_tickets_joins_their_ratings_in_the_next_run(tmp_path):
    desk = desk_with_rerates(seed=6, tickets=200)
    api = ZendeskAPI(desk, email="demo@deskpulse.example", token=TOKEN)
    reference = open_store(tmp_path / "ref.db")
    backfill(reference, api, "list")
    first_events = next(n for n, (_m, path, _q) in enumerate(api.requests)
                        if path == "/api/v2/incremental/ticket_events.json")
    api.requests.clear()
    store = open_store(tmp_path / "resumed.db")
    with pytest.raises(KeyboardInterrupt):  # every ticket stored, no ticket event yet
        runner(store, CrashAfter(api.handler, first_events), "exports").backfill(
            SINCE - timedelta(days=1))
    waiting = pending_ratings(store.conn)
    answered = [r for r in rows(reference, "ratings") if r[4] != "offered"]
    assert waiting and waiting[0]["ratings"] == len(answered)
    # no rating is written without its time: none at all yet, and both status and the KPI
    # notes say how many wait
    assert store.conn.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == 0
    assert source_status(store, DEMO_SOURCE, NOW)["ratings_without_time"] == len(answered)
    notes = figure_notes(store, None, None)
    assert any(f"{len(answered):,} answered ratings are not in CSAT yet" in n for n in notes)
    backfill(store, api, "exports")
    assert rows(store, "ratings") == rows(reference, "ratings")
    assert csat_facts(store) == csat_facts(reference)
    assert pending_ratings(store.conn) == []
    assert source_status(store, DEMO_SOURCE, NOW)["ratings_without_time"] == 0
    store.close()
    reference.close()


T0 = datetime(2026, 5, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize("first", ["half", "moment"])
def test_either_half_first_writes_the_rating_once_both_are_stored_and_marks_it_dirty(
        tmp_path, first):
    store = Store.open(tmp_path / "halves.db")
    half = RatingHalf(id="r1", ticket_id="t1", score="good", scale="good_bad", positive=True,
                      comment="Thanks")
    moment = RatingMoment(id="e1", ticket_id="t1", at=T0, score="good", comment="Thanks")
    pages = [("tickets", [half]), ("ticket_events", [moment])]
    if first == "moment":
        pages.reverse()
    assert store.commit_page("acme", pages[0][0], pages[0][1], None) == set()
    assert store.conn.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == 0
    store.conn.execute("DELETE FROM kpi_dirty")
    assert store.commit_page("acme", pages[1][0], pages[1][1], None) == {"t1"}
    assert store.dirty_tickets("acme") == {("acme", "t1")}
    assert rows(store, "ratings") == [
        ("acme", "r1", "t1", "2026-05-03T10:00:00Z", "good", "good_bad", 1, "Thanks", "csat")]
    assert pending_ratings(store.conn) == []
    store.close()


def test_a_new_score_waits_for_its_own_moment_instead_of_borrowing_the_old_time(tmp_path):
    store = Store.open(tmp_path / "rerate.db")
    store.commit_page("acme", "tickets", [RatingHalf(
        id="r1", ticket_id="t1", score="good", scale="good_bad", positive=True)], None)
    store.commit_page("acme", "ticket_events", [RatingMoment(
        id="e1", ticket_id="t1", at=T0, score="good")], None)
    # the ticket export shows the new score before the events export brings its time
    store.commit_page("acme", "tickets", [RatingHalf(
        id="r1", ticket_id="t1", score="bad", scale="good_bad", positive=False)], None)
    assert store.conn.execute("SELECT score, at FROM ratings").fetchall() == [
        ("good", "2026-05-03T10:00:00Z")]  # what was true at its time, until the new time
    assert pending_ratings(store.conn) == [
        {"source": "acme", "ratings": 1, "example_ticket": "t1"}]
    later = T0 + timedelta(days=1)
    assert store.commit_page("acme", "ticket_events", [RatingMoment(
        id="e2", ticket_id="t1", at=later, score="bad")], None) == {"t1"}
    assert store.conn.execute("SELECT score, positive, at FROM ratings").fetchall() == [
        ("bad", 0, "2026-05-04T10:00:00Z")]
    assert pending_ratings(store.conn) == []
    store.close()


# -- the recorded-shape fixtures (fixtures/zendesk/*/ratings_page.json, offered_page.json) --


def read_fixture_streams(ratings: str) -> tuple[dict[str, list], FakeDesk]:
    desk = FakeDesk()
    desk.add("GET", "/api/v2/incremental/tickets/cursor.json",
             fixture("zendesk/incremental_tickets/ratings_page"))
    desk.add("GET", "/api/v2/incremental/ticket_events.json",
             fixture("zendesk/incremental_ticket_events/ratings_page"))
    desk.add("GET", "/api/v2/satisfaction_ratings",
             fixture("zendesk/satisfaction_ratings/offered_page"))
    config = ZendeskSettings(subdomain="acme", email="ops@acme.example", token=TOKEN,
                             ratings=ratings)
    opened = open_source(load("zendesk"), "acme", config, transport=desk.transport(),
                         sleep=lambda seconds: None)
    since = datetime(2026, 3, 1, tzinfo=UTC)
    pages = {stream: list(opened.read(stream, None, since=since))
             for stream in ("tickets", "ticket_events", "satisfaction_ratings")}
    return pages, desk


@pytest.mark.parametrize("order", [("tickets", "ticket_events", "satisfaction_ratings"),
                                   ("satisfaction_ratings", "ticket_events", "tickets")])
def test_recorded_shapes_give_each_rating_its_id_score_comment_and_time(tmp_path, order):
    pages, desk = read_fixture_streams("exports")
    assert desk.params(2)["score"] == "offered"
    halves = [r for page in pages["tickets"] for r in page.records
              if isinstance(r, RatingHalf)]
    # answered ratings only: offered carries no id, unoffered and null (no CSAT) are none
    assert sorted((h.ticket_id, h.id, h.score) for h in halves) == [
        ("201", "4001", "good"), ("202", "4002", "bad"), ("206", "4006", "bad")]
    store = Store.open(tmp_path / "fixtures.db")
    for stream in order:
        for page in pages[stream]:
            store.commit_page("acme", stream, page.records, page.cursor)
    assert rows(store, "ratings") == [
        ("acme", "4001", "201", "2026-03-06T11:00:00Z", "good", "good_bad", 1,
         "Sorted in minutes", "csat"),
        ("acme", "4002", "202", "2026-03-08T16:30:00Z", "bad", "good_bad", 0, None, "csat"),
        ("acme", "4003", "203", "2026-03-09T09:00:00Z", "offered", "good_bad", None, None,
         "csat"),
        # rated good on the 7th, bad on the 10th: the latest answer and its time
        ("acme", "4006", "206", "2026-03-10T09:00:00Z", "bad", "good_bad", 0, "Broke again",
         "csat")]
    assert pending_ratings(store.conn) == []
    assert store.conn.execute("SELECT COUNT(*) FROM unmapped").fetchone()[0] == 0
    store.close()


def test_the_list_path_asks_for_every_rating_and_reads_no_half(tmp_path):
    pages, desk = read_fixture_streams("list")
    assert "score" not in desk.params(2)
    assert not [r for page in pages["tickets"] for r in page.records
                if isinstance(r, RatingHalf)]


def test_an_answered_rating_without_an_id_is_counted_as_unmapped_not_dropped():
    ticket = fixture("zendesk/incremental_tickets/ratings_page").json()["tickets"][0]
    ticket["satisfaction_rating"] = {"score": "good", "comment": "No id here"}
    records = ticket_records(ticket, None, ratings=True)
    unmapped = [r for r in records if isinstance(r, Unmapped)]
    assert [(u.kind, u.value, u.field) for u in unmapped] == [
        ("rating", "good", "ticket.satisfaction_rating.id")]
    assert 'ratings = "list"' in (unmapped[0].fix or "")


def test_a_page_with_moments_of_tickets_without_a_half_completes_the_others(tmp_path):
    store = Store.open(tmp_path / "mixed.db")
    store.commit_page("acme", "tickets", [RatingHalf(
        id="r2", ticket_id="t2", score="bad", scale="good_bad", positive=False)], None)
    # t1's rating is not in the file (its ticket export half is a dead letter, say)
    assert store.commit_page("acme", "ticket_events", [
        RatingMoment(id="e1", ticket_id="t1", at=T0, score="good"),
        RatingMoment(id="e2", ticket_id="t2", at=T0, score="bad")], None) == {"t2"}
    assert store.conn.execute("SELECT id, at FROM ratings").fetchall() == [
        ("r2", "2026-05-03T10:00:00Z")]
    store.close()
