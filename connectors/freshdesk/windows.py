"""Freshdesk's ticket list, read as restarting windows instead of page numbers.

Every request asks for page 1 of `updated_since = the newest updated_at seen`, dropping by id
the tickets already read at that second (`skip`). Page numbers over a list that changes while
it is read skip a ticket whenever one ahead of the reader is updated, and Freshdesk refuses
page 301 anyway ("You cannot access tickets beyond the 300th page"); only more than 30,000
tickets updated in one second would still hit that wall, and that is a clear error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from deskpulse.connectors.engine.paging import LoopGuard
from deskpulse.connectors.errors import PageInvalid
from deskpulse.connectors.source import Page
from deskpulse.store.models import NormalizedRecord, Ticket

PAGE_SIZE = 100
MAX_PAGE = 300


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _updated(raw: Any) -> str | None:
    """A listed ticket's updated_at in the window's form (any offset → Z), if readable."""
    try:
        return iso(parse(str(raw["updated_at"])))
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class TicketList:
    """What a window pass needs from the source: one list request (`fetch(params)` → rows,
    more?), the records of one listed ticket, the request count, and optionally the
    conversations of a page's live tickets (committed in the same page)."""

    source: str
    stream: str
    fetch: Callable[[dict[str, Any]], tuple[list[Any], bool]]
    build: Callable[[Any], list[NormalizedRecord]]
    requests: Callable[[], int]
    conversations_of: Callable[[list[Ticket]], list[NormalizedRecord]] | None = None


def ticket_windows(listing: TicketList, cursor: dict[str, Any], since: datetime
                   ) -> Iterator[Page]:
    """Tickets in updated_at order, one request per page, each restarting the window at the
    newest updated_at seen; the cursor keeps the window, `skip` and (rarely) a page number."""
    window = cursor.get("since") or iso(since)
    skip, page = set(cursor.get("skip", [])), int(cursor.get("page", 1))
    guard = LoopGuard(listing.source, listing.stream)
    while True:
        guard.visit((window, page, len(skip)))
        if page > MAX_PAGE:
            msg = (f"freshdesk source '{listing.source}' stream {listing.stream}: more than "
                   f"{MAX_PAGE * PAGE_SIZE} tickets share updated_at {window}; Freshdesk "
                   "refuses page 301, so they cannot all be listed")
            raise PageInvalid(msg)
        before = listing.requests()
        rows, more = listing.fetch({"updated_since": window, "order_by": "updated_at",
                                    "order_type": "asc", "per_page": PAGE_SIZE, "page": page})
        stamps = [(_updated(raw), str(raw.get("id")) if isinstance(raw, dict) else "")
                  for raw in rows]
        fresh = [raw for raw, (at, tid) in zip(rows, stamps, strict=True)
                 if not (at == window and tid in skip)]
        records = [r for raw in fresh for r in listing.build(raw)]
        if listing.conversations_of is not None:
            records += listing.conversations_of(
                [r for r in records if isinstance(r, Ticket) and not r.deleted])
        newest = max((at for at, _tid in stamps if at is not None), default=window)
        if newest != window:
            window, skip, page = newest, set(), 1
        elif more:
            page += 1  # a whole page at one second: read on within the window
        skip |= {tid for at, tid in stamps if at == window}
        done = not more
        state = {"since": window, "skip": sorted(skip), "page": 1 if done else page}
        yield Page(records, state, listing.requests() - before, done=done)
        if done:
            return
