"""The wall clock the sync jobs run on unless given their own (`Clock`: tests, benchmarks)."""

from __future__ import annotations

from datetime import UTC, datetime

from deskpulse.connectors.source import Clock

__all__ = ["Clock", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)
