"""Zendesk's own figures, for `deskpulse verify`: the ticket_metrics side-loaded with the
tickets (`include=metric_sets`: a `metric_set` in each ticket), durations in whole minutes,
so compared within ±60 s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deskpulse.connectors.source import OracleMetric


def _minutes(metric: str, kind: str = "calendar") -> Callable[[dict[str, Any]], float | None]:
    def read(metrics: dict[str, Any]) -> float | None:
        value = (metrics.get(metric) or {}).get(kind)
        return None if value is None else float(value) * 60
    return read


def _count(metric: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda metrics: metrics.get(metric)


# Zendesk leaves these null on a ticket never put on pending: not measured, not a 0.
UNMEASURED_WHEN_NULL = frozenset({"agent_wait_time_in_minutes",
                                  "requester_wait_time_in_minutes"})

# Zendesk's ticket_metrics (each ticket's metric_set): whole minutes, so ±60 s.
ORACLE = tuple(
    OracleMetric(name, fact, _minutes(name), tolerance=60,
                 null_is_unmeasured=name in UNMEASURED_WHEN_NULL) for name, fact in (
        ("reply_time_in_minutes", "frt_cal"),
        ("first_resolution_time_in_minutes", "first_resolution_cal"),
        ("full_resolution_time_in_minutes", "full_resolution_cal"),
        ("agent_wait_time_in_minutes", "agent_wait_cal"),
        ("requester_wait_time_in_minutes", "requester_wait_cal"),
        ("on_hold_time_in_minutes", "on_hold_cal"),
    )
) + tuple(
    OracleMetric(name, fact, _minutes(name.removesuffix(" (business)"), "business"),
                 tolerance=60,
                 null_is_unmeasured=name.removesuffix(" (business)") in UNMEASURED_WHEN_NULL)
    for name, fact in (
        ("reply_time_in_minutes (business)", "frt_bus"),
        ("first_resolution_time_in_minutes (business)", "first_resolution_bus"),
        ("full_resolution_time_in_minutes (business)", "full_resolution_bus"),
        ("agent_wait_time_in_minutes (business)", "agent_wait_bus"),
        ("requester_wait_time_in_minutes (business)", "requester_wait_bus"),
        ("on_hold_time_in_minutes (business)", "on_hold_bus"),
    )
) + tuple(OracleMetric(name, name, _count(name)) for name in (
    "reopens", "replies", "assignee_stations", "group_stations"))
