"""The simulated desk behind Intercom's REST API: an httpx handler, usable as a MockTransport
or behind `make_server` on 127.0.0.1.

What it reproduces (developers.intercom.com, vendor-apis.md §3): Bearer auth; `POST
/conversations/search` and `/contacts/search` on `updated_at`, at most 150 a page, paged by
`pages.next.starting_after`, in no particular order (a fixed shuffle of ids, as a search
index would give); `GET /conversations/{id}` with the 500 most recent parts; unpaged `/admins`
and `/teams`; a budget per 10-second window with `X-RateLimit-Limit/-Remaining/-Reset`
(a unix time) and a 429 `rate_limit_exceeded` past it. `advance_every=(n, step)` moves the
desk's clock by `step` every n requests: updates that land while a long search is drained.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from bisect import bisect_right
from collections.abc import Callable
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import httpx

from deskpulse.simulator import intercom_render as render
from deskpulse.simulator.model import Desk
from deskpulse.simulator.ratewindow import RateWindow

MAX_PER_PAGE = 150
WINDOW_SECONDS = 10.0
DEFAULT_PER_WINDOW = 100_000
CONVERSATION = re.compile(r"^/conversations/(\d+)$")
OPERATORS: dict[str, Callable[[int, int], bool]] = {
    ">": lambda a, b: a > b, "<": lambda a, b: a < b, "=": lambda a, b: a == b,
    ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b}


def shuffled(ident: int) -> int:
    """A fixed pseudo-random rank: search results come in no useful order."""
    return (ident * 2654435761) % 2**32


class IntercomAPI:
    """Serve `desk` as Intercom would. `requests` logs (method, path, body) of every call."""

    def __init__(self, desk: Desk, *, token: str, per_window: int = DEFAULT_PER_WINDOW,
                 clock: Callable[[], float] | None = None,
                 advance_every: tuple[int, timedelta] | None = None):
        self.desk, self.token = desk, token
        self.clock = clock or time.time  # a unix time: X-RateLimit-Reset is one
        self.per_window, self.advance_every = per_window, advance_every
        self.requests: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        self._window = RateWindow(per_window, WINDOW_SECONDS, self.clock)
        self._index_key: tuple[Any, ...] | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            body_text = request.content.decode() if request.content else ""
            self.requests.append((request.method, request.url.path, body_text))
            self._maybe_advance()
            allowed, headers = self._take()
            if not allowed:
                return _json(429, _error("rate_limit_exceeded", "Exceeded rate limit of "
                                         f"{self.per_window} in 10_seconds"), headers)
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return _json(401, _error("unauthorized", "Access Token Invalid"), headers)
            try:
                return _json(200, self._route(request, body_text), headers)
            except LookupError:
                return _json(404, _error("not_found", "Resource Not Found"), headers)
            except (ValueError, TypeError) as exc:
                return _json(400, _error("parameter_invalid", str(exc)), headers)

    def _route(self, request: httpx.Request, body_text: str) -> Any:
        path, method = request.url.path, request.method
        if method == "POST" and path == "/conversations/search":
            return self._search(json.loads(body_text or "{}"), "conversations")
        if method == "POST" and path == "/contacts/search":
            return self._search(json.loads(body_text or "{}"), "contacts")
        if method == "GET" and (match := CONVERSATION.match(path)):
            ticket = self.desk.tickets.get(int(match[1]))
            if ticket is None or ticket.created_at > self.desk.now or \
                    ticket.is_deleted(self.desk.now):
                raise LookupError(path)
            return render.conversation_json(self.desk, ticket, with_parts=True)
        if method == "GET" and path == "/admins":
            return {"type": "admin.list", "admins": [render.admin_json(p)
                                                     for p in self.desk.agents()]
                    + [render.BOT_ADMIN]}
        if method == "GET" and path == "/teams":
            return {"type": "team.list", "teams": [render.team_json(gid, name) for gid, name
                                                   in self.desk.groups.items()]}
        raise LookupError(path)

    # -- rate limit and moving time ---------------------------------------------------

    def _take(self) -> tuple[bool, dict[str, str]]:
        allowed, remaining, _seconds = self._window.take()
        headers = {"x-ratelimit-limit": str(self.per_window),
                   "x-ratelimit-remaining": str(remaining),
                   "x-ratelimit-reset": str(self._window.resets_at),
                   "intercom-version": "2.11",
                   "date": format_datetime(self.desk.now, usegmt=True)}
        return allowed, headers

    def _maybe_advance(self) -> None:
        if self.advance_every and len(self.requests) % self.advance_every[0] == 0:
            self.desk.advance(self.desk.now + self.advance_every[1],
                              seed=len(self.requests))

    # -- search ---------------------------------------------------------------------

    def prepare(self) -> None:
        """Build the indexes now: for a large desk that takes minutes, which the first
        request would otherwise spend waiting (past a client's timeout)."""
        self._index()

    def _index(self) -> None:
        key = (self.desk.now, len(self.desk.tickets))
        if key == self._index_key:
            return
        now = self.desk.now
        self._conversations = sorted(
            (shuffled(t.id), t.id, int(t.updated_at(now).timestamp()))
            for t in self.desk.visible_tickets() if not t.is_deleted(now))
        self._contacts = sorted((shuffled(p.id), p.id, int(p.created_at.timestamp()))
                                for p in self.desk.customers() if p.created_at <= now)
        self._index_key = key

    def _search(self, body: dict[str, Any], kind: str) -> dict[str, Any]:
        self._index()
        test = _condition(body.get("query") or {})
        pagination = body.get("pagination") or {}
        per_page = int(pagination.get("per_page", 20))
        if not 1 <= per_page <= MAX_PER_PAGE:
            msg = f"per_page must be between 1 and {MAX_PER_PAGE}"
            raise ValueError(msg)
        keys = [k for k in (self._conversations if kind == "conversations" else
                            self._contacts) if test(k[2])]
        start = 0
        if pagination.get("starting_after"):
            start = bisect_right(keys, _decode(pagination["starting_after"]))
        chosen = keys[start:start + per_page]
        pages: dict[str, Any] = {"type": "pages", "page": start // per_page + 1,
                                 "per_page": per_page,
                                 "total_pages": max(1, -(-len(keys) // per_page))}
        if start + per_page < len(keys):
            pages["next"] = {"page": pages["page"] + 1,
                             "starting_after": _encode(chosen[-1][:2])}
        if kind == "contacts":
            return {"type": "list", "data": [render.contact_json(self.desk.people[k[1]])
                                             for k in chosen],
                    "total_count": len(keys), "pages": pages}
        return {"type": "conversation.list", "pages": pages, "total_count": len(keys),
                "conversations": [render.conversation_json(
                    self.desk, self.desk.tickets[k[1]], with_parts=False) for k in chosen]}


def _condition(query: dict[str, Any]) -> Callable[[int], bool]:
    """The `updated_at` filter of a search query: one condition, or an AND of them."""
    if "value" in query and isinstance(query.get("value"), list):
        if query.get("operator") != "AND":
            msg = "only AND queries are simulated"
            raise ValueError(msg)
        tests = [_condition(part) for part in query["value"]]
        return lambda at: all(test(at) for test in tests)
    if query.get("field") != "updated_at" or query.get("operator") not in OPERATORS:
        msg = f"unsupported search condition {query!r}"
        raise ValueError(msg)
    compare, value = OPERATORS[query["operator"]], int(query["value"])
    return lambda at: compare(at, value)


def _encode(key: tuple[int, int]) -> str:
    return base64.b64encode(json.dumps(list(key)).encode()).decode()


def _decode(token: str) -> tuple[int, int, int]:
    """The position just after the last result returned (its key, then any update time)."""
    rank, ident = json.loads(base64.b64decode(token.encode()))
    return int(rank), int(ident), 2**63


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error.list", "request_id": "sim", "errors": [
        {"code": code, "message": message}]}


def _json(status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(),
                          headers={"content-type": "application/json; charset=utf-8", **headers})
