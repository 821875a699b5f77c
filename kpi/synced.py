"""Business hours the vendor keeps (synced into `schedules`), when the config gives none.

Zendesk and Freshdesk sources sync their schedules. A file holding one source uses that
source's default schedule for the `_bus` facts unless `[[schedule]]` is configured; with
several sources the config must say, because one set of facts cannot follow several
calendars (and switching between them would rebuild every fact on every run).
"""

from __future__ import annotations

import json

from kpi.calendar import Schedule
from store import Store


def synced_schedule(store: Store) -> Schedule | None:
    """The single source's default synced schedule, or None (no source, several, none
    synced, or one whose zone or hours cannot be read: `_bus` then stays NULL)."""
    if store.conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0] != 1:
        return None
    row = store.conn.execute(
        "SELECT time_zone, hours, holidays FROM schedules "
        "ORDER BY is_default DESC, id LIMIT 1").fetchone()
    if row is None or not row[0]:
        return None
    try:
        return Schedule.from_config({"tz": row[0], "hours": json.loads(row[1]),
                                     "holidays": json.loads(row[2])})
    except (ValueError, KeyError, TypeError):
        return None
