"""The simulated Zendesk: deterministic, exact envelopes, its own metric replay, rate limits."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from deskpulse.simulator import ZendeskAPI, generate, make_server
from deskpulse.simulator.metrics import business_seconds, ticket_metric
from deskpulse.simulator.model import SYSTEM, Action, SimTicket

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
AUTH = ("sim@x.test/token", "tok")


def client(api: ZendeskAPI) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(api.handler),
                        base_url="https://sim.zendesk.com", auth=AUTH)


def walk(api: ZendeskAPI, path: str, params: dict, items: str) -> tuple[list, dict]:
    found, body = [], {}
    with client(api) as http:
        while True:
            body = http.get(path, params=params).json()
            found += body[items]
            if body["end_of_stream"]:
                return found, body
            params = {"cursor": body["after_cursor"]} if "after_cursor" in body else {
                "start_time": body["end_time"], "include": "comment_events"}


def small_desk(seed: int = 3, tickets: int = 1200):
    return generate(seed=seed, tickets=tickets, start=NOW - timedelta(days=30), end=NOW)


def test_same_seed_same_desk():
    one, two = small_desk(), small_desk()
    first = [(t.id, [(a.at, a.kind, a.value) for a in t.actions]) for t in one.tickets.values()]
    second = [(t.id, [(a.at, a.kind, a.value) for a in t.actions]) for t in two.tickets.values()]
    assert first == second
    assert first != [(t.id, [(a.at, a.kind, a.value) for a in t.actions])
                     for t in small_desk(seed=4).tickets.values()]


def test_cursor_export_returns_every_ticket_once_then_only_what_changed():
    desk = small_desk()
    api = ZendeskAPI(desk, email="sim@x.test", token="tok")
    tickets, last = walk(api, "/api/v2/incremental/tickets/cursor.json",
                         {"start_time": 1, "per_page": 500}, "tickets")
    ids = [t["id"] for t in tickets]
    assert len(ids) == len(set(ids)) == len(desk.visible_tickets())
    changed = desk.advance(NOW + timedelta(hours=12), seed=9)
    again, _ = walk(api, "/api/v2/incremental/tickets/cursor.json",
                    {"cursor": last["after_cursor"]}, "tickets")
    assert {t["id"] for t in again} == changed


def test_ticket_event_pages_never_split_a_second_and_leave_no_gaps():
    desk = small_desk()
    api = ZendeskAPI(desk, email="sim@x.test", token="tok")
    audits, _ = walk(api, "/api/v2/incremental/ticket_events.json",
                     {"start_time": 1, "include": "comment_events"}, "ticket_events")
    unique = {a["id"]: a for a in audits}
    assert len(audits) > len(unique) > 1000  # several pages, boundary seconds repeated
    deleted = [t for t in desk.visible_tickets() if t.is_deleted(desk.now)]
    answers = sum(len(t.rating.answers(desk.now)) for t in desk.visible_tickets() if t.rating)
    expected = sum(len({(a.at, a.actor) for a in t.visible(desk.now)})
                   for t in desk.visible_tickets()) + len(deleted) + answers
    # + each deletion's audit and each rating's SatisfactionRating audit
    assert len(unique) == expected and deleted
    deletions = [a for a in unique.values() if a["child_events"][0].get("status") == "deleted"]
    assert sorted(a["ticket_id"] for a in deletions) == sorted(t.id for t in deleted)


def test_the_documented_edge_cases_all_occur():
    desk = small_desk()
    agents = {p.id for p in desk.agents()}
    tickets = desk.visible_tickets()
    assert any(t.submitter in agents for t in tickets), "agent-created"
    assert any(not a.public for t in tickets for a in t.actions if a.kind == "comment")
    assert any(t.is_deleted(desk.now) for t in tickets)
    assert any(a.actor == SYSTEM and a.value == "closed" for t in tickets for a in t.actions)
    assert any(t.rating_at(desk.now) and t.rating.score == "offered" for t in tickets)
    solve_first = [t for t in tickets if _solved_before_reply(t, agents)]
    assert solve_first, "solved before the first reply"


def _solved_before_reply(ticket: SimTicket, agents: set[int]) -> bool:
    for action in ticket.actions[1:]:
        if action.kind == "comment" and action.public and action.actor in agents:
            return False
        if action.kind == "status" and action.value == "solved":
            return True
    return False


def _ticket(*actions: tuple[float, str, int, object, bool], submitter: int = 1) -> SimTicket:
    t0 = datetime(2026, 3, 2, 14, tzinfo=UTC)  # a Monday, 09:00 in New York
    ticket = SimTicket(7, "s", "email", "question", requester=1, submitter=submitter,
                       organization_id=None, tags=[])
    for n, (hours, kind, actor, value, public) in enumerate(actions):
        ticket.actions.append(Action(n, t0 + timedelta(hours=hours), kind, actor, value, public))
    return ticket


CREATE = (0, "create", 1, {"status": "new", "priority": "low", "assignee": None, "group": None},
          True)


def test_metric_replay_follows_zendesks_reply_and_resolution_rules():
    ticket = _ticket(CREATE, (0, "comment", 1, "hi", True), (1, "status", SYSTEM, "solved", True),
                     (5, "comment", 1, "again", True), (5, "status", 1, "open", True),
                     (6, "comment", 2, "note", False), (8, "comment", 2, "answer", True))
    metric = ticket_metric(ticket, agents={2}, now=NOW, base_url="")
    assert metric["reply_time_in_minutes"]["calendar"] == 480
    assert metric["first_resolution_time_in_minutes"]["calendar"] == 60
    assert metric["full_resolution_time_in_minutes"] == {"calendar": None, "business": None}
    assert (metric["reopens"], metric["replies"]) == (1, 1)
    assert metric["on_hold_time_in_minutes"] == {"calendar": 0, "business": 0}


def test_metric_replay_skips_an_agent_created_tickets_opening_comment():
    ticket = _ticket(CREATE, (0, "comment", 2, "we noticed", True), (3, "comment", 1, "ok", True),
                     (4, "comment", 2, "done", True), submitter=2)
    metric = ticket_metric(ticket, agents={2}, now=NOW, base_url="")
    assert metric["reply_time_in_minutes"]["calendar"] == 240
    assert metric["replies"] == 1


def test_business_time_skips_nights_weekends_and_survives_dst():
    friday_4pm_ny = datetime(2026, 3, 6, 21, tzinfo=UTC)
    monday_10am_ny = datetime(2026, 3, 9, 14, tzinfo=UTC)  # DST began on Sunday 8 March
    assert business_seconds(friday_4pm_ny, monday_10am_ny) == 2 * 3600
    assert business_seconds(monday_10am_ny, friday_4pm_ny) == 0


def test_bad_credentials_get_401_and_unknown_paths_404():
    api = ZendeskAPI(small_desk(tickets=20), email="sim@x.test", token="tok")
    with httpx.Client(transport=httpx.MockTransport(api.handler),
                      base_url="https://sim.zendesk.com", auth=("sim@x.test/token", "no")) as c:
        assert c.get("/api/v2/groups").status_code == 401
    with client(api) as http:
        assert http.get("/api/v2/tickets/1/comments.json").status_code == 404


def test_rate_limit_answers_429_with_retry_after_until_the_window_resets():
    clock = [1000.0]
    api = ZendeskAPI(small_desk(tickets=20), email="sim@x.test", token="tok",
                     rate_limit=(3, 60.0), clock=lambda: clock[0])
    with client(api) as http:
        statuses = [http.get("/api/v2/groups").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = http.get("/api/v2/groups")
        assert limited.headers["retry-after"] == "60"
        assert limited.headers["x-rate-limit-remaining"] == "0"
        clock[0] += 60
        assert http.get("/api/v2/groups").status_code == 200


def test_the_loopback_server_answers_and_its_next_urls_point_back_at_it():
    api = ZendeskAPI(small_desk(tickets=1500), email="sim@x.test", token="tok")
    server = make_server(api.handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", auth=AUTH) as http:
            body = http.get("/api/v2/incremental/ticket_events.json",
                            params={"start_time": 1, "include": "comment_events"}).json()
            assert body["next_page"].startswith(f"http://127.0.0.1:{port}/")
            assert http.get(body["next_page"]).status_code == 200
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("include", ["metric_sets", ""])
def test_metric_sets_come_only_when_included_each_inside_its_ticket(include):
    api = ZendeskAPI(small_desk(tickets=30), email="sim@x.test", token="tok")
    with client(api) as http:
        body = http.get("/api/v2/incremental/tickets/cursor.json",
                        params={"start_time": 1, "include": include}).json()
    assert "metric_sets" not in body  # Zendesk puts each set inside its ticket
    sets = [t.get("metric_set") for t in body["tickets"]]
    assert all(s is not None for s in sets) == bool(include) and sets
    if include:
        assert all(s["ticket_id"] == t["id"] for s, t in zip(sets, body["tickets"], strict=True))
        waits = [s["agent_wait_time_in_minutes"]["calendar"] for s in sets]
        assert None in waits and any(w is not None for w in waits)  # null: never pending
