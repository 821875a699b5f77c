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
    reset = _number(headers, RESET_HEADERS)
    if reset is None:
        return None
    return max(0.0, reset - now) if reset >= _UNIX_TIME_FLOOR else max(0.0, reset)


def budget_delay(headers: Mapping[str, str], now: float, low_water: float = LOW_WATER,
                 in_flight: int = 0) -> float:
    """Seconds to wait before the next request so the remaining budget lasts the window.
    `low_water=1.0` spreads every request evenly over the window (Intercom asks for that:
    its budget refills every 10 seconds). `in_flight` requests already sent will spend
    some of what the header says is left."""
    limit = _number(headers, LIMIT_HEADERS)
    remaining = _number(headers, REMAINING_HEADERS)
    if limit is None or remaining is None or limit <= 0:
        return 0.0
    remaining -= in_flight + RESERVE
    reset_in = seconds_to_reset(headers, now)
    if remaining <= 0:  # spent: wait for the window to turn, with a margin for clock edges
        return (DEFAULT_WINDOW_SECONDS if reset_in is None else reset_in) + RESET_MARGIN
    if remaining > limit * low_water:
        return 0.0
    if reset_in is None:
        reset_in = DEFAULT_WINDOW_SECONDS
    return reset_in / remaining


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
