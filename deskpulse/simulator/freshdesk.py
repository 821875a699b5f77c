"""The simulated desk behind Freshdesk's API v2: an httpx handler, usable as a MockTransport
or behind `make_server` on 127.0.0.1.

What it reproduces (developers.freshdesk.com/api/, vendor-apis.md §2): Basic auth with the
API key and `X`; `page`/`per_page` (max 100) paging with a `link: rel="next"` header; the
ticket list's refusal of page 301; the last-30-days default window when `updated_since` is
absent; deleted and spam tickets only through `filter=deleted|spam`; per-minute limits for
the account and, separately, the ticket list, with `X-RateLimit-Total/-Remaining/
-Used-CurrentRequest` on every response and `Retry-After` on a 429.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from deskpulse.simulator import freshdesk_render as render
from deskpulse.simulator import sla
from deskpulse.simulator.model import Desk
from deskpulse.simulator.ratewindow import RateWindow

MAX_PER_PAGE = 100
MAX_PAGE = 300
DEFAULT_WINDOW = timedelta(days=30)
DEFAULT_LIMIT = 100_000
# Freshdesk's validation messages, by the kind of refusal
REFUSED = {"per_page": "It should be a Positive Number less than or equal to 100",
           "page": "You cannot access tickets beyond the 300th page",
           "date": "It should be in the 'valid date' format",
           "number": "It should be a Positive Number",
           "filter": "It should be one of these values: 'new_and_my_open,watching,spam,deleted'"}
CONVERSATIONS = re.compile(r"^/api/v2/tickets/(\d+)/conversations$")


class FreshdeskAPI:
    """Serve `desk` as Freshdesk would. `requests` logs (method, path, query) of every call."""

    def __init__(self, desk: Desk, *, api_key: str, per_minute: int = DEFAULT_LIMIT,
                 ticket_list_per_minute: int | None = None,
                 clock: Callable[[], float] | None = None, window_seconds: float = 60.0):
        self.desk = desk
        self.clock = clock or time.monotonic
        self.requests: list[tuple[str, str, str]] = []
        self._auth = "Basic " + base64.b64encode(f"{api_key}:X".encode()).decode()
        self._lock = threading.Lock()
        # `window_seconds` shortens the minute for benchmarks that cannot wait minutes
        self._account = RateWindow(per_minute, window_seconds, self.clock)
        self._ticket_list = RateWindow(ticket_list_per_minute or DEFAULT_LIMIT, 60.0,
                                       self.clock)
        self._index_key: tuple[Any, ...] | None = None
        self._routes: dict[str, Callable[[dict[str, str]], Any]] = {
            "/api/v2/tickets": self._tickets,
            "/api/v2/agents": lambda q: [render.agent_json(p) for p in self.desk.agents()],
            "/api/v2/contacts": self._contacts,
            "/api/v2/groups": self._groups,
            "/api/v2/surveys": lambda q: render.SURVEYS,
            "/api/v2/surveys/satisfaction_ratings": self._ratings,
            "/api/v2/time_entries": self._time_entries,
            "/api/v2/business_hours": lambda q: render.BUSINESS_HOURS,
            "/api/v2/sla_policies": lambda q: [render.sla_policy_json(p)
                                               for p in sla.policies("freshdesk")],
        }
        self._paged = {"/api/v2/agents", "/api/v2/contacts", "/api/v2/groups",
                       "/api/v2/surveys/satisfaction_ratings", "/api/v2/time_entries"}

    def handler(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            path, query = request.url.path, dict(request.url.params)
            self.requests.append((request.method, path, request.url.query.decode()))
            allowed, remaining, reset = self._account.take()
            headers = {"x-ratelimit-total": str(self._account.limit),
                       "x-ratelimit-remaining": str(remaining),
                       "x-ratelimit-used-currentrequest": "1"}
            if allowed and path == "/api/v2/tickets":
                allowed, _left, reset = self._ticket_list.take()
            if not allowed:
                return _json(429, {"message": "You have exceeded the limit of requests per "
                                              "minute"}, headers | {"retry-after": str(reset)})
            if request.headers.get("authorization") != self._auth:
                return _json(401, {"code": "invalid_credentials",
                                   "message": "You have to be logged in to perform this "
                                              "action."}, headers)
            if request.method != "GET":
                return _json(405, {"message": "Method not allowed"}, headers)
            try:
                if match := CONVERSATIONS.match(path):
                    return self._page(self._conversations(int(match[1])), query, request,
                                      headers)
                route = self._routes.get(path)
                if route is None:
                    return _json(404, {"code": "not_found", "message": "Not found"}, headers)
                body = route(query)
                if path == "/api/v2/tickets" or path in self._paged:
                    return self._page(body, query, request, headers)
                return _json(200, body, headers)
            except _Invalid as exc:
                return _json(400, {"description": "Validation failed", "errors": [
                    {"field": exc.field, "message": str(exc), "code": "invalid_value"}]},
                    headers)
            except KeyError:
                return _json(404, {"code": "not_found", "message": "Not found"}, headers)

    def _page(self, items: Sequence[Any], query: dict[str, str], request: httpx.Request,
              headers: dict[str, str]) -> httpx.Response:
        per_page, page = _int(query, "per_page", 30), _int(query, "page", 1)
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise _Invalid.refusing("per_page")
        if request.url.path == "/api/v2/tickets" and page > MAX_PAGE:
            raise _Invalid.refusing("page")
        chosen = list(items[(page - 1) * per_page: page * per_page])
        if page * per_page < len(items):
            following = urlencode({**query, "page": page + 1})
            base = f"{request.url.scheme}://{request.url.netloc.decode()}{request.url.path}"
            headers = headers | {"link": f'<{base}?{following}>; rel="next"'}
        return _json(200, chosen, headers)

    # -- indexes, rebuilt when the desk moves on ----------------------------------------

    def prepare(self) -> None:
        """Build the indexes now: for a large desk that takes minutes, which the first
        request would otherwise spend waiting (past a client's timeout)."""
        self._index()

    def _index(self) -> None:
        key = (self.desk.now, len(self.desk.tickets))
        if key == self._index_key:
            return
        now = self.desk.now
        visible = self.desk.visible_tickets()
        self._by_updated = {
            flagged: sorted((t.updated_at(now), t.id) for t in visible
                            if render.flag(t, now) == flagged)
            for flagged in (None, "deleted", "spam")}
        self._ratings_index = sorted(
            (r.created_at, r.id, t.id) for t in visible
            if (r := t.rating_at(now)) is not None and r.score in render.SCORE
            and not t.is_deleted(now))
        self._entries = sorted(
            (action.at, action.id, t.id, action) for t in visible if not t.is_deleted(now)
            for action in render.agent_replies(self.desk, t))
        self._contacts = sorted((p.created_at, p.id) for p in self.desk.customers()
                                if p.created_at <= now)
        self._index_key = key

    def _tickets(self, query: dict[str, str]) -> Sequence[dict[str, Any]]:
        self._index()
        flagged = query.get("filter")
        if flagged not in (None, "deleted", "spam"):
            raise _Invalid.refusing("filter")
        keys = self._by_updated[flagged]
        if "updated_since" in query:
            keys = keys[bisect_left(keys, (_time(query["updated_since"], "updated_since"),
                                           0)):]
        else:  # Freshdesk's default: tickets created in the last 30 days only
            oldest = self.desk.now - DEFAULT_WINDOW
            keys = [k for k in keys if self.desk.tickets[k[1]].created_at >= oldest]
        if query.get("order_type", "desc") == "desc":
            keys = list(reversed(keys))
        stats = "stats" in query.get("include", "")
        return _Rendered(keys, lambda key: render.ticket_json(
            self.desk, self.desk.tickets[key[1]], with_stats=stats))

    def _conversations(self, ticket_id: int) -> list[dict[str, Any]]:
        ticket = self.desk.tickets[ticket_id]
        if ticket.created_at > self.desk.now or ticket.is_deleted(self.desk.now):
            raise KeyError(ticket_id)
        return render.conversations(self.desk, ticket)

    def _contacts(self, query: dict[str, str]) -> Sequence[dict[str, Any]]:
        self._index()
        keys = self._contacts
        if "_updated_since" in query:
            keys = keys[bisect_left(keys, (_time(query["_updated_since"], "_updated_since"),
                                           0)):]
        return _Rendered(keys, lambda key: render.contact_json(self.desk.people[key[1]]))

    def _groups(self, query: dict[str, str]) -> list[dict[str, Any]]:
        created = min(p.created_at for p in self.desk.people.values())
        return [render.group_json(gid, name, created) for gid, name in self.desk.groups.items()]

    def _ratings(self, query: dict[str, str]) -> Sequence[dict[str, Any]]:
        self._index()
        since = _time(query.get("created_since", "1970-01-01T00:00:00Z"), "created_since")
        keys = self._ratings_index[bisect_left(self._ratings_index, (since, 0, 0)):]
        tickets = self.desk.tickets
        return _Rendered(keys, lambda key: render.rating_json(
            tickets[key[2]], tickets[key[2]].state(self.desk.now)))

    def _time_entries(self, query: dict[str, str]) -> Sequence[dict[str, Any]]:
        self._index()
        since = _time(query.get("executed_after", "1970-01-01T00:00:00Z"), "executed_after")
        keys = self._entries[bisect_left(self._entries, (since, 0)):]
        return _Rendered(keys, lambda key: render.time_entry_json(self.desk.tickets[key[2]],
                                                                  key[3]))


class _Rendered(Sequence[Any]):
    """Index keys rendered only when a page slices them (a page is 100 of maybe 100,000)."""

    def __init__(self, keys: list[Any], render_one: Callable[[Any], Any]):
        self.keys, self.render_one = keys, render_one

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.render_one(key) for key in self.keys[index]]
        return self.render_one(self.keys[index])


class _Invalid(ValueError):
    """A 400 "Validation failed" with Freshdesk's message for the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field

    @classmethod
    def refusing(cls, kind: str, field: str | None = None) -> _Invalid:
        return cls(field or kind, REFUSED[kind])


def _int(query: dict[str, str], name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except ValueError:
        raise _Invalid.refusing("number", name) from None


def _time(text: str, field: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _Invalid.refusing("date", field) from None


def _json(status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(),
                          headers={"content-type": "application/json; charset=utf-8", **headers})
