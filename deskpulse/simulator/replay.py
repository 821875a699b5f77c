"""Serve recorded, scrubbed responses back (`deskpulse simulate --replay DIR`).

Files are the fixture format `deskpulse record` writes. A request is answered by the next
unused recording with the same method, path, query and JSON body (Intercom searches by
POST); one nobody recorded gets a 404 that
says so, which is what a test built from a user's recording should show.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

import httpx


class ReplayAPI:
    def __init__(self, folder: Path):
        self.queues: dict[tuple[str, str, str, str], deque[dict[str, Any]]] = \
            defaultdict(deque)
        for path in sorted(Path(folder).glob("*.json")):
            record = json.loads(path.read_text(encoding="utf-8"))
            request = record.get("request")
            if request:
                key = (request["method"], request["path"], _canonical(request["query"]),
                       _body(request.get("json")))
                self.queues[key].append(record)
        self.requests: list[tuple[str, str, str]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content) if request.content else None
        key = (request.method, request.url.path, _canonical(request.url.query.decode()),
               _body(sent))
        self.requests.append(key[:3])
        queue = self.queues.get(key)
        if not queue:
            return httpx.Response(404, json={"error": "NotRecorded",
                                             "description": f"{key[0]} {key[1]}?{key[2]}"})
        record = queue.popleft() if len(queue) > 1 else queue[0]
        return httpx.Response(record["status"], headers=record["headers"],
                              content=json.dumps(record["body"]).encode())


def _canonical(query: str) -> str:
    return "&".join(sorted(part for part in query.split("&") if part))


def _body(value: Any) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True)
