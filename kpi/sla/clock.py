"""When an SLA target is used up: the running time of a clock that pauses in some statuses,
in calendar or business seconds. Pure: no I/O, no "now".

A clock runs from its start in the statuses it counts (all of them for reply targets); the
target is used up at the earliest moment the running time reaches it. History is known up
to a horizon (the fulfilment or the cancellation of the instance; none while pending); from
there on the status at the horizon is taken to continue, so a clock paused at the horizon
has no breach moment (None) unless the target was already used up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from deskpulse.kpi.hours.schedules import BusinessClock

Interval = tuple[datetime, datetime | None]  # [start, end); end None: runs on


def running(timeline: Sequence[tuple[datetime, str]], start: datetime,
            horizon: datetime | None, counts: frozenset[str] | None) -> list[Interval]:
    """The intervals after `start` in which the clock runs. `timeline` is the ticket's
    status changes in order, (moment, status entered); `counts` the statuses in which the
    clock runs (None: every status, the clock never pauses)."""
    if counts is None:
        return [(start, None)]
    known = [(at, status) for at, status in timeline if horizon is None or at <= horizon]
    found: list[Interval] = []
    for index, (at, status) in enumerate(known):
        until = known[index + 1][0] if index + 1 < len(known) else None
        begin = max(at, start)
        if status not in counts or (until is not None and until <= begin):
            continue
        if found and found[-1][1] == begin:  # two running statuses back to back
            begin = found.pop()[0]
        found.append((begin, until))
    return found


def used_up_at(intervals: Sequence[Interval], target: int,
               schedule: BusinessClock | None) -> datetime | None:
    """The earliest moment the running time reaches `target` seconds (business seconds
    under `schedule`, calendar seconds without one); None if the clock stops first."""
    left = target
    for begin, end in intervals:
        available = None if end is None else (
            schedule.seconds(begin, end) if schedule else int((end - begin).total_seconds()))
        if available is None or available >= left:
            if schedule is None:
                return begin + timedelta(seconds=left)
            try:
                return schedule.deadline(begin, left)
            except ValueError:  # a schedule without hours: the target is never used up
                return None
        left -= available
    return None
