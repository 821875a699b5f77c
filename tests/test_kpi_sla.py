"""SLA instances (kpi/sla/instances.py): each rule of kpi-catalog §5.6, one ticket at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deskpulse.kpi.facts.compute import EventRow, compute
from deskpulse.kpi.facts.rules import FRESHDESK, ZENDESK
from deskpulse.kpi.hours.seconds import Schedule
from deskpulse.kpi.sla.instances import Instance, instances
from deskpulse.kpi.sla.policy import Target

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)


class Ticket:
    """Builds one ticket's events step by step, at hours after T0."""

    def __init__(self, status: str = "new", opener: str = "customer"):
        self.events = [EventRow("c", T0, "created", opener, new_value=status)]
        if opener == "customer":
            self.say(0, "customer")

    def _add(self, hours: float, kind: str, role: str | None, **fields) -> Ticket:
        self.events.append(EventRow(f"e{len(self.events)}", T0 + hours * H, kind, role,
                                    **fields))
        return self

    def say(self, hours: float, role: str, public: bool = True) -> Ticket:
        return self._add(hours, "message" if public else "note", role, public=public,
                         actor_id=role)

    def status(self, hours: float, value: str) -> Ticket:
        return self._add(hours, "status", "agent", new_value=value)

    def priority(self, hours: float, value: str) -> Ticket:
        return self._add(hours, "priority", "agent", new_value=value)

    def sla(self, *targets: Target, priority: str | None = "normal", schedule=None,
            rules=ZENDESK, metric: str | None = None) -> list[Instance]:
        facts = compute(T0, self.events, [], schedule, rules)
        found = instances(facts, self.events, source="acme", channel="email",
                          priority=priority, targets=targets, schedule=schedule, rules=rules)
        return [i for i in found if metric is None or i.metric == metric]


def target(metric: str, hours: float, **kw) -> Target:
    return Target(metric, int(hours * 3600), **kw)


def at(hours: float) -> datetime:
    return T0 + hours * H


def test_first_reply_is_achieved_by_an_early_reply_and_breached_by_a_late_one():
    (fast,) = Ticket().say(1, "agent").sla(target("first_reply", 2))
    assert (fast.outcome, fast.fulfilled_at, fast.breach_at) == ("achieved", at(1), at(2))
    (slow,) = Ticket().say(3, "agent").sla(target("first_reply", 2))
    assert (slow.outcome, slow.fulfilled_at) == ("breached", at(3))
    (edge,) = Ticket().say(2, "agent").sla(target("first_reply", 2))
    assert edge.outcome == "achieved"  # at the breach moment itself: still met


def test_a_private_note_or_a_bot_never_fulfils_a_reply_target():
    ticket = Ticket().say(1, "agent", public=False).say(1.5, "bot")
    (waiting,) = ticket.sla(target("first_reply", 2))
    assert (waiting.outcome, waiting.fulfilled_at, waiting.breach_at) == ("pending", None, at(2))


def test_a_solve_fulfils_reply_targets():
    (first,) = Ticket().status(1, "solved").sla(target("first_reply", 2))
    assert (first.outcome, first.fulfilled_at) == ("achieved", at(1))
    ticket = (Ticket().say(1, "agent").say(2, "customer").status(5, "solved"))
    (nxt,) = ticket.sla(target("next_reply", 1), metric="next_reply")
    assert (nxt.start_at, nxt.fulfilled_at, nxt.outcome) == (at(2), at(5), "breached")


def test_next_reply_has_one_instance_per_later_reply_cycle():
    ticket = (Ticket().say(1, "agent").say(2, "customer").say(2.5, "customer")
              .say(3, "agent").say(10, "customer"))
    found = ticket.sla(target("next_reply", 0.75))
    assert [(i.seq, i.start_at, i.fulfilled_at, i.outcome) for i in found] == [
        (0, at(2), at(3), "breached"),  # from the first unanswered message (Zendesk)
        (1, at(10), None, "pending")]


