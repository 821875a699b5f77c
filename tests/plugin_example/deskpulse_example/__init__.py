"""deskpulse-example: the smallest whole deskpulse connector, shipped from outside deskpulse.

Registered in pyproject.toml under the `deskpulse.connectors` entry point group as
`example = "deskpulse_example:CONNECTOR"`; `kind = "example"` in deskpulse.toml then syncs
it like a built-in vendor. What each piece is for: docs/connectors.md in deskpulse.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from deskpulse.connectors import Connector, OracleMetric, Page, PageInvalid
from deskpulse.connectors.engine.http import Http, HttpSource, opener
from deskpulse.connectors.engine.paging import LoopGuard, require
from deskpulse.connectors.engine.validate import REPORT_UNMAPPED, validated
from deskpulse.store.models import Event, NormalizedRecord, Person, Ticket, Unmapped, VendorMetrics
from deskpulse_example import desk

STATES = {"new": "new", "waiting": "pending", "done": "solved"}  # the vendor's → deskpulse's


class ExampleSettings(BaseModel):
    """What `[sources.NAME]` may hold besides kind, interval, start_date and store_bodies.
    `extra="forbid"` lets deskpulse name a misspelt setting when the config is read; a
    SecretStr field must be written as an `${ENV_VAR}` reference."""

    model_config = ConfigDict(extra="forbid")
    token: SecretStr
    base_url: str = "https://desk.example.invalid"
    allow_insecure_base_url: bool = False


class ExampleSource(HttpSource):
    """One open account. Every request goes through deskpulse's engine (`Http`): retries,
    pacing by rate-limit headers and classified, secret-free errors come with it."""

    def __init__(self, name: str, settings: ExampleSettings,
                 transport: httpx.BaseTransport | None = None, **engine: Any):
        self.name = name
        self.http = Http(
            source=name, vendor="example", base_url=settings.base_url,
            headers={"Authorization": f"Bearer {settings.token.get_secret_value()}"},
            transport=transport or desk.transport(),  # the in-process desk (see desk.py)
            allow_insecure=settings.allow_insecure_base_url, **engine,
        )

    def read(self, stream: str, cursor: dict[str, Any] | None, *, since: datetime,
             until: datetime | None = None) -> Iterator[Page]:
        if stream == "people":
            return self._people()
        return self._tickets(cursor or {}, since)

    def estimate(self, since: datetime) -> dict[str, int | None]:
        body, _ = self.http.get_json("/api/tickets", {"updated_since": int(since.timestamp())})
        total = body.get("total") if isinstance(body, dict) else None
        return {"tickets": total if isinstance(total, int) else None}

    def _people(self) -> Iterator[Page]:
        before = self.requests
        body, _ = self.http.get_json("/api/people")
        agents = require(body, "agents", source=self.name, stream="people",
                         endpoint="/api/people")
        customers = require(body, "customers", source=self.name, stream="people",
                            endpoint="/api/people")
        records = [r for raw in agents for r in validated(_agent, raw)]
        records += [r for raw in customers for r in validated(_customer, raw)]
        yield Page(records, None, self.requests - before, done=True)

    def _tickets(self, cursor: dict[str, Any], since: datetime) -> Iterator[Page]:
        """Paged by number inside one pass; the pass's newest `updated` becomes the next
        pass's `updated_since` only on its last page, so a crash re-reads, never skips."""
        start = int(cursor.get("updated_since", since.timestamp()))
        page, newest = int(cursor.get("page", 1)), int(cursor.get("newest", start))
        guard = LoopGuard(self.name, "tickets")
        while True:
            guard.visit(page)
            before = self.requests
            body, _ = self.http.get_json("/api/tickets",
                                         {"updated_since": start, "page": page})
            rows = require(body, "tickets", source=self.name, stream="tickets",
                           endpoint="/api/tickets")
            if not isinstance(rows, list):
                msg = f"source '{self.name}' stream tickets: 'tickets' is not a list"
                raise PageInvalid(msg)
            records = [r for raw in rows for r in validated(_ticket, raw)]
            newest = max([newest, *(int(r.updated_at.timestamp()) for r in records
                                    if isinstance(r, Ticket))])
            following = body.get("next_page")
            if following is None:
                yield Page(records, {"updated_since": newest}, self.requests - before,
                           total=body.get("total"), done=True)
                return
            page = int(following)
            yield Page(records, {"updated_since": start, "page": page, "newest": newest},
                       self.requests - before, total=body.get("total"))


def _agent(raw: dict[str, Any]) -> list[NormalizedRecord]:
    return [Person(id=raw["id"], role="agent", name=raw.get("name"), email=raw.get("email"))]


def _customer(raw: dict[str, Any]) -> list[NormalizedRecord]:
    return [Person(id=raw["id"], role="customer", name=raw.get("name"))]


def _ticket(raw: dict[str, Any]) -> list[NormalizedRecord]:
    """One vendor ticket → the ticket, its events, the vendor's own figure, and an
    `Unmapped` note for a state deskpulse has no word for (never a silent default)."""
    tid, state = raw["id"], raw["state"]
    records: list[NormalizedRecord] = []
    status = STATES.get(state)
    if status is None:
        status = "open"
        records.append(Unmapped(kind="status", value=str(state), record_type="ticket",
                                record_id=tid, field="ticket.state",
                                effect="counted as open", fix=REPORT_UNMAPPED))
    agent = raw.get("agent")
    ticket = Ticket(id=tid, subject=raw.get("subject"), status=status, vendor_status=state,
                    channel="email", requester_id=raw["customer"], assignee_id=agent,
                    created_at=raw["created"], updated_at=raw["updated"],
                    solved_at=raw["updated"] if status == "solved" else None, raw=raw)
    records.append(ticket)
    records.append(Event(id=f"{tid}-created", ticket_id=tid, at=ticket.created_at,
                         kind="created", actor_id=raw["customer"], actor_role="customer"))
    for message in raw.get("messages", []):
        by_agent = message["from"] == agent
        records.append(Event(id=message["id"], ticket_id=tid, at=message["at"],
                             kind="message", public=True, actor_id=message["from"],
                             actor_role="agent" if by_agent else "customer",
                             channel="email", body=message.get("text")))
    for change in raw.get("changes", []):
        records.append(Event(id=change["id"], ticket_id=tid, at=change["at"], kind="status",
                             new_value=STATES.get(change["state"], "open"),
                             actor_id=agent, actor_role="agent"))
    records.append(VendorMetrics(ticket_id=tid,
                                 metrics={"first_reply_seconds": raw["first_reply_seconds"]}))
    return records


def _seconds(name: str) -> Any:
    return lambda metrics: metrics.get(name)


CONNECTOR = Connector(
    kind="example",
    settings=ExampleSettings,
    streams=("people", "tickets"),  # people first: tickets refer to them
    open=opener(ExampleSource),
    oracle=(OracleMetric("first_reply_seconds", "frt_cal", _seconds("first_reply_seconds")),),
)
