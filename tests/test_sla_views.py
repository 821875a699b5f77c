"""The kpi_sla_* views and the HTML report give the figures `kpi.summary` gives, on the
simulated help desk with SLA targets (the views read "now" from the clock, as the report
is asked to)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskpulse import kpi
from deskpulse.app.report.html import write_report
from deskpulse.kpi.figures.stats import ratio
from tests.simdesk import backfilled_store

# a fixed present (the views' own clock is later: every pending instance is past its breach
# moment at ENDED, so they agree with the summary at NOW whatever the hour)
NOW = datetime(2026, 11, 20, 15, 7, tzinfo=UTC)
# the account ends 4 days ago: every pending instance is past its breach moment or paused,
# so the views (their own clock) and the summary (NOW) cannot see one cross it in between
ENDED = NOW - timedelta(days=4)
TARGETS = (kpi.Target("first_reply", 8 * 3600, priorities=("low", "normal")),
           kpi.Target("first_reply", 2 * 3600),
           kpi.Target("next_reply", 12 * 3600),
           kpi.Target("agent_work", 6 * 3600, business=True),
           kpi.Target("periodic_update", 36 * 3600),
           kpi.Target("pausable_update", 36 * 3600))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = backfilled_store(tmp_path_factory.mktemp("sla") / "s.db", tickets=400, seed=23,
                         now=ENDED, days=40)
    assert kpi.ensure_definitions(s, kpi.synced_calendars(s), TARGETS)
    yield s
    s.close()


def test_the_views_agree_with_the_summary(store):
    [row] = kpi.summary(store, now=datetime.now(UTC))
    for metric in ("first_reply", "next_reply", "agent_work", "periodic_update",
                   "pausable_update"):
        achieved, breached = store.conn.execute(
            "SELECT SUM(achieved), SUM(breached) FROM kpi_sla_days WHERE metric = ?",
            (metric,)).fetchone()
        assert achieved + breached == row[f"sla_{metric}_n"] > 0, metric
        assert breached == row[f"sla_{metric}_breaches"], metric
    assert row["sla_requester_wait_n"] is None  # no target: no figure, not 0
    breaches = store.conn.execute("SELECT SUM(breaches) FROM kpi_sla_breaches").fetchone()[0]
    assert breaches == row["sla_breaches"]
    tickets, met = store.conn.execute(
        "SELECT COUNT(*), SUM(met_all) FROM kpi_sla_tickets").fetchone()
    assert tickets == row["sla_tickets_n"]
    assert round(met * 100 / tickets, 2) == row["sla_all_met_pct"]
    overdue = store.conn.execute(
        "SELECT COUNT(*) FROM kpi_sla_at_risk WHERE state = 'overdue'").fetchone()[0]
    assert overdue == row["sla_overdue"]
    ranks = [r[0] for r in store.conn.execute("SELECT rank FROM kpi_sla_at_risk")]
    assert ranks == list(range(1, len(ranks) + 1))


def test_pausable_update_is_periodic_update_with_a_clock_that_pauses(store):
    """The same waits with the same target: a pausable one is never met later than its
    periodic twin, so it is met whenever the twin is; pending time is what it leaves out."""
    pairs = store.conn.execute(
        "SELECT p.outcome, q.outcome, p.breach_at, q.breach_at FROM sla_instances p "
        "JOIN sla_instances q ON q.source = p.source AND q.ticket_id = p.ticket_id AND "
        "q.seq = p.seq AND q.metric = 'pausable_update' AND q.start_at = p.start_at AND "
        "q.fulfilled_at IS p.fulfilled_at WHERE p.metric = 'periodic_update'").fetchall()
    periodic = store.conn.execute("SELECT COUNT(*) FROM sla_instances WHERE metric = "
                                  "'periodic_update'").fetchone()[0]
    assert len(pairs) == periodic > 0
    assert all(q == "achieved" for p, q, _pb, _qb in pairs if p == "achieved")
    assert all(qb is None or qb >= pb for _p, _q, pb, qb in pairs)
    [row] = kpi.summary(store, now=NOW)
    assert row["sla_pausable_update_pct"] >= row["sla_periodic_update_pct"]


def test_the_seven_day_rate_is_a_window_over_the_daily_counts(store):
    rows = store.conn.execute("SELECT day, achieved, breached, achievement_rate_7d FROM "
                              "kpi_sla_days WHERE source = 'demo' AND metric = 'first_reply' "
                              "ORDER BY day").fetchall()
    last = datetime.fromisoformat(rows[-1][0])
    week = [r for r in rows if last - datetime.fromisoformat(r[0]) < timedelta(days=7)]
    ok, bad = sum(r[1] for r in week), sum(r[2] for r in week)
    assert rows[-1][3] == ratio(ok, ok + bad, digits=4)  # halves away from zero, as SQLite


def test_by_priority_uses_the_priority_the_target_applied_with(store):
    rows = {r["priority"]: r for r in kpi.summary(store, by="priority", now=NOW)}
    counted = dict(store.conn.execute(
        "SELECT COALESCE(priority, ''), COUNT(*) FROM sla_instances WHERE metric = "
        "'first_reply' AND outcome = 'achieved' GROUP BY 1"))
    for priority, achieved in counted.items():
        row = rows[priority]
        assert row["sla_first_reply_n"] - row["sla_first_reply_breaches"] == achieved


def test_the_html_report_shows_the_sla_tiles_and_chart(store, tmp_path):
    page = write_report(store, tmp_path / "r.html", today=NOW.date(), now=NOW).read_text()
    since = NOW.date() - timedelta(days=NOW.date().weekday(), weeks=7)  # the default 8 weeks
    [row] = kpi.summary(store, since=since, until=NOW.date(), now=NOW)
    assert f'data-kpi="sla_pct"><div>SLA achievement</div><div class="v">' \
           f'{row["sla_pct"]:.0f}%<' in page
    assert "SLA achievement per metric per week" in page
    assert "no SLA targets configured" not in page


def test_periods_have_no_at_risk_count_and_a_report_without_now_keeps_pending_pending(store):
    weeks = kpi.summary(store, by="week", now=NOW)
    assert weeks and all(w["sla_at_risk"] is None and w["sla_overdue"] is None for w in weeks)
    [with_now] = kpi.summary(store, now=NOW)
    [without] = kpi.summary(store)
    overdue = store.conn.execute("SELECT COUNT(*) FROM sla_instances WHERE outcome = "
                                 "'pending' AND breach_at IS NOT NULL").fetchone()[0]
    assert overdue > 0  # every pending instance with a breach moment is past it (ENDED)
    assert with_now["sla_breaches"] - without["sla_breaches"] == overdue
    assert without["sla_at_risk"] is None


def test_the_at_risk_view_follows_the_window_the_last_run_recorded(tmp_path):
    from deskpulse.store import Store

    s = Store.open(tmp_path / "w.db")
    due = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    s.commit_page("acme", "t", [_ticket()], None)
    s.conn.execute("INSERT INTO sla_instances (source, ticket_id, metric, seq, applied_at, "
                   "applied_day, start_at, channel, target_s, business, breach_at, outcome) "
                   "VALUES ('acme', '1', 'first_reply', 0, ?, ?, ?, 'email', 3600, 0, ?, "
                   "'pending')", (due, due[:10], due, due))
    options = {"repeat_days": 7, "escalation_tags": ()}
    for window, expected in ((timedelta(hours=1), 0), (timedelta(hours=3), 1)):
        kpi.install_views(s, options | {"sla_at_risk": window})
        count = s.conn.execute("SELECT COUNT(*) FROM kpi_sla_at_risk").fetchone()[0]
        assert count == expected, window
    s.close()


def _ticket():
    from deskpulse.store import Ticket

    at = datetime.now(UTC)
    return Ticket(id="1", status="open", created_at=at, updated_at=at)
