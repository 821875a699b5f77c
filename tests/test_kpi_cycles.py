"""Reply cycles and the vendors' rules for them (kpi-catalog.md §4, vendor-apis.md §4.4)."""

from __future__ import annotations

from dataclasses import replace

from deskpulse.kpi.facts.compute import EventRow, compute
from deskpulse.kpi.facts.rules import FRESHDESK, INTERCOM, ZENDESK
from deskpulse.kpi.hours.seconds import Schedule
from deskpulse.store.models import SURVEY_FEEDBACK_CHANNEL
from tests.test_kpi_facts import T0, at, created, ev, status


def cycles(facts):
    return [(c.start, c.end, c.end_kind) for c in facts.cycles]


def conversation() -> list[EventRow]:
    """Opened by a customer; answered at 60; two more customer messages; answered at 300."""
    return created() + [ev(60, "message", "agent", actor="a1"),
                        ev(100, "message", "customer", actor="c1"),
                        ev(200, "message", "customer", actor="c1"),
                        ev(300, "message", "agent", actor="a1")]


def test_zendesk_measures_each_wait_from_the_first_unanswered_message():
    facts = compute(T0, conversation(), [], rules=ZENDESK)
    assert cycles(facts) == [(T0, at(60), "reply"), (at(100), at(300), "reply")]
    assert (facts.reply_cycles, facts.reply_time_median) == (2, (60 * 60 + 200 * 60) // 2)


def test_intercom_measures_from_the_last_unanswered_message():
    facts = compute(T0, conversation(), [], rules=INTERCOM)
    assert cycles(facts) == [(T0, at(60), "reply"), (at(200), at(300), "reply")]
    assert facts.reply_time_median == (60 * 60 + 100 * 60) // 2


def test_a_solve_without_a_reply_ends_the_wait_and_a_last_wait_stays_open():
    facts = compute(T0, created() + [status(30, "solved"),
                                     ev(50, "message", "customer", actor="c1")], [])
    assert cycles(facts) == [(T0, at(30), "solve"), (at(50), None, "open")]
    assert (facts.reply_cycles, facts.reply_time_median) == (0, None)


def test_survey_feedback_and_bots_neither_open_nor_answer_a_wait():
    feedback = replace(ev(90, "message", "customer", actor="c1"),
                       channel=SURVEY_FEEDBACK_CHANNEL)
    facts = compute(T0, created() + [ev(1, "message", "bot", actor="b1"),
                                     ev(60, "message", "agent", actor="a1"),
                                     status(61, "solved"), feedback], [], rules=FRESHDESK)
    assert cycles(facts) == [(T0, at(60), "reply")]


def test_an_agent_opened_ticket_waits_only_once_the_customer_writes():
    facts = compute(T0, created(role="agent", actor="a1") + [
        ev(10, "message", "agent", actor="a1"), ev(40, "message", "customer", actor="c1"),
        ev(70, "message", "agent", actor="a1")], [])
    assert cycles(facts) == [(at(40), at(70), "reply")]


def test_intercom_has_no_waits_before_the_first_contact_message():
    facts = compute(T0, created(role="agent", actor="a1"), [], rules=INTERCOM)
    assert facts.cycles == [] and facts.reply_time_median is None


def test_business_time_median_uses_the_schedule():
    schedule = Schedule.from_config({"tz": "UTC", "hours": {"mon": ["09:00-10:00"]}})
    facts = compute(T0, conversation(), [], schedule, rules=ZENDESK)
    # 09:00→10:00 (60 business min) and 10:40→14:00 (none): median 30 min
    assert facts.reply_time_median_bus == 30 * 60


def test_the_report_counts_every_answered_wait_by_the_day_it_was_answered(tmp_path):
    from datetime import date
    from datetime import datetime as dt

    from deskpulse import kpi
    from tests.simdesk import backfilled_store

    store = backfilled_store(tmp_path / "r.db", tickets=300, seed=2,
                             now=dt(2026, 6, 1, tzinfo=T0.tzinfo), days=30)
    since = date(2026, 5, 10)
    (row,) = kpi.summary(store, since=since)
    waits = sorted(r[0] for r in store.conn.execute(
        "SELECT secs_cal FROM reply_cycles WHERE end_kind = 'reply' AND end_day >= ?",
        (since.isoformat(),)))
    assert row["reply_n"] == len(waits) > row["frt_n"]  # later answers count too
    assert row["reply_p50_s"] == kpi.percentile(waits, 0.5)


def test_first_assignment_and_bot_only_resolution():
    from deskpulse.kpi.facts.compute import BOT_ONLY

    facts = compute(T0, created() + [ev(1, "message", "bot", actor="b1"),
                                     ev(5, "assignee", "system", new="a1", public=False),
                                     status(20, "solved")], [], rules=INTERCOM)
    assert (facts.first_assignment, facts.bot_msgs) == (5 * 60, 1)
    assert facts.flags & BOT_ONLY
    answered = compute(T0, created() + [ev(1, "message", "bot", actor="b1"),
                                        ev(9, "message", "agent", actor="a1"),
                                        status(20, "solved")], [])
    assert not answered.flags & BOT_ONLY and answered.first_assignment is None


def test_survey_response_rate_and_bot_share_only_where_the_data_can_say(tmp_path):
    from datetime import date
    from datetime import datetime as dt

    from deskpulse import kpi
    from tests.simdesk import backfilled_store

    store = backfilled_store(tmp_path / "s.db", tickets=300, seed=4,
                             now=dt(2026, 6, 1, tzinfo=T0.tzinfo), days=30)
    (row,) = kpi.summary(store, since=date(2026, 5, 1))
    offered, answered = store.conn.execute(
        "SELECT SUM(csat_offered), SUM(csat_positive IS NOT NULL) FROM ticket_facts "
        "WHERE first_solved_day >= '2026-05-01'").fetchone()
    assert 0 < answered < offered  # Zendesk records unanswered ("offered") surveys
    assert row["survey_response_pct"] == round(100 * answered / offered, 2)
    assert row["bot_only_pct"] is None  # the simulated Zendesk has no bot
    assert row["first_assignment_n"] > 0
    store.conn.execute("UPDATE sources SET kind = 'freshdesk'")
    (row,) = kpi.summary(store, since=date(2026, 5, 1))
    assert row["survey_response_pct"] is None  # Freshdesk keeps only answers


def test_repeat_contact_counts_solved_tickets_whose_requester_came_back_within_7_days(
        tmp_path):
    from datetime import date, timedelta
    from datetime import datetime as dt

    from deskpulse import kpi
    from tests.simdesk import backfilled_store

    store = backfilled_store(tmp_path / "rc.db", tickets=400, seed=6,
                             now=dt(2026, 6, 1, tzinfo=T0.tzinfo), days=30)
    since = date(2026, 5, 5)
    (row,) = kpi.summary(store, since=since)
    tickets = [(tid, req, dt.fromisoformat(created.replace("Z", "+00:00")))
               for tid, req, created in store.conn.execute(
                   "SELECT id, requester_id, created_at FROM tickets WHERE deleted = 0")]
    solved = store.conn.execute(
        "SELECT f.ticket_id, t.requester_id, f.last_solved_at FROM ticket_facts f JOIN "
        "tickets t ON t.id = f.ticket_id WHERE f.first_solved_day >= ? AND "
        "f.last_solved_at IS NOT NULL", (since.isoformat(),)).fetchall()
    came_back = 0
    for tid, requester, last in solved:
        last = dt.fromisoformat(last.replace("Z", "+00:00"))
        came_back += any(r == requester and other != tid and last < c <= last + timedelta(7)
                         for other, r, c in tickets)
    assert came_back > 0
    assert row["repeat_contact_pct"] == round(100 * came_back / row["solved"], 2)


def test_escalation_counts_second_groups_raised_priorities_and_configured_tags(tmp_path):
    from datetime import date
    from datetime import datetime as dt

    from deskpulse import kpi
    from tests.simdesk import backfilled_store

    store = backfilled_store(tmp_path / "es.db", tickets=300, seed=8,
                             now=dt(2026, 6, 1, tzinfo=T0.tzinfo), days=30)
    since = date(2026, 5, 3)
    by_rule = store.conn.execute(
        "SELECT COUNT(*) FROM ticket_facts f WHERE f.created_day >= ? AND "
        "(f.group_stations >= 2 OR EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = "
        "f.ticket_id AND e.kind = 'priority' AND e.at > f.created_at AND e.new_value = "
        "'urgent' AND COALESCE(e.old_value, '') NOT IN ('high', 'urgent')))",
        (since.isoformat(),)).fetchone()[0]
    (row,) = kpi.summary(store, since=since)
    assert by_rule > 0 and row["escalation_pct"] == round(100 * by_rule / row["created"], 2)
    (tagged,) = kpi.summary(store, since=since, escalation_tags=("vip",))
    assert tagged["escalation_pct"] > row["escalation_pct"]  # the simulator tags some "vip"
