"""The history of each synced business-hours schedule (`schedule_versions`).

`schedules` holds a vendor schedule as it is now. When a sync sees its hours, zone or holidays
differ from the last version recorded, a new version starts on the (UTC) day of that sync, so
facts of tickets solved before the change keep the hours they were worked under instead of
being rewritten by today's edit (Zendesk applies the schedule in force at the time, too). The
first version seen has no start day: it stands for everything before. Two changes seen on one
day keep the later one.
"""

from __future__ import annotations

import json

from deskpulse.store.backends import Connection
from deskpulse.store.models import BusinessSchedule

ALWAYS = ""  # effective_from of a schedule's first version


def record_versions(conn: Connection, source: str,
                    schedules: list[BusinessSchedule]) -> None:
    """Append a version for each schedule whose definition changed since the last one."""
    for schedule in schedules:
        body = (schedule.time_zone, json.dumps(schedule.hours, sort_keys=True),
                json.dumps(schedule.holidays))
        last = conn.execute(
            "SELECT effective_from, time_zone, hours, holidays FROM schedule_versions "
            "WHERE source = ? AND id = ? ORDER BY effective_from DESC LIMIT 1",
            (source, schedule.id)).fetchone()
        # compared as JSON values, not text: PostgreSQL's jsonb gives back its own spelling
        if last is not None and (last[1], *map(json.loads, last[2:])) == (
                body[0], *map(json.loads, body[1:])):
            continue
        if last is None or schedule.seen_at is None:  # first sight, or no date to start it on
            start = ALWAYS if last is None else last[0]
        else:
            start = max(schedule.seen_at.strftime("%Y-%m-%d"), last[0])
        conn.execute(
            "INSERT INTO schedule_versions (source, id, effective_from, time_zone, hours, "
            "holidays) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, id, effective_from) DO "
            "UPDATE SET time_zone = excluded.time_zone, hours = excluded.hours, "
            "holidays = excluded.holidays", (source, schedule.id, start, *body))
