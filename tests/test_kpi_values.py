"""Sorted day values (kpi.values) and repeat-contact gaps (kpi.contacts)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from deskpulse import kpi
from deskpulse.kpi.figures import shares
from deskpulse.kpi.figures import summary as report
from deskpulse.kpi.upkeep import values
from deskpulse.kpi.upkeep.contacts import HORIZON_DAYS
from deskpulse.store import Event, Person, Store, Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_every_percentile_figure_is_kept_from_the_same_fact_and_day():
    for metric, column, anchor, condition in report.PERCENTILE_METRICS:
        stored = "frt" if metric == "social_frt" else metric  # social_frt: frt of 'social'
        assert values.FACT_METRICS[stored] == (anchor, column), metric
        assert condition in ("", "channel = 'social'")


def test_values_past_32_bits_are_stored_wide_and_merge_with_narrow_ones():
    assert values.pack([1, 2**31 - 1])[0] == 0
    wide, data = values.pack([3, 2**40])
    assert wide == 1 and list(values.unpack(wide, data)) == [3, 2**40]
    narrow = values.pack([1, 5])
    assert values.merged([narrow, (wide, data)]) == [1, 3, 5, 2**40]


def test_an_edit_that_finds_no_such_value_is_refused(tmp_path):
    store = Store.open(tmp_path / "v.db")
    moving = values.Values(store.conn, "acme")
    moving.add({("frt", "2026-03-02", "email"): [60]}, {})
    with pytest.raises(RuntimeError, match="out of step"):
        moving.finish()
    store.close()


def _ticket(tid: str, created: datetime, *, requester: str | None = "c1",
            deleted: bool = False, solved: datetime | None = None) -> list:
    events = [Event(id=f"{tid}-c", ticket_id=tid, at=created, kind="created", actor_id="c1",
                    new_value="new"),
              Event(id=f"{tid}-r", ticket_id=tid, at=created + timedelta(hours=1),
                    kind="message", actor_id="a1", public=True)]
    if solved:
        events.append(Event(id=f"{tid}-s", ticket_id=tid, at=solved, kind="status",
                            actor_id="a1", new_value="solved"))
    return [Ticket(id=tid, status="solved" if solved else "open", channel="email",
                   created_at=created, updated_at=solved or created, deleted=deleted,
                   requester_id=requester), *events]


def _repeats(store: Store, days: int) -> int:
    rows = kpi.summary(store, since=date(2026, 3, 1), until=date(2026, 3, 31),
                       repeat_days=days)
    return round(rows[0]["repeat_contact_pct"] * rows[0]["solved"] / 100)


def test_a_requesters_next_ticket_moves_the_gap_of_the_ticket_solved_before_it(tmp_path):
    store = Store.open(tmp_path / "r.db")
    people = [Person(id="a1", role="agent"), Person(id="c1", role="customer")]
    solved = T0 + timedelta(days=1)
    store.commit_page("acme", "s", [*people, *_ticket("a", T0, solved=solved)], {})
    kpi.refresh(store)

    def gap() -> int | None:
        return store.conn.execute(
            "SELECT next_contact_s FROM ticket_facts WHERE ticket_id = 'a'").fetchone()[0]

    assert gap() is None and _repeats(store, 7) == 0
    store.commit_page("acme", "s", _ticket("b", solved + timedelta(days=3)), {})
    kpi.refresh(store)  # only "b" changed: "a" is its requester's ticket solved before it
    assert gap() == 3 * 86400
    assert (_repeats(store, 2), _repeats(store, 3), _repeats(store, 7)) == (0, 1, 1)
    store.commit_page("acme", "s", _ticket("c", solved + timedelta(hours=5)), {})
    kpi.refresh(store)
    assert gap() == 5 * 3600 and _repeats(store, 1) == 1
    store.commit_page("acme", "s", _ticket("c", solved + timedelta(hours=5), deleted=True), {})
    kpi.refresh(store)
    assert gap() == 3 * 86400
    store.commit_page("acme", "s", _ticket("b", solved + timedelta(days=3), requester="c2"), {})
    kpi.refresh(store)
    assert gap() is None and _repeats(store, 7) == 0
    late = solved + timedelta(days=HORIZON_DAYS + 10)
    store.commit_page("acme", "s", _ticket("b", late), {})
    kpi.refresh(store)
    assert gap() is None  # past the horizon: not stored, but a longer window still asks
    assert _repeats(store, HORIZON_DAYS + 10) == 1 and _repeats(store, HORIZON_DAYS + 9) == 0
    scope = shares.Scope(store, None, None, None, "group_id", lambda day, value: "all")
    kept = {table: store.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
            for table in ("ticket_facts", "kpi_values")}
    kpi.rebuild(store)
    for table, rows in kept.items():
        assert store.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall() == rows
    assert shares.repeat_contacts(scope, 7) == {}
    store.close()


def test_a_chunks_lookups_go_by_ticket_not_through_a_day_or_requester_range(tmp_path):
    """With a refresh chunk's hundreds of ids, SQLite once chose to scan the reply_cycles
    end-day index and the requester index over the whole source for every chunk (a rebuild
    grew quadratic). Every lookup by ticket ids must use the ids."""
    from deskpulse.kpi.upkeep.contacts import contacts_of, update_gaps
    from deskpulse.kpi.upkeep.values import values_of

    store = Store.open(tmp_path / "p.db")
    ids = [f"t{number}" for number in range(500)]
    executed: list[str] = []
    store.conn.set_trace_callback(executed.append)
    for lookup in (values_of, contacts_of, update_gaps):
        lookup(store.conn, "acme", ids)
    store.conn.set_trace_callback(None)
    assert len(executed) == 4
    for sql in executed:
        plan = " | ".join(row[-1] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "end_day>" not in plan and "requester_id>" not in plan, plan
        assert "SCAN" not in plan, plan
    store.close()
