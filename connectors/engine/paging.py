"""Shared paging pieces. Vendor-specific loops stay in the vendor's module; what is common is
the guard against a cursor that stops moving (a vendor bug or a misread envelope would
otherwise loop forever, re-reading the same page)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from deskpulse.connectors.errors import PageInvalid, SourceError
from deskpulse.connectors.source import Page
from deskpulse.store.models import NormalizedRecord

log = logging.getLogger(__name__)


class LoopGuard:
    """Raises when a stream asks for the same position twice in one pass."""

    def __init__(self, source: str, stream: str):
        self.source, self.stream = source, stream
        self._seen: set[Hashable] = set()

    def visit(self, position: Hashable) -> None:
        if position in self._seen:
            msg = (f"source '{self.source}' stream {self.stream}: the vendor returned the same "
                   f"position {position!r} twice; stopping instead of looping forever")
            raise PageInvalid(msg)
        self._seen.add(position)


def require(body: Any, key: str, *, source: str, stream: str, endpoint: str) -> Any:
    """A field the paging contract needs; its absence is a clear PageInvalid, not a KeyError."""
    if not isinstance(body, dict) or key not in body:
        msg = (f"source '{source}' stream {stream}: {endpoint} response has no '{key}' "
               "field; the vendor changed its envelope or the body is not what it documents")
        raise PageInvalid(msg)
    return body[key]


def bounded(pages: Iterator[Page], until: int) -> Iterator[Page]:
    """Stop after the page that reaches `until` (a unix time): a bounded backfill."""
    for page in pages:
        reached = position(page) >= until
        yield Page(page.records, page.cursor, page.requests, page.total,
                   done=page.done or reached)
        if page.done or reached:
            return


def position(page: Page) -> int:
    """How far a page reached: a time-based cursor's start_time, else its newest record."""
    cursor = page.cursor or {}
    if "start_time" in cursor and "after" not in cursor:
        return int(cursor["start_time"])
    stamps = [int(r.updated_at.timestamp()) for r in page.records if hasattr(r, "updated_at")]
    stamps += [int(r.at.timestamp()) for r in page.records if hasattr(r, "at")]
    return max(stamps, default=0)


def whole_or_kept(what: str, fetch: Callable[[], list[NormalizedRecord]],
                  spent: Callable[[], int]) -> Iterator[Page]:
    """One page holding a whole admin-only list (`fetch`), or an empty one when the token
    may not read it (403: no admin) or the plan lacks it (404): the stored rows then stay as
    they were and the sync goes on. Any other error still fails the stream."""
    before = spent()
    try:
        records = fetch()
    except SourceError as exc:
        if exc.status not in (403, 404):
            raise
        log.warning("%s: %s not readable, the stored ones are kept", exc, what)
        records = []
    yield Page(records, None, spent() - before, done=True)
