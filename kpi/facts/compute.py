"""A ticket's events → its KPI facts. Pure: no I/O, no clock, no vendor JSON.

Rules are kpi-catalog.md §2 and §4; where vendors differ, `kpi.facts.rules` says whose
reading a
source follows. The default (Zendesk): the clock starts at creation; an agent reply (AR)
is a public message or note by an agent; for a ticket an agent created, the opening public
comment is not a reply; a solve is an entry into `solved`, or into `closed` without a prior
`solved`; a reopen leaves {solved, closed}; wait times add up status intervals that have
ended (the running one is not counted, so facts never depend on "now"). Durations are
integer seconds; `_bus` is business time under the configured schedule and stays None
without one, never silently equal to calendar time.
"""

from __future__ import annotations

from datetime import datetime

from deskpulse.kpi.facts.cycles import median_seconds, reply_cycles
from deskpulse.kpi.facts.model import (
    AGENT_CREATED,
    AGENT_WORK,
    APPROX_STATUS,
    BOT_ONLY,
    CLOCK_SKEW,
    HIGH,
    NO_CUSTOMER_MESSAGE,
    REQUESTER_WAIT,
    SOLVED,
    STATUS_FROM_TICKET,
    Span,
    TicketFacts,
)
from deskpulse.kpi.facts.rules import ZENDESK, Rules
from deskpulse.kpi.facts.timeline import EventRow, RatingRow, ordered
from deskpulse.kpi.hours.schedules import BusinessClock

__all__ = ["AGENT_CREATED", "BOT_ONLY", "CLOCK_SKEW", "EventRow", "RatingRow", "TicketFacts",
           "compute"]


def _seconds(start: datetime, end: datetime) -> tuple[int, bool]:
    """Whole seconds from start to end, clamped at 0; True when the clock ran backwards."""
    delta = int((end - start).total_seconds())
    return max(delta, 0), delta < 0


def compute(created_at: datetime, events: list[EventRow], ratings: list[RatingRow],
            schedule: BusinessClock | None = None, rules: Rules = ZENDESK,
            ticket_status: str | None = None) -> TicketFacts:
    """Facts of one ticket from its events (any order), ratings and business schedule.
    `ticket_status` (the ticket row's own) is the status when no event changes it: a ticket
    created closed, imported, or older than the event window is not "new" forever."""
    events = ordered(events)
    created = next((e for e in events if e.kind == "created"), None)
    facts = TicketFacts(status=_first_status(created, events, ticket_status),
                        created_at=created_at, clock_start=_clock_start(created_at, events,
                                                                        rules))
    if ticket_status and facts.status == ticket_status != (created and created.new_value):
        facts.flags |= STATUS_FROM_TICKET
    if rules.approx_status:
        facts.flags |= APPROX_STATUS
    if facts.clock_start is None:
        facts.flags |= NO_CUSTOMER_MESSAGE
    _replies(facts, events, created, rules)
    # Intercom counts closes only once the customer has written (vendor-apis.md §4.4): with
    # no customer message there is no clock, and no close is a first resolution
    counted = rules.clock == "created" or facts.clock_start is not None
    waits = _statuses(facts, events, None if rules.clock == "created" else facts.clock_start,
                      counted)
    _assignments(facts, events)
    _bots(facts, events)
    _csat(facts, ratings)
    _cycles(facts, events, created, rules, schedule)
    if schedule is not None:
        _business(facts, waits, schedule)
    return facts


def _cycles(facts: TicketFacts, events: list[EventRow], created: EventRow | None,
            rules: Rules, schedule: BusinessClock | None) -> None:
    agent_created = created is not None and created.role == "agent"
    facts.cycles = reply_cycles(events, facts.clock_start, agent_created, rules)
    answered = [c for c in facts.cycles if c.end_kind == "reply" and c.end is not None]
    facts.reply_cycles = len(answered)
    facts.reply_time_median = median_seconds(
        [_duration(facts, c.start, c.end) for c in answered if c.end is not None])
    if schedule is not None:
        facts.reply_time_median_bus = median_seconds(
            [schedule.seconds(c.start, c.end) for c in answered if c.end is not None])


def _first_status(created: EventRow | None, events: list[EventRow],
                  ticket_status: str | None) -> str:
    """The status the walk starts from: the creation's, unless no event ever sets one, in
    which case the ticket's own status is all there is to know."""
    changes = any(e.kind == "status" and e.new_value for e in events)
    if not changes and ticket_status:
        return ticket_status
    return (created.new_value if created else None) or "new"


def _clock_start(created_at: datetime, events: list[EventRow], rules: Rules) -> datetime | None:
    if rules.clock == "created":
        return created_at
    return next((e.at for e in events if e.kind == "message" and e.public
                 and e.role == "customer"), None)


def _business(facts: TicketFacts, waits: list[tuple[str, datetime, datetime]],
              schedule: BusinessClock) -> None:
    """Single-event spans by the schedule in force at their end; each wait interval by
    its own (kpi.hours.schedules)."""
    start = facts.clock_start

    def span(end: datetime | None) -> int | None:
        return None if end is None or start is None else schedule.seconds(start, max(start, end))

    facts.frt_bus = span(facts.first_reply_at)
    facts.first_assignment_bus = span(facts.first_assigned_at)
    facts.first_resolution_bus = span(facts.first_solved_at)
    facts.full_resolution_bus = span(facts.last_solved_at) if facts.full_resolution is not None \
        else None
    sums = {"requester": 0, "agent": 0, "hold": 0, "work": 0}
    for status, a, b in waits:
        seconds = schedule.seconds(a, b)
        sums["requester"] += seconds if status in REQUESTER_WAIT else 0
        sums["agent"] += seconds if status == "pending" else 0
        sums["hold"] += seconds if status == "on_hold" else 0
        sums["work"] += seconds if status in AGENT_WORK else 0
    facts.requester_wait_bus, facts.agent_wait_bus, facts.on_hold_bus, facts.agent_work_bus = (
        sums["requester"], sums["agent"], sums["hold"], sums["work"])


