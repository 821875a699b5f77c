"""Durations as people write them in deskpulse.toml: intervals ('5m') and SLA targets
('1h30m'). Units are explicit so a bare number can never be read in the wrong one."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

_INTERVAL = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_TARGET = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


def parse_interval(text: str) -> timedelta:
    """'30s', '5m', '1h', '1d' → timedelta."""
    match = _INTERVAL.match(text)
    if not match:
        msg = f"interval {text!r} is not like '30s', '5m', '1h' or '1d'"
        raise ValueError(msg)
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def positive_duration(value: Any, name: str, examples: str) -> timedelta:
    """A setting that must be a duration longer than zero ('5m'); a bare number is refused
    (seconds or minutes?). `examples` is shown in the error, e.g. "'30s' or '5m'"."""
    if not isinstance(value, str):
        msg = f"{name} {value!r} has no unit: write it like {examples}"
        raise ValueError(msg)  # noqa: TRY004 (pydantic turns it into the field's error)
    duration = parse_interval(value)
    if duration <= timedelta(0):
        msg = f"{name} {value!r} must be longer than zero, e.g. {examples.split(' or ')[-1]}"
        raise ValueError(msg)
    return duration


def parse_target(text: str) -> int:
    """An SLA target such as '30m', '4h', '1h30m' or '2d' → seconds."""
    match = _TARGET.match(text.replace(" ", ""))
    if not text.strip() or not match or not any(match.groups()):
        msg = f"target {text!r} is not a duration like '30m', '4h', '1h30m' or '2d'"
        raise ValueError(msg)
    days, hours, minutes = (int(part or 0) for part in match.groups())
    seconds = days * 86400 + hours * 3600 + minutes * 60
    if seconds <= 0:
        msg = f"target {text!r} must be longer than zero"
        raise ValueError(msg)
    return seconds
