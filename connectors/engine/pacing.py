"""How long to wait before the next request, from what the vendor's headers say.

Pure functions of (headers, now): tests feed them dicts and numbers. Every spelling the three
vendors use is read (vendor-apis.md §1.3, §2.3, §3.3). The idea is to slow down *before* the
budget reaches zero: once fewer than a tenth of the window's requests remain, the rest are
spread evenly over the time left until the window resets, so a long backfill runs at the
vendor's full rate without ever collecting a 429.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

LIMIT_HEADERS = ("x-rate-limit", "ratelimit-limit", "rate-limit", "x-ratelimit-limit",
                 "x-ratelimit-total")
REMAINING_HEADERS = ("x-rate-limit-remaining", "ratelimit-remaining", "rate-limit-remaining",
                     "x-ratelimit-remaining")
RESET_HEADERS = ("ratelimit-reset", "rate-limit-reset", "x-ratelimit-reset")
LOW_WATER = 0.10
RESERVE = 1  # never spend the window's last request: concurrent senders can overshoot by one
RESET_MARGIN = 0.5  # seconds past a reset: whole-second headers and clocks a little apart
DEFAULT_WINDOW_SECONDS = 60.0
MAX_WINDOW_SECONDS = 3600.0  # the longest rate window any vendor documents (an hour)
_UNIX_TIME_FLOOR = 1_000_000_000  # a reset value this large is a unix time (Intercom), not a delta


def _number(headers: Mapping[str, str], names: tuple[str, ...]) -> float | None:
    for name in names:
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value.split(",")[0].strip())
        except ValueError:
            continue
    return None


def seconds_to_reset(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until the window resets. A unix-time reset further off than any vendor's
    window means our clock and the vendor's disagree: that is read as "unknown" rather than
    as a reason to wait for hours."""
    reset = _number(headers, RESET_HEADERS)
    if reset is None:
        return None
    if reset < _UNIX_TIME_FLOOR:
        return max(0.0, reset)
    seconds = reset - now
    return max(0.0, seconds) if seconds <= MAX_WINDOW_SECONDS else None


def budget_delay(headers: Mapping[str, str], now: float, low_water: float = LOW_WATER,
                 in_flight: int = 0, reset_hint: float | None = None) -> float:
    """Seconds to wait before the next request so the remaining budget lasts the window.
    `low_water=1.0` spreads every request evenly over the window (Intercom asks for that:
    its budget refills every 10 seconds). `in_flight` requests already sent will spend
    some of what the header says is left. `reset_hint` is the caller's estimate of the
    seconds to the reset when the headers give none (Freshdesk)."""
    limit = _number(headers, LIMIT_HEADERS)
    remaining = _number(headers, REMAINING_HEADERS)
    if limit is None or remaining is None or limit <= 0:
        return 0.0
    remaining -= in_flight + RESERVE
    reset_in = seconds_to_reset(headers, now)
    if reset_in is None:
        reset_in = reset_hint
    if remaining <= 0:  # spent: wait for the window to turn, with a margin for clock edges
        return (DEFAULT_WINDOW_SECONDS if reset_in is None else reset_in) + RESET_MARGIN
    if remaining > limit * low_water:
        return 0.0
    if reset_in is None:
        reset_in = DEFAULT_WINDOW_SECONDS
    return reset_in / remaining


def remaining_budget(headers: Mapping[str, str]) -> float | None:
    return _number(headers, REMAINING_HEADERS)


def plan_limit(headers: Mapping[str, str]) -> float | None:
    """The window's whole budget as the vendor states it (Freshdesk: `X-RateLimit-Total`,
    the plan's requests a minute)."""
    limit = _number(headers, LIMIT_HEADERS)
    return limit if limit is not None and limit > 0 else None


@dataclass
class WindowWatch:
    """Guesses when a vendor's window resets when it does not say (Freshdesk): a window
    began when the remaining budget last went up (or when we first saw it)."""

    seconds: float = DEFAULT_WINDOW_SECONDS
    began: float | None = None
    last: float | None = None

    def see(self, remaining: float | None, now: float) -> None:
        if remaining is None:
            return
        if self.last is None or remaining > self.last:
            self.began = now
        self.last = remaining

    def reset_in(self, now: float) -> float | None:
        if self.began is None:
            return None
        left = self.began + self.seconds - now
        return left if left > 0 else None


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """`Retry-After` as seconds, from either form (delta seconds or an HTTP date)."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


@dataclass
class MinInterval:
    """A client-side cap: at most `per_minute` requests a minute (None: no cap)."""

    per_minute: float | None
    last: float | None = None

    def delay(self, now: float) -> float:
        if not self.per_minute or self.last is None:
            return 0.0
        return max(0.0, self.last + 60.0 / self.per_minute - now)

    def mark(self, now: float) -> None:
        self.last = now


@dataclass
class ShareCap(MinInterval):
    """A cap at a share of the plan's own per-minute limit, learned from the headers, so a
    bigger plan is used without configuration while other integrations keep the rest;
    `ceiling` (an explicit requests_per_minute) still caps it. Until a response names the
    limit, only the ceiling applies."""

    share: float = 1.0
    ceiling: float | None = None
    plan: float | None = None  # the plan's limit as last seen

    def learn(self, limit: float | None) -> None:
        if limit is None or self.share <= 0:
            return
        self.plan = limit
        used = limit * self.share
        self.per_minute = used if self.ceiling is None else min(used, self.ceiling)
