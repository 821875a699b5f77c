"""The Freshdesk connector against recorded, documented-shape responses (fixtures/freshdesk)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest

from deskpulse import kpi
from deskpulse.connectors import PageInvalid, load, open_source
from deskpulse.connectors.freshdesk.streams import FreshdeskSettings
from deskpulse.store import (
    BusinessSchedule,
    Event,
    Group,
    Person,
    Rating,
    Store,
    Ticket,
    TimeEntry,
    VendorMetrics,
)
from tests.fakedesk import FakeDesk, fixture

API_KEY = "fd-fake-key-4242"
SINCE = datetime(2026, 10, 1, tzinfo=UTC)
TICKETS = "/api/v2/tickets"


def conversations(ticket: int) -> str:
    return f"/api/v2/tickets/{ticket}/conversations"


def empty() -> httpx.Response:
    return httpx.Response(200, json=[], headers={"x-ratelimit-total": "400",
                                                 "x-ratelimit-remaining": "390"})


@pytest.fixture
def desk():
    fake = FakeDesk()
    yield fake
    fake.assert_consumed()


def source(desk: FakeDesk, slept: list[float] | None = None, **settings):
    config = FreshdeskSettings(domain="acme", api_key=API_KEY, concurrency=1, **settings)
    return open_source(load("freshdesk"), "acme", config, transport=desk.transport(),
                       sleep=(slept.append if slept is not None else lambda s: None))


def read_all(desk: FakeDesk, stream: str, cursor=None, **settings):
    return list(source(desk, **settings).read(stream, cursor, since=SINCE))


def of(pages, kind):
    return [r for page in pages for r in page.records if isinstance(r, kind)]


def two_pages(desk: FakeDesk) -> None:
    desk.add("GET", TICKETS, fixture("freshdesk/tickets_page1"), fixture("freshdesk/tickets_page2"))
    desk.add("GET", conversations(101), fixture("freshdesk/conversations_101"))
    desk.add("GET", conversations(104), fixture("freshdesk/conversations_104"))
    for ticket in (102, 103, 105):
        desk.add("GET", conversations(ticket), empty())


def test_each_request_restarts_the_window_at_the_newest_updated_at_instead_of_paging(desk):
    two_pages(desk)
    pages = read_all(desk, "tickets")
    lists = [r for r in desk.log if r.url.path == TICKETS]
    assert dict(lists[0].url.params) == {
        "include": "stats", "updated_since": "2026-10-01T00:00:00Z", "order_by": "updated_at",
        "order_type": "asc", "per_page": "100", "page": "1"}
    # page 1 had a next link: the second request restarts at its newest ticket, at page 1
    assert lists[1].url.params["updated_since"] == "2026-10-08T19:15:01Z"
    assert lists[1].url.params["page"] == "1"
    assert [p.cursor for p in pages] == [
        {"since": "2026-10-08T19:15:01Z", "skip": ["103"], "page": 1},
        {"since": "2026-10-15T07:52:10Z", "skip": ["105"], "page": 1}]
    assert [p.done for p in pages] == [False, True]
    # one list request plus one conversations request per changed ticket, counted per page
    assert [p.requests for p in pages] == [4, 3]
    assert sorted(t.id for t in of(pages, Ticket)) == ["101", "102", "103", "104", "105"]


def test_basic_auth_is_the_api_key_and_x(desk):
    two_pages(desk)
    read_all(desk, "tickets")
    expected = "Basic " + base64.b64encode(f"{API_KEY}:X".encode()).decode()
    assert {r.headers["authorization"] for r in desk.log} == {expected}


def test_the_overlap_at_the_window_start_is_dropped_by_id_and_not_fetched_again(desk):
    desk.add("GET", TICKETS, fixture("freshdesk/tickets_page2"))
    desk.add("GET", conversations(105), empty())
    cursor = {"since": "2026-10-12T13:25:05Z", "skip": ["104"], "page": 1}
    pages = read_all(desk, "tickets", cursor)
    assert [t.id for t in of(pages, Ticket)] == ["105"]
    assert conversations(104) not in [r.url.path for r in desk.log]


def test_ticket_fields_map_to_the_normalized_columns(desk):
    two_pages(desk)
    tickets = {t.id: t for t in of(read_all(desk, "tickets"), Ticket)}
    assert (tickets["101"].status, tickets["101"].channel, tickets["101"].priority) == \
        ("solved", "email", "normal")
    assert tickets["101"].solved_at == datetime(2026, 10, 3, 10, tzinfo=UTC)
    assert (tickets["102"].status, tickets["102"].channel) == ("pending", "web")
    assert (tickets["103"].status, tickets["103"].channel) == ("open", "chat")
    assert (tickets["104"].status, tickets["104"].channel) == ("closed", "email")
    # a custom status keeps its id in vendor_status and counts as on hold
    assert (tickets["105"].status, tickets["105"].vendor_status, tickets["105"].priority,
            tickets["105"].channel) == ("on_hold", "6", "urgent", "messaging")
    assert tickets["101"].assignee_id == "43001" and tickets["101"].group_id == "45001"


def test_a_status_map_names_what_a_custom_status_means(desk):
    two_pages(desk)
    pages = read_all(desk, "tickets", status_map={"6": "pending"})
    assert {t.id: t.status for t in of(pages, Ticket)}["105"] == "pending"


def test_conversations_become_events_by_incoming_and_private(desk):
    two_pages(desk)
    events = {e.id: e for e in of(read_all(desk, "tickets"), Event)}
    reply, note, customer, feedback = (events[i] for i in ("47001", "47002", "47003", "47004"))
    assert (reply.kind, reply.public, reply.actor_role, reply.actor_id) == \
        ("message", True, "agent", "43001")
    assert (note.kind, note.public, note.actor_role) == ("note", False, "agent")
    assert (customer.kind, customer.public, customer.actor_role) == ("message", True, "customer")
    assert (feedback.kind, feedback.actor_role, feedback.channel) == \
        ("message", "customer", "survey feedback")
    # the description opens the ticket: a customer message, or an agent's for outbound email
    assert (events["101-description"].actor_role, events["104-description"].actor_role) == \
        ("customer", "agent")


def test_a_customer_reply_moves_the_ticket_back_to_open(desk):
    """Freshdesk reopens a ticket whenever its customer replies, so a pending spell that
    ended between two syncs still ends at the reply; survey feedback reopens nothing."""
    two_pages(desk)
    events = of(read_all(desk, "tickets"), Event)
    opened = {(e.at.isoformat(), e.actor_role) for e in events
              if e.ticket_id == "101" and e.kind == "status" and e.new_value == "open"}
    assert opened == {("2026-10-03T09:30:00+00:00", "customer")}  # 47003, not 47004


def test_status_events_are_derived_from_stats(desk):
    two_pages(desk)
    events = of(read_all(desk, "tickets"), Event)
    status = sorted((e.ticket_id, e.at.isoformat(), e.new_value) for e in events
                    if e.kind == "status")
    assert ("101", "2026-10-03T10:00:00+00:00", "solved") in status
    assert ("102", "2026-10-05T11:02:30+00:00", "pending") in status
    # a direct close sets resolved_at and closed_at together: solved then closed, in order
    closing = sorted((e for e in events if e.ticket_id == "104" and e.kind == "status"),
                     key=lambda e: e.id)
    assert [e.new_value for e in closing] == ["solved", "closed"]


def test_freshdesk_rules_in_the_facts(desk, tmp_path):
    """A public agent reply is the first response; a private note is not; the survey
    feedback is a customer message; an outbound ticket has no first response."""
    two_pages(desk)
    pages = read_all(desk, "tickets")
    store = Store.open(tmp_path / "f.db")
    store.ensure_source("acme", "freshdesk", "acme")
    for page in pages:
        store.commit_page("acme", "tickets", page.records, page.cursor)
    kpi.refresh(store)
    facts = {row[0]: row[1:] for row in store.conn.execute(
        "SELECT ticket_id, frt_cal, customer_msgs, notes, flags FROM ticket_facts")}
    assert facts["101"][0] == 65 * 60  # 14:05 → the 15:10 reply; the 15:12 note is ignored
    assert facts["101"][1] == 3  # description, reply, survey feedback
    assert facts["101"][2] == 1
    assert facts["104"][0] is None  # outbound: no first response, despite the agent reply
    assert facts["101"][3] & 4  # status history is reconstructed: flagged approximate
    metrics = {m.ticket_id: m.metrics for m in of(pages, VendorMetrics)}
    oracle = {m.fact: m for m in load("freshdesk").oracle}
    assert oracle["frt_cal"].read(metrics["101"]) == facts["101"][0]


def test_page_301_is_a_clear_error_and_is_never_requested(desk):
    desk.add("GET", TICKETS, fixture("freshdesk/tickets_page301"))
    with pytest.raises(PageInvalid, match="400"):
        read_all(desk, "tickets", {"since": "2026-10-01T00:00:00Z", "skip": [], "page": 300})
    with pytest.raises(PageInvalid, match="refuses page 301"):
        read_all(FakeDesk(), "tickets", {"since": "2026-10-01T00:00:00Z", "skip": [],
                                         "page": 301})


def test_a_429_waits_exactly_retry_after(desk):
    desk.add("GET", TICKETS, fixture("freshdesk/tickets_429"), fixture("freshdesk/tickets_page2"))
    desk.add("GET", conversations(104), fixture("freshdesk/conversations_104"))
    desk.add("GET", conversations(105), empty())
    slept: list[float] = []
    pages = list(source(desk, slept, requests_per_minute=None, rate_limit_share=None,
                        ticket_list_requests_per_minute=None).read("tickets", None, since=SINCE))
    assert slept == [37.0]
    assert pages[-1].requests == 4  # the refused request counts too


def test_the_ticket_list_has_its_own_per_minute_cap(desk):
    two_pages(desk)
    slept: list[float] = []
    clock = [datetime(2026, 10, 20, tzinfo=UTC)]
    config = FreshdeskSettings(domain="acme", api_key=API_KEY, concurrency=1,
                               requests_per_minute=None, ticket_list_requests_per_minute=20,
                               rate_limit_share=None)
    src = open_source(load("freshdesk"), "acme", config, transport=desk.transport(),
                      sleep=slept.append, clock=lambda: clock[0])
    list(src.read("tickets", None, since=SINCE))
    assert slept == [3.0]  # 60 s / 20: only before the second list request


def test_deleted_and_spam_come_from_their_own_passes_and_are_marked(desk):
    desk.add("GET", TICKETS, fixture("freshdesk/deleted_tickets"),
             fixture("freshdesk/spam_tickets"))
    deleted = of(read_all(desk, "deleted_tickets"), Ticket)
    spam = of(read_all(desk, "spam_tickets"), Ticket)
    assert desk.params(0)["filter"] == "deleted" and desk.params(1)["filter"] == "spam"
    assert "updated_since" in desk.params(0)
    assert [(t.id, t.deleted, t.vendor_status) for t in deleted + spam] == [
        ("106", True, "deleted"), ("107", True, "spam")]
    # no conversations are fetched for them: they drop out of every KPI anyway
    assert all(r.url.path == TICKETS for r in desk.log)


def test_agents_contacts_groups_and_business_hours(desk):
    desk.add("GET", "/api/v2/agents", fixture("freshdesk/agents"))
    desk.add("GET", "/api/v2/contacts", fixture("freshdesk/contacts"))
    desk.add("GET", "/api/v2/groups", fixture("freshdesk/groups"))
    desk.add("GET", "/api/v2/business_hours", fixture("freshdesk/business_hours"))
    people = of(read_all(desk, "agents"), Person) + of(read_all(desk, "contacts"), Person)
    assert [(p.id, p.role) for p in people] == [
        ("43001", "agent"), ("43002", "agent"), ("44001", "customer"), ("44002", "customer"),
        ("44003", "customer")]
    assert [(g.name, g.schedule_id) for g in of(read_all(desk, "groups"), Group)] == [
        ("Billing", "49301"), ("Technical Support", "49302")]
    hours, uk = of(read_all(desk, "business_hours"), BusinessSchedule)
    assert (hours.time_zone, hours.is_default, hours.hours["mon"], "sat" in hours.hours) == \
        ("America/New_York", True, ["09:00-17:00"], False)
    assert (uk.id, uk.time_zone, uk.is_default, uk.hours["fri"]) == (
        "49302", "Europe/London", False, ["08:00-16:30"])


def test_contacts_resume_from_when_the_previous_pass_started(desk):
    desk.add("GET", "/api/v2/contacts", fixture("freshdesk/contacts"))
    pages = read_all(desk, "contacts", {"updated_since": "2026-10-20T00:00:00Z"})
    assert desk.params(0)["_updated_since"] == "2026-10-20T00:00:00Z"
    assert set(pages[-1].cursor) == {"updated_since"}
    assert pages[-1].cursor["updated_since"] > "2026-10-20T00:00:00Z"


def test_ratings_use_the_survey_scale_and_happy_means_positive(desk):
    desk.add("GET", "/api/v2/surveys", fixture("freshdesk/surveys"))
    desk.add("GET", "/api/v2/surveys/satisfaction_ratings",
             fixture("freshdesk/satisfaction_ratings"))
    pages = read_all(desk, "satisfaction_ratings")
    ratings = of(pages, Rating)
    assert [(r.ticket_id, r.score, r.scale, r.positive) for r in ratings] == [
        ("101", "103", "freshdesk-3", True), ("102", "-103", "freshdesk-3", False)]
    assert desk.params(1)["created_since"] == "2026-10-01T00:00:00Z"
    assert pages[-1].cursor == {"created_since": "2026-10-06T16:40:00Z"}
    assert pages[-1].requests == 2  # the surveys request counts on the first page


def test_time_entries_keep_seconds_and_re_read_a_day(desk):
    desk.add("GET", "/api/v2/time_entries", fixture("freshdesk/time_entries"))
    pages = read_all(desk, "time_entries")
    entries = of(pages, TimeEntry)
    assert [(e.ticket_id, e.seconds) for e in entries] == [("101", 1500), ("101", 1500)]
    assert {e.billable for e in entries} == {True, False}
    newest = max(e.at for e in entries)
    assert pages[-1].cursor["executed_after"] < newest.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_malformed_ticket_is_dead_lettered_and_the_page_kept(desk):
    page = fixture("freshdesk/tickets_page2")
    body = page.json()
    body[0]["status"] = {"unexpected": True}
    desk.add("GET", TICKETS, httpx.Response(200, json=body))
    desk.add("GET", conversations(105), empty())
    pages = read_all(desk, "tickets")
    assert [t.id for t in of(pages, Ticket)] == ["105"]
    rejected = [r for r in pages[0].records if type(r).__name__ == "Rejected"]
    assert len(rejected) == 1 and "status" in rejected[0].error
