"""Intercom's own figures, for `deskpulse verify`: the conversation `statistics`.

Timestamps give exact calendar durations from the first contact message; Intercom's
`time_to_*` durations exclude office hours, so they are compared with the business-time facts
only (and `deskpulse verify` skips those when no schedule is configured: vendor-apis.md §4.5).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deskpulse.connectors.source import OracleMetric


def _between(start: str, end: str) -> Callable[[dict[str, Any]], float | None]:
    def read(statistics: dict[str, Any]) -> float | None:
        first, last = statistics.get(start), statistics.get(end)
        return None if first is None or last is None else float(last - first)
    return read


def _value(name: str) -> Callable[[dict[str, Any]], float | None]:
    def read(statistics: dict[str, Any]) -> float | None:
        value = statistics.get(name)
        return None if value is None else float(value)
    return read


ORACLE = (
    OracleMetric("first_admin_reply_at − first_contact_reply_at", "frt_cal",
                 _between("first_contact_reply_at", "first_admin_reply_at")),
    OracleMetric("first_close_at − first_contact_reply_at", "first_resolution_cal",
                 _between("first_contact_reply_at", "first_close_at")),
    OracleMetric("time_to_admin_reply (office hours)", "frt_bus", _value("time_to_admin_reply"),
                 tolerance=60),
    OracleMetric("time_to_first_close (office hours)", "first_resolution_bus",
                 _value("time_to_first_close"), tolerance=60),
    # each admin reply from the contact's last unanswered message, median, office hours
    OracleMetric("median_time_to_reply (office hours)", "reply_time_median_bus",
                 _value("median_time_to_reply"), tolerance=60),
)
