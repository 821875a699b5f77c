"""Business hours the vendor keeps (synced into `schedules`), when the config gives none.

Zendesk and Freshdesk sources sync their schedules (Zendesk with each schedule's holidays),
and Freshdesk also which schedule each group follows (`groups.schedule_id`). A schedule the
vendor changed has versions (`schedule_versions`): facts are timed by the version in force at
the time, as with `effective_from` in the config. A file holding
one source uses them for the `_bus` facts unless `[[schedule]]` is configured; with several
sources the config must say, because one set of facts cannot follow several vendors'
calendars (and switching between them would rebuild every fact on every run).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

from kpi.calendar import Schedule
from kpi.calendars import Calendar, Calendars
from store import Store


def synced_calendars(store: Store) -> Calendars | None:
    """The single source's synced schedules, its default for tickets of groups without one;
    None when there is no source, several, none synced, or no readable default schedule
    (`_bus` then stays NULL). A group's schedule that cannot be read falls back to the
    default rather than to calendar time."""
    if store.conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0] != 1:
        return None
    ids = [ident for (ident,) in store.conn.execute(
        "SELECT id FROM schedules ORDER BY is_default DESC, id")]
    versions: dict[str, list[tuple[date | None, Schedule]]] = defaultdict(list)
    unreadable = set()  # one unreadable version makes that schedule's history unusable
    for ident, start, *parts in store.conn.execute(
            "SELECT id, effective_from, time_zone, hours, holidays FROM schedule_versions"):
        schedule = _readable(*parts)
        if schedule is None:
            unreadable.add(ident)
        else:
            versions[ident].append((date.fromisoformat(start) if start else None, schedule))
    calendars = {ident: Calendar(v) for ident, v in versions.items()
                 if ident in ids and ident not in unreadable}
    default = ids[0] if ids else None  # the vendor's default, else its first schedule
    if default not in calendars:
        return None
    by_group = {group: schedule for group, schedule in store.conn.execute(
        "SELECT id, schedule_id FROM groups WHERE schedule_id IS NOT NULL")
        if schedule in calendars}
    return Calendars(calendars, default, by_group)


def _readable(zone: str | None, hours: str, holidays: str) -> Schedule | None:
    if not zone:
        return None
    try:
        return Schedule.from_config({"tz": zone, "hours": json.loads(hours),
                                     "holidays": json.loads(holidays)})
    except (ValueError, KeyError, TypeError):
        return None
