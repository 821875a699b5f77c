"""Incremental KPI refresh equals a full rebuild, row for row, whatever the sync splits."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskpulse import kpi
from deskpulse.kpi.figures import shares
from deskpulse.kpi.figures import summary as report
from deskpulse.kpi.sla.policy import Condition, Conditions
from deskpulse.kpi.upkeep.rollup import Deltas
from deskpulse.kpi.upkeep.values import Values
from deskpulse.store import Event, Person, Rating, Store, Ticket
from tests.backends import emptied

# the module (the package's `kpi.upkeep.refresh` is the function)
refresh_module = importlib.import_module("deskpulse.kpi.upkeep.refresh")

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
STATUSES = ["new", "open", "pending", "on_hold", "solved", "closed"]
TABLES = ("ticket_facts", "unsolved_spans", "reply_cycles", "kpi_daily", "sla_instances",
          "kpi_values")
# every SLA metric, priority-specific targets (a priority change swaps them), business ones
TARGETS = (kpi.Target("first_reply", 3600, priorities=("high",)),
           kpi.Target("first_reply", 8 * 3600),
           kpi.Target("next_reply", 2 * 3600, business=True),
           kpi.Target("requester_wait", 20 * 3600, priorities=("low", "high")),
           kpi.Target("agent_work", 4 * 3600, business=True),
           kpi.Target("periodic_update", 24 * 3600, channel="email"),
           kpi.Target("pausable_update", 6 * 3600))
# vendor SLA policies: first match by position on group, type, tags and the priority in
# force; a policy without a target for a priority; one deskpulse cannot evaluate (variant)
_WHEN = {"vip g2": Conditions(all=(Condition("group_id", "is", ("g2",)),
                                   Condition("tags", "includes", ("vip",)))),
         "incident or high": Conditions(any=(Condition("type", "is", ("incident",)),
                                             Condition("priority", "greater_than", ("low",)))),
         "brand": Conditions(all=(Condition("zendesk:brand_id", "is", ("7",)),
                                  Condition("group_id", "is", ("g1",)))),
         "rest": Conditions()}
_POLICY_TARGETS = [(position, name, metric, seconds, priority, business)
                   for position, name, metric, seconds, priority, business in (
                       (1, "vip g2", "first_reply", 1800, "high", False),
                       (1, "vip g2", "requester_wait", 7200, "low", False),
                       (2, "incident or high", "first_reply", 3600, "low", False),
                       (2, "incident or high", "first_reply", 5400, "high", False),
                       (2, "incident or high", "next_reply", 3600, "high", True),
                       (3, "brand", "first_reply", 60, "low", False),
                       (4, "rest", "agent_work", 4 * 3600, "low", True),
                       (4, "rest", "periodic_update", 8 * 3600, "high", False))]


def _policy_targets(*, unusable: bool) -> tuple[kpi.Target, ...]:
    return tuple(kpi.Target(metric, seconds, business, (priority,), source="acme",
                            policy=name, title=name, position=position,
                            conditions=_WHEN[name])
                 for position, name, metric, seconds, priority, business in _POLICY_TARGETS
                 if unusable or name != "brand")


POLICY_TARGETS = (_policy_targets(unusable=False), _policy_targets(unusable=True))
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
# business time with a history (the hours change mid-month) and a group on its own schedule
CALENDARS = kpi.Calendars.from_config([
    {"id": "main", "tz": "Europe/Berlin", "hours": {d: ["09:00-17:00"] for d in WEEKDAYS},
     "holidays": ["2026-01-06"]},
    {"id": "main", "tz": "Europe/Berlin", "effective_from": "2026-01-15",
     "hours": {d: ["08:00-12:00", "13:00-18:00"] for d in WEEKDAYS}},
    {"id": "west", "tz": "America/Los_Angeles", "groups": ["g2"],
     "hours": {d: ["07:00-15:00"] for d in (*WEEKDAYS, "sat")}},
])


@st.composite
def histories(draw):
    """Several tickets, each a random walk of messages, notes and status/assignee changes,
    with solve-then-reopen pairs drawn as a step of their own (SLA clocks re-activate)."""
    records = [Person(id="a1", role="agent"), Person(id="a2", role="admin"),
               Person(id="c1", role="customer"), Person(id="b1", role="bot")]
    for number in range(draw(st.integers(1, 6))):
        tid = f"t{number}"
        start = T0 + timedelta(hours=draw(st.integers(0, 24 * 20)))
        channel = draw(st.sampled_from(["email", "web", "chat"]))
        deleted = draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())
        moment, state = start, "new"
        events = [Event(id=f"{tid}-c", ticket_id=tid, at=start, kind="created",
                        actor_id=draw(st.sampled_from(["c1", "a1"])), new_value="new")]
        for step in range(draw(st.integers(0, 12))):
            moment += timedelta(minutes=draw(st.integers(0, 60 * 30)))
            kind = draw(st.sampled_from(["message", "note", "status", "assignee", "priority",
                                         "reopen"]))
            actor = draw(st.sampled_from(["c1", "a1", "a2", "b1", "ghost"]))
            if kind == "reopen":  # solved, then open again a while later
                events.append(Event(id=f"{tid}-{step}s", ticket_id=tid, at=moment,
                                    kind="status", actor_id="a1", new_value="solved"))
                moment += timedelta(minutes=draw(st.integers(1, 60 * 30)))
                kind = "status"
                state = "open"
            elif kind == "status":
                state = draw(st.sampled_from(STATUSES))
            events.append(Event(
                id=f"{tid}-{step}", ticket_id=tid, at=moment, kind=kind, actor_id=actor,
                public=kind == "message" or draw(st.booleans()),
                new_value={"status": state, "assignee": actor,
                           "priority": draw(st.sampled_from(["low", "high"]))}.get(kind)))
        records.append(Ticket(id=tid, status="open", channel=channel, created_at=start,
                              updated_at=moment, deleted=deleted, assignee_id="a1",
                              requester_id=draw(st.sampled_from([None, "c1", "c2"])),
                              priority=draw(st.sampled_from([None, "low", "high"])),
                              group_id=draw(st.sampled_from([None, "g1", "g2"])),
                              type=draw(st.sampled_from([None, "question", "incident"])),
                              tags=draw(st.sampled_from([[], ["vip"], ["vip", "bug"]]))))
        records.extend(events)
        if draw(st.booleans()):
            records.append(Rating(id=f"{tid}-r", ticket_id=tid, at=moment, scale="good_bad",
                                  score="good", positive=draw(st.sampled_from([True, False]))))
    return records


def rows(store: Store, table: str) -> list[tuple]:
    return sorted(store.conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(records=histories(), data=st.data())
def test_incremental_refresh_after_random_syncs_equals_a_full_rebuild(store, records, data):
    emptied(store)  # one store for all examples: a new PostgreSQL schema each is slow
    _random_syncs_equal_a_rebuild(store, records, data)


def _random_syncs_equal_a_rebuild(store: Store, records, data) -> None:
    shuffled = data.draw(st.permutations(records))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(shuffled)), max_size=6)))
    pages = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]
    # tickets refreshed in chunks of any size, rollups written out after any number of buckets
    # sorted values edited in place, or (after overflowing twice) their days rewritten
    defaults = (refresh_module.CHUNK, Deltas.MAX_BUCKETS, Values.MAX_EDITS)
    targets = data.draw(st.sampled_from([TARGETS, *POLICY_TARGETS]))
    refresh_module.CHUNK = data.draw(st.sampled_from([defaults[0], 1, 2]))
    Deltas.MAX_BUCKETS = data.draw(st.sampled_from([defaults[1], 1, 7]))
    Values.MAX_EDITS = data.draw(st.sampled_from([defaults[2], 0, 5]))
    try:
        for number, page in enumerate(pages):
            store.commit_page("acme", f"s{number % 3}", page, {"n": number})
            kpi.refresh(store, schedule=CALENDARS, targets=targets)
    finally:
        refresh_module.CHUNK, Deltas.MAX_BUCKETS, Values.MAX_EDITS = defaults
    _sorted_values_match_the_facts(store)
    incremental = {table: rows(store, table) for table in TABLES}
    kpi.rebuild(store, schedule=CALENDARS, targets=targets)
    for table in TABLES:
        assert rows(store, table) == incremental[table], table
    for row in store.conn.execute(
            "SELECT frt_cal, first_resolution_cal, full_resolution_cal, requester_wait_cal, "
            "agent_wait_cal, on_hold_cal, agent_work_cal, frt_bus, agent_work_bus "
            "FROM ticket_facts"):
        assert all(value is None or value >= 0 for value in row)
        first, full = row[1], row[2]
        assert full is None or (first is not None and full >= first)
        assert row[6] <= row[3]  # agent work is part of the requester's wait
        assert row[7] is None or row[7] <= row[0]  # business time never exceeds calendar time
    backlog = store.conn.execute("SELECT COALESCE(SUM(backlog_delta), 0) FROM kpi_daily "
                                 "WHERE dimension = 'all'").fetchone()[0]
    open_spans = store.conn.execute(
        "SELECT COUNT(*) FROM unsolved_spans WHERE end_at IS NULL").fetchone()[0]
    assert backlog == open_spans
    sums = store.conn.execute("SELECT COALESCE(SUM(created), 0), COALESCE(SUM(solved), 0), "
                              "COALESCE(SUM(frt_sum), 0) FROM kpi_daily "
                              "WHERE dimension = 'all'").fetchone()
    direct = store.conn.execute("SELECT COUNT(*), COUNT(first_solved_at), "
                                "COALESCE(SUM(frt_cal), 0) FROM ticket_facts").fetchone()
    assert sums == direct  # rollups agree with the facts they summarize
    for outcome, breach, fulfilled, day in store.conn.execute(
            "SELECT outcome, breach_at, fulfilled_at, outcome_day FROM sla_instances"):
        if outcome == "achieved":
            assert fulfilled is not None and (breach is None or fulfilled <= breach)
            assert day == fulfilled[:10]
        elif outcome == "breached":
            assert breach is not None and day == breach[:10]
        elif outcome == "pending":
            assert fulfilled is None
    # a reopen re-activates requester wait and agent work: only the final solve fulfils them
    for status, last_solved, fulfilled in store.conn.execute(
            "SELECT f.status, f.last_solved_at, s.fulfilled_at FROM sla_instances s JOIN "
            "ticket_facts f USING (source, ticket_id) WHERE s.metric IN ('requester_wait', "
            "'agent_work') AND s.fulfilled_at IS NOT NULL"):
        assert status in ("solved", "closed") and fulfilled == last_solved


def _sorted_values_match_the_facts(store: Store) -> None:
    """The report's figures from kpi_values equal those read from the facts: every
    percentile figure for each row key it serves, and repeat contacts for several windows."""
    for by in report.SORTED_BY:
        from_facts = report._percentiles(store, None, None, None, by)
        report._reply_waits(store, None, None, None, by, from_facts)
        stored = report._sorted_values(store, None, None, None, by)
        def present(found):
            return {(k, m): sorted(v) for k, ms in found.items() for m, v in ms.items() if v}

        assert present(from_facts) == present(stored), by
        scope = shares.Scope(store, None, None, None, "channel",
                             lambda day, value, by=by: report._key_of(by, day, value))
        for days in (1, 3, 7, 30):
            by_query = shares._repeat_contacts_by_query(scope, days)
            assert {k: n for k, n in shares.repeat_contacts(scope, days).items() if n} == {
                k: n for k, n in by_query.items() if n}, (by, days)


def test_refresh_touches_only_the_days_of_changed_tickets(store):
    base = [Person(id="a1", role="agent")]
    for day in range(10):
        start = T0 + timedelta(days=day)
        base += [Ticket(id=f"t{day}", status="open", created_at=start, updated_at=start),
                 Event(id=f"e{day}", ticket_id=f"t{day}", at=start, kind="created",
                       new_value="new")]
    store.commit_page("acme", "tickets", base, None)
    assert kpi.refresh(store) == 10
    before = {row[0]: row for row in store.conn.execute(
        "SELECT day, * FROM kpi_daily WHERE dimension = 'all'")}
    reply = Event(id="r3", ticket_id="t3", at=T0 + timedelta(days=3, hours=1), kind="message",
                  actor_id="a1", public=True)
    store.commit_page("acme", "ticket_events", [reply], None)
    assert kpi.refresh(store) == 1
    after = {row[0]: row for row in store.conn.execute(
        "SELECT day, * FROM kpi_daily WHERE dimension = 'all'")}
    changed = {day for day in after if after[day] != before.get(day)}
    assert changed == {"2026-01-08"}
    assert store.dirty_tickets() == set()


def test_a_deleted_ticket_loses_its_facts_and_its_buckets(store):
    ticket = Ticket(id="t1", status="open", created_at=T0, updated_at=T0)
    store.commit_page("acme", "tickets", [ticket, Event(id="c", ticket_id="t1", at=T0,
                                                        kind="created", new_value="new")], None)
    kpi.refresh(store)
    assert store.conn.execute("SELECT COUNT(*) FROM kpi_daily").fetchone()[0] > 0
    gone = ticket.model_copy(update={"deleted": True})
    store.commit_page("acme", "tickets", [gone], None)
    kpi.refresh(store)
    for table in TABLES:
        assert store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table


def test_days_follow_the_report_time_zone_and_changing_it_rebuilds(store):
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # already 3 March in Berlin
    store.commit_page("acme", "t", [
        Ticket(id="1", status="solved", created_at=late, updated_at=late),
        Event(id="c", ticket_id="1", at=late, kind="created", actor_id="c1", new_value="new"),
        Event(id="s", ticket_id="1", at=late + timedelta(hours=20), kind="status",
              actor_id="a1", new_value="solved")], None)
    kpi.ensure_definitions(store, None)
    kpi.refresh(store)

    def days():
        return (store.conn.execute("SELECT created_day, first_solved_day FROM ticket_facts")
                .fetchone(), sorted(store.conn.execute(
                    "SELECT day, created, solved FROM kpi_daily WHERE dimension = 'all'")))

    assert days() == (("2026-03-02", "2026-03-03"),
                      [("2026-03-02", 1, 0), ("2026-03-03", 0, 1)])
    assert kpi.ensure_definitions(store, None, report_tz="Pacific/Auckland")  # rebuilt by itself
    # 23:30 UTC is 12:30 next day in Auckland; the solve 20 h later is 08:30 the day after
    assert days() == (("2026-03-03", "2026-03-04"),
                      [("2026-03-03", 1, 0), ("2026-03-04", 0, 1)])
    assert not kpi.ensure_definitions(store, None, report_tz="Pacific/Auckland")


def test_backlog_age_counts_at_midnight_of_the_report_zone(store):
    opened = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)  # 21:00 in Berlin, 15:00 in New York
    store.commit_page("acme", "t", [
        Ticket(id="1", status="open", created_at=opened, updated_at=opened),
        Event(id="c", ticket_id="1", at=opened, kind="created", actor_id="c1",
              new_value="open")], None)
    day = datetime(2026, 3, 2).date()
    for zone in ("Europe/Berlin", "America/New_York"):  # still 2 March there: in that
        kpi.ensure_definitions(store, None, report_tz=zone)  # night's backlog, < a day old
        kpi.refresh(store)
        [row] = kpi.backlog_by_age(store, since=day, until=day)
        assert sum(v for k, v in row.items() if k != "day") == 1
        assert list(row.values())[1] == 1
    kpi.ensure_definitions(store, None, report_tz="Asia/Tokyo")  # opened 05:00 on 3 March in Tokyo
    kpi.refresh(store)
    [row] = kpi.backlog_by_age(store, since=day, until=day)
    assert sum(v for k, v in row.items() if k != "day") == 0
