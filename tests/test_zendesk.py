"""The Zendesk connector against recorded, documented-shape responses (fixtures/zendesk)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from deskpulse.connectors import PageInvalid, load, open_source
from deskpulse.connectors.zendesk.streams import ZendeskSettings
from deskpulse.store import Event, Group, Person, Rating, Rejected, Ticket, VendorMetrics
from tests.fakedesk import FakeDesk, fixture

TOKEN = "zd-fake-token-31337"
SINCE = datetime(2026, 3, 1, tzinfo=UTC)
TICKETS = "/api/v2/incremental/tickets/cursor.json"
EVENTS = "/api/v2/incremental/ticket_events.json"


@pytest.fixture
def desk():
    fake = FakeDesk()
    yield fake
    fake.assert_consumed()


def source(desk: FakeDesk, **settings):
    config = ZendeskSettings(subdomain="acme", email="ops@acme.example", token=TOKEN, **settings)
    return open_source(load("zendesk"), "acme", config, transport=desk.transport(),
                       sleep=lambda seconds: None)


def read_all(desk: FakeDesk, stream: str, cursor=None, **settings):
    return list(source(desk, **settings).read(stream, cursor, since=SINCE))


def of(records, kind):
    return [r for page in records for r in page.records if isinstance(r, kind)]


def test_tickets_first_run_starts_at_since_and_saves_after_cursor(desk):
    desk.add("GET", TICKETS, fixture("zendesk/incremental_tickets/first_page"),
             fixture("zendesk/incremental_tickets/last_page"))
    pages = read_all(desk, "tickets")
    assert desk.params(0) == {"include": "metric_sets", "per_page": "1000",
                              "start_time": str(int(SINCE.timestamp()))}
    assert desk.params(1)["cursor"] == "MTc3MjYzNjQwMC4xMDM="
    assert "start_time" not in desk.params(1)
    assert [p.cursor for p in pages] == [{"after_cursor": "MTc3MjYzNjQwMC4xMDM="},
                                         {"after_cursor": "MTc3MjcwMTIwMC4xMDU="}]
    assert [p.done for p in pages] == [False, True]
    assert [p.requests for p in pages] == [1, 1]


def test_resumes_from_saved_after_cursor(desk):
    desk.add("GET", TICKETS, fixture("zendesk/incremental_tickets/last_page"))
    read_all(desk, "tickets", cursor={"after_cursor": "MTc3MjYzNjQwMC4xMDM="})
    assert desk.params(0)["cursor"] == "MTc3MjYzNjQwMC4xMDM="
    assert "start_time" not in desk.params(0)


def test_ticket_mapping_status_channel_metrics_and_deleted(desk):
    desk.add("GET", TICKETS, fixture("zendesk/incremental_tickets/first_page"),
             fixture("zendesk/incremental_tickets/last_page"))
    pages = read_all(desk, "tickets")
    tickets = {t.id: t for t in of(pages, Ticket)}
    assert set(tickets) == {"101", "102", "103", "104"}
    assert (tickets["101"].status, tickets["101"].channel) == ("solved", "email")
    assert tickets["101"].solved_at == datetime(2026, 3, 2, 11, tzinfo=UTC)
    assert tickets["103"].channel == "phone"
    deleted = tickets["104"]
    assert (deleted.deleted, deleted.status, deleted.vendor_status) == (True, "closed", "deleted")
    assert [e.kind for e in of(pages, Event)] == ["deleted"]
    metrics = {m.ticket_id: m.metrics for m in of(pages, VendorMetrics)}
    assert metrics["103"]["reply_time_in_minutes"] == {"calendar": 3060, "business": 1200}
    assert tickets["102"].raw["submitter_id"] == 7001


def test_an_invalid_ticket_becomes_a_dead_letter_and_the_page_goes_on(desk):
    desk.add("GET", TICKETS, fixture("zendesk/incremental_tickets/last_page"))
    pages = read_all(desk, "tickets", cursor={"after_cursor": "x"})
    rejected = of(pages, Rejected)
    assert len(rejected) == 1
    assert "created_at" in rejected[0].error and rejected[0].payload["id"] == 105
    assert [t.id for t in of(pages, Ticket)] == ["104"]


def test_ticket_events_become_created_message_note_and_change_events(desk):
    desk.add("GET", EVENTS, fixture("zendesk/incremental_ticket_events/first_page"),
             fixture("zendesk/incremental_ticket_events/last_page"))
    pages = read_all(desk, "ticket_events")
    assert desk.params(0) == {"include": "comment_events",
                              "start_time": str(int(SINCE.timestamp()))}
    assert desk.params(1)["start_time"] == "1772445600"  # the previous page's end_time
    assert pages[-1].cursor == {"start_time": 1772636400} and pages[-1].done
    events = {e.id: e for e in of(pages, Event)}  # the repeated boundary second dedupes by id
    created = events["2001"]
    assert (created.kind, created.new_value, created.actor_id) == ("created", "new", "9001")
    assert (events["2005"].kind, events["2005"].public) == ("message", True)
    note = events["2012"]
    assert (note.kind, note.public, note.body) == ("note", False, "Checking with billing")
    assert (events["2015"].kind, events["2015"].old_value, events["2015"].new_value) == (
        "status", "new", "open")
    hold = events["2023"]  # the audit layout: field_name / value
    assert (hold.kind, hold.old_value, hold.new_value) == ("status", "open", "on_hold")
    assert (events["2043"].kind, events["2043"].new_value) == ("assignee", "7001")
    assert events["2041"].new_value == "pending"
    rule = events["2062"]
    assert (rule.actor_id, rule.actor_role, rule.new_value) == ("-1", "system", "solved")
    assert "2083" not in events  # notifications are not ticket events we model


def test_a_time_export_that_cannot_advance_is_stopped(desk):
    stuck = fixture("zendesk/incremental_ticket_events/first_page", end_time=1772000000)
    desk.add("GET", EVENTS, stuck)  # the guard stops before asking for the same page again
    with pytest.raises(PageInvalid, match="same position"):
        list(source(desk).read("ticket_events", {"start_time": 1772000000}, since=SINCE))


def test_users_are_read_from_the_beginning_with_roles(desk):
    desk.add("GET", "/api/v2/incremental/users/cursor.json",
             fixture("zendesk/incremental_users/only_page"))
    people = {p.id: p for p in of(read_all(desk, "users"), Person)}
    assert desk.params(0)["start_time"] == "0"
    assert {pid: p.role for pid, p in people.items()} == {
        "7001": "agent", "7002": "admin", "9001": "customer", "9002": "customer"}
    assert people["7001"].time_zone == "America/New_York"


def test_groups_follow_cursor_pagination_and_skip_deleted(desk):
    desk.add("GET", "/api/v2/groups", fixture("zendesk/groups/first_page"),
             fixture("zendesk/groups/last_page"))
    pages = read_all(desk, "groups")
    assert desk.params(1)["page[after]"] == "eyJvIjoiaWQiLCJ2IjoiYVMwQkFBQUFBQUFBIn0="
    assert [g.name for g in of(pages, Group)] == ["Tier 1", "Billing"]
    assert pages[-1].cursor is None and pages[-1].done


def test_ratings_keep_offered_surveys_and_remember_the_newest_update(desk):
    desk.add("GET", "/api/v2/satisfaction_ratings",
             fixture("zendesk/satisfaction_ratings/only_page"))
    pages = read_all(desk, "satisfaction_ratings", ratings="list")
    assert "score" not in desk.params(0)  # the list path asks for every rating
    ratings = {r.id: r for r in of(pages, Rating)}
    assert (ratings["3001"].positive, ratings["3001"].scale) == (True, "good_bad")
    assert (ratings["3002"].score, ratings["3002"].positive) == ("offered", None)
    newest = int(datetime(2026, 3, 5, 9, tzinfo=UTC).timestamp())
    assert pages[-1].cursor == {"start_time": newest}


def test_no_stream_makes_a_request_per_ticket(desk):
    desk.add("GET", TICKETS, fixture("zendesk/incremental_tickets/first_page"),
             fixture("zendesk/incremental_tickets/last_page"))
    desk.add("GET", EVENTS, fixture("zendesk/incremental_ticket_events/first_page"),
             fixture("zendesk/incremental_ticket_events/last_page"))
    read_all(desk, "tickets")
    read_all(desk, "ticket_events")
    assert {r.url.path for r in desk.log} == {TICKETS, EVENTS}
    assert len(desk.log) == 4


def test_settings_need_a_subdomain_or_base_url():
    with pytest.raises(ValueError, match="subdomain"):
        ZendeskSettings(email="a@b.c", token="t")


def test_until_ends_the_stream_at_the_first_page_that_reaches_it(desk):
    desk.add("GET", TICKETS, fixture("zendesk/incremental_tickets/first_page"))
    until = datetime(2026, 3, 3, tzinfo=UTC)  # page 1 already holds a ticket updated after it
    pages = list(source(desk).read("tickets", None, since=SINCE, until=until))
    assert len(pages) == 1 and pages[0].done
    assert len(desk.log) == 1


def test_estimate_asks_zendesk_for_the_ticket_count(desk):
    count = {"count": {"value": 123456, "refreshed_at": "2026-03-02T09:00:00Z"}}
    desk.add("GET", "/api/v2/tickets/count.json", httpx.Response(200, json=count))
    # 124 export pages of tickets, ~11 for their events, plus the small streams
    assert source(desk).estimate(SINCE) == {"tickets": 123456, "requests": 124 * 11 + 5}


def test_business_hours_become_a_schedule_in_the_accounts_zone(desk):
    from deskpulse.store import BusinessSchedule

    schedules = {"schedules": [{
        "id": 7, "name": "Support", "time_zone": "Eastern Time (US & Canada)",
        "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
        # minutes from Sunday 00:00: Monday 09:00-17:00 and Saturday 10:00 to midnight
        "intervals": [{"start_time": 1980, "end_time": 2460},
                      {"start_time": 6 * 1440 + 600, "end_time": 7 * 1440}]}]}
    desk.add("GET", "/api/v2/business_hours/schedules", httpx.Response(200, json=schedules))
    desk.add("GET", "/api/v2/business_hours/schedules/7/holidays",
             fixture("zendesk/business_hours/holidays"))
    (schedule,) = of(read_all(desk, "business_hours"), BusinessSchedule)
    assert (schedule.time_zone, schedule.is_default) == ("America/New_York", True)
    assert schedule.hours == {"mon": ["09:00-17:00"], "sat": ["10:00-23:59:59"]}
    assert schedule.holidays == ["2026-12-24..2026-12-26", "2027-01-01..2027-01-01"]


def test_handle_time_from_the_time_tracking_field_when_configured(desk):
    from deskpulse.connectors.zendesk.mapping import ticket_records
    from deskpulse.store import Rejected, Ticket, TimeEntry

    desk.add("GET", TICKETS, fixture("zendesk/incremental_tickets/first_page"),
             fixture("zendesk/incremental_tickets/last_page"))
    pages = list(source(desk, time_spent_field=360001234).read("tickets", None, since=SINCE))
    assert [(e.ticket_id, e.seconds) for e in of(pages, TimeEntry)] == [("104", 1260)]
    raw = {"id": 9, "status": "open", "created_at": "2026-03-02T10:00:00Z",
           "updated_at": "2026-03-02T11:00:00Z", "custom_fields": [{"id": 7, "value": "1h"}]}
    records = ticket_records(raw, None, 7)  # not a number: the ticket stays, the entry is out
    assert [type(r) for r in records] == [Ticket, Rejected]
    assert "custom field 7 (time spent)" in records[1].error
    assert not [r for r in ticket_records(raw, None) if isinstance(r, TimeEntry | Rejected)]
