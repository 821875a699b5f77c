"""Freshdesk (API v2), declared: its streams, their cursors and the rules that keep them exact.

- tickets: `GET /api/v2/tickets?updated_since=…&order_by=updated_at&order_type=asc
  &include=stats&per_page=100`. Every request restarts the window at the newest `updated_at`
  seen and drops the overlap by id (`skip`), instead of walking `page=N`: page numbers over a
  list that changes while it is read skip a ticket whenever one ahead of the reader is
  updated, and Freshdesk refuses page 301 anyway. `updated_since` is always sent (without it
  Freshdesk lists only the last 30 days). Each page's changed tickets get their
  conversations (`/tickets/{id}/conversations`) fetched concurrently inside the rate budget
  and committed in the same page, with the tickets.
- deleted_tickets, spam_tickets: the same windows with `filter=deleted` / `filter=spam`
  (the plain list leaves them out); marked `deleted`, never dropped.
- agents, groups, business_hours, sla_policies: small lists, read whole every sync (one
  request each; SLA policies unreadable for the token's role or plan are skipped).
- contacts: `_updated_since`, every page; the next sync starts where this one *started*.
- satisfaction_ratings: `created_since` (ratings are not edited); scales from `/surveys`.
- time_entries: `executed_after`, re-reading a day of overlap (running timers change).
Rate limits: `X-RateLimit-Total/-Remaining` pace every request (connectors.engine.pacing),
at most `rate_limit_share` of the plan's limit (`X-RateLimit-Total`: 100 to 700+ a minute by plan)
and `requests_per_minute` if set; the ticket list has its own, smaller per-minute cap on some
plans (`ticket_list_requests_per_minute`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx

from deskpulse.connectors.engine.http import ALL_REQUESTS, Http, HttpSource, opener
from deskpulse.connectors.engine.paging import bounded, whole_or_kept
from deskpulse.connectors.engine.validate import validated
from deskpulse.connectors.errors import SkippableError
from deskpulse.connectors.freshdesk.mapping import (
    agent_records,
    business_hours_records,
    contact_records,
    conversation_records,
    group_records,
    rating_records,
    survey_scale,
    time_entry_records,
)
from deskpulse.connectors.freshdesk.oracle import ORACLE
from deskpulse.connectors.freshdesk.paging import list_page, numbered
from deskpulse.connectors.freshdesk.remap import remap, ticket_with_deadlines
from deskpulse.connectors.freshdesk.settings import FreshdeskSettings
from deskpulse.connectors.freshdesk.sla_mapping import sla_policy_set
from deskpulse.connectors.freshdesk.windows import PAGE_SIZE, TicketList, iso, parse, ticket_windows
from deskpulse.connectors.source import Connector, Page, Probe, Stored
from deskpulse.store.models import (
    BusinessSchedule,
    NormalizedRecord,
    Rating,
    Rejected,
    TimeEntry,
)

TIME_ENTRY_OVERLAP = timedelta(days=1)
CONTACT_OVERLAP = timedelta(minutes=5)


class FreshdeskSource(HttpSource):
    """An open Freshdesk account; `read` yields committed-size pages for one stream."""

    def __init__(self, name: str, settings: FreshdeskSettings, **engine: Any):
        self.name, self.settings = name, settings
        self.http = Http(
            source=name, vendor="freshdesk", base_url=settings.url(),
            auth=(settings.api_key.get_secret_value(), "X"),
            caps={ALL_REQUESTS: settings.requests_per_minute,
                  "ticket_list": settings.ticket_list_requests_per_minute},
            allow_insecure=settings.allow_insecure_base_url,
            concurrency=settings.concurrency, limit_share=settings.rate_limit_share, **engine,
        )

    def read(self, stream: str, cursor: dict[str, Any] | None, *, since: datetime,
             until: datetime | None = None, stored: Stored | None = None) -> Iterator[Page]:
        pages = STREAMS[stream](self, cursor or {}, since)
        if until is None or stream in UNBOUNDED:
            return pages
        return bounded(pages, int(until.timestamp()))

    def estimate(self, since: datetime) -> dict[str, int | None]:
        """Freshdesk has no cheap count of changed tickets; say so rather than guess. One
        cheap request (a one-agent page) learns the plan's rate limit from its headers."""
        self._list("/api/v2/agents", {"per_page": 1})
        plan, paced = self.http.plan_per_minute, self.http.paced_per_minute
        return {"tickets": None, "plan_per_minute": None if plan is None else int(plan),
                "requests_per_minute": None if paced is None else int(paced),
                # a conversations request per ticket, a list page per 100
                "requests_per_1000_tickets": 1000 + 1000 // PAGE_SIZE}

    def _list(self, path: str, params: dict[str, Any], cap: str | None = None
              ) -> tuple[list[Any], bool]:
        return list_page(self.http, self.name, path, params, cap)

    # -- paging (loops in connectors.freshdesk.paging and .windows) -----------------------

    def numbered(self, path: str, params: dict[str, Any], cursor: dict[str, Any],
                 build: Callable[[dict[str, Any]], list[NormalizedRecord]]) -> Iterator[Page]:
        return numbered(self.http, self.name, path, params, cursor, build)

    def ticket_windows(self, stream: str, cursor: dict[str, Any], since: datetime,
                       extra: dict[str, Any], with_conversations: bool) -> Iterator[Page]:
        """The ticket list's window pass (connectors.freshdesk.windows)."""
        return ticket_windows(
            TicketList(self.name, stream, lambda params: self._list(
                "/api/v2/tickets", {**extra, **params}, cap="ticket_list"),
                lambda raw: validated(self._ticket, raw), lambda: self.requests,
                self._conversations_of if with_conversations else None), cursor, since)

    def _ticket(self, raw: dict[str, Any]) -> list[NormalizedRecord]:
        return ticket_with_deadlines(raw, self.settings.status_map)

    def _conversations_of(self, tickets: list[Any]) -> list[NormalizedRecord]:
        found = self.http.map(self._conversations, [t.id for t in tickets])
        return [record for records in found for record in records]

    def _conversations(self, ticket_id: str) -> list[NormalizedRecord]:
        pages = self.numbered(f"/api/v2/tickets/{ticket_id}/conversations", {}, {},
                              conversation_records)
        try:
            return [record for page in pages for record in page.records]
        except SkippableError as exc:  # deleted between the list and this call
            return [Rejected(error=str(exc), payload={"ticket_id": ticket_id})]


# -- the streams ----------------------------------------------------------------------------

Reader = Callable[[FreshdeskSource, dict[str, Any], datetime], Iterator[Page]]


def _whole(path: str, build: Callable[[dict[str, Any]], list[NormalizedRecord]]) -> Reader:
    def read(source: FreshdeskSource, cursor: dict[str, Any], since: datetime
             ) -> Iterator[Page]:
        return source.numbered(path, {}, cursor, build)
    return read


def read_business_hours(source: FreshdeskSource, cursor: dict[str, Any], since: datetime
                        ) -> Iterator[Page]:
    before = source.requests
    rows, _more = source._list("/api/v2/business_hours", {})
    seen = source.http.clock()  # a changed schedule starts a new version on this day
    records = [r.model_copy(update={"seen_at": seen}) if isinstance(r, BusinessSchedule) else r
               for raw in rows for r in validated(business_hours_records, raw)]
    yield Page(records, None, source.requests - before, done=True)


def read_sla_policies(source: FreshdeskSource, cursor: dict[str, Any], since: datetime
                      ) -> Iterator[Page]:
    """Every SLA policy, whole (one request: an account has a handful); kept as stored when
    the token may not read them (SLA targets then come from the config alone)."""
    def fetch() -> list[NormalizedRecord]:
        rows, _more = source._list("/api/v2/sla_policies", {"per_page": PAGE_SIZE})
        dicts = [raw for raw in rows if isinstance(raw, dict)]
        if len(dicts) != len(rows):
            return [Rejected(error="an SLA policy is not an object", payload=rows)]
        return validated(lambda _raw: [sla_policy_set(dicts)], {"sla_policies": rows})
    return whole_or_kept("SLA policies", fetch, lambda: source.requests)


def read_contacts(source: FreshdeskSource, cursor: dict[str, Any], since: datetime
                  ) -> Iterator[Page]:
    """Contacts from the account's beginning on the first sync (ticket requesters may be
    older than `since`), then those changed since the previous sync *started* (the list has
    no documented order, so only a drained pass may move the bookmark)."""
    changed_since = cursor.get("updated_since")
    started = cursor.get("started") or iso(source.http.clock() - CONTACT_OVERLAP)
    params = {"_updated_since": changed_since} if changed_since else {}
    state = {"started": started, "page": cursor.get("page", 1)}
    if changed_since:
        state["updated_since"] = changed_since
    for page in source.numbered("/api/v2/contacts", params, state, contact_records):
        yield Page(page.records, page.cursor or {"updated_since": started}, page.requests,
                   done=page.done)


def read_tickets(source: FreshdeskSource, cursor: dict[str, Any], since: datetime
                 ) -> Iterator[Page]:
    return source.ticket_windows("tickets", cursor, since, {"include": "stats"}, True)


def _flagged(name: str) -> Reader:
    def read(source: FreshdeskSource, cursor: dict[str, Any], since: datetime
             ) -> Iterator[Page]:
        return source.ticket_windows(f"{name}_tickets", cursor, since, {"filter": name}, False)
    return read


def read_ratings(source: FreshdeskSource, cursor: dict[str, Any], since: datetime
                 ) -> Iterator[Page]:
    """Ratings created since the newest one seen (re-read once: `created_since` includes it)."""
    before = source.requests
    surveys, _more = source._list("/api/v2/surveys", {})
    scales = {str(s.get("id")): survey_scale(s) for s in surveys if isinstance(s, dict)}
    spent = source.requests - before
    created_since = cursor.get("created_since") or iso(since)
    newest = parse(created_since)
    state = {"created_since": created_since, "page": cursor.get("page", 1)}
    for page in source.numbered("/api/v2/surveys/satisfaction_ratings",
                                       {"created_since": created_since}, state,
                                       lambda raw: rating_records(raw, scales)):
        newest = max([newest] + [r.at for r in page.records if isinstance(r, Rating)])
        yield Page(page.records, page.cursor or {"created_since": iso(newest)},
                   page.requests + spent, done=page.done)
        spent = 0


def read_time_entries(source: FreshdeskSource, cursor: dict[str, Any], since: datetime
                      ) -> Iterator[Page]:
    """Entries executed after the newest seen, less a day: a running timer changes later."""
    after = cursor.get("executed_after") or iso(since)
    newest = parse(after)
    state = {"executed_after": after, "page": cursor.get("page", 1)}
    for page in source.numbered("/api/v2/time_entries", {"executed_after": after},
                                       state, time_entry_records):
        newest = max([newest] + [r.at for r in page.records if isinstance(r, TimeEntry)])
        yield Page(page.records,
                   page.cursor or {"executed_after": iso(newest - TIME_ENTRY_OVERLAP)},
                   page.requests, done=page.done)


STREAMS: dict[str, Reader] = {
    "agents": _whole("/api/v2/agents", agent_records),
    "contacts": read_contacts,
    "groups": _whole("/api/v2/groups", group_records),
    "business_hours": read_business_hours,
    "sla_policies": read_sla_policies,
    "tickets": read_tickets,
    "deleted_tickets": _flagged("deleted"),
    "spam_tickets": _flagged("spam"),
    "satisfaction_ratings": read_ratings,
    "time_entries": read_time_entries,
}
UNBOUNDED = frozenset({"agents", "contacts", "groups", "business_hours", "sla_policies"})


CONNECTOR = Connector(
    kind="freshdesk",
    settings=FreshdeskSettings,
    streams=tuple(STREAMS),
    open=opener(FreshdeskSource),
    account=lambda settings: settings.domain or httpx.URL(settings.url()).host,
    oracle=ORACLE,
    probes=(
        Probe("agents", "/api/v2/agents", {"per_page": 1}),
        Probe("contacts", "/api/v2/contacts", {"per_page": 1}),
        Probe("groups", "/api/v2/groups", {"per_page": 1}),
        Probe("business_hours", "/api/v2/business_hours"),
        Probe("sla_policies", "/api/v2/sla_policies", feature="SLA policies"),
        Probe("tickets", "/api/v2/tickets", {"per_page": 1}),
        Probe("deleted_tickets", "/api/v2/tickets", {"filter": "deleted", "per_page": 1}),
        Probe("spam_tickets", "/api/v2/tickets", {"filter": "spam", "per_page": 1}),
        Probe("satisfaction_ratings", "/api/v2/surveys/satisfaction_ratings",
              {"per_page": 1}),
        Probe("time_entries", "/api/v2/time_entries", {"per_page": 1}),
    ),
    remap=remap,
)
