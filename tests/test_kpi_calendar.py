"""Business time: windows in the schedule's own zone, DST, holidays, prefix sums."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskpulse import kpi
from deskpulse.kpi.hours.seconds import Schedule
from deskpulse.store import Event, Store, Ticket

NY = Schedule.from_config({"tz": "America/New_York",
                           "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu",
                                                                   "fri")},
                           "holidays": ["2026-12-24..2026-12-25"]})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_weekday_inside_and_outside_hours():
    assert NY.seconds(utc(2026, 3, 2, 14), utc(2026, 3, 2, 15)) == 3600  # 09-10 in New York
    assert NY.seconds(utc(2026, 3, 2, 2), utc(2026, 3, 2, 3)) == 0  # night
    assert NY.seconds(utc(2026, 3, 2, 15), utc(2026, 3, 2, 14)) == 0  # backwards


def test_a_weekend_counts_nothing_and_dst_moves_the_window_in_utc():
    friday_4pm, monday_10am = utc(2026, 3, 6, 21), utc(2026, 3, 9, 14)  # DST from 8 March
    assert NY.seconds(friday_4pm, monday_10am) == 2 * 3600


def test_holidays_remove_whole_local_days():
    assert NY.seconds(utc(2026, 12, 23, 0), utc(2026, 12, 27, 0)) == 8 * 3600  # only the 23rd


def brute_force(schedule: Schedule, start: datetime, end: datetime) -> int:
    total, moment = 0, start
    while moment < end:
        step = min(end, moment + timedelta(minutes=1))
        local = moment.astimezone(schedule._zone)
        windows = [] if local.date() in schedule.holidays else schedule.hours.get(
            local.weekday(), [])
        if any(a <= local.time() < b for a, b in windows):
            total += int((step - moment).total_seconds())
        moment = step
    return total


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 60 * 24 * 20), st.integers(0, 60 * 24 * 25))
def test_prefix_sums_equal_minute_by_minute_counting(offset, length):
    start = utc(2026, 2, 20) + timedelta(minutes=offset)  # spans the March DST change
    end = start + timedelta(minutes=length)
    assert NY.seconds(start, end) == brute_force(NY, start, end)


def test_bad_windows_are_refused():
    with pytest.raises(ValueError, match="must end after it starts"):
        Schedule.from_config({"tz": "UTC", "hours": {"mon": ["17:00-09:00"]}})


def test_a_changed_schedule_rebuilds_every_fact_by_itself(tmp_path):
    store = Store.open(tmp_path / "c.db")
    at = utc(2026, 3, 2, 14)
    store.commit_page("acme", "t", [
        Ticket(id="1", status="solved", created_at=at, updated_at=at),
        Event(id="c", ticket_id="1", at=at, kind="created", new_value="new"),
        Event(id="s", ticket_id="1", at=at + timedelta(hours=2), kind="status",
              new_value="solved")], None)
    assert not kpi.ensure_definitions(store, None)  # first time: nothing to rebuild
    kpi.refresh(store)
    assert store.conn.execute("SELECT first_resolution_bus FROM ticket_facts").fetchone() == (
        None,)
    assert kpi.ensure_definitions(store, NY)
    assert store.conn.execute("SELECT first_resolution_bus FROM ticket_facts").fetchone() == (
        7200,)
    assert not kpi.ensure_definitions(store, NY)
    store.close()


def test_schedule_from_the_config_file(tmp_path):
    from deskpulse.app.config.file import load_config

    path = tmp_path / "deskpulse.toml"
    path.write_text('[[schedule]]\ntz = "Europe/Berlin"\ndefault = true\n'
                    'hours = { mon = ["09:00-12:00", "13:00-17:00"] }\n'
                    'holidays = ["2027-01-01"]\n', encoding="utf-8")
    calendars = load_config(path, environ={}).business_calendars()
    assert calendars is not None
    schedule = calendars.for_group(None).at(utc(2026, 3, 2, 7))
    assert schedule.holidays == frozenset({date(2027, 1, 1)})
    assert schedule.seconds(utc(2026, 3, 2, 7), utc(2026, 3, 2, 17)) == 7 * 3600


def test_a_newer_facts_version_rebuilds_too(tmp_path, monkeypatch):
    import importlib

    module = importlib.import_module("deskpulse.kpi.upkeep.definitions")
    store = Store.open(tmp_path / "v.db")
    at = utc(2026, 3, 2, 14)
    store.commit_page("acme", "t", [Ticket(id="1", status="open", created_at=at, updated_at=at),
                                    Event(id="c", ticket_id="1", at=at, kind="created",
                                          new_value="new")], None)
    kpi.ensure_definitions(store, None)
    kpi.refresh(store)
    assert not kpi.ensure_definitions(store, None)
    monkeypatch.setattr(module, "FACTS_VERSION", module.FACTS_VERSION + 1)
    assert kpi.ensure_definitions(store, None)
    store.close()


def test_a_single_sources_synced_schedule_is_used_and_several_sources_need_the_config(
        tmp_path):
    from deskpulse.store import BusinessSchedule

    store = Store.open(tmp_path / "s.db")
    store.ensure_source("zd", "zendesk", "acme")
    assert kpi.synced_calendars(store) is None  # nothing synced yet
    hours = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    store.commit_page("zd", "business_hours", [
        BusinessSchedule(id="2", time_zone="Europe/Berlin", hours={"mon": ["08:00-12:00"]}),
        BusinessSchedule(id="1", time_zone="America/New_York", is_default=True, hours=hours)],
        None)
    synced = kpi.synced_calendars(store)
    assert synced is not None and synced.default == "1"
    default = synced.for_group(None).at(datetime(2026, 3, 2, tzinfo=UTC))
    assert default.tz == "America/New_York" and len(default.hours) == 5
    store.ensure_source("fd", "freshdesk", "acme")
    assert kpi.synced_calendars(store) is None  # two sources: one calendar cannot serve both
