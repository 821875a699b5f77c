"""Which business hours time a ticket: schedule history, per-group schedules, vendor holidays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskpulse import kpi
from deskpulse.kpi import Calendars, Schedule
from deskpulse.store import BusinessSchedule, Event, Group, Store, Ticket
from tests.simdesk import backfilled_store

NINE_TO_FIVE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_span_is_timed_by_the_version_in_force_at_its_end():
    calendars = Calendars.from_config([
        {"id": "emea", "tz": "UTC", "hours": NINE_TO_FIVE},
        {"id": "emea", "tz": "UTC", "effective_from": "2026-03-04",
         "hours": {day: ["08:00-18:00"] for day in NINE_TO_FIVE}},
    ])
    calendar = calendars.for_group(None)
    # Mon 2 March 12:00 → Tue 3 March 12:00 ends before the change: old hours, 5 + 3 h
    assert calendar.seconds(utc(2026, 3, 2, 12), utc(2026, 3, 3, 12)) == 8 * 3600
    # … → Wed 4 March 12:00 ends under the new hours, applied to the whole span (Zendesk):
    # Mon 12-18 (6 h) + Tue 08-18 (10 h) + Wed 08-12 (4 h)
    assert calendar.seconds(utc(2026, 3, 2, 12), utc(2026, 3, 4, 12)) == 20 * 3600


def test_effective_from_is_a_local_date_of_that_schedule():
    calendars = Calendars.from_config([
        {"tz": "Asia/Tokyo", "hours": {"tue": ["09:00-17:00"]}},
        {"tz": "Asia/Tokyo", "effective_from": "2026-03-03", "hours": {"tue": ["10:00-11:00"]}},
    ])
    # 2 March 23:30 UTC is already 3 March 08:30 in Tokyo: the new version is in force
    end = utc(2026, 3, 3, 1)  # 10:00 Tokyo
    assert calendars.for_group(None).seconds(utc(2026, 3, 2, 23, 30), end) == 0
    assert calendars.for_group(None).seconds(end, end + timedelta(hours=3)) == 3600


def test_groups_follow_their_schedule_by_id_or_name_and_the_rest_the_default():
    calendars = Calendars.from_config([
        {"id": "us", "tz": "America/New_York", "hours": NINE_TO_FIVE, "default": True},
        {"id": "uk", "tz": "Europe/London", "hours": NINE_TO_FIVE, "groups": ["Billing", "7"]},
    ])
    morning = (utc(2026, 3, 2, 9), utc(2026, 3, 2, 12))  # 09-12 London, 04-07 New York
    assert calendars.for_group("7").seconds(*morning) == 3 * 3600
    assert calendars.for_group("8", "Billing").seconds(*morning) == 3 * 3600
    assert calendars.for_group("8", "Tier 1").seconds(*morning) == 0
    assert calendars.for_group(None).seconds(*morning) == 0


@pytest.mark.parametrize(("entries", "message"), [
    ([{"tz": "UTC", "hours": {}}, {"tz": "UTC", "hours": {}}], "take effect on day one"),
    ([{"id": "a", "tz": "UTC", "default": True}, {"id": "b", "tz": "UTC", "default": True}],
     "both marked default"),
    ([{"id": "a", "tz": "UTC", "groups": ["x"]}, {"id": "b", "tz": "UTC", "groups": ["x"]}],
     "given to two schedules"),
    ([{"id": "a", "hours": {}}], "schedule 'a' lacks 'tz'"),
    ([{"id": "a", "tz": "UTC", "hours": {"mon": ["17:00-09:00"]}}], "schedule 'a': schedule"),
])
def test_contradictory_schedules_are_refused_with_the_reason(entries, message):
    with pytest.raises(ValueError, match=message):
        Calendars.from_config(entries)


def test_fingerprint_moves_with_history_and_group_assignments():
    base = [{"id": "a", "tz": "UTC", "hours": NINE_TO_FIVE}]
    later = [*base, {"id": "a", "tz": "UTC", "effective_from": "2026-01-01", "hours": {}}]
    grouped = [{**base[0], "groups": ["x"]}]
    prints = {Calendars.from_config(e).fingerprint() for e in (base, later, grouped)}
    assert len(prints) == 3
    assert Calendars.from_config(base).fingerprint() == Calendars.from_config(base).fingerprint()


def test_a_config_file_history_reaches_the_facts(tmp_path):
    from deskpulse.app.config.file import ConfigError, load_config

    path = tmp_path / "deskpulse.toml"
    path.write_text('[[schedule]]\ntz = "UTC"\nhours = { mon = ["09:00-17:00"] }\n'
                    '[[schedule]]\ntz = "UTC"\neffective_from = 2026-03-09\n'
                    'hours = { mon = ["09:00-10:00"] }\n', encoding="utf-8")
    calendars = load_config(path, environ={}).business_calendars()
    assert calendars is not None
    monday = utc(2026, 3, 9, 8)
    assert calendars.for_group(None).seconds(monday, monday + timedelta(hours=12)) == 3600
    path.write_text('[[schedule]]\ntz = "Nowhere/Atlantis"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="Atlantis"):
        load_config(path, environ={}).business_calendars()


def _ticket_in(store: Store, tid: str, group: str) -> None:
    created, replied = utc(2026, 3, 2, 8), utc(2026, 3, 2, 12)  # Monday 08:00 → 12:00 UTC
    store.commit_page("fd", "tickets", [
        Ticket(id=tid, status="open", created_at=created, updated_at=replied, group_id=group),
        Event(id=f"{tid}c", ticket_id=tid, at=created, kind="created", new_value="open",
              actor_role="customer"),
        Event(id=f"{tid}m", ticket_id=tid, at=created, kind="message", public=True,
              actor_role="customer"),
        Event(id=f"{tid}r", ticket_id=tid, at=replied, kind="message", public=True,
              actor_role="agent")], None)


def test_synced_group_schedules_time_each_groups_tickets(tmp_path):
    """Freshdesk: a ticket follows its group's business hours, else the default ones."""
    store = Store.open(tmp_path / "g.db")
    store.ensure_source("fd", "freshdesk", "acme")
    store.commit_page("fd", "business_hours", [
        BusinessSchedule(id="1", time_zone="America/New_York", is_default=True,
                         hours=NINE_TO_FIVE),
        BusinessSchedule(id="2", time_zone="Europe/London", hours=NINE_TO_FIVE)], None)
    store.commit_page("fd", "groups", [Group(id="g-us", name="US"),
                                       Group(id="g-uk", name="UK", schedule_id="2")], None)
    _ticket_in(store, "1", "g-us")
    _ticket_in(store, "2", "g-uk")
    calendars = kpi.synced_calendars(store)
    assert calendars is not None and calendars.by_group == {"g-uk": "2"}
    kpi.refresh(store, schedule=calendars)
    frt = dict(store.conn.execute("SELECT ticket_id, frt_bus FROM ticket_facts"))
    # 08:00-12:00 UTC is 03:00-07:00 in New York (closed), 08:00-12:00 in London (3 h open)
    assert frt == {"1": 0, "2": 3 * 3600}
    store.close()


