"""The Intercom connector against recorded, documented-shape responses (fixtures/intercom)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from deskpulse import kpi
from deskpulse.connectors import load, open_source
from deskpulse.connectors.intercom.streams import IntercomSettings
from deskpulse.store import Event, Group, Person, Rating, Store, Ticket, TimeEntry
from tests.fakedesk import FakeDesk, fixture

TOKEN = "ic-fake-token-5150"
SINCE = datetime.fromtimestamp(1790900000, UTC)
NOW = datetime.fromtimestamp(1791968400, UTC)  # when the recorded sync ran
SEARCH = "/conversations/search"


@pytest.fixture
def desk():
    fake = FakeDesk()
    yield fake
    fake.assert_consumed()


def source(desk: FakeDesk, slept: list[float] | None = None, now: datetime = NOW):
    config = IntercomSettings(token=TOKEN, concurrency=1)
    return open_source(load("intercom"), "ic", config, transport=desk.transport(),
                       sleep=(slept.append if slept is not None else lambda s: None),
                       clock=lambda: now)


def read_all(desk: FakeDesk, stream: str, cursor=None, stored=None, **kwargs):
    return list(source(desk, **kwargs).read(stream, cursor, since=SINCE, stored=stored))


def of(pages, kind):
    return [r for page in pages for r in page.records if isinstance(r, kind)]


def body(request: httpx.Request) -> dict:
    return json.loads(request.content)


def searched(desk: FakeDesk, *, skip_503: bool = True):
    desk.add("POST", SEARCH, fixture("intercom/search_page1"), fixture("intercom/search_page2"))
    for cid in ("501", "502", "504"):
        desk.add("GET", f"/conversations/{cid}", fixture(f"intercom/conversation_{cid}"))
    return (lambda ids: {"503": 6}) if skip_503 else None


def test_search_sends_the_bookmark_and_pages_by_starting_after(desk):
    pages = read_all(desk, "conversations", stored=searched(desk))
    searches = [r for r in desk.log if r.url.path == SEARCH]
    assert body(searches[0]) == {"query": {"field": "updated_at", "operator": ">",
                                           "value": 1790900000},
                                 "pagination": {"per_page": 150}}
    assert body(searches[1])["pagination"]["starting_after"] == "WzE3OTEwMDAwMDAsMl0="
    assert {r.headers["authorization"] for r in desk.log} == {f"Bearer {TOKEN}"}
    assert {r.headers["intercom-version"] for r in desk.log} == {"2.11"}
    assert [p.done for p in pages] == [False, True]


def test_the_bookmark_becomes_the_pass_start_only_once_drained(desk):
    pages = read_all(desk, "conversations", stored=searched(desk))
    started = int(NOW.timestamp()) - 60
    assert pages[0].cursor == {"since": 1790900000, "started": started,
                               "after": "WzE3OTEwMDAwMDAsMl0="}
    assert pages[1].cursor == {"since": started}


def test_a_resumed_pass_continues_from_its_saved_position(desk):
    desk.add("POST", SEARCH, fixture("intercom/search_page2"))
    desk.add("GET", "/conversations/504", fixture("intercom/conversation_504"))
    cursor = {"since": 1790900000, "started": 1791968000, "after": "WzE3OTEwMDAwMDAsMl0="}
    pages = read_all(desk, "conversations", cursor, stored=lambda ids: {"503": 6})
    assert body(desk.log[0])["pagination"]["starting_after"] == "WzE3OTEwMDAwMDAsMl0="
    assert pages[-1].cursor == {"since": 1791968000}  # the original pass's start


def test_an_expired_position_searches_the_window_again(desk):
    expired = httpx.Response(400, json={"type": "error.list", "errors": [
        {"code": "parameter_invalid", "message": "starting_after is invalid"}]})
    desk.add("POST", SEARCH, expired, fixture("intercom/search_page1"),
             fixture("intercom/search_page2"))
    for cid in ("501", "502", "504"):
        desk.add("GET", f"/conversations/{cid}", fixture(f"intercom/conversation_{cid}"))
    cursor = {"since": 1790900000, "started": 1791968000, "after": "c3RhbGU="}
    pages = read_all(desk, "conversations", cursor, stored=lambda ids: {"503": 6})
    assert "starting_after" not in body(desk.log[1])["pagination"]
    assert sorted(t.id for t in of(pages, Ticket)) == ["501", "502", "503", "504"]


def test_parts_are_fetched_only_when_the_part_count_moved(desk):
    pages = read_all(desk, "conversations", stored=searched(desk))
    fetched = sorted(r.url.path for r in desk.log if r.method == "GET")
    assert fetched == ["/conversations/501", "/conversations/502", "/conversations/504"]
    tickets = {t.id: t for t in of(pages, Ticket)}
    assert tickets["503"].events_seen == 6 and tickets["501"].events_seen == 6
    assert not [e for e in of(pages, Event) if e.ticket_id == "503"]


def test_parts_map_to_events_and_a_bot_is_never_an_agent(desk):
    events = {e.id: e for e in of(read_all(desk, "conversations", stored=searched(desk)),
                                  Event)}
    assert (events["501-created"].actor_role, events["501-source"].kind,
            events["501-source"].actor_role) == ("customer", "message", "customer")
    bot, assigned = events["3170050101"], events["3170050102"]
    assert (bot.kind, bot.actor_role) == ("message", "bot")
    assert (assigned.kind, assigned.new_value, assigned.actor_role) == \
        ("assignee", "7001", "bot")
    assert (events["3170050103"].kind, events["3170050103"].actor_role) == ("message", "agent")
    assert (events["3170050104"].kind, events["3170050104"].public) == ("note", False)
    assert events["3170050105"].actor_role == "customer"
    assert (events["3170050106-status"].kind, events["3170050106-status"].new_value) == \
        ("status", "solved")


def test_conversation_fields_rating_and_truncation(desk):
    pages = read_all(desk, "conversations", stored=searched(desk))
    tickets = {t.id: t for t in of(pages, Ticket)}
    assert (tickets["501"].status, tickets["501"].assignee_id, tickets["501"].channel) == \
        ("solved", "7001", "chat")
    assert (tickets["503"].status, tickets["503"].vendor_status, tickets["503"].priority) == \
        ("on_hold", "snoozed", "high")
    assert tickets["504"].events_truncated and not tickets["501"].events_truncated
    (rating,) = of(pages, Rating)
    assert (rating.ticket_id, rating.score, rating.scale, rating.positive) == \
        ("501", "5", "1-5", True)
    # handle time where Intercom states it (API 2.14+); conversations without it get none
    (handled,) = {(e.ticket_id, e.seconds, e.agent_id) for e in of(pages, TimeEntry)}
    assert handled == ("501", 5513, "7001")


def test_intercom_rules_in_the_facts(desk, tmp_path):
    """The clock starts at the first contact message; bot parts never answer; an
    admin-initiated conversation with no contact message has no first response."""
    pages = read_all(desk, "conversations", stored=searched(desk))
    store = Store.open(tmp_path / "i.db")
    store.ensure_source("ic", "intercom", "api.intercom.io")
    for page in pages:
        store.commit_page("ic", "conversations", page.records, page.cursor)
    kpi.refresh(store)
    facts = {row[0]: row[1:] for row in store.conn.execute(
        "SELECT ticket_id, frt_cal, first_resolution_cal, flags FROM ticket_facts")}
    stats = json.loads(store.conn.execute(
        "SELECT metrics FROM vendor_metrics WHERE ticket_id = '501'").fetchone()[0])
    assert facts["501"][:2] == (stats["time_to_admin_reply"], stats["time_to_first_close"])
    assert facts["502"][0] is None and facts["502"][2] & 8
    assert store.events_seen("ic", ["501", "503"]) == {"501": 6, "503": 6}


def test_a_429_waits_for_the_window_to_reset(desk):
    desk.add("POST", SEARCH, fixture("intercom/rate_limited"), fixture("intercom/search_page2"))
    desk.add("GET", "/conversations/504", fixture("intercom/conversation_504"))
    slept: list[float] = []
    moment = datetime.fromtimestamp(1791968520, UTC)
    list(source(desk, slept, now=moment).read("conversations", None, since=SINCE,
                                              stored=lambda ids: {"503": 6}))
    assert slept[0] == 10.0  # X-RateLimit-Reset 1791968530, no Retry-After


def test_requests_are_spread_evenly_over_the_10_second_window(desk):
    desk.add("POST", SEARCH, fixture("intercom/search_page1"), fixture("intercom/search_page2"))
    for cid in ("501", "502", "504"):
        desk.add("GET", f"/conversations/{cid}", fixture(f"intercom/conversation_{cid}"))
    slept: list[float] = []
    list(source(desk, slept, now=datetime.fromtimestamp(1791968400, UTC)).read(
        "conversations", None, since=SINCE, stored=lambda ids: {"503": 6}))
    # 10 s left in the window, 165 then 164 … requests left: about 0.06 s between requests
    assert slept and all(0.05 < s < 0.07 for s in slept)


def test_admins_teams_and_contacts(desk):
    desk.add("GET", "/admins", fixture("intercom/admins"))
    desk.add("GET", "/teams", fixture("intercom/teams"))
    desk.add("POST", "/contacts/search", fixture("intercom/contacts_page1"))
    people = of(read_all(desk, "admins"), Person)
    assert [(p.id, p.role) for p in people][:2] == [("7001", "agent"), ("7002", "agent")]
    assert [g.name for g in of(read_all(desk, "teams"), Group)] == ["Support"]
    contacts = read_all(desk, "contacts")
    assert {p.role for p in of(contacts, Person)} == {"customer"}
    assert len(of(contacts, Person)) == 3 and contacts[-1].cursor == {
        "since": int(NOW.timestamp()) - 60}


def test_an_update_made_while_the_search_is_drained_is_read_by_the_next_sync(desk):
    """502 changes (30 s ago) after its page was read; 504 changes later still (10 s ago)
    and shows up on page 2. A bookmark taken from the newest updated_at seen would skip
    502's change; the bookmark is the pass's start, and the next sync asks from there."""
    changed_at, newest = int(NOW.timestamp()) - 30, int(NOW.timestamp()) - 10
    second = fixture("intercom/search_page2").json()
    for conversation in second["conversations"]:
        if conversation["id"] == "504":
            conversation["updated_at"] = newest
    desk.add("POST", SEARCH, fixture("intercom/search_page1"), httpx.Response(200, json=second))
    for cid in ("501", "502"):
        desk.add("GET", f"/conversations/{cid}", fixture(f"intercom/conversation_{cid}"))
    long_one = fixture("intercom/conversation_504").json() | {"updated_at": newest}
    desk.add("GET", "/conversations/504", httpx.Response(200, json=long_one))
    first = read_all(desk, "conversations", stored=lambda ids: {"503": 6})
    assert max(t.updated_at for t in of(first, Ticket)).timestamp() == newest

    page = fixture("intercom/search_page2").json()
    page["conversations"] = [c for c in fixture("intercom/search_page1").json()["conversations"]
                             if c["id"] == "502"]
    page["conversations"][0].update(updated_at=changed_at)
    page["conversations"][0]["statistics"]["count_conversation_parts"] = 1
    full = fixture("intercom/conversation_502").json()
    full["updated_at"] = changed_at
    full["statistics"]["count_conversation_parts"] = 1
    full["conversation_parts"] = {"type": "conversation_part.list", "total_count": 1,
                                  "conversation_parts": [
        {"type": "conversation_part", "id": "3170050201", "part_type": "comment",
         "body": "<p>Any news?</p>", "created_at": changed_at, "updated_at": changed_at,
         "author": {"id": "6720a1f3c9e77b0001b40a11", "type": "user"}}]}
    desk.add("POST", SEARCH, httpx.Response(200, json=page))
    desk.add("GET", "/conversations/502", httpx.Response(200, json=full))
    later = read_all(desk, "conversations", first[-1].cursor,
                     stored=lambda ids: {"502": 0, "503": 6})
    asked = body(desk.log[-2])["query"]["value"]
    assert asked == int(NOW.timestamp()) - 60 < changed_at < newest
    reply = [e for e in of(later, Event) if e.id == "3170050201"]
    assert reply and reply[0].actor_role == "customer"


def test_the_estimate_is_one_search_for_the_total_count(desk):
    desk.add("POST", SEARCH, fixture("intercom/search_page1"))
    estimate = source(desk).estimate(SINCE)
    assert body(desk.log[0])["pagination"] == {"per_page": 1}
    # 4 conversations: one search page, one parts request each, admins, teams, contacts
    assert estimate == {"tickets": 4, "requests": 1 + 4 + 3}


def test_an_assignee_object_is_read_when_the_ids_are_absent():
    """Older API versions and webhooks send `assignee: {type, id}` and no
    `admin_assignee_id`; 2.x sends numeric ids. Both land in the ticket."""
    from deskpulse.connectors.intercom.mapping import conversation_records

    raw = fixture("intercom/conversation_501").json()
    del raw["admin_assignee_id"], raw["team_assignee_id"]
    older = conversation_records(raw | {"assignee": {"type": "admin", "id": "7002"}},
                                 with_parts=False)[0]
    team = conversation_records(raw | {"assignee": {"type": "team", "id": 8001}},
                                with_parts=False)[0]
    nobody = conversation_records(raw | {"assignee": {"type": "nobody_admin", "id": None}},
                                  with_parts=False)[0]
    numeric = conversation_records(raw | {"admin_assignee_id": 991267715,
                                          "team_assignee_id": 5017691}, with_parts=False)[0]
    unassigned = conversation_records(raw | {"admin_assignee_id": 0}, with_parts=False)[0]
    assert (older.assignee_id, older.group_id) == ("7002", None)
    assert (team.assignee_id, team.group_id) == (None, "8001")
    assert (nobody.assignee_id, nobody.group_id) == (None, None)
    assert (numeric.assignee_id, numeric.group_id) == ("991267715", "5017691")
    assert unassigned.assignee_id is None


def test_an_assignment_part_without_a_target_changes_no_assignee():
    """API 2.11: `assigned_to` is null when a part does not change the assignment."""
    from deskpulse.connectors.intercom.mapping import part_events

    part = {"type": "conversation_part", "id": "9", "part_type": "assignment",
            "body": "<p>Looking into it</p>", "created_at": 1791000000,
            "assigned_to": None, "author": {"type": "admin", "id": "7001"}}
    events = part_events("501", part)
    assert [(e.kind, e.public) for e in events] == [("message", True)]


def test_a_search_next_that_is_not_a_position_is_a_clear_error(desk):
    from deskpulse.connectors import PageInvalid

    paged = fixture("intercom/search_page1").json()
    paged["pages"]["next"] = "https://api.intercom.io/conversations?page=2"
    desk.add("POST", SEARCH, httpx.Response(200, json=paged))
    desk.add("GET", "/conversations/502", fixture("intercom/conversation_502"))
    with pytest.raises(PageInvalid, match="pages.next"):
        read_all(desk, "conversations", stored=lambda ids: {"501": 6})
