"""Round axis steps for the report's charts: 1, 2, 6, 12, 24 h rather than 17.4 h; 5, 10,
25 tickets; 25% for rates. Pure arithmetic, so it can be tested without drawing."""

from __future__ import annotations

import math

HOUR_STEPS = (0.25, 0.5, 1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720)  # in hours
MAX_TICKS = 5  # intervals above zero


def _decimal_steps(top: float, allowed: tuple[float, ...]) -> float:
    magnitude = 10 ** math.floor(math.log10(top / MAX_TICKS)) if top > 0 else 1
    for factor in (*allowed, 10):
        if top / (factor * magnitude) <= MAX_TICKS:
            return factor * magnitude
    return 10 * magnitude


def step(top: float, unit: str) -> float:
    """The gap between gridlines for data up to `top`: in seconds for unit "h" (a round
    number of hours), percentage points for "%", else 1, 2, 2.5 or 5 times a power of ten
    (whole numbers for counts: never 0.2 tickets)."""
    if unit == "h":
        hours = top / 3600
        for candidate in HOUR_STEPS:
            if hours / candidate <= MAX_TICKS:
                return candidate * 3600
        return math.ceil(hours / MAX_TICKS / 720) * 720 * 3600
    if unit == "%":
        return 25.0 if top > 50 else _decimal_steps(top, (1, 2, 2.5, 5))
    return max(1.0, _decimal_steps(top, (1, 2, 2.5, 5)))


def ticks(top: float, unit: str) -> list[float]:
    """Gridline values from 0 up to the first step at or above `top` (0..1 with no data)."""
    if top <= 0:
        top = 1.0 if unit != "h" else 3600.0
    gap = step(top, unit)
    count = max(1, math.ceil(top / gap - 1e-9))
    return [gap * i for i in range(count + 1)]


def label(value: float, unit: str) -> str:
    """A tick label: "12 h", "0.5 h", "75%", "1,200"."""
    if unit == "h":
        return f"{value / 3600:g} h"
    if unit == "%":
        return f"{value:g}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
