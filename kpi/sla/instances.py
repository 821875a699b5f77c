"""SLA instances: each time a target applies to a ticket, and whether it was met
(kpi-catalog.md §5.6). Pure: a function of the ticket's events, its facts and the targets,
never of "now". A report decides what a pending instance past its breach moment means.

Metrics and what fulfils them:
- `first_reply`: from the clock start (creation; Intercom: the first customer message) to
  the first reply as `kpi.facts.compute.compute` decides it under the source's vendor rules, or a
  solve.
  Tickets without a first response under those rules (Freshdesk outbound) get none.
- `next_reply`: one per later reply cycle (`kpi.facts.cycles`), fulfilled by the reply or a
solve.
- `requester_wait`: from the clock start, paused while pending (and while solved).
  Fulfilled at the final solve: a reopen re-activates the same instance, which keeps
  counting from where it paused (Zendesk's metric events: `activate` after `fulfill`), so
  an instance is pending while the ticket is reopened and decided at its next solve.
- `agent_work`: the same, paused while pending or on hold.
- `periodic_update`: from each public agent reply to the next one (or a solve).
- `pausable_update`: the same waits, the clock running only in new, open and on hold.

The target is the first configured one that matches the metric, source, channel and the
priority in force when it applies; for a source whose targets come from the vendor's SLA
policies, the first policy (by position) whose conditions the ticket matches decides, and
its target for the metric and priority, if any, applies (`kpi.sla.policy`). When the
priority changes to one with another target while an instance is pending, that instance
is `cancelled` (or stays `breached` when its target was already used up) and a new one
applies, still measured from the same start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from deskpulse.kpi.facts.model import AGENT_CREATED, TicketFacts
from deskpulse.kpi.facts.rules import Rules
from deskpulse.kpi.facts.timeline import EventRow, ordered
from deskpulse.kpi.hours.schedules import BusinessClock
from deskpulse.kpi.sla.clock import running, used_up_at
from deskpulse.kpi.sla.policy import Target, choose

# statuses in which a pausable clock runs (None: never paused)
COUNTS: dict[str, frozenset[str] | None] = {
    "first_reply": None, "next_reply": None, "periodic_update": None,
    "requester_wait": frozenset({"new", "open", "on_hold"}),
    "agent_work": frozenset({"new", "open"}),
    "pausable_update": frozenset({"new", "open", "on_hold"}),
}
# clocks a reopen re-activates: fulfilled by the final solve, not the first
REACTIVATED = ("requester_wait", "agent_work")
UPDATES = ("periodic_update", "pausable_update")
SOLVED = frozenset({"solved", "closed"})


@dataclass(frozen=True)
class Instance:
    metric: str
    seq: int
    applied_at: datetime
    start_at: datetime  # where the clock measures from (may precede applied_at)
    priority: str | None
    target_s: int
    business: bool
    breach_at: datetime | None  # None: the clock stopped or is paused short of the target
    fulfilled_at: datetime | None
    outcome: str  # achieved | breached | pending | cancelled


@dataclass(frozen=True)
class _Activation:
    metric: str
    start: datetime
    applies: datetime
    fulfilled: datetime | None


def instances(facts: TicketFacts, events: list[EventRow], *, source: str, channel: str,
              priority: str | None, targets: Sequence[Target], schedule: BusinessClock | None,
              rules: Rules, ticket: Mapping[str, object] | None = None) -> list[Instance]:
    """Every SLA instance of one ticket. Business targets apply only under a schedule (the
    report says when they were left out for want of one: never counted in calendar time).
    `ticket`: the fields policy conditions read (`kpi.sla.policy.FIELDS`); when the source
    has policy targets, `[[sla]]` entries do not apply to it."""
    usable = [t for t in targets if t.source in (None, source) and t.channel in (None, channel)
              and (schedule is not None or not t.business or t.policy is not None)]
    if any(t.policy is not None for t in usable):
        usable = [t for t in usable if t.policy is not None]
    if not usable or facts.clock_start is None:
        return []
    fields = {"channel": channel, **(ticket or {})}
    events = ordered(events)
    timeline, solves = _statuses(facts, events)
    history = _Priorities(events, priority)
    found: list[Instance] = []
    for activation in _activations(facts, events, timeline, solves, rules):
        found.extend(_measure(activation, usable, history, timeline, schedule,
                              sum(1 for i in found if i.metric == activation.metric), fields))
    return found


def _statuses(facts: TicketFacts, events: list[EventRow]
              ) -> tuple[list[tuple[datetime, str]], dict[str, datetime]]:
    """Status changes in order (creation first; the last is the status now), and the solves
    after the clock starts (event id → moment): an entry into solved, or into closed
    without a prior solve."""
    created = next((e for e in events if e.kind == "created"), None)
    status = (created.new_value if created else None) or "new"
    timeline, solves = [(facts.created_at, status)], {}
    start = facts.clock_start
    for event in events:
        if event.kind != "status" or not event.new_value or event.new_value == status:
            continue
        new = event.new_value
        if (new == "solved" or (new == "closed" and status != "solved")) and \
                start is not None and event.at >= start:
            solves[event.id] = event.at
        timeline.append((event.at, new))
        status = new
    return timeline, solves


def _agent_reply(event: EventRow) -> bool:
    """A public message or note by an agent: the reply primitive `kpi.facts.compute.compute`
    counts."""
    return event.kind in ("message", "note") and event.public and event.role == "agent"


def _activations(facts: TicketFacts, events: list[EventRow],
                 timeline: list[tuple[datetime, str]], solves: dict[str, datetime],
                 rules: Rules) -> list[_Activation]:
    start = facts.clock_start
    assert start is not None
    first_solve = min(solves.values(), default=None)
    found: list[_Activation] = []
    no_first = bool(facts.flags & AGENT_CREATED) and rules.agent_created == "no_first_response"
    first_done: datetime | None = None
    if not no_first:
        ends = [m for m in (facts.first_reply_at, first_solve) if m is not None]
        first_done = min(ends) if ends else None
        found.append(_Activation("first_reply", start, start, first_done))
    for cycle in facts.cycles:
        if not no_first and (first_done is None or cycle.start < first_done):
            continue  # the wait for the first reply
        found.append(_Activation("next_reply", cycle.start, cycle.start, cycle.end))
    # the solve that ended the last unsolved spell, when the ticket is solved now
    final_solve = max(solves.values(), default=None) if timeline[-1][1] in SOLVED else None
    for metric in REACTIVATED:
        found.append(_Activation(metric, start, start, final_solve))
    return found + _updates(events, solves, start)


def _updates(events: list[EventRow], solves: dict[str, datetime], start: datetime
             ) -> list[_Activation]:
    """Periodic and pausable update: each public agent reply starts a wait for the next one;
    a solve ends it, and a reply made together with the solve starts none. Both metrics
    measure the same waits; only their clocks differ (`COUNTS`)."""
    waits: list[tuple[datetime, datetime | None]] = []
    waiting: datetime | None = None
    for event in events:
        if event.at < start:
            continue
        if _agent_reply(event):
            if waiting is not None:
                waits.append((waiting, event.at))
            waiting = event.at
        elif event.id in solves and waiting is not None:
            if waiting != event.at:
                waits.append((waiting, event.at))
            waiting = None
    if waiting is not None:
        waits.append((waiting, None))
    return [_Activation(metric, begin, begin, end) for metric in UPDATES
            for begin, end in waits]


class _Priorities:
    """The priority in force at a moment: the last recorded change up to it; before the
    first change, none when the history records it being set (Zendesk records the priority
    given at creation), else the ticket's current one (vendors without priority history)."""

    def __init__(self, events: list[EventRow], current: str | None):
        self.changes = [(e.at, e.new_value or None) for e in events if e.kind == "priority"]
        self.current = current

    def at(self, moment: datetime) -> str | None:
        if not self.changes:
            return self.current
        before = [value for at, value in self.changes if at <= moment]
        return before[-1] if before else None

    def moments(self, after: datetime, before: datetime | None) -> list[datetime]:
        return sorted({at for at, _value in self.changes
                       if at > after and (before is None or at < before)})


