"""The example's help desk: a tiny API served in-process by `httpx.MockTransport` from
desk.json, so the example (and its test) needs no network. A real connector has no such
module: it talks to its vendor, and its tests hand `Connector.open` a MockTransport."""

from __future__ import annotations

import json
from datetime import datetime
from importlib.resources import files
from typing import Any

import httpx

PER_PAGE = 2


def data() -> dict[str, Any]:
    return json.loads(files(__package__).joinpath("desk.json").read_text(encoding="utf-8"))


def transport(desk: dict[str, Any] | None = None) -> httpx.MockTransport:
    """GET /api/people, and GET /api/tickets?updated_since=UNIX&page=N (oldest first)."""
    desk = desk or data()

    def handle(request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization", "") in ("", "Bearer "):
            return httpx.Response(401, json={"error": "no token"})
        if request.url.path == "/api/people":
            return httpx.Response(200, json={"agents": desk["agents"],
                                             "customers": desk["customers"]})
        if request.url.path == "/api/tickets":
            since = int(request.url.params.get("updated_since", "0"))
            page = int(request.url.params.get("page", "1"))
            changed = sorted((t for t in desk["tickets"] if _unix(t["updated"]) > since),
                             key=lambda t: (t["updated"], t["id"]))
            chunk = changed[(page - 1) * PER_PAGE:page * PER_PAGE]
            more = page * PER_PAGE < len(changed)
            return httpx.Response(200, json={"tickets": chunk, "total": len(changed),
                                             "next_page": page + 1 if more else None})
        return httpx.Response(404, json={"error": "not found"})

    return httpx.MockTransport(handle)


def _unix(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())
