"""What the `deskpulse migrate` tests share (test_copy.py, the copy; test_cli.py, the command
and syncing on): the simulated desk and its backfill, rows read alike from either engine, and
whether a target holds no deskpulse rows. Their fixtures are in conftest.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from deskpulse import kpi
from deskpulse.app.demo.run import demo_source
from deskpulse.app.migrate import copying
from deskpulse.app.migrate.checks import normal
from deskpulse.app.sync.runner import Runner
from deskpulse.simulator import ZendeskAPI, generate
from deskpulse.store import Rejected, Store
from deskpulse.store import copy as catalogue

NOW = datetime(2026, 3, 11, 0, 1, tzinfo=UTC)
TOKEN = "migrate-token-9d2e"
ENV = {"DESKPULSE_DEMO_TOKEN": TOKEN}
# Compared row by row after a sync on each side (bookkeeping with times of its own aside).
DATA_TABLES = ("tickets", "events", "people", "groups", "ratings", "vendor_metrics",
               "time_entries", "schedules", "sla_policies", "sla_policy_targets",
               "ticket_facts", "unsolved_spans", "reply_cycles", "sla_instances", "kpi_daily",
               "kpi_values", "kpi_dirty", "kpi_set_aside", "unmapped", "dead_letters")


def desk_and_api(tickets: int = 150, seed: int = 21):
    desk = generate(seed=seed, tickets=tickets, start=NOW - timedelta(days=30),
                    end=NOW - timedelta(days=1))
    return desk, ZendeskAPI(desk, email="demo@deskpulse.example", token=TOKEN)


def backfill(path: Path, api: ZendeskAPI) -> None:
    store = Store.open(path)
    kpi.install_views(store)
    result = Runner(store, demo_source(), transport=httpx.MockTransport(api.handler),
                    environ=ENV).backfill(NOW - timedelta(days=31))
    assert result.status == "ok", result.error
    store.add_dead_letter("demo", "tickets", Rejected(error="kept", payload={"id": 1}))
    store.add_dead_letter("demo", "tickets", Rejected(error="retried", payload={"id": 2}))
    last = store.conn.execute("SELECT MAX(id) FROM dead_letters").fetchone()[0]
    store.conn.execute("DELETE FROM dead_letters WHERE id = ?", (last,))  # its id stays used
    store.close()


def rows(store: Store, table: str) -> list[tuple]:
    columns = store.column_names(table)
    select = ", ".join(catalogue.quoted(column) for column in columns)
    found = store.conn.execute(f"SELECT {select} FROM {catalogue.quoted(table)}").fetchall()
    return sorted((tuple(normal(value) for value in row) for row in found), key=repr)


def open_both(source: Path, target: str) -> tuple[Store, Store]:
    return Store.open_readonly(source), Store.open(target)

def empty(target: str) -> bool:
    """No row in any deskpulse table but the settings (PostgreSQL's own `deskpulse_schema`
    holds the schema version: not a deskpulse table of the file)."""
    store = Store.open(target)
    try:
        tables = [table for table in store.names("table") if table != "deskpulse_schema"]
        assert "tickets" in tables
        return not any(catalogue.has_rows(store, table) for table in tables
                       if table not in copying.SETTINGS_TABLES)
    finally:
        store.close()

