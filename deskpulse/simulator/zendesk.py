"""The simulated desk behind Zendesk's API: an httpx handler, usable as a MockTransport or
behind `make_server` on 127.0.0.1.

Endpoints and envelopes follow Zendesk's documentation: cursor exports for tickets and users
(`after_cursor`, `end_of_stream`), the time-based ticket-event export (`next_page`,
`end_time`; a page never splits a second, so the boundary second repeats), cursor-based
pagination (`meta.has_more`, `links.next`) for groups and ratings. Every response carries
Zendesk's rate-limit headers; with `rate_limit=(n, seconds)` the (n+1)-th request of a window
gets a 429 with Retry-After.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from deskpulse.simulator import sla
from deskpulse.simulator import zendesk_render as render
from deskpulse.simulator.model import Desk
from deskpulse.simulator.ratewindow import RateWindow

EVENTS_PAGE = 1000
MAX_EXPORT_PAGE = 1000
DEFAULT_LIMIT = 100_000
# the list's `score` filters (Satisfaction Ratings reference) and the scores each one keeps
SCORE_FILTERS = {"offered": {"offered"}, "unoffered": {"unoffered"},
                 "received": {"good", "bad"}, "good": {"good"}, "bad": {"bad"}}


def _encode(key: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}:{key[1]}".encode()).decode()


def _decode(cursor: str) -> tuple[int, int]:
    first, second = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
    return int(first), int(second)


class ZendeskAPI:
    """Serve `desk` as Zendesk would. `requests` logs (method, path, query) of every call."""

    def __init__(self, desk: Desk, *, email: str, token: str,
                 rate_limit: tuple[int, float] | None = None,
                 clock: Callable[[], float] | None = None):
        self.desk = desk
        self.rate_limit = rate_limit
        self.clock = clock or time.monotonic
        self.requests: list[tuple[str, str, str]] = []
        self._auth = "Basic " + base64.b64encode(f"{email}/token:{token}".encode()).decode()
        self._lock = threading.Lock()
        limit, seconds = rate_limit or (DEFAULT_LIMIT, 60.0)
        self._window = RateWindow(limit, seconds, self.clock)
        self._index_key: tuple[Any, ...] | None = None
        self._routes = {
            "/api/v2/incremental/tickets/cursor.json": self._tickets,
            "/api/v2/incremental/ticket_events.json": self._ticket_events,
            "/api/v2/incremental/users/cursor.json": self._users,
            "/api/v2/groups": self._groups,
            "/api/v2/satisfaction_ratings": self._ratings,
            "/api/v2/business_hours/schedules": lambda q, base: render.SCHEDULE,
            "/api/v2/business_hours/schedules/1/holidays": lambda q, base: render.HOLIDAYS,
            "/api/v2/tickets/count.json": self._count_tickets,
            "/api/v2/slas/policies": lambda q, base: {
                "sla_policies": [render.sla_policy_json(p, base)
                                 for p in sla.policies("zendesk")],
                "next_page": None, "previous_page": None,
                "count": len(sla.policies("zendesk"))},
        }

    def handler(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append((request.method, request.url.path, request.url.query.decode()))
            limited, headers = self._count()
            if limited is not None:
                return limited
            if request.headers.get("authorization") != self._auth:
                return _json(401, {"error": "Couldn't authenticate you"}, headers)
            route = self._routes.get(request.url.path)
            if route is None or request.method != "GET":
                return _json(404, {"error": "InvalidEndpoint", "description": "Not found"},
                             headers)
            base = f"{request.url.scheme}://{request.url.netloc.decode()}"
            query = dict(request.url.params)
            try:
                return _json(200, route(query, base), headers)
            except (ValueError, KeyError) as exc:
                return _json(400, {"error": "InvalidPaginationParameter",
                                   "description": str(exc)}, headers)

    # -- rate limit --------------------------------------------------------------------

    def _count(self) -> tuple[httpx.Response | None, dict[str, str]]:
        allowed, remaining, reset = self._window.take()
        limit = self._window.limit
        headers = {"x-rate-limit": str(limit), "x-rate-limit-remaining": str(remaining),
                   "ratelimit-limit": str(limit), "ratelimit-remaining": str(remaining),
                   "ratelimit-reset": str(reset)}
        if not allowed:
            body = {"error": "APIRateLimitExceeded", "description": "Rate limit exceeded"}
            return _json(429, body, headers | {"retry-after": str(reset)}), headers
        return None, headers

    # -- indexes, rebuilt when the desk moves on ----------------------------------------

    def prepare(self) -> None:
        """Build the indexes now: for a large desk that takes minutes, which the first
        request would otherwise spend waiting (past a client's timeout)."""
        self._index()

    def _index(self) -> None:
        key = (self.desk.now, len(self.desk.tickets))
        if key == self._index_key:
            return
        now, tickets = self.desk.now, self.desk.visible_tickets()
        self._agents = {p.id for p in self.desk.agents()}
        self._by_generated = sorted(
            (int(t.updated_at(now).timestamp()), t.id) for t in tickets)
        # audits kept as encoded JSON: a third of the memory of dicts, and pages are joined
        # instead of encoded on every request (the simulator must never be the bottleneck)
        self._audits = sorted(
            ((a["timestamp"], a["id"], json.dumps(a, separators=(",", ":")))
             for t in tickets for a in render.audits(t, now, "")),
            key=lambda item: (item[0], item[1]))
        self._audit_times = [item[0] for item in self._audits]
        ratings = sorted(
            (int(rating.updated_at.timestamp()), rating.id, t.id, rating.score)
            for t in tickets if (rating := t.rating_at(now)) is not None)
        # one key list per `score` filter the simulator answers (None: no filter)
        self._rating_keys = {
            wanted: [(ts, rid) for ts, rid, _tid, score in ratings
                     if wanted is None or score in SCORE_FILTERS[wanted]]
            for wanted in (None, *SCORE_FILTERS)}
        self._rating_tickets = {rid: tid for _ts, rid, tid, _score in ratings}
        self._users = sorted((int(p.created_at.timestamp()), p.id)
                             for p in self.desk.people.values() if p.created_at <= now)
        self._index_key = key

    def _cursor_export(self, query: dict[str, str], keys: list[tuple[int, int]],
                       base: str, path: str) -> tuple[list[tuple[int, int]], dict[str, Any]]:
        size = min(int(query.get("per_page", MAX_EXPORT_PAGE)), MAX_EXPORT_PAGE)
        if "cursor" in query:
            start = bisect_right(keys, _decode(query["cursor"]))
        else:
            start = bisect_right(keys, (int(query["start_time"]) - 1, 2**62))
        chosen = keys[start:start + size]
        end = start + size >= len(keys)
        position = chosen[-1] if chosen else (
            _decode(query["cursor"]) if "cursor" in query else (int(query["start_time"]) - 1,
                                                                2**62))
        after = _encode(position)
        envelope = {"after_url": f"{base}{path}?cursor={after}", "after_cursor": after,
                    "before_url": None, "before_cursor": None, "end_of_stream": end}
        return chosen, envelope

    def _tickets(self, query: dict[str, str], base: str) -> dict[str, Any]:
        self._index()
        path = "/api/v2/incremental/tickets/cursor.json"
        chosen, envelope = self._cursor_export(query, self._by_generated, base, path)
        tickets = [self.desk.tickets[tid] for _ts, tid in chosen]
        metrics = "metric_sets" in query.get("include", "")  # each in its own ticket
        return {"tickets": [render.ticket_json(self.desk, t, base) | (
            {"metric_set": render.metric_json(self.desk, t, base, self._agents)}
            if metrics else {}) for t in tickets]} | envelope

    def _count_tickets(self, query: dict[str, str], base: str) -> dict[str, Any]:
        self._index()
        refreshed = render.iso(self.desk.now)
        return {"count": {"value": len(self._by_generated), "refreshed_at": refreshed}}

    def _users(self, query: dict[str, str], base: str) -> dict[str, Any]:
        self._index()
        path = "/api/v2/incremental/users/cursor.json"
        chosen, envelope = self._cursor_export(query, self._users, base, path)
        return {"users": [render.user_json(self.desk.people[pid], base)
                          for _ts, pid in chosen]} | envelope

    def _ticket_events(self, query: dict[str, str], base: str) -> Encoded:
        self._index()
        start_time = int(query["start_time"])
        first = bisect_right(self._audit_times, start_time - 1)
        last = min(first + EVENTS_PAGE, len(self._audits))
        if last < len(self._audits):  # never split a second across pages
            last = bisect_right(self._audit_times, self._audit_times[last - 1])
        chosen = self._audits[first:last]
        end_time = chosen[-1][0] if chosen else start_time
        comments = "comment_events" in query.get("include", "")
        events = [item[2] if comments else _without_comments(item[2]) for item in chosen]
        next_page = (f"{base}/api/v2/incremental/ticket_events.json?start_time={end_time}"
                     + ("&include=comment_events" if comments else ""))
        return Encoded("ticket_events", events, {
            "next_page": next_page, "count": len(events), "end_time": end_time,
            "end_of_stream": last >= len(self._audits)})

    def _groups(self, query: dict[str, str], base: str) -> dict[str, Any]:
        keys = sorted((0, gid) for gid in self.desk.groups)
        chosen, meta, links = _cbp(query, keys, base, "/api/v2/groups")
        created = min(p.created_at for p in self.desk.people.values())
        return {"groups": [render.group_json(gid, self.desk.groups[gid], base, created)
                           for _zero, gid in chosen], "meta": meta, "links": links}

    def _ratings(self, query: dict[str, str], base: str) -> dict[str, Any]:
        self._index()
        since = int(query.get("start_time", 0))
        if query.get("score") not in (None, *SCORE_FILTERS):
            raise ValueError(f"score: {query['score']} is not a valid score filter")
        keys = self._rating_keys[query.get("score")]
        # indexed once per desk state: a page costs a bisect, not a pass over every rating
        first = bisect_left(keys, (since, -1))
        chosen, meta, links = _cbp(query, keys, base, "/api/v2/satisfaction_ratings", first)
        rows = []
        for _ts, rid in chosen:
            ticket = self.desk.tickets[self._rating_tickets[rid]]
            rows.append(render.rating_json(ticket, ticket.state(self.desk.now), base,
                                           self.desk.now))
        return {"satisfaction_ratings": rows, "meta": meta, "links": links}


def _cbp(query: dict[str, str], keys: list[tuple[int, int]], base: str, path: str,
         first: int = 0) -> tuple[list[tuple[int, int]], dict[str, Any], dict[str, Any]]:
    """A page of `keys[first:]` (cursor-based pagination)."""
    size = min(int(query.get("page[size]", 100)), 100)
    start = max(first, bisect_right(keys, _decode(query["page[after]"]))) \
        if "page[after]" in query else first
    chosen = keys[start:start + size]
    has_more = start + size < len(keys)
    after = _encode(chosen[-1]) if chosen else None
    meta = {"has_more": has_more, "after_cursor": after, "before_cursor": None}
    links = {"next": f"{base}{path}?page[size]={size}&page[after]={after}" if has_more else None,
             "prev": None}
    return chosen, meta, links


def _without_comments(encoded: str) -> str:
    audit = json.loads(encoded)
    children = [c for c in audit["child_events"] if c.get("event_type") != "Comment"]
    return json.dumps(audit | {"child_events": children})


@dataclass(frozen=True)
class Encoded:
    """A body whose list under `key` is already JSON text, item by item."""

    key: str
    items: list[str]
    rest: dict[str, Any]

    def text(self) -> str:
        tail = json.dumps(self.rest)[1:]
        return f'{{"{self.key}":[{",".join(self.items)}]' + (f",{tail}" if tail != "}" else "}")


def _json(status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
    text = body.text() if isinstance(body, Encoded) else json.dumps(body)
    return httpx.Response(status, content=text.encode(),
                          headers={"content-type": "application/json; charset=utf-8", **headers})
