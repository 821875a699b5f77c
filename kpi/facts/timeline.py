"""A ticket's history as the KPI side reads it: its events and ratings, already resolved to
roles (agent, customer, bot, system) by the store, never vendor JSON, and the one order every
KPI walks them in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

_RANK = {"created": 0, "message": 2, "note": 2, "status": 4, "deleted": 5}


@dataclass(frozen=True)
class EventRow:
    id: str
    at: datetime
    kind: str
    role: str | None  # resolved: agent | customer | bot | system | None (unknown)
    actor_id: str | None = None
    public: bool = False
    new_value: str | None = None
    channel: str | None = None
    old_value: str | None = None


@dataclass(frozen=True)
class RatingRow:
    id: str
    at: datetime
    score: str
    positive: bool | None
    kind: str = "csat"


def ordered(events: list[EventRow]) -> list[EventRow]:
    """Deterministic order: time, then created < customer message < agent message < changes
    < status (a reply and a solve in one update: the reply first), then id."""
    def rank(event: EventRow) -> int:
        if event.kind == "message" and event.role == "customer":
            return 1
        return _RANK.get(event.kind, 3)
    return sorted(events, key=lambda e: (e.at, rank(e), e.id))
