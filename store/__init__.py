"""The normalized store: record models, the SQLite schema and the verbs that write it.

`store` imports nothing else from deskpulse and does no HTTP.
"""

from store.db import Store
from store.models import (
    BusinessSchedule,
    Event,
    Group,
    NormalizedRecord,
    Person,
    Rating,
    Record,
    Rejected,
    Ticket,
    TimeEntry,
    VendorMetrics,
    iso,
    utc,
)

__all__ = [
    "BusinessSchedule",
    "Event",
    "Group",
    "NormalizedRecord",
    "Person",
    "Rating",
    "Record",
    "Rejected",
    "Store",
    "Ticket",
    "TimeEntry",
    "VendorMetrics",
    "iso",
    "utc",
]
