"""Vendor values seen in real accounts that deskpulse once dropped or guessed silently: each
is now either mapped (phone replies, sample tickets, unsnoozes) or counted as unmapped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from deskpulse import kpi
from deskpulse.connectors import load, open_source
from deskpulse.connectors.zendesk.mapping import ticket_records
from deskpulse.connectors.zendesk.streams import ZendeskSettings
from deskpulse.store import Event, Person, Store, Ticket, Unmapped
from tests.fakedesk import FakeDesk, fixture

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
EVENTS = "/api/v2/incremental/ticket_events.json"


def _zendesk_events() -> list:
    desk = FakeDesk()
    desk.add("GET", EVENTS, fixture("zendesk/incremental_ticket_events/voice_page"))
    config = ZendeskSettings(subdomain="acme", email="ops@acme.example", token="zd-fake")
    source = open_source(load("zendesk"), "acme", config, transport=desk.transport(),
                         sleep=lambda seconds: None)
    pages = list(source.read("ticket_events", None, since=SINCE))
    desk.assert_consumed()
    return [r for page in pages for r in page.records]


def test_zendesk_voice_and_facebook_comments_are_messages_and_notes():
    records = _zendesk_events()
    events = {e.id: e for e in records if isinstance(e, Event)}
    call = events["3011"]
    assert (call.kind, call.public, call.actor_id, call.channel) == (
        "message", True, "7001", "Voice")
    summary = events["3012"]  # no `via` of its own: the voice channel
    assert (summary.kind, summary.public, summary.channel) == ("note", False, "voice")
    facebook = events["3021"]
    assert (facebook.kind, facebook.public, facebook.actor_id, facebook.channel) == (
        "message", True, "9001", "facebook")
    unmapped = [(u.kind, u.value, u.record_id) for u in records if isinstance(u, Unmapped)]
    assert unmapped == [("event_type", "UndocumentedEvent", "3022")]


def test_a_phone_reply_ends_the_first_reply_clock_and_counts_as_a_reply(tmp_path):
    store = Store.open(tmp_path / "voice.db")
    store.ensure_source("acme", "zendesk", "acme")
    ticket = Ticket(id="301", status="open", channel="phone", requester_id="9001",
                    created_at=datetime(2026, 3, 6, 10, 0, tzinfo=UTC),
                    updated_at=datetime(2026, 3, 6, 11, 30, tzinfo=UTC))
    people = [Person(id="7001", role="agent"), Person(id="9001", role="customer")]
    store.commit_page("acme", "tickets", [ticket, *people], None)
    store.commit_page("acme", "ticket_events", _zendesk_events(), None)
    kpi.refresh(store)
    frt, replies, customer = store.conn.execute(
        "SELECT frt_cal, replies, customer_msgs FROM ticket_facts WHERE ticket_id = '301'"
    ).fetchone()
    store.close()
    assert (frt, replies, customer) == (30 * 60, 1, 2)


def test_zendesk_sample_tickets_and_documented_via_types_are_mapped():
    raw = {"id": 1, "status": "open", "created_at": "2023-09-09T23:50:00Z",
           "updated_at": "2023-09-09T23:52:05Z",
           "via": {"channel": "sample_ticket", "source": {"from": {}, "to": {}, "rel": None}}}
    sample = ticket_records(raw, None)
    assert [type(r) for r in sample] == [Ticket]  # no unmapped note: Zendesk's own ticket
    assert sample[0].channel == "other"  # type: ignore[union-attr]
    for via, channel in (("phone_call_inbound", "phone"), ("helpcenter", "web"),
                         ("mail", "email"), ("facebook_post", "social"),
                         ("line", "messaging")):
        assert ticket_records(dict(raw, via={"channel": via}), None)[0].channel == channel  # type: ignore[union-attr]
    unknown = ticket_records(dict(raw, via={"channel": "carrier_pigeon"}), None)
    assert [(u.kind, u.value) for u in unknown if isinstance(u, Unmapped)] == [
        ("channel", "carrier_pigeon")]


# an Intercom conversation as `GET /conversations/{id}` returns it (API 2.11 shape)
IC_CONVERSATION = {
    "type": "conversation", "id": "367", "created_at": 1772791200, "updated_at": 1772798400,
    "waiting_since": None, "snoozed_until": None, "open": True, "state": "open",
    "read": False, "priority": "not_priority", "statistics": None,
    "tags": {"type": "tag.list", "tags": []}, "admin_assignee_id": None,
    "team_assignee_id": None,
    "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c9"}]},
    "source": {"type": "conversation", "id": "403918255", "delivered_as": "customer_initiated",
               "subject": "", "body": "<p>my order is late</p>", "attachments": [],
               "url": None, "redacted": False,
               "author": {"type": "user", "id": "c9", "name": "Jo", "email": "jo@x.example"}},
    "conversation_parts": {"type": "conversation_part.list", "total_count": 2,
                           "conversation_parts": [
        {"type": "conversation_part", "id": "p1", "part_type": "snoozed", "body": None,
         "created_at": 1772794800, "updated_at": 1772794800, "notified_at": 1772794800,
         "assigned_to": None, "author": {"type": "admin", "id": "a1"}, "attachments": [],
         "redacted": False},
        {"type": "conversation_part", "id": "p2", "part_type": "timer_unsnooze", "body": None,
         "created_at": 1772798400, "updated_at": 1772798400, "notified_at": 1772798400,
         "assigned_to": None, "author": {"type": "bot", "id": "b1"}, "attachments": [],
         "redacted": False}]}}


def _intercom(raw: dict) -> list:
    from deskpulse.connectors.intercom.mapping import conversation_records

    return conversation_records(raw, with_parts=True)


def test_intercom_unsnoozes_reopen_the_conversation_and_are_not_unmapped():
    records = _intercom(IC_CONVERSATION)
    statuses = [(e.id, e.new_value) for e in records if isinstance(e, Event)
                and e.kind == "status"]
    assert statuses == [("p1-status", "on_hold"), ("p2-status", "open")]
    assert [u for u in records if isinstance(u, Unmapped)] == []
    unsnoozed = dict(IC_CONVERSATION, conversation_parts={"conversation_parts": [
        dict(IC_CONVERSATION["conversation_parts"]["conversation_parts"][1], id="p3",
             part_type="unsnoozed")]})
    assert [(e.kind, e.new_value) for e in _intercom(unsnoozed) if isinstance(e, Event)
            and e.id == "p3-status"] == [("status", "open")]


def test_intercom_unknown_state_and_opening_values_are_counted_not_guessed_silently():
    source = dict(IC_CONVERSATION["source"], delivered_as="fin_initiated",
                  author={"type": "fin_agent", "id": "f1"})
    records = _intercom(dict(IC_CONVERSATION, state="pending_review", source=source))
    ticket = next(r for r in records if isinstance(r, Ticket))
    assert (ticket.status, ticket.vendor_status) == ("open", "pending_review")
    notes = {(u.kind, u.value, u.record_type, u.field) for u in records
             if isinstance(u, Unmapped)}
    assert notes == {
        ("state", "pending_review", "ticket", "conversation.state"),
        ("author_type", "fin_agent", "ticket", "conversation.source.author.type"),
        ("delivered_as", "fin_initiated", "ticket", "conversation.source.delivered_as")}


def test_intercom_opening_notes_reach_status(tmp_path):
    store = Store.open(tmp_path / "ic.db")
    store.ensure_source("messenger", "intercom", None)
    source = dict(IC_CONVERSATION["source"], delivered_as="fin_initiated")
    store.commit_page("messenger", "conversations",
                      _intercom(dict(IC_CONVERSATION, source=source)), None)
    rows = store.conn.execute("SELECT kind, value, records, example FROM unmapped_values"
                              ).fetchall()
    store.close()
    assert rows == [("delivered_as", "fin_initiated", 1, "ticket 367")]


def test_freshdesk_weekdays_in_any_documented_spelling_and_unknown_ones_counted():
    from deskpulse.connectors.freshdesk.mapping import business_hours_records

    raw = fixture("freshdesk/business_hours").json()[0]
    nine_to_five = {"start_time": "9:00 am", "end_time": "5:00 pm"}
    hours = dict(raw["business_hours"], Saturday=nine_to_five, sun=nine_to_five,
                 feiertag=nine_to_five)
    schedule, *notes = business_hours_records(dict(raw, business_hours=hours))
    assert set(schedule.hours) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}  # type: ignore[union-attr]
    assert schedule.hours["sat"] == ["09:00-17:00"]  # type: ignore[union-attr]
    assert [(n.kind, n.value, n.record_type, n.record_id) for n in notes] == [  # type: ignore[union-attr]
        ("weekday", "feiertag", "schedule", str(raw["id"]))]


def test_the_freshdesk_demo_maps_its_custom_status_and_shows_no_unmapped_value(tmp_path):
    from rich.console import Console

    from deskpulse.app.demo.run import run_demo

    with open(tmp_path / "out.txt", "w") as out:
        run_demo(tmp_path, Console(file=out, width=120), tickets=150, show_progress=False,
                 now=datetime(2026, 3, 11, 0, 1, tzinfo=UTC), vendor="freshdesk")
    store = Store.open(tmp_path / "demo.db")
    unmapped = store.conn.execute("SELECT kind, value FROM unmapped_values").fetchall()
    held = store.conn.execute("SELECT COUNT(*) FROM tickets WHERE vendor_status = '7' "
                              "AND status = 'on_hold'").fetchone()[0]
    store.close()
    assert unmapped == []
    assert held > 0  # the custom status is there, and mapped as configured
    assert "could not map" not in (tmp_path / "out.txt").read_text(encoding="utf-8")


def test_the_simulated_custom_status_without_a_status_map_is_counted(tmp_path):
    from deskpulse.app.demo.simulated import vendor
    from deskpulse.app.sync.runner import Runner
    from deskpulse.simulator import FreshdeskAPI, generate

    now = datetime(2026, 3, 11, 0, 1, tzinfo=UTC)
    desk = generate(seed=7, tickets=150, start=now - timedelta(days=91),
                    end=now - timedelta(days=1))
    desk.advance(now, seed=8)  # as the demo does: some tickets are on hold now
    api = FreshdeskAPI(desk, api_key="k")
    config = vendor("freshdesk").source("fd", "https://acme.freshdesk.com", "${FD_KEY}")
    store = Store.open(tmp_path / "fd.db")
    runner = Runner(store, config, transport=httpx.MockTransport(api.handler),
                    environ={"FD_KEY": "k"}, sleep=lambda s: None, clock=lambda: now)
    assert runner.backfill(datetime(2025, 12, 1, tzinfo=UTC)).status == "ok"
    rows = store.conn.execute("SELECT kind, value, effect, fix FROM unmapped_values").fetchall()
    store.close()
    assert [(kind, value) for kind, value, _effect, _fix in rows] == [("status", "7")]
    assert 'status_map = { "7"' in rows[0][3]
