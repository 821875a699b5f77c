"""The simulated desk, vendor-neutral: people, groups, tickets and each ticket's timeline.

A ticket's whole life is generated up front, some of it in the future; `Desk.now` decides what
the API can see. Moving `now` forward (`Desk.advance`) is how the desk "changes" between syncs.
Nothing here imports deskpulse's store, connectors or kpi: the simulator checks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

SYSTEM = -1  # the actor of automations (Zendesk's system user id)


@dataclass
class Person:
    id: int
    role: str  # "end-user" | "agent" | "admin"
    name: str
    email: str
    created_at: datetime
    organization_id: int | None = None
    time_zone: str = "America/New_York"


@dataclass
class Action:
    """One change to a ticket. `kind`: create | comment | status | assignee | group | priority."""

    id: int
    at: datetime
    kind: str
    actor: int
    value: Any = None  # new value (create: dict of initial fields; comment: body)
    public: bool = True  # comments only


@dataclass
class Rating:
    id: int
    score: str  # good | bad | offered
    comment: str | None
    created_at: datetime
    updated_at: datetime
    # the customer rating again later (a good turned bad): (at, score, comment), in order
    later: list[tuple[datetime, str, str | None]] = field(default_factory=list)

    def as_of(self, now: datetime) -> Rating:
        """The rating as the vendor shows it at `now`: its latest answer by then."""
        current = self
        for at, score, comment in self.later:
            if at <= now:
                current = replace(current, score=score, comment=comment, updated_at=at)
        return current

    def answers(self, now: datetime) -> list[tuple[datetime, str, str | None]]:
        """Every answer given by `now` (offered, unanswered: none), oldest first."""
        first = [(self.created_at, self.score, self.comment)] if self.score != "offered" else []
        return [answer for answer in first + self.later if answer[0] <= now]


@dataclass
class SimTicket:
    id: int
    subject: str
    channel: str  # web | email | api | voice | chat | twitter | native_messaging
    type: str
    requester: int
    submitter: int
    organization_id: int | None
    tags: list[str]
    actions: list[Action] = field(default_factory=list)
    rating: Rating | None = None
    deleted_at: datetime | None = None

    @property
    def created_at(self) -> datetime:
        return self.actions[0].at

    def visible(self, now: datetime) -> list[Action]:
        return [action for action in self.actions if action.at <= now]

    def state(self, now: datetime) -> dict[str, Any]:
        """Current fields after replaying the visible actions."""
        actions = self.visible(now)
        fields = dict(actions[0].value)
        for action in actions[1:]:
            if action.kind in ("status", "assignee", "group", "priority"):
                fields[action.kind] = action.value
        return fields

    def rating_at(self, now: datetime) -> Rating | None:
        """The rating as visible at `now` (re-rated since: its latest answer), if any."""
        if self.rating is None or self.rating.created_at > now:
            return None
        return self.rating.as_of(now)

    def is_deleted(self, now: datetime) -> bool:
        return self.deleted_at is not None and self.deleted_at <= now

    def updated_at(self, now: datetime) -> datetime:
        moments = [self.visible(now)[-1].at]
        if (rating := self.rating_at(now)) is not None:
            moments.append(min(rating.updated_at, now))
        if self.is_deleted(now):
            moments.append(self.deleted_at)  # type: ignore[arg-type]
        return max(moments)


@dataclass
class Desk:
    people: dict[int, Person]
    groups: dict[int, str]
    tickets: dict[int, SimTicket]
    now: datetime
    next_id: int
    seed: int

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def visible_tickets(self) -> list[SimTicket]:
        return [t for t in self.tickets.values() if t.created_at <= self.now]

    def agents(self) -> list[Person]:
        return [p for p in self.people.values() if p.role in ("agent", "admin")]

    def customers(self) -> list[Person]:
        return [p for p in self.people.values() if p.role == "end-user"]

    def advance(self, to: datetime, seed: int) -> set[int]:
        """Move the clock to `to`, adding tickets created meanwhile; return changed ids."""
        from deskpulse.simulator.generator import add_tickets

        before = {t.id: _fingerprint(t, self.now) for t in self.visible_tickets()}
        start, self.now = self.now, to
        add_tickets(self, seed=seed, start=start, end=to,
                    count=max(1, len(before) // 90))
        changed = {t.id for t in self.visible_tickets()
                   if _fingerprint(t, self.now) != before.get(t.id)}
        return changed


def _fingerprint(ticket: SimTicket, now: datetime) -> tuple[Any, ...]:
    rating = ticket.rating_at(now)
    return (len(ticket.visible(now)), rating and (rating.score, rating.updated_at),
            ticket.is_deleted(now))
