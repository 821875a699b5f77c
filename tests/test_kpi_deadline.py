"""Schedule.deadline: the moment a business-hours target is used up, the inverse of
Schedule.seconds, across weekends, holidays and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskpulse.kpi.hours.seconds import Schedule

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
BERLIN = Schedule.from_config({"tz": "Europe/Berlin",
                               "hours": {d: ["09:00-12:00", "13:00-17:00"] for d in WEEKDAYS},
                               "holidays": ["2026-12-24..2026-12-26"]})
# windows across the 02:00-03:00 DST jumps, every day
NIGHT = Schedule.from_config({"tz": "Europe/Berlin",
                              "hours": {d: ["01:00-04:00", "22:00-23:30"] for d in
                                        (*WEEKDAYS, "sat", "sun")},
                              "holidays": ["2026-10-26"]})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_over_a_weekend():
    friday_4pm = utc(2026, 3, 6, 15)  # 16:00 CET
    assert BERLIN.deadline(friday_4pm, 2 * 3600) == utc(2026, 3, 9, 9)  # Monday 10:00 CET


def test_across_the_lunch_break_and_from_outside_hours():
    assert BERLIN.deadline(utc(2026, 3, 2, 10), 2 * 3600) == utc(2026, 3, 2, 13)  # 11→14 CET
    assert BERLIN.deadline(utc(2026, 3, 2, 20), 3600) == utc(2026, 3, 3, 9)


def test_over_holidays():
    wednesday_5pm = utc(2026, 12, 23, 16)  # the 24th-26th are off, the 27th is a Sunday
    assert BERLIN.deadline(wednesday_5pm, 3600) == utc(2026, 12, 28, 9)


def test_across_the_spring_dst_change():
    friday_4pm = utc(2026, 3, 27, 15)  # CET; Monday is CEST
    assert BERLIN.deadline(friday_4pm, 2 * 3600) == utc(2026, 3, 30, 8)


def test_a_window_that_the_dst_change_shortens_is_counted_as_it_was_worked():
    saturday_midnight = utc(2026, 3, 28, 23)  # 00:00 CET, Sunday 29 March
    # 01:00-04:00 local that night is 2 real hours (02:00 does not exist)
    assert NIGHT.seconds(saturday_midnight, utc(2026, 3, 29, 12)) == 2 * 3600
    assert NIGHT.deadline(saturday_midnight, 2 * 3600) == utc(2026, 3, 29, 2)


def test_zero_is_the_start_and_an_empty_schedule_is_an_error():
    assert BERLIN.deadline(utc(2026, 3, 7, 3), 0) == utc(2026, 3, 7, 3)
    with pytest.raises(ValueError, match="no 60 business seconds"):
        Schedule("UTC", {}).deadline(utc(2026, 3, 7), 60, max_days=30)


@settings(max_examples=150, deadline=None)
@given(schedule=st.sampled_from([BERLIN, NIGHT]),
       offset=st.integers(0, 60 * 24 * 300), target=st.integers(1, 3600 * 80))
def test_the_deadline_is_the_first_moment_seconds_reaches_the_target(schedule, offset,
                                                                      target):
    start = utc(2026, 3, 1) + timedelta(minutes=offset)  # spans both 2026 DST changes
    end = schedule.deadline(start, target)
    assert schedule.seconds(start, end) == target
    assert schedule.seconds(start, end - timedelta(seconds=1)) == target - 1
