"""Fault injection for the simulated help desk: what real help-desk APIs do on bad days.

`with_faults(handler, Faults(...))` wraps any simulated API handler. Transport faults answer a
request with a 429 (with or without Retry-After, in seconds or as an HTTP date), a 5xx, a
connection reset, a read timeout, a truncated body or an HTML error page. Data faults rewrite
records in otherwise good responses: a record repeated from the previous page, unknown new
fields, ids as strings, timestamps with a non-UTC offset (harmless: the sync must store the
same rows), megabyte strings (stored unchanged), and wrong types or nulls where an object
belongs (the record must become a dead letter while the rest of the page is kept).
Seeded: the same seed, the same faults.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpx

TRANSPORT = ("429", "429-bare", "429-date", "500", "502", "503", "504", "reset", "timeout",
             "truncated", "html")
HARMLESS_DATA = ("repeat", "unknown-field", "string-id", "offset-time")
LARGE_DATA = ("huge-string",)
BAD_DATA = ("wrong-type", "null-object")
ITEM_KEYS = ("tickets", "ticket_events", "users", "groups", "satisfaction_ratings",
             "conversations", "admins", "teams", "data")

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Faults:
    """`rate` of requests get one of `transport`; `data_rate` of records get one of `data`."""

    rate: float = 0.0
    transport: tuple[str, ...] = TRANSPORT
    data_rate: float = 0.0
    data: tuple[str, ...] = HARMLESS_DATA
    seed: int = 0
    persistent: tuple[str, ...] = ()  # paths that fail on every request (unparseable pages)
    cycle: bool = False  # take transport faults in turn instead of at random
    max_in_a_row: int | None = None  # let a request through after this many faulted ones
    injected: list[str] = field(default_factory=list)


def with_faults(handler: Handler, faults: Faults,
                clock: Callable[[], datetime] | None = None) -> Handler:
    rng = random.Random(faults.seed)
    previous: dict[str, list[Any]] = {}
    streak = [0]

    def faulty(request: httpx.Request) -> httpx.Response:
        if request.url.path in faults.persistent:
            faults.injected.append("persistent-truncated")
            return httpx.Response(200, content=b'{"tickets": [{"id": 1, "sub')
        limit = faults.max_in_a_row
        if faults.rate and rng.random() < faults.rate and (limit is None or streak[0] < limit):
            streak[0] += 1
            count = sum(1 for k in faults.injected if k in faults.transport)
            kind = faults.transport[count % len(faults.transport)] if faults.cycle \
                else rng.choice(faults.transport)
            faults.injected.append(kind)
            return _transport_fault(kind, request, clock)
        streak[0] = 0
        response = handler(request)
        if response.status_code != 200 or not faults.data_rate:
            return response
        return _rewrite(response, request.url.path, faults, rng, previous)

    return faulty


def _transport_fault(kind: str, request: httpx.Request,
                     clock: Callable[[], datetime] | None) -> httpx.Response:
    if kind == "reset":
        msg = "connection reset by peer"
        raise httpx.RemoteProtocolError(msg, request=request)
    if kind == "timeout":
        msg = "timed out"
        raise httpx.ReadTimeout(msg, request=request)
    if kind == "truncated":
        return httpx.Response(200, content=b'{"tickets": [{"id": 1, "subject": "cut he')
    if kind == "html":
        return httpx.Response(502, content=b"<html><body>Bad gateway</body></html>",
                              headers={"content-type": "text/html"})
    if kind.startswith("429"):
        headers = {"content-type": "application/json"}
        if kind == "429":
            headers["retry-after"] = "3"
        elif kind == "429-date":
            moment = (clock() if clock else datetime.now(UTC)) + timedelta(seconds=4)
            headers["retry-after"] = format_datetime(moment, usegmt=True)
        return httpx.Response(429, json={"error": "APIRateLimitExceeded"}, headers=headers)
    return httpx.Response(int(kind), json={"error": "ServerError"})


def _rewrite(response: httpx.Response, path: str, faults: Faults, rng: random.Random,
             previous: dict[str, list[Any]]) -> httpx.Response:
    body = json.loads(response.content)
    if isinstance(body, list):  # Freshdesk lists are bare arrays
        items = body
    else:
        key = next((k for k in ITEM_KEYS if isinstance(body.get(k), list)), None)
        if key is None:
            return response
        items = body[key]
    original = [json.loads(json.dumps(item)) for item in items]
    for index, item in enumerate(items):
        if rng.random() < faults.data_rate:
            kind = rng.choice(faults.data)
            faults.injected.append(kind)
            if kind == "repeat" and previous.get(path):
                repeated = rng.choice(previous[path])
                items.append(repeated)  # a Zendesk ticket carries its own metric_set
            else:
                items[index] = _mangle(kind, item)
    previous[path] = original
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return httpx.Response(200, content=json.dumps(body).encode(), headers=headers)


def _mangle(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    item = dict(item)
    if kind == "unknown-field":
        item["x_new_vendor_field"] = {"nested": [1, 2, 3]}
    elif kind == "string-id":
        item["id"] = str(item["id"])
    elif kind == "offset-time":
        for name in ("created_at", "updated_at"):
            if isinstance(item.get(name), str) and item[name].endswith("Z"):
                utc = datetime.fromisoformat(item[name].replace("Z", "+00:00"))
                item[name] = utc.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
    elif kind == "huge-string":
        for name in ("subject", "name", "comment"):
            if isinstance(item.get(name), str):
                item[name] = item[name] + " " + "x" * 1_000_000
    elif kind == "wrong-type":
        for name in ("status", "role", "score", "ticket_id", "name"):
            if name in item:
                item[name] = {"unexpected": True}
                break
    elif kind == "null-object":
        item = {"id": item.get("id")}
    return item


def forbidding(handler: Handler, paths: Iterable[str]) -> Handler:
    """Answer these paths with 403, as a vendor does for a feature the plan lacks (Zendesk's
    SLA policies below Professional, Freshdesk's time tracking on Sprout), the rest as usual."""
    denied = frozenset(paths)

    def guarded(request: httpx.Request) -> httpx.Response:
        if request.url.path in denied:
            return httpx.Response(403, json={"error": "Forbidden", "description":
                                             "This feature is not available on your plan"})
        return handler(request)

    return guarded
