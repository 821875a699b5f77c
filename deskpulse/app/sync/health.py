"""The daemon's health rule, for `/healthz` and the `deskpulse_source_healthy` metric.

A source is unhealthy when it has gone `after` of its own intervals (default 3) without a
successful sync: since its last success, or, if it never had one, since the daemon started.
One failed run is no alarm (the next slot retries); a source stuck for several is. The time
is always passed in, so tests move a fake clock instead of waiting.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from deskpulse.store.models import iso

DEFAULT_AFTER = 3


@dataclass(frozen=True)
class Problem:
    """Why one source is unhealthy, fit for a probe's body and an operator."""

    source: str
    last_success: datetime | None
    reason: str


class Health:
    """Last successes per source (thread-safe: sync jobs write, HTTP scrapes read)."""

    def __init__(self, intervals: dict[str, timedelta], started: datetime,
                 last_success: dict[str, datetime | None] | None = None,
                 after: int = DEFAULT_AFTER):
        if after < 1:
            msg = "after must be at least 1 interval"
            raise ValueError(msg)
        self.intervals = dict(intervals)
        self.started = started
        self.after = after
        self._last = {name: (last_success or {}).get(name) for name in intervals}
        self._lock = threading.Lock()

    def succeeded(self, source: str, at: datetime) -> None:
        """Record a successful run of `source` that finished at `at`."""
        with self._lock:
            previous = self._last.get(source)
            self._last[source] = at if previous is None else max(previous, at)

    def last_success(self, source: str) -> datetime | None:
        with self._lock:
            return self._last.get(source)

    def problems(self, now: datetime) -> list[Problem]:
        """The unhealthy sources at `now`, by name."""
        found = []
        for name in sorted(self.intervals):
            interval = self.intervals[name]
            last = self.last_success(name)
            since = last or self.started
            if now - since < interval * self.after:
                continue
            what = (f"no successful sync since {iso(last)}" if last
                    else f"no successful sync since the daemon started at {iso(self.started)}")
            found.append(Problem(name, last, f"{what} ({self.after} intervals of "
                                             f"{_span(interval)}); see `deskpulse status`"))
        return found

    def report(self, now: datetime) -> dict[str, object]:
        """The `/healthz` body: `ok` or `unhealthy`, naming each unhealthy source and why."""
        problems = self.problems(now)
        return {"status": "unhealthy" if problems else "ok",
                "unhealthy": [{"source": p.source, "last_success": iso(p.last_success),
                               "reason": p.reason} for p in problems]}


def _span(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