def test_requester_wait_pauses_while_pending_and_agent_work_also_on_hold():
    ticket = (Ticket().status(0, "open").status(1, "pending").status(11, "open")
              .status(12, "on_hold").status(20, "open").status(21, "solved"))
    wait = target("requester_wait", 11)
    work = target("agent_work", 3)
    (requester,) = ticket.sla(wait, metric="requester_wait")
    # runs 0-1, 11-21 (on hold counts): 11 h used up at 11 + 10 = 21
    assert (requester.breach_at, requester.fulfilled_at, requester.outcome) == (
        at(21), at(21), "achieved")
    (agent,) = ticket.sla(work, metric="agent_work")
    # runs 0-1, 11-12, 20-21: 3 h used up exactly at the solve
    assert (agent.breach_at, agent.outcome) == (at(21), "achieved")
    (tight,) = ticket.sla(target("agent_work", 2.5), metric="agent_work")
    assert (tight.breach_at, tight.outcome) == (at(20.5), "breached")


def test_a_paused_clock_has_no_breach_moment_until_it_runs_again():
    ticket = Ticket().status(0, "open").status(1, "pending")
    (paused,) = ticket.sla(target("requester_wait", 2), metric="requester_wait")
    assert (paused.outcome, paused.breach_at) == ("pending", None)
    ticket.status(30, "open")
    (running,) = ticket.sla(target("requester_wait", 2), metric="requester_wait")
    assert (running.outcome, running.breach_at) == ("pending", at(31))


def test_a_priority_change_cancels_the_pending_instance_and_applies_the_new_target():
    targets = (target("first_reply", 8, priorities=("normal",)),
               target("first_reply", 1, priorities=("urgent",)))
    ticket = Ticket().priority(0, "normal").priority(0.5, "urgent").say(2, "agent")
    old, new = ticket.sla(*targets)
    assert (old.priority, old.outcome, old.fulfilled_at) == ("normal", "cancelled", None)
    # the new target still counts from creation (dbt, Zendesk): due at 1 h, replied at 2 h
    assert (new.priority, new.applied_at, new.start_at, new.breach_at, new.outcome) == (
        "urgent", at(0.5), T0, at(1), "breached")
    assert (old.seq, new.seq) == (0, 1)


def test_a_priority_change_after_the_breach_leaves_the_old_instance_breached():
    targets = (target("first_reply", 1, priorities=("low",)),
               target("first_reply", 8, priorities=("high",)))
    ticket = Ticket().priority(0, "low").priority(3, "high").say(4, "agent")
    old, new = ticket.sla(*targets)
    assert (old.outcome, old.breach_at, old.fulfilled_at) == ("breached", at(1), at(4))
    assert (new.outcome, new.breach_at) == ("achieved", at(8))


def test_a_priority_change_to_the_same_target_or_no_target_keeps_or_ends_the_instance():
    shared = target("first_reply", 4, priorities=("low", "normal"))
    ticket = Ticket().priority(0, "low").priority(1, "normal").say(2, "agent")
    (only,) = ticket.sla(shared)
    assert (only.priority, only.outcome) == ("low", "achieved")
    ticket = Ticket().priority(0, "low").priority(1, "urgent").say(2, "agent")
    (dropped,) = ticket.sla(shared)
    assert dropped.outcome == "cancelled"


def test_without_priority_history_the_tickets_own_priority_applies():
    targets = (target("first_reply", 1, priorities=("urgent",)),)
    assert Ticket().say(2, "agent").sla(*targets, priority="urgent")[0].outcome == "breached"
    assert Ticket().say(2, "agent").sla(*targets, priority="low") == []


def test_periodic_update_runs_between_public_agent_replies():
    ticket = (Ticket().say(1, "agent").say(3, "agent").say(4, "customer").say(9, "agent")
              .status(9, "solved"))
    found = ticket.sla(target("periodic_update", 4), metric="periodic_update")
    assert [(i.start_at, i.fulfilled_at, i.outcome) for i in found] == [
        (at(1), at(3), "achieved"), (at(3), at(9), "breached")]  # none after the solve


def test_pausable_update_measures_the_same_waits_but_pauses_while_pending():
    ticket = (Ticket().status(0, "open").say(1, "agent").status(1, "pending")
              .say(5, "customer").status(5, "open").say(8, "agent"))
    periodic, _next = ticket.sla(target("periodic_update", 4), metric="periodic_update")
    pausable, _next = ticket.sla(target("pausable_update", 4), metric="pausable_update")
    # the same wait, from the reply at 1 h to the next one at 8 h
    assert (periodic.start_at, periodic.fulfilled_at) == (at(1), at(8))
    assert (pausable.start_at, pausable.fulfilled_at) == (at(1), at(8))
    # periodic: 7 h always running; pausable: pending 1-5 h paused, open 5-8 h = 3 h
    assert (periodic.breach_at, periodic.outcome) == (at(5), "breached")
    assert (pausable.breach_at, pausable.outcome) == (at(9), "achieved")