def _replies(facts: TicketFacts, events: list[EventRow], created: EventRow | None,
             rules: Rules) -> None:
    agent_created = created is not None and created.role == "agent"
    no_first_response = agent_created and rules.agent_created == "no_first_response"
    if agent_created:
        facts.flags |= AGENT_CREATED
    opening = next((e for e in events if e.kind in ("message", "note") and e.public), None)
    for event in events:
        if event.kind not in ("message", "note"):
            continue
        if not event.public:
            facts.notes += 1
        elif event.role == "customer" and event.kind == "message":
            facts.customer_msgs += 1
        elif event.role == "agent":
            facts.public_agent_comments += 1
            skip = (agent_created and event is opening and created is not None
                    and event.actor_id == created.actor_id)
            if skip:
                continue
            facts.replies += 1
            start = facts.clock_start  # a created-at clock counts even skewed replies (flagged)
            after_start = start is not None and (rules.clock == "created" or event.at >= start)
            if facts.first_reply_at is None and not no_first_response and after_start:
                facts.first_reply_at = event.at
                facts.frt = _duration(facts, start, event.at)


def _duration(facts: TicketFacts, start: datetime, end: datetime) -> int:
    seconds, skewed = _seconds(start, end)
    if skewed:
        facts.flags |= CLOCK_SKEW
    return seconds


def _statuses(facts: TicketFacts, events: list[EventRow], not_before: datetime | None = None,
              counted: bool = True) -> list[tuple[str, datetime, datetime]]:
    """Walk the status changes; return the ended intervals as (status, start, end).
    A solve before `not_before`, or any solve when not `counted` (no clock), is counted in
    `resolutions` but is not the first resolution: `first_solved_at` set means
    `first_resolution` is known, which the day rollups rely on."""
    status, since = facts.status, facts.created_at
    intervals: list[tuple[str, datetime, datetime]] = []
    span_start: datetime | None = None if status in SOLVED else since
    for event in events:
        if event.kind != "status" or not event.new_value or event.new_value == status:
            continue
        new = event.new_value
        ended = _duration(facts, since, event.at)
        intervals.append((status, since, max(since, event.at)))
        if status in REQUESTER_WAIT:
            facts.requester_wait += ended
        if status == "pending":
            facts.agent_wait += ended
        if status == "on_hold":
            facts.on_hold += ended
        if status in AGENT_WORK:
            facts.agent_work += ended
        if status in SOLVED and new not in SOLVED:
            facts.reopens += 1
            span_start = event.at
        if new == "solved" or (new == "closed" and status != "solved"):
            facts.resolutions += 1
            if counted and (not_before is None or event.at >= not_before):
                facts.first_solved_at = facts.first_solved_at or event.at
            facts.last_solved_at = event.at
            if span_start is not None:
                facts.spans.append(Span(span_start, event.at))
                span_start = None
        status, since = new, event.at
    if span_start is not None:
        facts.spans.append(Span(span_start, None))
    facts.status = status
    start = facts.clock_start
    if start is not None and facts.first_solved_at is not None:
        facts.first_resolution = _duration(facts, start, facts.first_solved_at)
    if start is not None and status in SOLVED and facts.last_solved_at is not None:
        facts.full_resolution = _duration(facts, start, facts.last_solved_at)
    return intervals


def _assignments(facts: TicketFacts, events: list[EventRow]) -> None:
    facts.assignee_stations = sum(1 for e in events if e.kind == "assignee" and e.new_value)
    facts.group_stations = sum(1 for e in events if e.kind == "group" and e.new_value)
    facts.priority_raised = any(
        e.kind == "priority" and e.at > facts.created_at and e.new_value in HIGH
        and (e.old_value or "") not in HIGH for e in events)
    start = facts.clock_start
    first = next((e.at for e in events if e.kind == "assignee" and e.new_value
                  and start is not None and e.at >= start), None)
    if first is not None and start is not None:
        facts.first_assigned_at = first
        facts.first_assignment = _duration(facts, start, first)


def _bots(facts: TicketFacts, events: list[EventRow]) -> None:
    """Bot messages; a ticket solved with bot answers and no agent reply is bot-only."""
    facts.bot_msgs = sum(1 for e in events if e.kind == "message" and e.role == "bot")
    if facts.bot_msgs and facts.replies == 0 and facts.status in SOLVED:
        facts.flags |= BOT_ONLY


def _csat(facts: TicketFacts, ratings: list[RatingRow]) -> None:
    csat = sorted((r for r in ratings if r.kind == "csat"), key=lambda r: (r.at, r.id))
    facts.csat_offered = bool(csat)
    answered = [r for r in csat if r.positive is not None]
    if answered:
        latest = answered[-1]
        facts.csat_score, facts.csat_positive, facts.rated_at = (
            latest.score, latest.positive, latest.at)
