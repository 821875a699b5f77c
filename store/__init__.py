"""The normalized store: record models, the SQLite schema and the verbs that write it.

`store` imports nothing else from deskpulse and does no HTTP.
"""

from deskpulse.store.db import Store
from deskpulse.store.external import ImportConflict, ImportResult, import_ratings, import_rows
from deskpulse.store.leases import Lease, LeaseLost, next_slot
from deskpulse.store.models import (
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
    Unmapped,
    VendorMetrics,
    iso,
    utc,
)
from deskpulse.store.opening import StoreUnusable

__all__ = [
    "BusinessSchedule",
    "Event",
    "Group",
    "ImportConflict",
    "ImportResult",
    "Lease",
    "LeaseLost",
    "NormalizedRecord",
    "Person",
    "Rating",
    "Record",
    "Rejected",
    "Store",
    "StoreUnusable",
    "Ticket",
    "TimeEntry",
    "Unmapped",
    "VendorMetrics",
    "import_ratings",
    "import_rows",
    "iso",
    "next_slot",
    "utc",
]
