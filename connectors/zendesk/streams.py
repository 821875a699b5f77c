"""Zendesk Support, declared: its streams, their cursors and the rules that keep them exact.

- users, tickets: cursor-based incremental exports (`/incremental/{users,tickets}/cursor.json`):
  `start_time` on the first call, then `cursor=<after_cursor>`, until `end_of_stream`. The
  saved `after_cursor` survives restarts and keeps working after the end, so the next sync
  asks exactly for what changed since. Tickets side-load `include=metric_sets` (Zendesk's own
  metrics, for `deskpulse verify`) at no extra request: each ticket carries its `metric_set`.
  Deleted tickets arrive with status "deleted".
  The cursor follows Zendesk's `generated_timestamp`, never `updated_at`, which system updates
  do not move.
- ticket_events: the time-based export `/incremental/ticket_events.json?include=comment_events`
  is the only bulk source of comments and status/assignee/group changes. A page never splits
  one second, so the boundary second is read twice; event ids make that an upsert.
- groups: a small cursor-paginated list, read whole every sync.
- business_hours: `/business_hours/schedules` and each schedule's `/holidays`, whole every
  sync (1 + one request per schedule).
- sla_policies: `/slas/policies`, whole every sync (one request; skipped when the token's
  user may not read them or the plan has none).
- satisfaction_ratings (`ratings = "exports"`, the default): answered ratings are not listed:
  the ticket export gives each one's id, score and comment, the ticket events' SatisfactionRating
  its time, and the store joins the two (store.rating_join). Only offered surveys, which the
  ticket export shows without an id (`{"score": "offered"}`), are listed:
  `/satisfaction_ratings?score=offered`, cursor-paginated, filtered by `start_time` (the newest
  update seen). `ratings = "list"`: every rating from that list, as before.
Incremental exports allow 10 requests a minute (30 with High Volume):
developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/.
No request is ever made per ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx

from deskpulse.connectors.engine.http import Http, HttpSource, opener
from deskpulse.connectors.engine.paging import bounded, require, whole_or_kept
from deskpulse.connectors.engine.validate import validated
from deskpulse.connectors.source import Connector, Page, Probe, Stored
from deskpulse.connectors.zendesk.mapping import (
    audit_records,
    group_records,
    person_records,
    rating_records,
    schedule_records,
    ticket_records,
)
from deskpulse.connectors.zendesk.oracle import ORACLE
from deskpulse.connectors.zendesk.paging import (
    EXPORT_PAGE_SIZE,
    cursor_export,
    list_pages,
    time_export,
)
from deskpulse.connectors.zendesk.remap import remap
from deskpulse.connectors.zendesk.settings import ZendeskSettings
from deskpulse.connectors.zendesk.sla_mapping import sla_policy_set
from deskpulse.store.models import BusinessSchedule, NormalizedRecord


class ZendeskSource(HttpSource):
    """An open Zendesk account; `read` yields committed-size pages for one stream."""

    def __init__(self, name: str, settings: ZendeskSettings, **engine: Any):
        self.name = name
        self.time_spent_field = settings.time_spent_field
        self.ratings_from_exports = settings.ratings == "exports"
        self.http = Http(
            source=name, vendor="zendesk", base_url=settings.url(),
            auth=(f"{settings.email}/token", settings.token.get_secret_value()),
            caps={"export": settings.incremental_requests_per_minute},
            allow_insecure=settings.allow_insecure_base_url, **engine,
        )

    def read(self, stream: str, cursor: dict[str, Any] | None, *, since: datetime,
             until: datetime | None = None, stored: Stored | None = None) -> Iterator[Page]:
        pages = STREAMS[stream](self, cursor or {}, int(since.timestamp()))
        if until is None or stream in UNBOUNDED:
            return pages
        return bounded(pages, int(until.timestamp()))

    def estimate(self, since: datetime) -> dict[str, int | None]:
        """Tickets in the account (Zendesk's approximate count: one request)."""
        body = self._get("/api/v2/tickets/count.json", {})
        count = (body.get("count") or {}).get("value") if isinstance(body, dict) else None
        if not isinstance(count, int):
            return {"tickets": None}
        # 1,000 tickets a request; ticket events run ~10 audits a ticket, 1,000 a page
        return {"tickets": count, "requests": -(-count // EXPORT_PAGE_SIZE) * 11 + 5}

    def _get(self, path: str, params: dict[str, Any], cap: str | None = None) -> Any:
        return self.http.get_json(path, params, cap=cap)[0]


# -- the streams ----------------------------------------------------------------------------


def _tickets_of(source: ZendeskSource, stream: str, path: str):
    def to_records(body: dict[str, Any]) -> list[NormalizedRecord]:
        rows = require(body, "tickets", source=source.name, stream=stream, endpoint=path)
        # Zendesk puts each ticket's `metric_set` inside the ticket; a top-level `metric_sets`
        # list is read too (keyed as text: an id may come as 123 here, "123" there)
        listed = {str(m.get("ticket_id")): m for m in body.get("metric_sets") or []
                  if isinstance(m, dict)}
        return [r for raw in rows for r in validated(
            lambda t: ticket_records(*_own_metric_set(t, listed), source.time_spent_field,
                                     source.ratings_from_exports),
            raw)]
    return to_records


def _own_metric_set(ticket: dict[str, Any], listed: dict[str, dict[str, Any]]
                    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The ticket without its metric_set (kept once, as vendor metrics) and that set."""
    if isinstance(ticket.get("metric_set"), dict):
        return {k: v for k, v in ticket.items() if k != "metric_set"}, ticket["metric_set"]
    return ticket, listed.get(str(ticket.get("id")))


def read_tickets(source: ZendeskSource, cursor: dict[str, Any], start: int) -> Iterator[Page]:
    path = "/api/v2/incremental/tickets/cursor.json"
    return cursor_export(source.http, source.name, "tickets", path, cursor, start,
                         _tickets_of(source, "tickets", path), include="metric_sets")


def read_users(source: ZendeskSource, cursor: dict[str, Any], start: int) -> Iterator[Page]:
    """All users from the account's beginning, whatever `since` says: KPIs need the role of
    every agent who ever wrote, and agents rarely change after they were created."""
    path = "/api/v2/incremental/users/cursor.json"
    start = 0

    def to_records(body: dict[str, Any]) -> list[NormalizedRecord]:
        rows = require(body, "users", source=source.name, stream="users", endpoint=path)
        return [r for raw in rows for r in validated(person_records, raw)]

    return cursor_export(source.http, source.name, "users", path, cursor, start, to_records)


def read_ticket_events(source: ZendeskSource, cursor: dict[str, Any], start: int
                       ) -> Iterator[Page]:
    return time_export(source.http, source.name, "ticket_events",
                       "/api/v2/incremental/ticket_events.json", "ticket_events", cursor,
                       start, audit_records, include="comment_events")


def read_groups(source: ZendeskSource, cursor: dict[str, Any], start: int) -> Iterator[Page]:
    for page, _rows in list_pages(source.http, source.name, "groups", "/api/v2/groups",
                                  "groups", cursor, {}, group_records):
        yield page


def read_business_hours(source: ZendeskSource, cursor: dict[str, Any], start: int
                        ) -> Iterator[Page]:
    """The account's schedules, whole (a handful), each with its holidays (one request per
    schedule); the first is the account's default."""
    path = "/api/v2/business_hours/schedules"
    before = source.requests
    body = source._get(path, {})
    rows = require(body, "schedules", source=source.name, stream="business_hours",
                   endpoint=path)
    for raw in rows:
        if isinstance(raw, dict) and raw.get("id") is not None:
            days_off = f"{path}/{raw['id']}/holidays"
            raw["holidays"] = require(source._get(days_off, {}), "holidays",
                                      source=source.name, stream="business_hours",
                                      endpoint=days_off)
    records = [r for raw in rows for r in validated(schedule_records, raw)]
    seen = source.http.clock()  # a changed schedule starts a new version on this day
    records = [r.model_copy(update={"is_default": n == 0, "seen_at": seen})
               if isinstance(r, BusinessSchedule) else r for n, r in enumerate(records)]
    yield Page(records, None, source.requests - before, done=True)


def read_sla_policies(source: ZendeskSource, cursor: dict[str, Any], start: int
                      ) -> Iterator[Page]:
    """Every SLA policy, whole, in one request (the list is not paginated); kept as stored
    when the token may not read them (SLA targets then come from the config alone)."""
    def fetch() -> list[NormalizedRecord]:
        path = "/api/v2/slas/policies"
        rows = require(source._get(path, {}), "sla_policies", source=source.name,
                       stream="sla_policies", endpoint=path)
        return validated(lambda raw: [sla_policy_set(raw["sla_policies"])],
                         {"sla_policies": rows})
    return whole_or_kept("SLA policies", fetch, lambda: source.requests)


def read_ratings(source: ZendeskSource, cursor: dict[str, Any], start: int) -> Iterator[Page]:
    """Ratings can change (a customer re-rates), so the filter is the newest update seen.
    Reading answered ratings from the exports, only offered surveys are listed."""
    since = cursor.get("start_time", start)
    newest = since
    query = {"start_time": since} | ({"score": "offered"} if source.ratings_from_exports else {})
    pages = list_pages(source.http, source.name, "satisfaction_ratings",
                       "/api/v2/satisfaction_ratings", "satisfaction_ratings", cursor,
                       query, rating_records)
    for page, rows in pages:
        for raw in rows:
            newest = max(newest, _unix(raw.get("updated_at")) or newest)
        state = {"start_time": since, **page.cursor} if page.cursor else {"start_time": newest}
        yield Page(page.records, state, page.requests, done=page.done)


# small and timeless: always read whole
UNBOUNDED = frozenset({"users", "groups", "business_hours", "sla_policies"})


def _unix(text: Any) -> int | None:
    try:
        return int(datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


STREAMS: dict[str, Callable[[ZendeskSource, dict[str, Any], int], Iterator[Page]]] = {
    "users": read_users,
    "groups": read_groups,
    "business_hours": read_business_hours,
    "sla_policies": read_sla_policies,
    "tickets": read_tickets,
    "ticket_events": read_ticket_events,
    "satisfaction_ratings": read_ratings,
}


CONNECTOR = Connector(
    kind="zendesk",
    settings=ZendeskSettings,
    streams=tuple(STREAMS),
    open=opener(ZendeskSource),
    account=lambda settings: settings.subdomain or httpx.URL(settings.url()).host,
    oracle=ORACLE,
    probes=(
        Probe("users", "/api/v2/incremental/users/cursor.json", {"start_time": 0, "per_page": 1}),
        Probe("groups", "/api/v2/groups", {"page[size]": 1}),
        Probe("business_hours", "/api/v2/business_hours/schedules"),
        Probe("sla_policies", "/api/v2/slas/policies", feature="SLA policies"),
        Probe("tickets", "/api/v2/incremental/tickets/cursor.json",
              {"start_time": 0, "per_page": 1}),
        Probe("ticket_events", "/api/v2/incremental/ticket_events.json",
              {"start_time": 0, "per_page": 1}),
        Probe("satisfaction_ratings", "/api/v2/satisfaction_ratings", {"page[size]": 1}),
    ),
    remap=remap,
)