def test_pausable_update_runs_on_hold_and_has_no_breach_moment_while_pending():
    ticket = Ticket().status(0, "open").say(1, "agent").status(2, "on_hold").status(4, "open")
    ticket.say(6, "agent").status(6.5, "pending")
    first, waiting = ticket.sla(target("pausable_update", 4.5), metric="pausable_update")
    assert (first.breach_at, first.outcome) == (at(5.5), "breached")  # on hold counts
    # from the reply at 6 h: open for half an hour, then paused in pending
    assert (waiting.start_at, waiting.breach_at, waiting.outcome) == (at(6), None, "pending")
    ticket.say(9, "customer").status(9, "open")
    (_first, running) = ticket.sla(target("pausable_update", 4.5), metric="pausable_update")
    assert (running.breach_at, running.outcome) == (at(13), "pending")


def test_a_solve_ends_a_pausable_update_wait_as_it_ends_a_periodic_one():
    ticket = (Ticket().status(0, "open").say(1, "agent").status(3, "solved")
              .status(4, "open").say(5, "agent").say(6, "agent").status(6, "solved"))
    found = ticket.sla(target("pausable_update", 1), metric="pausable_update")
    # the reply made together with the final solve starts no wait
    assert [(i.start_at, i.fulfilled_at, i.outcome) for i in found] == [
        (at(1), at(3), "breached"), (at(5), at(6), "achieved")]


def test_a_reopen_reactivates_requester_wait_and_agent_work_until_the_next_solve():
    ticket = (Ticket().status(0, "open").status(1, "on_hold").status(2, "solved")
              .status(5, "open").status(6, "pending").status(8, "open").status(9, "solved"))
    # requester wait runs 0-2, 5-6, 8-9 = 4 h; agent work 0-1, 5-6, 8-9 = 3 h
    (wait,) = ticket.sla(target("requester_wait", 4), metric="requester_wait")
    assert (wait.fulfilled_at, wait.breach_at, wait.outcome) == (at(9), at(9), "achieved")
    (work,) = ticket.sla(target("agent_work", 3), metric="agent_work")
    assert (work.fulfilled_at, work.breach_at, work.outcome) == (at(9), at(9), "achieved")
    # the same ticket, tighter targets: both used up during a reopened spell
    (late,) = ticket.sla(target("requester_wait", 2.5), metric="requester_wait")
    assert (late.seq, late.breach_at, late.fulfilled_at, late.outcome) == (
        0, at(5.5), at(9), "breached")
    (late_work,) = ticket.sla(target("agent_work", 2.5), metric="agent_work")
    assert (late_work.breach_at, late_work.outcome) == (at(8.5), "breached")


def test_a_reopened_ticket_is_pending_again_and_breaches_in_the_reopened_spell():
    solved = Ticket().status(0, "open").status(2, "solved")
    (met,) = solved.sla(target("requester_wait", 3), metric="requester_wait")
    assert (met.fulfilled_at, met.outcome) == (at(2), "achieved")
    solved.say(10, "customer").status(10, "open")  # reopened: the clock runs again
    (again,) = solved.sla(target("requester_wait", 3), metric="requester_wait")
    # 2 h before the solve, 1 h more after the reopen: used up at 11 h, not yet fulfilled
    assert (again.fulfilled_at, again.breach_at, again.outcome) == (None, at(11), "pending")
    solved.status(10.5, "pending")  # paused short of the target: no breach moment
    (paused,) = solved.sla(target("requester_wait", 3), metric="requester_wait")
    assert (paused.breach_at, paused.outcome) == (None, "pending")
    solved.status(12, "open").status(13, "closed")  # closed without a solve: a solve
    (final,) = solved.sla(target("requester_wait", 3), metric="requester_wait")
    assert (final.breach_at, final.fulfilled_at, final.outcome) == (at(12.5), at(13),
                                                                    "breached")


