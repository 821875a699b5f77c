"""Zendesk's three ways of paging, each a loop over the engine's `Http`: the cursor-based
incremental exports, the time-based event export, and cursor pagination of plain lists.
The streams (`connectors.zendesk.streams`) say which endpoint pages which way.

Every loop raises on a position it has already visited (`LoopGuard`) and names the field
a response lacks (`require`), rather than looping or failing with a KeyError.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from deskpulse.connectors.engine.http import Http
from deskpulse.connectors.engine.paging import LoopGuard, require
from deskpulse.connectors.engine.validate import validated
from deskpulse.connectors.source import Page
from deskpulse.store.models import NormalizedRecord

EXPORT_PAGE_SIZE = 1000
LIST_PAGE_SIZE = 100
Build = Callable[[dict[str, Any]], list[NormalizedRecord]]


def cursor_export(http: Http, source: str, stream: str, path: str, cursor: dict[str, Any],
                  start: int, to_records: Callable[[Any], list[NormalizedRecord]],
                  **params: Any) -> Iterator[Page]:
    """`start_time` on the first call, then `cursor=<after_cursor>` until `end_of_stream`."""
    guard, position = LoopGuard(source, stream), cursor.get("after_cursor")
    while True:
        guard.visit(position)
        query = {**params, "per_page": EXPORT_PAGE_SIZE}
        query.update({"cursor": position} if position else {"start_time": start})
        before = http.requests
        body = http.get_json(path, query, cap="export")[0]
        records = to_records(body)
        done = bool(body.get("end_of_stream"))
        position = body.get("after_cursor") or position
        yield Page(records, {"after_cursor": position}, http.requests - before, done=done)
        if done:
            return


def time_export(http: Http, source: str, stream: str, path: str, items: str,
                cursor: dict[str, Any], start: int, build: Build, **params: Any
                ) -> Iterator[Page]:
    """`start_time`, then each page's `end_time`, until `end_of_stream`."""
    guard, position = LoopGuard(source, stream), cursor.get("start_time", start)
    while True:
        guard.visit(position)
        before = http.requests
        body = http.get_json(path, {**params, "start_time": position}, cap="export")[0]
        rows = require(body, items, source=source, stream=stream, endpoint=path)
        records = [r for raw in rows for r in validated(build, raw)]
        done = bool(body.get("end_of_stream"))
        position = body.get("end_time") or position
        yield Page(records, {"start_time": position}, http.requests - before, done=done)
        if done:
            return


def list_pages(http: Http, source: str, stream: str, path: str, items: str,
               cursor: dict[str, Any], params: dict[str, Any], build: Build
               ) -> Iterator[tuple[Page, list[dict[str, Any]]]]:
    """Cursor-based pagination (`page[after]`, `meta.has_more`) of a plain list; each page
    comes with its raw rows (ratings read their `updated_at`)."""
    guard, after = LoopGuard(source, stream), cursor.get("after")
    while True:
        guard.visit(after)
        query = {**params, "page[size]": LIST_PAGE_SIZE}
        if after:
            query["page[after]"] = after
        before = http.requests
        body = http.get_json(path, query)[0]
        rows = require(body, items, source=source, stream=stream, endpoint=path)
        meta = body.get("meta") or {}
        after = meta.get("after_cursor") if meta.get("has_more") else None
        records = [r for raw in rows for r in validated(build, raw)]
        page = Page(records, {"after": after} if after else None, http.requests - before,
                    done=after is None)
        yield page, rows
        if after is None:
            return
