"""KPI summaries: exact percentiles, the same figures in the kpi_* views, None for no data."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpi
from tests.simdesk import backfilled_store

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


@given(st.lists(st.integers(0, 10**7), min_size=2, max_size=300))
def test_percentile_is_linear_interpolation_like_percentile_cont(values):
    ordered = sorted(values)
    p50, p90 = statistics.quantiles(ordered, n=10, method="inclusive")[4::4]
    assert kpi.percentile(ordered, 0.5) == pytest.approx(p50)
    assert kpi.percentile(ordered, 0.9) == pytest.approx(p90)


def test_percentile_of_nothing_is_none():
    assert kpi.percentile([], 0.5) is None
    assert kpi.percentile([42], 0.9) == 42


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = backfilled_store(tmp_path_factory.mktemp("report") / "r.db", tickets=400, seed=21,
                         now=NOW, days=35)
    yield s
    s.close()


def test_daily_summary_matches_the_views(store):
    rows = kpi.summary(store, source="demo", by="day")
    views = {r[0]: r for r in store.conn.execute(
        "SELECT day, created, solved, backlog, frt_n FROM kpi_days WHERE source = 'demo'")}
    pct = {(r[0], r[1]): r[2:] for r in store.conn.execute(
        "SELECT day, metric, n, p50_s, p90_s FROM kpi_percentiles_daily WHERE source = 'demo'")}
    assert len(rows) > 20
    for row in rows:
        day = row["period"]
        assert (row["created"], row["solved"], row["backlog"], row["frt_n"]) == views[day][1:]
        if row["frt_n"]:
            n, p50, p90 = pct[(day, "frt")]
            assert (n, row["frt_p50_s"], row["frt_p90_s"]) == (row["frt_n"], p50, p90)


def test_range_percentiles_come_from_facts_not_from_daily_medians(store):
    since, until = date(2026, 4, 6), date(2026, 4, 19)
    [row] = kpi.summary(store, source="demo", since=since, until=until)
    values = sorted(r[0] for r in store.conn.execute(
        "SELECT frt_cal FROM ticket_facts WHERE first_reply_day BETWEEN ? AND ? "
        "AND frt_cal IS NOT NULL", (since.isoformat(), until.isoformat())))
    assert row["frt_n"] == len(values) > 30
    assert row["frt_p50_s"] == kpi.percentile(values, 0.5)
    assert row["frt_p90_s"] == kpi.percentile(values, 0.9)


def test_dimension_rows_add_up_to_the_total(store):
    [total] = kpi.summary(store, source="demo")
    for by in ("channel", "group", "agent", "priority"):
        parts = kpi.summary(store, source="demo", by=by)
        assert sum(r["created"] for r in parts) == total["created"], by
        assert sum(r["backlog"] or 0 for r in parts) == total["backlog"], by


def test_weeks_start_on_monday_and_backlog_carries_over(store):
    weeks = kpi.summary(store, source="demo", by="week", since=date(2026, 4, 1))
    assert all(date.fromisoformat(w["period"]).weekday() == 0 for w in weeks)
    days = kpi.summary(store, source="demo", by="day")
    last_day_of_first_week = max((d for d in days
                                  if date.fromisoformat(d["period"]) < date(2026, 4, 6)),
                                 key=lambda d: d["period"])
    assert weeks[0]["backlog"] == last_day_of_first_week["backlog"]


def test_an_empty_range_has_no_rows_and_no_fake_zeros(store):
    assert kpi.summary(store, source="demo", since=date(2030, 1, 1)) == []
