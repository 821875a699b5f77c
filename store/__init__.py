"""The normalized store: record models, the SQLite schema and the verbs that write it.

`store` imports nothing else from deskpulse and does no HTTP.
"""

from store.db import Store
from store.models import (
    Event,
    Group,
    NormalizedRecord,
    Person,
    Rating,
    Record,
    Rejected,
    Ticket,
    VendorMetrics,
    iso,
    utc,
)

__all__ = [
    "Event",
    "Group",
    "NormalizedRecord",
    "Person",
    "Rating",
    "Record",
    "Rejected",
    "Store",
    "Ticket",
    "VendorMetrics",
    "iso",
    "utc",
]
