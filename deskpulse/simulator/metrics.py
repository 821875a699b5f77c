"""Zendesk's own ticket metrics, computed by replaying a simulated ticket's timeline.

Written from Zendesk's published definitions (vendor-apis.md §4.1), on purpose without any
code from deskpulse's kpi/: the two must agree, and if they do not, one of them is wrong.
Durations are whole minutes, rounded to the nearest minute, as {"calendar", "business"};
business minutes count Mon–Fri 09:00–17:00 in America/New_York (the simulated account's
schedule, served at /api/v2/business_hours/schedules) except on the account's holidays
(Christmas Eve to Boxing Day and New Year's Day, served at .../schedules/1/holidays). Sums of
waits count only intervals that have ended; the interval still running is left out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from deskpulse.simulator.model import SimTicket

SCHEDULE_TZ = ZoneInfo("America/New_York")
SCHEDULE_HOURS = (time(9), time(17))
SOLVED = ("solved", "closed")
UNSOLVED_WAIT = ("new", "open", "hold")
# The simulated Zendesk account's holidays: (name, first day, last day) per year.
HOLIDAY_YEARS = range(2015, 2036)
HOLIDAYS = [(name, date(year, *first), date(year, *last)) for year in HOLIDAY_YEARS
            for name, first, last in (("New Year", (1, 1), (1, 1)),
                                      ("Christmas", (12, 24), (12, 26)))]
DAYS_OFF = frozenset(date.fromordinal(n) for _name, first, last in HOLIDAYS
                     for n in range(first.toordinal(), last.toordinal() + 1))


def business_seconds(start: datetime, end: datetime, days_off: frozenset[date] = frozenset()
                     ) -> float:
    """Seconds of [start, end) inside the schedule's weekday windows, DST-safe, skipping
    `days_off` (local dates)."""
    if end <= start:
        return 0.0
    total, day = 0.0, start.astimezone(SCHEDULE_TZ).date() - timedelta(days=1)
    last = end.astimezone(SCHEDULE_TZ).date() + timedelta(days=1)
    while day <= last:
        if day.weekday() < 5 and day not in days_off:
            total += _overlap(start, end, *_window(day))
        day += timedelta(days=1)
    return total


@cache
def _window(day: date) -> tuple[datetime, datetime]:
    """The day's opening hours, in UTC (comparisons with UTC times are then cheap)."""
    opens = datetime.combine(day, SCHEDULE_HOURS[0], tzinfo=SCHEDULE_TZ)
    closes = datetime.combine(day, SCHEDULE_HOURS[1], tzinfo=SCHEDULE_TZ)
    return opens.astimezone(UTC), closes.astimezone(UTC)


def _overlap(a: datetime, b: datetime, c: datetime, d: datetime) -> float:
    return max(0.0, (min(b, d) - max(a, c)).total_seconds())


def _minutes(seconds: float) -> int:
    return int(seconds / 60 + 0.5)


def _duration(start: datetime | None, end: datetime | None) -> dict[str, int | None]:
    if start is None or end is None:
        return {"calendar": None, "business": None}
    return {"calendar": _minutes((end - start).total_seconds()),
            "business": _minutes(business_seconds(start, end, DAYS_OFF))}


def _sum(intervals: list[tuple[datetime, datetime]]) -> dict[str, int]:
    return {"calendar": _minutes(sum((b - a).total_seconds() for a, b in intervals)),
            "business": _minutes(sum(business_seconds(a, b, DAYS_OFF) for a, b in intervals))}


def ticket_metric(ticket: SimTicket, agents: set[int], now: datetime,
                  base_url: str) -> dict[str, Any]:
    actions = ticket.visible(now)
    created = ticket.created_at
    comments = [a for a in actions if a.kind == "comment"]
    agent_created = ticket.submitter in agents
    opening = comments[0] if comments else None
    agent_replies = [
        c for c in comments
        if c.public and c.actor in agents
        and not (agent_created and c is opening and c.actor == ticket.submitter)
    ]
    waits: dict[str, list[tuple[datetime, datetime]]] = {"wait": [], "pending": [], "hold": []}
    status, since = actions[0].value["status"], created
    first_solved = last_solved = status_updated = None
    reopens = 0
    assignees = [a for a in actions[1:] if a.kind == "assignee" and a.value is not None]
    groups = [a for a in actions[1:] if a.kind == "group" and a.value is not None]
    for action in actions[1:]:
        if action.kind != "status" or action.value == status:
            continue
        _add_interval(waits, status, since, action.at)
        if status in SOLVED and action.value not in SOLVED:
            reopens += 1
        if action.value == "solved" or (action.value == "closed" and status != "solved"):
            first_solved = first_solved or action.at
            last_solved = action.at
        status, since, status_updated = action.value, action.at, action.at
    initial = actions[0].value
    assignee_stations = len(assignees) + (initial.get("assignee") is not None)
    group_stations = len(groups) + (initial.get("group") is not None)
    first_reply = agent_replies[0].at if agent_replies else None
    # a ticket never put on pending has no wait times at all in Zendesk: null, not 0
    pended = initial.get("status") == "pending" or any(
        a.kind == "status" and a.value == "pending" for a in actions[1:])
    unmeasured = {"calendar": None, "business": None}
    return {
        "url": f"{base_url}/api/v2/ticket_metrics/{ticket.id}.json",
        "id": ticket.id + 5_000_000,
        "ticket_id": ticket.id,
        "created_at": _iso(created),
        "updated_at": _iso(ticket.updated_at(now)),
        "group_stations": group_stations,
        "assignee_stations": assignee_stations,
        "reopens": reopens,
        "replies": len(agent_replies),
        "assignee_updated_at": _iso(assignees[-1].at) if assignees else None,
        "requester_updated_at": _iso(_last_by(comments, ticket.requester)),
        "status_updated_at": _iso(status_updated or created),
        "initially_assigned_at": _iso(_first_assignment(initial, created, assignees)),
        "assigned_at": _iso(assignees[-1].at if assignees else
                            (created if initial.get("assignee") else None)),
        "solved_at": _iso(last_solved),
        "latest_comment_added_at": _iso(comments[-1].at if comments else None),
        "reply_time_in_minutes": _duration(created if first_reply else None, first_reply),
        "first_resolution_time_in_minutes": _duration(created if first_solved else None,
                                                      first_solved),
        "full_resolution_time_in_minutes": _duration(
            created if status in SOLVED and last_solved else None,
            last_solved if status in SOLVED else None),
        "agent_wait_time_in_minutes": _sum(waits["pending"]) if pended else unmeasured,
        "requester_wait_time_in_minutes": _sum(waits["wait"]) if pended else unmeasured,
        "on_hold_time_in_minutes": _sum(waits["hold"]),
    }


def _add_interval(waits: dict[str, list[tuple[datetime, datetime]]], status: str,
                  start: datetime, end: datetime) -> None:
    if status in UNSOLVED_WAIT:
        waits["wait"].append((start, end))
    if status == "pending":
        waits["pending"].append((start, end))
    if status == "hold":
        waits["hold"].append((start, end))


def _first_assignment(initial: dict[str, Any], created: datetime,
                      assignees: list[Any]) -> datetime | None:
    if initial.get("assignee") is not None:
        return created
    return assignees[0].at if assignees else None


def _last_by(comments: list[Any], person: int) -> datetime | None:
    mine = [c.at for c in comments if c.actor == person]
    return mine[-1] if mine else None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")
