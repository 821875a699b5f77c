"""KPI fact rules on hand-built event histories (kpi-catalog §4, Zendesk rule set)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deskpulse.kpi.facts.compute import AGENT_CREATED, CLOCK_SKEW, EventRow, RatingRow, compute

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ids = iter(range(1, 10_000))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ev(minutes: float, kind: str, role: str | None = None, *, actor: str | None = None,
       public: bool = True, new: str | None = None) -> EventRow:
    return EventRow(f"e{next(_ids):05d}", at(minutes), kind, role, actor, public, new)


def created(role: str = "customer", status: str = "new", actor: str = "c1") -> list[EventRow]:
    return [ev(0, "created", role, actor=actor, new=status),
            ev(0, "message", role, actor=actor)]


def status(minutes: float, value: str, role: str = "agent") -> EventRow:
    return ev(minutes, "status", role, actor="a1", public=False, new=value)


def test_first_reply_is_the_first_public_agent_comment():
    facts = compute(T0, created() + [ev(30, "note", "agent", public=False),
                                     ev(45, "message", "agent", actor="a1"),
                                     ev(90, "message", "agent", actor="a1")], [])
    assert (facts.frt, facts.replies, facts.notes) == (45 * 60, 2, 1)


def test_a_private_note_never_ends_the_first_reply_clock():
    facts = compute(T0, created() + [ev(10, "note", "agent", public=False)], [])
    assert facts.frt is None and facts.first_reply_at is None


def test_agent_created_ticket_skips_its_opening_comment():
    facts = compute(T0, created(role="agent", status="pending", actor="a1")
                    + [ev(100, "message", "customer", actor="c1"),
                       ev(160, "message", "agent", actor="a1")], [])
    assert facts.frt == 160 * 60
    assert (facts.replies, facts.public_agent_comments) == (1, 2)
    assert facts.flags & AGENT_CREATED


def test_solved_before_any_reply_then_reopened_then_replied():
    facts = compute(T0, created() + [status(60, "solved", "system"),
                                     ev(300, "message", "customer", actor="c1"),
                                     status(300, "open", "customer"),
                                     ev(400, "message", "agent", actor="a1")], [])
    assert facts.frt == 400 * 60
    assert facts.first_resolution == 60 * 60
    assert facts.reopens == 1
    assert facts.full_resolution is None  # reopened and not solved again
    assert facts.status == "open"


def test_a_close_without_a_solve_counts_as_the_solve_and_closing_a_solved_one_does_not():
    closed = compute(T0, created() + [status(30, "closed", "system")], [])
    assert (closed.first_resolution, closed.resolutions) == (1800, 1)
    later = compute(T0, created() + [status(30, "solved"), status(90, "closed", "system")], [])
    assert (later.first_resolution, later.full_resolution, later.resolutions) == (1800, 1800, 1)


def test_waits_sum_only_ended_intervals_and_hold_is_zero_when_never_held():
    facts = compute(T0, created() + [status(10, "open"), status(40, "pending"),
                                     status(100, "open", "customer"), status(130, "solved")],
                    [])
    assert facts.requester_wait == (10 + 30 + 30) * 60
    assert facts.agent_wait == 60 * 60
    assert facts.on_hold == 0
    running = compute(T0, created() + [status(10, "on_hold")], [])
    assert (running.on_hold, running.requester_wait) == (0, 600)  # the hold is still running


def test_agent_work_counts_new_and_open_but_not_pending_or_hold():
    facts = compute(T0, created() + [status(10, "open"), status(40, "on_hold"),
                                     status(70, "open"), status(80, "pending"),
                                     status(200, "open", "customer"), status(215, "solved")],
                    [])
    assert facts.agent_work == (10 + 30 + 10 + 15) * 60
    assert facts.requester_wait == facts.agent_work + 30 * 60  # the hold is the difference


def test_touches_and_fcr():
    one = compute(T0, created() + [ev(5, "message", "agent"), status(5, "solved")], [])
    assert (one.touch(1), one.touch(0)) == (True, False)
    zero = compute(T0, created() + [status(5, "solved")], [])
    assert zero.touch(0)
    reopened = compute(T0, created() + [ev(5, "message", "agent"), status(5, "solved"),
                                        status(50, "open", "customer"), status(60, "solved")], [])
    assert reopened.touch(1) and reopened.reopens == 1  # one-touch, but not FCR


def test_unknown_and_bot_actors_are_neither_agents_nor_customers():
    facts = compute(T0, created() + [ev(5, "message", None, actor="ghost"),
                                     ev(6, "message", "bot", actor="bot")], [])
    assert (facts.frt, facts.customer_msgs) == (None, 1)


def test_assignment_stations_count_non_empty_assignments():
    facts = compute(T0, created() + [ev(1, "assignee", "system", new="a1", public=False),
                                     ev(2, "assignee", "agent", new=None, public=False),
                                     ev(3, "assignee", "agent", new="a2", public=False),
                                     ev(3, "group", "agent", new="g1", public=False)], [])
    assert (facts.assignee_stations, facts.reassignments, facts.group_stations) == (2, 1, 1)


def test_csat_is_the_latest_answered_rating_and_offered_counts_separately():
    ratings = [RatingRow("r1", at(100), "bad", False), RatingRow("r2", at(200), "good", True),
               RatingRow("r3", at(300), "offered", None)]
    facts = compute(T0, created(), ratings)
    assert (facts.csat_score, facts.csat_positive, facts.csat_offered) == ("good", True, True)
    offered_only = compute(T0, created(), [RatingRow("r9", at(1), "offered", None)])
    assert (offered_only.csat_offered, offered_only.csat_positive) == (True, None)


def test_clock_skew_clamps_to_zero_and_is_flagged():
    facts = compute(T0, [ev(0, "created", "customer", new="new"),
                         ev(-30, "message", "agent", actor="a1")], [])
    assert facts.frt == 0 and facts.flags & CLOCK_SKEW


def test_unsolved_spans_follow_solves_and_reopens():
    facts = compute(T0, created() + [status(60, "solved"), status(120, "open", "customer"),
                                     status(180, "solved"), status(240, "open", "customer")], [])
    spans = [(s.start, s.end) for s in facts.spans]
    assert spans == [(T0, at(60)), (at(120), at(180)), (at(240), None)]


def test_event_order_in_one_second_is_reply_before_solve_regardless_of_input_order():
    same = [status(5, "solved"), ev(5, "message", "agent", actor="a1")]
    facts = compute(T0, created() + same, [])
    assert (facts.frt, facts.replies, facts.touch(1)) == (300, 1, True)
