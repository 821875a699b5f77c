"""The fact code on generated vendor-shaped histories (issue #15): whatever a real account
sends, `kpi.upkeep.refresh` never raises nor sets a ticket aside, incremental equals rebuild, and
every NULL a fact holds has a documented meaning (store/catalog, docs/schema.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskpulse import kpi
from deskpulse.store import Event, Person, Rating, Store, Ticket, catalog

T0 = datetime(2026, 4, 6, 9, 0, tzinfo=UTC)
TABLES = ("ticket_facts", "unsolved_spans", "reply_cycles", "kpi_daily", "kpi_values")
SCHEDULE = kpi.Calendars.from_config([{"tz": "UTC", "hours": {
    d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}])
PEOPLE = {"agent": "a1", "admin": "a2", "customer": "c1", "bot": "b1", "unknown": None}


def _null_documented(column: str) -> bool:
    """The catalog (store/catalog, source of docs/schema.md) says what the column's NULL
    means."""
    described = catalog.tables()["ticket_facts"].column(column)
    return described is not None and bool(described.null)


def test_every_nullable_fact_column_has_a_documented_null_meaning(tmp_path):
    store = Store.open(tmp_path / "d.db")
    nullable = [row[1] for row in store.conn.execute("PRAGMA table_info('ticket_facts')")
                if not row[3]]
    store.close()
    assert "first_resolution_cal" in nullable
    assert [column for column in nullable if not _null_documented(column)] == []


@st.composite
def vendor_tickets(draw):
    """Tickets as the connectors normalize them: opened by a customer, an agent (outbound),
    a bot or nobody known; never answered, closed without reply, reopened, merged (closed),
    deleted then restored; optional fields null; events out of order or older than the
    ticket; sometimes no status event at all. Returned as pages in arrival order."""
    people = [Person(id="a1", role="agent"), Person(id="a2", role="admin"),
              Person(id="c1", role="customer"), Person(id="b1", role="bot")]
    first: list = list(people)
    later: list = []
    for number in range(draw(st.integers(1, 5))):
        tid = f"t{number}"
        created = T0 + timedelta(hours=draw(st.integers(0, 24 * 10)))
        opener = draw(st.sampled_from(["customer", "agent", "admin", "bot", "unknown"]))
        status = draw(st.sampled_from(["new", "open", "pending", "on_hold", "solved", "closed"]))
        ticket = Ticket(id=tid, status=status, channel=draw(st.sampled_from(["email", "chat"])),
                        created_at=created, updated_at=created,
                        requester_id=draw(st.sampled_from([None, "c1", "c2"])),
                        assignee_id=draw(st.sampled_from([None, "a1"])),
                        priority=draw(st.sampled_from([None, "low", "urgent"])),
                        group_id=draw(st.sampled_from([None, "g1"])),
                        tags=draw(st.sampled_from([[], ["closed_by_merge"]])))
        events = []
        if draw(st.booleans()):  # imported tickets and search-only conversations have none
            events.append(Event(id=f"{tid}-c", ticket_id=tid, at=created, kind="created",
                                actor_id=PEOPLE[opener], new_value=draw(st.sampled_from(
                                    [None, "new", "open"]))))
        moment = created
        for step in range(draw(st.integers(0, 8))):
            # out of order and older than the ticket: clocks and imports disagree
            moment += timedelta(minutes=draw(st.integers(-120, 60 * 24)))
            kind = draw(st.sampled_from(["message", "message", "note", "status", "assignee",
                                         "close_unanswered", "merge"]))
            who = draw(st.sampled_from(list(PEOPLE)))
            if kind in ("close_unanswered", "merge"):
                events.append(Event(id=f"{tid}-{step}", ticket_id=tid, at=moment,
                                    kind="status", actor_id=PEOPLE["agent"],
                                    new_value="closed"))
                continue
            events.append(Event(
                id=f"{tid}-{step}", ticket_id=tid, at=moment, kind=kind, actor_id=PEOPLE[who],
                public=kind == "message" or draw(st.booleans()),
                new_value={"status": draw(st.sampled_from(
                    [None, "open", "pending", "solved", "closed", "on_hold"])),
                    "assignee": draw(st.sampled_from([None, "a1", "a2"]))}.get(kind)))
        if draw(st.booleans()):
            events.append(Rating(id=f"{tid}-r", ticket_id=tid, at=moment, scale="1-5",
                                 score="4", positive=draw(st.sampled_from([True, False, None]))))
        where = draw(st.sampled_from(["first", "later", "split"]))
        if where == "split":
            first.append(ticket)
            later.extend(events)
        else:
            (first if where == "first" else later).extend([ticket, *events])
        if draw(st.integers(0, 4)) == 0:  # deleted, then restored by a later page
            first.append(ticket.model_copy(update={"deleted": True}))
            later.append(ticket)
    return [draw(st.permutations(first)), draw(st.permutations(later))]


def _rows(store: Store) -> dict[str, list[tuple]]:
    return {table: sorted(store.conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in TABLES}


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pages=vendor_tickets(), kind=st.sampled_from(["zendesk", "freshdesk", "intercom"]),
       schedule=st.sampled_from([None, SCHEDULE]))
def test_refresh_never_raises_and_every_null_is_documented(tmp_path_factory, pages, kind,
                                                           schedule):
    store = Store.open(tmp_path_factory.mktemp("p") / "p.db")
    store.ensure_source("acme", kind, "acme")
    for number, page in enumerate(pages):
        store.commit_page("acme", "tickets", page, {"n": number})
        kpi.refresh(store, schedule=schedule)
    assert store.conn.execute("SELECT * FROM kpi_set_aside").fetchall() == []
    assert store.dirty_count("acme") == 0
    incremental = _rows(store)
    kpi.rebuild(store, schedule=schedule)
    assert _rows(store) == incremental
    columns = [row[1] for row in store.conn.execute("PRAGMA table_info('ticket_facts')")]
    for row in store.conn.execute("SELECT * FROM ticket_facts"):
        fact = dict(zip(columns, row, strict=True))
        for column, value in fact.items():
            assert value is not None or _null_documented(column), column
        # an anchor day set means the figure it anchors can be summed (the Intercom crash)
        assert (fact["first_solved_day"] is None) == (fact["first_resolution_cal"] is None)
        assert (fact["first_reply_day"] is None) == (fact["frt_cal"] is None)
        assert fact["full_resolution_cal"] is None or fact["last_solved_day"] is not None
        if fact["status"] in ("solved", "closed") and fact["flags"] & 32:
            assert not store.conn.execute(
                "SELECT 1 FROM unsolved_spans WHERE ticket_id = ? AND end_at IS NULL",
                (fact["ticket_id"],)).fetchall()
    store.close()
