"""The simulated desk's SLA policies, vendor-neutral, and the vendor's own due moments.

Three policies, first match by position: tickets tagged `vip`, incidents, everyone else.
Zendesk can say all three (its filter has tags); Freshdesk's `applicable_to` has no tags, so
its desk has the incident policy and the default one. Every target is calendar time (the
simulator does not walk business hours). Freshdesk's due moments follow its documented
rules as this module reads them: `fr_due_by` = creation + the first-response target for the
ticket's current priority; `due_by` = creation + the resolution target, pushed back by
every stretch spent pending, on hold, resolved or closed (the statuses that stop Freshdesk's
SLA timer, so a reopened ticket's clock resumes where it stopped; an ongoing one up to now)
that starts before the due moment (an overdue ticket stays overdue). Written for the
simulator: it shares no code with deskpulse's KPIs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from deskpulse.simulator.model import Desk, SimTicket

PAUSED = frozenset({"pending", "hold", "solved", "closed"})  # Freshdesk's timer is off
MINUTE = 60


@dataclass(frozen=True)
class SimPolicy:
    id: int
    title: str
    position: int
    tag: str | None = None
    type: str | None = None
    # minutes per priority
    first_reply: dict[str, int] = field(default_factory=dict)
    resolution: dict[str, int] = field(default_factory=dict)

    def matches(self, ticket: SimTicket) -> bool:
        return (self.tag is None or self.tag in ticket.tags) and \
            (self.type is None or ticket.type == self.type)


POLICIES = (
    SimPolicy(1, "VIP customers", 1, tag="vip",
              first_reply={"urgent": 30, "high": 60, "normal": 120, "low": 240},
              resolution={"urgent": 480, "high": 1440, "normal": 2880, "low": 4320}),
    SimPolicy(2, "Incidents", 2, type="incident",
              first_reply={"urgent": 60, "high": 120, "normal": 240, "low": 480},
              resolution={"urgent": 720, "high": 1440, "normal": 2880, "low": 5760}),
    SimPolicy(3, "Everyone else", 3,
              first_reply={"urgent": 120, "high": 240, "normal": 480, "low": 1440},
              resolution={"urgent": 1440, "high": 2880, "normal": 4320, "low": 10080}),
)


def policies(vendor: str) -> tuple[SimPolicy, ...]:
    """The policies a vendor can express (Freshdesk: no tag conditions)."""
    return tuple(p for p in POLICIES if vendor == "zendesk" or p.tag is None)


def applying(vendor: str, ticket: SimTicket) -> SimPolicy:
    return next(p for p in policies(vendor) if p.matches(ticket))


def due_moments(desk: Desk, ticket: SimTicket) -> dict[str, datetime]:
    """Freshdesk's `fr_due_by` and `due_by` for the ticket as it stands at `desk.now`."""
    state = ticket.state(desk.now)
    policy = applying("freshdesk", ticket)
    created, priority = ticket.created_at, state["priority"]
    due = created + timedelta(minutes=policy.resolution[priority])
    for start, end in _pauses(desk, ticket):
        if start < due:  # a pause before the due moment pushes it back; once overdue, stays
            due += end - start
    return {"fr_due_by": created + timedelta(minutes=policy.first_reply[priority]),
            "due_by": due}


def _pauses(desk: Desk, ticket: SimTicket) -> list[tuple[datetime, datetime]]:
    """The stretches with the timer off (pending, on hold, resolved, closed), an ongoing one
    up to now."""
    found: list[tuple[datetime, datetime]] = []
    status = ticket.actions[0].value["status"]
    since = ticket.created_at if status in PAUSED else None
    for action in ticket.visible(desk.now)[1:]:
        if action.kind != "status" or action.value == status:
            continue
        if since is not None and action.value not in PAUSED:
            found.append((since, action.at))
            since = None
        elif since is None and action.value in PAUSED:
            since = action.at
        status = action.value
    if since is not None:
        found.append((since, desk.now))
    return found
