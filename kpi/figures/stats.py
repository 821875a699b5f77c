"""The arithmetic every figure shares: exact percentiles, a figure's spread (p50, p90, mean,
n) and the one rate helper, so each rounding rule is written once."""

from __future__ import annotations

import math
from typing import Any


def percentile(sorted_values: list[int], p: float) -> float | None:
    """Linear interpolation between closest ranks (percentile_cont, numpy's default)."""
    if not sorted_values:
        return None
    h = (len(sorted_values) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


def spread(metric: str, values: list[int]) -> dict[str, Any]:
    """`{metric}_p50_s`, `_p90_s`, `_mean_s` and `_n` of a figure's values (any order)."""
    ordered = sorted(values)
    return {f"{metric}_p50_s": percentile(ordered, 0.5),
            f"{metric}_p90_s": percentile(ordered, 0.9),
            f"{metric}_mean_s": round(sum(ordered) / len(ordered), 1) if ordered else None,
            f"{metric}_n": len(ordered)}


def ratio(numerator: float, denominator: float, scale: float = 1.0,
          digits: int = 2) -> float | None:
    """numerator × scale / denominator, rounded to `digits`: the one rate helper of `kpi`
    (scale 100 for a percentage). None, not 0, when there is nothing to divide by. Halves
    round away from zero, as SQLite's round() does in the kpi_* views (Python's round()
    would give 0.2812 for 0.28125 where a view shows 0.2813)."""
    if not denominator:
        return None
    value = numerator * scale / denominator
    step = 10 ** digits
    return math.copysign(math.floor(abs(value) * step + 0.5) / step, value)