def test_the_simulated_zendesk_holidays_are_synced_and_verify_agrees_over_christmas(tmp_path):
    from deskpulse.app.verify.facts import verify
    from deskpulse.connectors import load

    store = backfilled_store(tmp_path / "xmas.db", tickets=250, seed=11,
                             now=utc(2027, 1, 8, 12), days=30)
    (holidays,) = store.conn.execute("SELECT holidays FROM schedules").fetchone()
    assert '"2026-12-24..2026-12-26"' in holidays and '"2027-01-01..2027-01-01"' in holidays
    checks = {c.name: c for c in verify(store, "demo", load("zendesk"))}
    business = checks["full_resolution_time_in_minutes (business)"]
    assert business.compared > 100 and not business.disagreements
    assert all(not c.disagreements for c in checks.values())
    # and the holidays matter: timed without them, some tickets would disagree
    plain = Schedule.from_config({"tz": "America/New_York", "hours": NINE_TO_FIVE})
    kpi.rebuild(store, schedule=plain)
    without = {c.name: c for c in verify(store, "demo", load("zendesk"))}
    assert without["full_resolution_time_in_minutes (business)"].disagreements
    store.close()


def test_a_vendor_schedule_edit_starts_a_version_and_keeps_earlier_facts(tmp_path):
    store = Store.open(tmp_path / "v.db")
    store.ensure_source("fd", "freshdesk", "acme")

    def sync_hours(hours: list[str], seen: datetime) -> None:
        store.commit_page("fd", "business_hours", [BusinessSchedule(
            id="1", time_zone="UTC", is_default=True, seen_at=seen,
            hours={day: hours for day in NINE_TO_FIVE})], None)

    sync_hours(["09:00-17:00"], utc(2026, 3, 1))
    sync_hours(["09:00-17:00"], utc(2026, 3, 5))  # unchanged: no new version
    _ticket_in(store, "1", "g")  # Monday 2 March, 08:00 → 12:00 UTC
    sync_hours(["08:00-18:00"], utc(2026, 3, 9, 15))  # the team starts earlier from 9 March
    sync_hours(["07:00-18:00"], utc(2026, 3, 9, 16))  # and again, the same day: this one wins
    versions = store.conn.execute("SELECT effective_from, hours FROM schedule_versions "
                                  "ORDER BY effective_from").fetchall()
    assert [(start, '"07:00' in hours) for start, hours in versions] == [
        ("", False), ("2026-03-09", True)]
    calendars = kpi.synced_calendars(store)
    assert calendars is not None
    kpi.refresh(store, schedule=calendars)
    # replied at 12:00 on 2 March: timed by the hours of then (09-17): 3 h, not 5 h
    assert store.conn.execute("SELECT frt_bus FROM ticket_facts").fetchone()[0] == 3 * 3600
    later = calendars.for_group(None)
    assert later.seconds(utc(2026, 3, 9, 6), utc(2026, 3, 9, 12)) == 5 * 3600  # from 07:00
    store.close()
