"""Business-hours arithmetic: how many seconds of [start, end) fall inside a schedule.

Windows are local wall-clock times in the schedule's own time zone, converted per day with
zoneinfo, so a DST change stretches or shrinks that day's window exactly as it does for the
people working it. Holidays remove whole local days. Whole days in the middle of a span come
from a prefix sum over days, so a span of months costs two partial days and two lookups.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BASE = date(2000, 1, 3)  # a Monday: day numbers count from here


@dataclass
class Schedule:
    """Weekly windows (`hours[weekday] = [(09:00, 17:00), …]`) in `tz`, minus `holidays`."""

    tz: str
    hours: dict[int, list[tuple[time, time]]]
    holidays: frozenset[date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False)
    _prefix: list[int] = field(default_factory=lambda: [0], init=False, repr=False)
    # each local day's windows, in UTC: building them (zoneinfo) was most of the cost of a
    # refresh's business durations, a backfill asks for the same days again, and comparing
    # with the store's UTC times is cheapest between datetimes of one tzinfo
    _days: dict[date, list[tuple[datetime, datetime]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._zone = ZoneInfo(self.tz)

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> Schedule:
        """From `[[schedule]]`: tz, hours = {mon = ["09:00-17:00"], …}, holidays = ["…"]."""
        hours: dict[int, list[tuple[time, time]]] = {}
        for name, windows in (raw.get("hours") or {}).items():
            day = DAYS.index(name.lower()[:3])
            for window in windows:
                opens, closes = (time.fromisoformat(part) for part in window.split("-"))
                if closes <= opens:
                    msg = f"schedule window {window!r} must end after it starts, same day"
                    raise ValueError(msg)
                hours.setdefault(day, []).append((opens, closes))
        return cls(raw["tz"], hours, frozenset(_holidays(raw.get("holidays") or [])))

    def fingerprint(self) -> str:
        """Changes whenever the schedule would change a business duration."""
        body = {"tz": self.tz, "hours": {d: [(a.isoformat(), b.isoformat()) for a, b in w]
                                         for d, w in sorted(self.hours.items())},
                "holidays": sorted(d.isoformat() for d in self.holidays)}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]

    def seconds(self, start: datetime, end: datetime) -> int:
        """Business seconds in [start, end); 0 when end ≤ start."""
        if end <= start:
            return 0
        first, last = self._local_day(start), self._local_day(end)
        if first == last:
            return self._overlap(first, start, end)
        total = self._overlap(first, start, end) + self._overlap(last, start, end)
        return total + self._full_days(first + timedelta(days=1), last)

    # SLA deadlines (kpi.sla): the inverse of `seconds`.
    def deadline(self, start: datetime, seconds: int, *, max_days: int = 3660) -> datetime:
        """The earliest moment by which `seconds` business seconds have passed since `start`
        (`start` itself for 0): where a business-hours SLA target breaches. Walks the local
        days forward; raises ValueError when the schedule gives no such time within
        `max_days` (no weekly hours at all, or holidays covering everything)."""
        left, day = max(0, seconds), self._local_day(start)
        if left == 0:
            return start
        for _ in range(max_days if any(self.hours.values()) else 0):
            for opens, closes in sorted(self._windows(day)):
                begin = max(opens, start)
                available = int((closes - begin).total_seconds())
                if available <= 0:
                    continue
                if available >= left:
                    return begin + timedelta(seconds=left)
                left -= available
            day += timedelta(days=1)
        msg = f"schedule ({self.tz}) has no {seconds} business seconds within {max_days} days"
        raise ValueError(msg)

    def local_date(self, moment: datetime) -> date:
        """The date of `moment` on this schedule's wall calendar."""
        return moment.astimezone(self._zone).date()

    _local_day = local_date

    def _windows(self, day: date) -> list[tuple[datetime, datetime]]:
        windows = self._days.get(day)
        if windows is None:
            windows = self._days[day] = [] if day in self.holidays else [
                (datetime.combine(day, a, self._zone).astimezone(UTC),
                 datetime.combine(day, b, self._zone).astimezone(UTC))
                for a, b in self.hours.get(day.weekday(), [])]
        return windows

    def _overlap(self, day: date, start: datetime, end: datetime) -> int:
        total = 0
        for a, b in self._windows(day):
            low, high = max(start, a), min(end, b)
            if high > low:
                total += int((high - low).total_seconds())
        return total

    def _day_seconds(self, day: date) -> int:
        return sum(int((b - a).total_seconds()) for a, b in self._windows(day))

    def _full_days(self, first: date, stop: date) -> int:
        """Business seconds of whole local days first … stop-1, via the prefix sum."""
        need = (stop - BASE).days
        while len(self._prefix) <= need:
            day = BASE + timedelta(days=len(self._prefix) - 1)
            self._prefix.append(self._prefix[-1] + self._day_seconds(day))
        return self._prefix[need] - self._prefix[(first - BASE).days]


def _holidays(entries: list[str]) -> list[date]:
    days = []
    for entry in entries:
        first, _, last = entry.partition("..")
        day, stop = date.fromisoformat(first), date.fromisoformat(last or first)
        while day <= stop:
            days.append(day)
            day += timedelta(days=1)
    return days
