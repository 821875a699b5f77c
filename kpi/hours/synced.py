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
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deskpulse.kpi.hours.schedules import Calendar, Calendars
from deskpulse.kpi.hours.seconds import Schedule
from deskpulse.store import Store


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


def unusable_schedules(store: Store) -> list[dict[str, Any]]:
    """Each synced schedule `synced_calendars` has to leave out, and why (an unknown time
    zone, unreadable hours), so the reports can say why business hours are missing."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    first = store.conn.execute(  # the one `synced_calendars` times every other ticket by
        "SELECT source, id FROM schedules ORDER BY is_default DESC, id LIMIT 1").fetchone()
    for source, ident, name, _default, start, *parts in store.conn.execute(
            "SELECT s.source, s.id, s.name, s.is_default, v.effective_from, v.time_zone, "
            "v.hours, v.holidays FROM schedules s JOIN schedule_versions v "
            "ON v.source = s.source AND v.id = s.id ORDER BY s.source, s.is_default DESC, s.id, "
            "v.effective_from"):
        problem = _problem(*parts)
        if problem and (source, ident) not in found:
            found[(source, ident)] = {"source": source, "id": ident, "name": name,
                                      "default": first == (source, ident), "zone": parts[0],
                                      "since": start or None, "problem": problem}
    return list(found.values())


def _readable(zone: str | None, hours: str, holidays: str) -> Schedule | None:
    return _read(zone, hours, holidays)[0]


def _problem(zone: str | None, hours: str, holidays: str) -> str | None:
    return _read(zone, hours, holidays)[1]


def _read(zone: str | None, hours: str, holidays: str) -> tuple[Schedule | None, str | None]:
    """The schedule of one stored version, or None and what is wrong with it."""
    if not zone:
        return None, "it has no time zone"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None, f"its time zone {zone!r} is not one deskpulse knows"
    try:
        return Schedule.from_config({"tz": zone, "hours": json.loads(hours),
                                     "holidays": json.loads(holidays)}), None
    except (ValueError, KeyError, TypeError) as exc:
        return None, f"its hours cannot be read ({exc})"
