"""Reply cycles: each wait of a customer for an agent's answer (kpi-catalog.md §4).

A cycle opens at the first customer message while none is open (the ticket's creation opens
the first one, unless an agent opened the ticket) and closes at the next agent reply
(`reply`), or at a solve with no reply (`solve`); otherwise it is still `open`. Where a
cycle's clock starts is the vendor's choice (`Rules.reply_from`): Zendesk's next-reply time
measures from the first unanswered message, Intercom's `median_time_to_reply` from the last.
A satisfaction survey's feedback message never opens a cycle. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from deskpulse.kpi.facts.rules import Rules
from deskpulse.kpi.facts.timeline import EventRow
from deskpulse.store.models import SURVEY_FEEDBACK_CHANNEL

SOLVED = frozenset({"solved", "closed"})


@dataclass(frozen=True)
class Cycle:
    start: datetime
    end: datetime | None
    end_kind: str  # reply | solve | open


def reply_cycles(events: list[EventRow], clock_start: datetime | None, agent_created: bool,
                 rules: Rules) -> list[Cycle]:
    """Cycles of ordered `events` (kpi.facts.EventRow) after the clock starts."""
    if clock_start is None:
        return []
    first = last = None if agent_created else clock_start
    cycles: list[Cycle] = []

    def close(at: datetime, kind: str) -> None:
        nonlocal first, last
        start = first if rules.reply_from == "first_unanswered" else last
        assert start is not None
        cycles.append(Cycle(start, at, kind))
        first = last = None

    for event in events:
        if event.at < clock_start:
            continue
        if _customer_message(event):
            first = first or event.at
            last = event.at
        elif event.kind in ("message", "note") and event.public and event.role == "agent":
            if first is not None:
                close(event.at, "reply")
        elif event.kind == "status" and event.new_value in SOLVED and first is not None:
            close(event.at, "solve")
    if first is not None and last is not None:
        start = first if rules.reply_from == "first_unanswered" else last
        cycles.append(Cycle(start, None, "open"))
    return cycles


def _customer_message(event: EventRow) -> bool:
    return (event.kind == "message" and event.public and event.role == "customer"
            and event.channel != SURVEY_FEEDBACK_CHANNEL)


def median_seconds(values: list[int]) -> int | None:
    """The median, truncated to whole seconds as Intercom reports it."""
    return int(median(values)) if values else None
