"""A strict fake vendor at the httpx transport: routes (method, path) to queued responses.

Responses come from recorded fixtures under fixtures/<vendor>/ ({"status", "headers",
"body"}), optionally varied with tiny overrides. An unexpected request fails the test and
lists the known routes; `assert_consumed()` fails on queued responses nobody asked for; the
request log lets tests assert, e.g., that no request was made per ticket.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


def fixture(name: str, **body_overrides: Any) -> httpx.Response:
    """A recorded response, e.g. fixture("zendesk/errors/rate_limited")."""
    recorded = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    body = recorded["body"] | body_overrides if body_overrides else recorded["body"]
    return httpx.Response(recorded["status"], headers=recorded["headers"],
                          content=json.dumps(body).encode())


class FakeDesk:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self.log: list[httpx.Request] = []

    def add(self, method: str, path: str, *replies: Reply) -> FakeDesk:
        self.routes[(method, path)].extend(replies)
        return self

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request)
        queue = self.routes.get((request.method, request.url.path))
        if not queue:
            known = ", ".join(f"{m} {p}" for (m, p), q in self.routes.items() if q) or "none"
            raise AssertionError(f"unexpected {request.method} {request.url}; queued: {known}")
        reply = queue.popleft()
        return reply(request) if callable(reply) else reply

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def assert_consumed(self) -> None:
        left = {f"{m} {p}": len(q) for (m, p), q in self.routes.items() if q}
        assert not left, f"responses never requested: {left}"

    def params(self, index: int) -> dict[str, str]:
        return dict(self.log[index].url.params)


def raising(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def reply(request: httpx.Request) -> httpx.Response:
        raise exc
    return reply
