"""Fixed-window request budgets, as the simulated vendors enforce them.

Zendesk and Freshdesk count per minute, Intercom per 10 seconds; each API answers the
(limit+1)-th request of a window with a 429 and says in its own headers how much is left.
"""

from __future__ import annotations

import math
from collections.abc import Callable


class RateWindow:
    """Requests counted in fixed windows of `seconds`; the (limit+1)-th is refused."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float]):
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self.started, self.used = clock(), 0

    def take(self) -> tuple[bool, int, int]:
        """(allowed, remaining, seconds until the window resets)."""
        now = self.clock()
        if now - self.started >= self.seconds:
            self.started, self.used = now, 0
        self.used += 1
        reset = max(1, math.ceil(self.started + self.seconds - now))
        return self.used <= self.limit, max(0, self.limit - self.used), reset

    @property
    def resets_at(self) -> int:
        """When the current window ends, as the clock counts (a unix time for Intercom)."""
        return math.ceil(self.started + self.seconds)
