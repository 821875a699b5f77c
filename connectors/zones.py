"""Time-zone labels as Zendesk and Freshdesk write them (Rails names) → IANA names."""

from __future__ import annotations

from typing import Any

# The common Rails labels; anything else is kept as the vendor wrote it.
ZONES = {"Eastern Time (US & Canada)": "America/New_York",
         "Central Time (US & Canada)": "America/Chicago",
         "Mountain Time (US & Canada)": "America/Denver",
         "Pacific Time (US & Canada)": "America/Los_Angeles", "London": "Europe/London",
         "Berlin": "Europe/Berlin", "Paris": "Europe/Paris", "Amsterdam": "Europe/Amsterdam",
         "Chennai": "Asia/Kolkata", "Kolkata": "Asia/Kolkata", "Sydney": "Australia/Sydney",
         "Tokyo": "Asia/Tokyo", "Singapore": "Asia/Singapore", "UTC": "UTC"}


def iana(label: Any) -> Any:
    return ZONES.get(label, label)