def _measure(activation: _Activation, targets: list[Target], history: _Priorities,
             timeline: list[tuple[datetime, str]], schedule: BusinessClock | None,
             seq: int, ticket: Mapping[str, object]) -> list[Instance]:
    """The instances of one activation: one per stretch in which the priority in force had
    the same target; a stretch ended by a priority change was replaced at that moment."""
    def target_for(priority: str | None) -> Target | None:
        found = choose(targets, activation.metric, priority, ticket)
        return None if found is None or (found.business and schedule is None) else found

    stretches: list[tuple[Target, datetime, str | None, datetime | None]] = []
    applied, priority = activation.applies, history.at(activation.applies)
    current = target_for(priority)
    for moment in history.moments(activation.applies, activation.fulfilled):
        new_priority = history.at(moment)
        new = target_for(new_priority)
        if _same(new, current):
            continue
        if current is not None:
            stretches.append((current, applied, priority, moment))
        applied, priority, current = moment, new_priority, new
    if current is not None:
        stretches.append((current, applied, priority, None))
    return [_judge(activation, target, applied, priority, replaced, timeline, schedule,
                   seq + number)
            for number, (target, applied, priority, replaced) in enumerate(stretches)]


def _judge(activation: _Activation, target: Target, applied: datetime, priority: str | None,
           replaced: datetime | None, timeline: list[tuple[datetime, str]],
           schedule: BusinessClock | None, seq: int) -> Instance:
    """Breach moment and outcome of one instance. One replaced at `replaced` is cancelled,
    unless its target was used up by then: it stays breached."""
    horizon = replaced if replaced is not None else activation.fulfilled
    intervals = running(timeline, activation.start, horizon, COUNTS[activation.metric])
    breach = used_up_at(intervals, target.seconds, schedule if target.business else None)
    fulfilled = activation.fulfilled
    if replaced is not None:
        outcome = "breached" if breach is not None and breach <= replaced else "cancelled"
        fulfilled = fulfilled if outcome == "breached" else None
    elif fulfilled is None:
        outcome = "pending"
    else:
        outcome = "achieved" if breach is None or fulfilled <= breach else "breached"
    return Instance(activation.metric, seq, applied, activation.start, priority,
                    target.seconds, target.business, breach, fulfilled, outcome)


def _same(a: Target | None, b: Target | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.seconds, a.business) == (b.seconds, b.business)


def rows(source: str, ticket_id: str, channel: str, group: str | None,
         found: Sequence[Instance], day: Callable[[datetime | None], str | None]
         ) -> list[tuple[object, ...]]:
    """`sla_instances` rows of one ticket, in the table's column order; `day` gives the day
    columns (days in the report's zone, as every other fact)."""
    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    table = []
    for i in found:
        outcome_at = {"achieved": i.fulfilled_at, "breached": i.breach_at,
                      "pending": i.breach_at}.get(i.outcome)
        table.append((source, ticket_id, i.metric, i.seq, iso(i.applied_at), day(i.applied_at),
                      iso(i.start_at), i.priority, channel, group, i.target_s, int(i.business),
                      iso(i.breach_at), day(i.breach_at), iso(i.fulfilled_at),
                      day(i.fulfilled_at), i.outcome, day(outcome_at)))
    return table
