"""What a ticket's KPI facts are: the record `compute` fills and the flags it sets.
Kept apart from the computation so the upkeep and SLA code read the shape without the walk."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from deskpulse.kpi.facts.cycles import Cycle

SOLVED = frozenset({"solved", "closed"})
REQUESTER_WAIT = frozenset({"new", "open", "on_hold"})
AGENT_WORK = frozenset({"new", "open"})
HIGH = frozenset({"high", "urgent"})  # Zendesk's "agent work time": the ball is with agents
AGENT_CREATED, CLOCK_SKEW, APPROX_STATUS, NO_CUSTOMER_MESSAGE, BOT_ONLY = 1, 2, 4, 8, 16
STATUS_FROM_TICKET = 32  # no status history: the status is the ticket's own (docs/kpis.md)


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime | None


@dataclass
class TicketFacts:
    status: str
    created_at: datetime
    clock_start: datetime | None = None  # where durations start (None: no clock, Intercom)
    first_reply_at: datetime | None = None
    frt: int | None = None
    first_solved_at: datetime | None = None
    last_solved_at: datetime | None = None
    resolutions: int = 0
    first_resolution: int | None = None
    full_resolution: int | None = None
    requester_wait: int = 0
    agent_wait: int = 0
    on_hold: int = 0
    agent_work: int = 0
    reopens: int = 0
    replies: int = 0
    public_agent_comments: int = 0
    customer_msgs: int = 0
    notes: int = 0
    assignee_stations: int = 0
    group_stations: int = 0
    csat_offered: bool = False
    csat_score: str | None = None
    csat_positive: bool | None = None
    rated_at: datetime | None = None
    flags: int = 0
    spans: list[Span] = field(default_factory=list)
    cycles: list[Cycle] = field(default_factory=list)
    reply_cycles: int = 0  # cycles ended by an agent reply
    reply_time_median: int | None = None
    reply_time_median_bus: int | None = None
    handle_time: int | None = None  # seconds agents logged (time entries); None: none logged
    first_assigned_at: datetime | None = None
    first_assignment: int | None = None  # clock start → first assignment to an agent
    first_assignment_bus: int | None = None
    bot_msgs: int = 0
    priority_raised: bool = False  # to high/urgent after creation (one escalation sign)
    # business seconds: None unless a schedule is known (never a copy of calendar time)
    frt_bus: int | None = None
    first_resolution_bus: int | None = None
    full_resolution_bus: int | None = None
    requester_wait_bus: int | None = None
    agent_wait_bus: int | None = None
    on_hold_bus: int | None = None
    agent_work_bus: int | None = None

    @property
    def reassignments(self) -> int:
        return max(self.assignee_stations - 1, 0)

    def touch(self, replies: int) -> bool:
        return self.status in SOLVED and (self.replies == replies if replies < 3
                                          else self.replies >= 3)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
