"""When the sync runner refreshes KPIs in the middle of a run (every run ends with one).

A mid-run refresh recomputes every ticket marked dirty since the last one. In a backfill
most of those tickets are dirtied again by a later stream (events after tickets, ratings
after events) and recomputed again at the end, so a refresh is only worth it when it is
cheap next to the reading it follows: it runs once REFRESH_EVERY_SECONDS have passed *and*
its expected cost (dirty tickets × the last refresh's seconds per ticket) is at most
REFRESH_SHARE of the time since the last one. A rate-limited backfill, which dirties tickets
slowly, refreshes every REFRESH_EVERY_SECONDS; a local bulk import that dirties thousands a
second refreshes at the end (unpaced, a 100,000-ticket import recomputed each ticket 2.3
times, and that was 45% of its time: docs/benchmarks.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# refreshing per page would recompute a ticket each time another stream touches it
REFRESH_EVERY_SECONDS = 30.0
REFRESH_SHARE = 0.2
FIRST_SECONDS_PER_TICKET = 0.001  # until a refresh of this run has been timed


@dataclass
class RefreshPace:
    """The pacing state of one run; times come from the runner's (injectable) clock."""

    last: datetime  # the end of the last refresh, or the start of the run
    per_ticket: float = FIRST_SECONDS_PER_TICKET
    wait: float = REFRESH_EVERY_SECONDS  # seconds after `last` before it is worth asking

    def worth_asking(self, now: datetime) -> bool:
        """Cheap test, every page: whether `due` could say yes (it needs a dirty count)."""
        return (now - self.last).total_seconds() >= self.wait

    def due(self, now: datetime, dirty: int) -> bool:
        """Whether to refresh `dirty` tickets now. Dirty tickets only accumulate until the
        next refresh, so when the answer is no, no need to ask again before it could be yes."""
        expected = dirty * self.per_ticket
        self.wait = max(REFRESH_EVERY_SECONDS, expected * (1 - REFRESH_SHARE) / REFRESH_SHARE)
        return (now - self.last).total_seconds() >= self.wait

    def refreshed(self, started: datetime, finished: datetime, tickets: int) -> None:
        if tickets:
            self.per_ticket = (finished - started).total_seconds() / tickets
        self.last, self.wait = finished, REFRESH_EVERY_SECONDS
