"""Intercom (REST API, pinned version), declared: its streams and the rules that keep them exact.

- conversations: `POST /conversations/search` for `updated_at > bookmark`, 150 a page, paged
  by `pages.next.starting_after`. Search order is not guaranteed, so the next bookmark is
  the time this pass *started* by Intercom's clock (its `Date` header, less a minute),
  committed only once the search is drained; meanwhile each page commits the
  `starting_after` to resume from after a crash (if Intercom no longer accepts it, the window
  is searched again from its start: cheap, see below). Each changed conversation's parts
  come from `GET /conversations/{id}`, fetched concurrently inside the budget, *unless* its
  `statistics.count_conversation_parts` equals the count stored when its parts were last
  read (only attributes, tags or state changed). Intercom returns the 500 most recent
  parts: such conversations are marked truncated.
- admins, teams: unpaged lists, read whole every sync (admins → people, teams → groups).
- contacts: `POST /contacts/search` on `updated_at`, bookmarked like conversations.
Rate limits: `X-RateLimit-Limit/-Remaining/-Reset` (a unix time); the budget refills every
10 seconds, so every request is spaced evenly over the window rather than in bursts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from deskpulse.connectors.engine.http import Http, HttpSource, opener
from deskpulse.connectors.engine.paging import LoopGuard, require
from deskpulse.connectors.engine.validate import validated
from deskpulse.connectors.errors import PageInvalid, SkippableError
from deskpulse.connectors.intercom.mapping import (
    admin_records,
    contact_records,
    conversation_records,
    parts_count,
    team_records,
)
from deskpulse.connectors.intercom.oracle import ORACLE
from deskpulse.connectors.intercom.remap import remap
from deskpulse.connectors.source import Connector, Page, Probe, Stored
from deskpulse.store.models import NormalizedRecord, Rejected

PAGE_SIZE = 150  # the search maximum
OVERLAP = timedelta(minutes=1)
REGIONS = {"us": "https://api.intercom.io", "eu": "https://api.eu.intercom.io",
           "au": "https://api.au.intercom.io"}


class IntercomSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: SecretStr
    region: str = "us"
    base_url: str | None = None
    api_version: str = "2.11"
    concurrency: int = 4  # conversation requests in flight (all inside the budget)
    allow_insecure_base_url: bool = False

    def url(self) -> str:
        return (self.base_url or REGIONS.get(self.region, REGIONS["us"])).rstrip("/")


class IntercomSource(HttpSource):
    """An open Intercom workspace; `read` yields committed-size pages for one stream."""

    def __init__(self, name: str, settings: IntercomSettings, **engine: Any):
        self.name = name
        self.http = Http(
            source=name, vendor="intercom", base_url=settings.url(),
            headers={"Authorization": f"Bearer {settings.token.get_secret_value()}",
                     "Intercom-Version": settings.api_version},
            allow_insecure=settings.allow_insecure_base_url,
            concurrency=settings.concurrency, low_water=1.0, **engine,
        )

    def read(self, stream: str, cursor: dict[str, Any] | None, *, since: datetime,
             until: datetime | None = None, stored: Stored | None = None) -> Iterator[Page]:
        if stream in ("admins", "teams"):
            return self.whole(stream)
        if stream == "contacts":
            return self.searched("contacts", "/contacts/search", "data", cursor or {}, since,
                                 until, contact_records)
        return self.searched("conversations", "/conversations/search", "conversations",
                             cursor or {}, since, until, None, stored)

    def estimate(self, since: datetime) -> dict[str, int | None]:
        """Conversations updated since `since`: Intercom's total_count (one request); each
        needs a search share and, at most, one parts request."""
        body, _response = self._search("/conversations/search", int(since.timestamp()), None,
                                       None, 1)
        total = body.get("total_count") if isinstance(body, dict) else None
        if not isinstance(total, int):
            return {"tickets": None}
        return {"tickets": total, "requests": -(-total // PAGE_SIZE) + total + 3}

    def whole(self, stream: str) -> Iterator[Page]:
        build = admin_records if stream == "admins" else team_records
        before = self.requests
        body, _response = self.http.get_json(f"/{stream}")
        rows = require(body, stream, source=self.name, stream=stream, endpoint=f"/{stream}")
        records = [r for raw in rows for r in validated(build, raw)]
        yield Page(records, None, self.requests - before, done=True)

    def _search(self, path: str, after_time: int, until: int | None, starting_after: str | None,
                per_page: int = PAGE_SIZE) -> tuple[Any, httpx.Response]:
        conditions = [{"field": "updated_at", "operator": ">", "value": after_time}]
        if until is not None:
            conditions.append({"field": "updated_at", "operator": "<", "value": until})
        pagination: dict[str, Any] = {"per_page": per_page}
        if starting_after:
            pagination["starting_after"] = starting_after
        query = {"operator": "AND", "value": conditions} if len(conditions) > 1 \
            else conditions[0]
        return self.http.request_json("POST", path, json_body={
            "query": query, "pagination": pagination})

    def searched(self, stream: str, path: str, items: str, cursor: dict[str, Any],
                 since: datetime, until: datetime | None,
                 build: Callable[[dict[str, Any]], list[NormalizedRecord]] | None,
                 stored: Stored | None = None) -> Iterator[Page]:
        """One drained search pass from the bookmark; the bookmark moves only at its end."""
        bookmark = int(cursor.get("since", since.timestamp()))
        started: int | None = cursor.get("started")
        after = cursor.get("after")
        end = int(until.timestamp()) if until else None
        guard = LoopGuard(self.name, stream)
        while True:
            guard.visit(after)
            before = self.requests
            try:
                body, response = self._search(path, bookmark, end, after)
            except PageInvalid:
                if not after:
                    raise
                after = None  # the saved position expired: search the window again
                continue
            if started is None:  # the pass starts now, by Intercom's clock when it says
                started = int((_server_time(response) or self.http.clock()).timestamp()
                              - OVERLAP.total_seconds())
            rows = require(body, items, source=self.name, stream=stream, endpoint=path)
            if build is not None:
                records = [r for raw in rows for r in validated(build, raw)]
            else:
                records = self._conversations(rows, stored)
            following = _next_position(body, self.name, stream)
            done = not following or not rows
            state = {"since": started} if done else {"since": bookmark, "started": started,
                                                      "after": following}
            yield Page(records, state, self.requests - before, total=body.get("total_count"),
                       done=done)
            if done:
                return
            after = following

    def _conversations(self, rows: list[Any], stored: Stored | None) -> list[NormalizedRecord]:
        """Search results, with parts fetched for those whose part count moved."""
        ids = [str(r.get("id")) for r in rows if isinstance(r, dict)]
        known = stored(ids) if stored and ids else {}
        unchanged, changed = [], []
        for raw in rows:
            if not isinstance(raw, dict):
                unchanged.append(raw)
                continue
            count = parts_count(raw)
            same = count is not None and known.get(str(raw.get("id"))) == count
            (unchanged if same else changed).append(raw)
        records = [r for raw in unchanged for r in validated(
            lambda c: conversation_records(c, with_parts=False, seen=parts_count(c)), raw)]
        for found in self.http.map(self._conversation, changed):
            records += found
        return records

    def _conversation(self, listed: dict[str, Any]) -> list[NormalizedRecord]:
        path = f"/conversations/{listed.get('id')}"
        try:
            body, _response = self.http.get_json(path)
        except SkippableError as exc:  # deleted since it was listed
            return [Rejected(error=str(exc), payload={"id": listed.get("id")})]
        return validated(lambda c: conversation_records(c, with_parts=True), body)


def _next_position(body: dict[str, Any], source: str, stream: str) -> str | None:
    """`pages.next.starting_after` (search, API 2.x); no `next` (or null) is the last page.
    Anything else would silently end the pass early, so it is a clear error instead."""
    following = (body.get("pages") or {}).get("next")
    if following is None:
        return None
    if isinstance(following, dict) and isinstance(following.get("starting_after"),
                                                  str | None):
        return following.get("starting_after")
    msg = (f"source '{source}' stream {stream}: pages.next is {following!r}, not "
           "{'starting_after': …}; the search envelope is not what API 2.x documents")
    raise PageInvalid(msg)


def _server_time(response: httpx.Response) -> datetime | None:
    """The response's `Date`: the next bookmark must not depend on our clock agreeing with
    Intercom's (a client clock a minute fast would skip the updates of that minute)."""
    try:
        return parsedate_to_datetime(response.headers["date"])
    except (KeyError, TypeError, ValueError):
        return None


CONNECTOR = Connector(
    kind="intercom",
    settings=IntercomSettings,
    streams=("admins", "teams", "contacts", "conversations"),
    open=opener(IntercomSource),
    account=lambda settings: httpx.URL(settings.url()).host,
    oracle=ORACLE,
    probes=(
        Probe("admins", "/admins"),
        Probe("teams", "/teams"),
        Probe("contacts", "/contacts/search", method="POST", body={
            "query": {"field": "updated_at", "operator": ">", "value": 0},
            "pagination": {"per_page": 1}}),
        Probe("conversations", "/conversations/search", method="POST", body={
            "query": {"field": "updated_at", "operator": ">", "value": 0},
            "pagination": {"per_page": 1}}),
    ),
    remap=remap,
)
