"""Freshdesk's own figures, for `deskpulse verify`: the ticket `stats` timestamps.

Freshdesk gives timestamps, not durations (vendor-apis.md §4.3), so each figure is a stats
time minus the ticket's creation, both kept in the ticket's vendor_metrics by the connector.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from deskpulse.connectors.source import OracleMetric

RESOLVED = (4, 5)


def _since_created(stat: str, *, resolved_only: bool = False
                   ) -> Callable[[dict[str, Any]], float | None]:
    def read(metrics: dict[str, Any]) -> float | None:
        stats = metrics.get("stats") or {}
        value, created = stats.get(stat), metrics.get("created_at")
        if value is None or created is None:
            return None
        if resolved_only and metrics.get("status") not in RESOLVED:
            return None
        return (_time(value) - _time(created)).total_seconds()
    return read


def _time(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


ORACLE = (
    OracleMetric("first_responded_at − created_at", "frt_cal", _since_created(
        "first_responded_at")),
    OracleMetric("resolved_at − created_at (resolved or closed)", "full_resolution_cal",
                 _since_created("resolved_at", resolved_only=True)),
)
