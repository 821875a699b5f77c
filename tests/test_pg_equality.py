"""The same simulated account, backfilled through the real connector with KPIs refreshed,
gives the same rows on PostgreSQL as on SQLite: facts, day rollups and every kpi_* view."""

from __future__ import annotations

from datetime import UTC, datetime

from deskpulse.store import Store
from tests.backends import fresh_schema
from tests.simdesk import backfilled_store

NOW = datetime(2026, 3, 11, 0, 1, tzinfo=UTC)
TABLES = ("tickets", "events", "ticket_facts", "unsolved_spans", "reply_cycles", "kpi_daily",
          "sla_instances", "kpi_values", "kpi_set_aside")


def rows(store: Store, name: str) -> list[tuple]:
    return sorted(store.conn.execute(f"SELECT * FROM {name}").fetchall(), key=repr)


def test_a_synced_account_has_the_same_rows_on_both(tmp_path):
    lite = backfilled_store(tmp_path / "desk.db", tickets=120, seed=9, now=NOW, days=45)
    with fresh_schema() as url:
        server = backfilled_store(url, tickets=120, seed=9, now=NOW, days=45)
        try:
            views = lite.names("view", "kpi_")
            assert len(views) > 10 and server.names("view", "kpi_") == sorted(views)
            assert rows(lite, "ticket_facts") and rows(lite, "kpi_daily")
            for name in (*TABLES, *views):
                assert rows(server, name) == rows(lite, name), name
        finally:
            server.close()
            lite.close()
