"""Freshdesk's plain lists, paged over the engine's `Http`: `page=N` with a
`link: rel="next"` header. The ticket list's windows are `connectors.freshdesk.windows`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx

from deskpulse.connectors.engine.http import Http
from deskpulse.connectors.engine.validate import validated
from deskpulse.connectors.errors import PageInvalid
from deskpulse.connectors.freshdesk.windows import PAGE_SIZE
from deskpulse.connectors.source import Page
from deskpulse.store.models import NormalizedRecord


def list_page(http: Http, source: str, path: str, params: dict[str, Any],
              cap: str | None = None) -> tuple[list[Any], bool]:
    """One page of a list endpoint and whether another follows; anything but a JSON list
    is a PageInvalid that names the endpoint."""
    body, response = http.get_json(path, params, cap=cap)
    if not isinstance(body, list):
        msg = (f"freshdesk source '{source}': {path} did not return a JSON list; the "
               "vendor changed its response or the body is not what it documents")
        raise PageInvalid(msg)
    return body, _has_next(response)


def numbered(http: Http, source: str, path: str, params: dict[str, Any],
             cursor: dict[str, Any], build: Callable[[dict[str, Any]], list[NormalizedRecord]]
             ) -> Iterator[Page]:
    """`page=N` from the cursor's page; the cursor carries the rest of `cursor` along (the
    pass's own parameters)."""
    page = int(cursor.get("page", 1))
    while True:
        before = http.requests
        rows, more = list_page(http, source, path, {**params, "per_page": PAGE_SIZE,
                                                    "page": page})
        records = [r for raw in rows for r in validated(build, raw)]
        page += 1
        yield Page(records, {**cursor, "page": page} if more else None,
                   http.requests - before, done=not more)
        if not more:
            return


def _has_next(response: httpx.Response) -> bool:
    return 'rel="next"' in response.headers.get("link", "")
