"""Which business hours time a ticket: schedule history and per-group schedules.

A help desk rarely has one calendar forever. Hours change (a new `effective_from` block is a
new version of the same schedule), and teams in other regions keep their own hours (a group
follows its schedule; Freshdesk gives each group a `business_hour_id`). `Calendars` holds all
of that and hands each ticket the `Calendar` of its group, or the default one.

A `Calendar` times a span by the version in force at the span's *end*: single-event metrics
(first reply, resolutions) then use the schedule in force at the end event for the whole span,
as Zendesk does (kpi-catalog §3.2), and multi-event metrics (waits) use each interval's own
version, because facts time every status interval on its own.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from deskpulse.kpi.hours.seconds import Schedule

DEFAULT_ID = "default"


class BusinessClock(Protocol):
    """What facts need of business hours: seconds of a span inside them, and (for SLA
    targets) the moment a number of business seconds from a start is used up."""

    def seconds(self, start: datetime, end: datetime) -> int: ...

    def deadline(self, start: datetime, seconds: int) -> datetime: ...


@dataclass
class Calendar:
    """One schedule's versions, oldest first; the first applies before any `effective_from`."""

    versions: list[tuple[date | None, Schedule]]
    _starts: list[date] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.versions.sort(key=lambda item: item[0] or date.min)
        self._starts = [start or date.min for start, _ in self.versions]

    def at(self, moment: datetime) -> Schedule:
        """The version in force at `moment` (its local date in that version's zone)."""
        if len(self.versions) == 1:
            return self.versions[0][1]
        index = bisect_right(self._starts, moment.date()) - 1
        # effective_from is a local date: re-check the candidate (and its predecessor) locally
        while index > 0:
            start, schedule = self.versions[index]
            if start is None or schedule.local_date(moment) >= start:
                break
            index -= 1
        return self.versions[max(index, 0)][1]

    def seconds(self, start: datetime, end: datetime) -> int:
        return self.at(end).seconds(start, end)

    def deadline(self, start: datetime, seconds: int) -> datetime:
        """Walked under the version in force at `start` (a version change before the
        deadline is not followed: SLA targets rarely span one)."""
        return self.at(start).deadline(start, seconds)

    def fingerprint(self) -> str:
        return "|".join(f"{start}:{schedule.fingerprint()}" for start, schedule in self.versions)


@dataclass
class Calendars:
    """Every calendar by id, the default one, and which groups follow which calendar."""

    calendars: dict[str, Calendar]
    default: str
    by_group: dict[str, str] = field(default_factory=dict)  # group id or name → calendar id

    @classmethod
    def single(cls, schedule: Schedule) -> Calendars:
        return cls({DEFAULT_ID: Calendar([(None, schedule)])}, DEFAULT_ID)

    @classmethod
    def from_config(cls, entries: list[dict[str, Any]]) -> Calendars:
        """From `[[schedule]]` tables: id, tz, hours, holidays, effective_from, default,
        groups. Entries sharing an id are that schedule's history."""
        versions: dict[str, list[tuple[date | None, Schedule]]] = {}
        by_group: dict[str, str] = {}
        default = None
        for entry in entries:
            ident = str(entry.get("id") or DEFAULT_ID)
            start = entry.get("effective_from")
            start = date.fromisoformat(str(start)) if start is not None else None
            if any(known == start for known, _ in versions.get(ident, [])):
                msg = f"two versions of schedule {ident!r} take effect on {start or 'day one'}"
                raise ValueError(msg)
            try:
                version = Schedule.from_config(entry)
            except KeyError as exc:
                msg = f"schedule {ident!r} lacks {exc}"
                raise ValueError(msg) from None
            except ValueError as exc:
                msg = f"schedule {ident!r}: {exc}"
                raise ValueError(msg) from None
            versions.setdefault(ident, []).append((start, version))
            for group in entry.get("groups") or []:
                if by_group.setdefault(str(group), ident) != ident:
                    msg = f"group {group!r} is given to two schedules"
                    raise ValueError(msg)
            if entry.get("default"):
                if default not in (None, ident):
                    msg = f"schedules {default!r} and {ident!r} are both marked default"
                    raise ValueError(msg)
                default = ident
        if default is None:
            default = next(iter(versions))
        return cls({k: Calendar(v) for k, v in versions.items()}, default, by_group)

    def for_group(self, group_id: str | None, group_name: str | None = None) -> Calendar:
        """The calendar of a ticket in this group (by id, then by name), else the default."""
        for key in (group_id, group_name):
            if key is not None and key in self.by_group:
                chosen = self.calendars.get(self.by_group[key])
                if chosen is not None:
                    return chosen
        return self.calendars[self.default]

    def fingerprint(self) -> str:
        """Changes whenever a ticket's business durations could change."""
        body = ";".join(
            [f"default={self.default}"]
            + [f"{k}={c.fingerprint()}" for k, c in sorted(self.calendars.items())]
            + [f"group {g}={c}" for g, c in sorted(self.by_group.items())])
        return hashlib.sha256(body.encode()).hexdigest()[:16]


def as_calendars(schedule: Schedule | Calendars | None) -> Calendars | None:
    """Accept a single schedule where calendars are expected (most files have one)."""
    return Calendars.single(schedule) if isinstance(schedule, Schedule) else schedule
