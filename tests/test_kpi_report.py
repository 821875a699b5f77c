"""KPI summaries: exact percentiles, the same figures in the kpi_* views, None for no data."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskpulse import kpi
from deskpulse.kpi.figures.summary import PERCENTILE_METRICS
from tests.simdesk import backfilled_store

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
METRICS = [metric for metric, *_how in PERCENTILE_METRICS] + ["reply"]


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
        for metric in METRICS:
            if row[f"{metric}_n"]:
                n, p50, p90 = pct[(day, metric)]
                assert (n, row[f"{metric}_p50_s"], row[f"{metric}_p90_s"]) == (
                    row[f"{metric}_n"], p50, p90), (day, metric)
            else:
                assert (day, metric) not in pct
    # every figure with a percentile in `deskpulse kpi` has one in the view too
    assert {metric for _day, metric in pct} >= {"frt", "reply", "agent_work", "social_frt",
                                                 "first_assignment", "full_resolution"}


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
    for by in ("channel", "group", "agent", "priority", "type"):
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


def test_rate_figures_match_the_views_under_the_recorded_options(store):
    tags = [t for (t,) in store.conn.execute(
        "SELECT DISTINCT j.value FROM tickets, json_each(tickets.tags) j LIMIT 1")]
    assert tags  # the simulated desk tags its tickets
    for options in ({"repeat_days": 7, "escalation_tags": ()},
                    {"repeat_days": 30, "escalation_tags": tuple(tags)}):
        kpi.install_views(store, options)
        rows = kpi.summary(store, source="demo", by="day", **options)
        views = {r[0]: r[1:] for r in store.conn.execute(
            "SELECT day, escalation_rate, repeat_contact_rate, bot_only_rate, "
            "survey_response_rate FROM kpi_days_rates WHERE source = 'demo'")}
        def pct(rate):
            return None if rate is None else round(rate * 100, 2)
        for row in rows:
            expected = tuple(row[k] for k in ("escalation_pct", "repeat_contact_pct",
                                               "bot_only_pct", "survey_response_pct"))
            got = tuple(pct(r) for r in views.get(row["period"], (None,) * 4))
            assert got == pytest.approx(expected, abs=0.01), (row["period"], options)
        assert any(r["repeat_contact_pct"] for r in rows)
        assert any(r["escalation_pct"] for r in rows)


def test_unsolved_now_counts_the_stored_queue_and_who_owns_none_of_it(store):
    now = kpi.unsolved_now(store, "demo")
    unsolved = store.conn.execute(
        "SELECT COUNT(*), SUM(assignee_id IS NULL) FROM tickets WHERE deleted = 0 "
        "AND status NOT IN ('solved', 'closed') AND source = 'demo'").fetchone()
    assert (now["unsolved_now"], now["unassigned_unsolved_now"]) == unsolved
    assert now["unsolved_now"] > now["unassigned_unsolved_now"] > 0


def test_by_tag_counts_each_tagged_ticket_under_each_of_its_tags(store):
    since, until = date(2026, 4, 6), date(2026, 4, 26)
    rows = {r["tag"]: r for r in kpi.by_tag(store, source="demo", since=since, until=until)}
    assert len(rows) >= 3
    for tag, row in rows.items():
        frt = sorted(x for (x,) in store.conn.execute(
            "SELECT f.frt_cal FROM ticket_facts f JOIN tickets t ON t.source = f.source AND "
            "t.id = f.ticket_id WHERE f.first_reply_day BETWEEN ? AND ? AND f.frt_cal IS NOT "
            "NULL AND EXISTS (SELECT 1 FROM json_each(t.tags) WHERE value = ?)",
            (since.isoformat(), until.isoformat(), tag)))
        created = store.conn.execute(
            "SELECT COUNT(*) FROM ticket_facts f JOIN tickets t ON t.source = f.source AND "
            "t.id = f.ticket_id WHERE f.created_day BETWEEN ? AND ? AND EXISTS "
            "(SELECT 1 FROM json_each(t.tags) WHERE value = ?)",
            (since.isoformat(), until.isoformat(), tag)).fetchone()[0]
        assert (row["created"], row["frt_n"], row["frt_p50_s"]) == (
            created, len(frt), kpi.percentile(frt, 0.5))
    [total] = kpi.summary(store, source="demo", since=since, until=until)
    assert sum(r["created"] for r in rows.values()) >= total["created"] * 0.5  # many tagged
