"""The SQL of kpi/ (refresh, rollups, sorted values, repeat-contact gaps, report figures,
business KPIs) gives the same rows and figures on PostgreSQL as on SQLite.

A simulated account and the business-KPI desk are built on SQLite, copied into a PostgreSQL
store on a fresh schema as `deskpulse migrate` copies them (tests/backends.py
`copied_to_postgres`), and the same kpi functions run on both stores. The facts are rebuilt
there from the events alone, so every INSERT, upsert and gap query of a refresh runs on
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from deskpulse import kpi
from deskpulse.kpi.figures.business import business_kpis
from deskpulse.kpi.upkeep import set_aside
from deskpulse.store import Store, TimeEntry
from tests.backends import copied_to_postgres, row_key, typed
from tests.simdesk import backfilled_store
from tests.test_business_kpis import MARCH, desk, load
from tests.test_postgres_views import NOW, TARGETS

FACT_TABLES = ("ticket_facts", "unsolved_spans", "reply_cycles", "kpi_daily", "sla_instances",
               "kpi_values", "kpi_dirty", "kpi_set_aside")
BY = (None, "day", "week", "channel", "group", "agent", "priority", "type")


def table(store: Store, name: str) -> list[tuple]:
    rows = store.conn.execute(f"SELECT * FROM {name}").fetchall()
    return sorted((tuple(typed(v) for v in row) for row in rows), key=row_key)


def assert_same_tables(lite: Store, pg: Store) -> None:
    assert set_aside.listed(pg.conn, "demo") == []  # a PostgreSQL error would land here
    for name in FACT_TABLES:
        assert table(pg, name) == table(lite, name), name


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Iterator[tuple[Store, Store, Any]]:
    lite = backfilled_store(tmp_path_factory.mktemp("sim") / "s.db", tickets=250, seed=5,
                            now=NOW, days=40)
    calendars = kpi.synced_calendars(lite)
    assert kpi.ensure_definitions(lite, calendars, TARGETS)
    with copied_to_postgres(lite) as pg:
        yield lite, pg, calendars
    lite.close()


def test_a_rebuild_on_postgresql_gives_sqlites_facts_rollups_and_values(simulated):
    lite, pg, calendars = simulated
    done = kpi.rebuild(pg, schedule=calendars, targets=TARGETS)
    assert done == lite.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] > 0
    assert_same_tables(lite, pg)


def test_an_incremental_refresh_moves_both_the_same_way(simulated):
    """Deleted tickets, a requester's new ticket: rollups, sorted values and the gaps of
    neighbouring tickets move by what changed, on both engines."""
    lite, pg, calendars = simulated
    ids = [tid for (tid,) in lite.conn.execute(
        "SELECT ticket_id FROM ticket_facts WHERE last_solved_at IS NOT NULL "
        "AND requester_id IS NOT NULL ORDER BY ticket_id LIMIT 30")]
    for store in (lite, pg):
        with store.transaction():
            store.conn.execute(
                f"UPDATE tickets SET deleted = 1 WHERE source = 'demo' AND id IN "
                f"({','.join('?' * 10)})", ids[:10])
            store.conn.execute(
                "UPDATE tickets SET requester_id = (SELECT requester_id FROM ticket_facts "
                "WHERE ticket_id = ?) WHERE source = 'demo' AND id = ?", (ids[10], ids[11]))
            store.conn.executemany(
                "INSERT INTO kpi_dirty (source, ticket_id) VALUES ('demo', ?) "
                "ON CONFLICT DO NOTHING", [(tid,) for tid in ids])
        assert kpi.refresh(store, schedule=calendars, targets=TARGETS) == len(ids)
    assert_same_tables(lite, pg)


@pytest.mark.parametrize("by", BY)
def test_report_figures_are_the_same_on_both(simulated, by):
    lite, pg, _calendars = simulated
    tags = tuple(tag for (tag,) in lite.conn.execute(
        "SELECT DISTINCT j.value FROM tickets t, json_each(t.tags) j ORDER BY 1 LIMIT 2"))
    for repeat_days in (3, 120):  # from the stored gaps, and asked of the tickets
        options = {"by": by, "now": NOW, "repeat_days": repeat_days, "escalation_tags": tags,
                   "since": date(2026, 2, 1), "until": date(2026, 3, 5)}
        assert kpi.summary(pg, **options) == kpi.summary(lite, **options)
    assert kpi.summary(pg, by=by) == kpi.summary(lite, by=by)


def test_the_other_figures_are_the_same_on_both(simulated):
    lite, pg, _calendars = simulated
    span = {"since": date(2026, 2, 1), "until": date(2026, 3, 5)}
    assert kpi.by_tag(pg, **span) == kpi.by_tag(lite, **span)
    assert kpi.agent_activity(pg, **span) == kpi.agent_activity(lite, **span)
    assert kpi.backlog_by_age(pg, **span) == kpi.backlog_by_age(lite, **span)
    assert kpi.unsolved_now(pg) == kpi.unsolved_now(lite)
    for window in (timedelta(hours=1), timedelta(days=30)):
        assert kpi.sla_at_risk(pg, now=NOW, window=window) == kpi.sla_at_risk(
            lite, now=NOW, window=window)
    assert kpi.sla_status(pg) == kpi.sla_status(lite)
    assert kpi.display_names(pg, "agent") == kpi.display_names(lite, "agent")


def test_business_kpis_are_the_same_on_both(tmp_path):
    lite = desk(tmp_path / "b.db")
    for kind in ("costs", "revenue", "agent_hours", "accounts", "surveys"):
        load(lite, kind)
    logged = [TimeEntry(id=f"te{n}", ticket_id=tid, agent_id=agent, seconds=seconds,
                        at=datetime.fromisoformat(when).replace(tzinfo=UTC))
              for n, (tid, agent, seconds, when) in enumerate([
                  ("t1", "a1", 1800, "2026-03-02T10:00:00"), ("t3", "a2", 2700,
                                                              "2026-03-02T13:00:00"),
                  ("t2", "a1", 600, "2026-03-03T09:00:00"), ("t3", "a1", 300,
                                                             "2026-03-04T09:00:00")])]
    lite.commit_page("desk", "time_entries", logged, None)
    with copied_to_postgres(lite) as pg:
        for span in (MARCH, {"since": date(2026, 3, 2), "until": date(2026, 3, 2)}, {}):
            figures = business_kpis(lite, **span)
            assert not any(str(v).startswith("missing") for v in figures.values()), figures
            assert business_kpis(pg, **span) == figures
    lite.close()