def test_a_reopen_leaves_reply_and_update_targets_decided_at_the_first_solve():
    ticket = (Ticket().status(0, "open").say(1, "agent").status(2, "solved")
              .say(10, "customer").status(10, "open"))
    targets = (target("first_reply", 2), target("next_reply", 1),
               target("periodic_update", 4), target("pausable_update", 4))
    found = {(i.metric, i.seq): i for i in ticket.sla(*targets)}
    assert (found["first_reply", 0].fulfilled_at, found["first_reply", 0].outcome) == (
        at(1), "achieved")
    assert (found["periodic_update", 0].fulfilled_at, found["pausable_update", 0].fulfilled_at
            ) == (at(2), at(2))  # the solve ended the wait; a reopen starts none
    assert (found["next_reply", 0].start_at, found["next_reply", 0].outcome) == (
        at(10), "pending")  # the reopening message is a new reply cycle
    assert set(found) == {("first_reply", 0), ("next_reply", 0), ("periodic_update", 0),
                          ("pausable_update", 0)}


def test_freshdesk_outbound_tickets_have_no_first_reply_target():
    ticket = Ticket(status="open", opener="agent").say(0, "agent").say(1, "customer")
    ticket.say(2, "agent")
    assert ticket.sla(target("first_reply", 1), rules=FRESHDESK) == []
    (nxt,) = ticket.sla(target("next_reply", 2), rules=FRESHDESK)
    assert (nxt.start_at, nxt.outcome) == (at(1), "achieved")


def test_targets_filter_by_source_and_channel():
    ticket = Ticket().say(1, "agent")
    assert ticket.sla(target("first_reply", 2, source="other")) == []
    assert ticket.sla(target("first_reply", 2, channel="chat")) == []
    assert len(ticket.sla(target("first_reply", 2, source="acme", channel="email"))) == 1


BERLIN = Schedule.from_config({"tz": "Europe/Berlin",
                               "hours": {d: ["09:00-17:00"] for d in
                                         ("mon", "tue", "wed", "thu", "fri")},
                               "holidays": ["2026-04-03"]})  # Good Friday


def test_business_targets_walk_the_schedule_and_need_one():
    friday_4pm = datetime(2026, 3, 27, 15, tzinfo=UTC)  # 16:00 in Berlin, before DST
    ticket = Ticket()
    ticket.events = [EventRow("c", friday_4pm, "created", "customer", new_value="new"),
                     EventRow("m", friday_4pm, "message", "customer", public=True)]
    facts = compute(friday_4pm, ticket.events, [], BERLIN)
    business = Target("first_reply", 2 * 3600, business=True)
    (one,) = instances(facts, ticket.events, source="acme", channel="email", priority=None,
                       targets=[business], schedule=BERLIN, rules=ZENDESK)
    # 1 h on Friday; Monday after the DST change opens at 09:00 CEST = 07:00 UTC
    assert one.breach_at == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert instances(compute(friday_4pm, ticket.events, []), ticket.events, source="acme",
                     channel="email", priority=None, targets=[business], schedule=None,
                     rules=ZENDESK) == []


def test_a_schedule_without_hours_never_uses_a_business_target_up():
    closed = Schedule("UTC", {})
    (never,) = Ticket().say(5, "agent").sla(target("first_reply", 1, business=True),
                                            schedule=closed)
    assert (never.breach_at, never.outcome) == (None, "achieved")


def test_a_file_from_before_slas_upgrades_and_fills_them_once_targets_appear(tmp_path):
    import sqlite3

    from deskpulse import kpi
    from deskpulse.store import Event, Store
    from deskpulse.store import Ticket as StoredTicket
    from deskpulse.store.schema import MIGRATIONS, _apply

    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:-1]):
        _apply(conn, script, number + 1)
    conn.close()
    store = Store.open(tmp_path / "old.db")  # migrates to the current version
    store.commit_page("acme", "tickets", [
        StoredTicket(id="t1", status="open", created_at=T0, updated_at=T0),
        Event(id="c", ticket_id="t1", at=T0, kind="created", new_value="new")], None)
    kpi.ensure_definitions(store, None)
    kpi.refresh(store)
    assert store.conn.execute("SELECT COUNT(*) FROM sla_instances").fetchone()[0] == 0
    targets = (target("first_reply", 2), target("requester_wait", 8))
    assert kpi.ensure_definitions(store, None, targets)  # the targets changed: rebuilt
    assert store.conn.execute("SELECT metric, outcome, breach_at FROM sla_instances "
                              "ORDER BY metric").fetchall() == [
        ("first_reply", "pending", "2026-03-02T11:00:00Z"),
        ("requester_wait", "pending", "2026-03-02T17:00:00Z")]
    assert not kpi.ensure_definitions(store, None, targets)  # unchanged: nothing to do
    store.close()
