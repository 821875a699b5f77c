"""Every kpi_* view (kpi/views.sql) gives the same rows on PostgreSQL as on SQLite.

Two SQLite stores are filled the usual way: a simulated Zendesk account backfilled with SLA
targets, business hours and the views' options (escalation tags, the at-risk window), and the
business-KPI desk with every example import (costs, revenue, agent hours, accounts, surveys).
Each is copied into a PostgreSQL store on a fresh schema as `deskpulse migrate` copies it
(tests/backends.py `copied_to_postgres`: the schema the backend translates from the SQLite
migrations, its compat functions, views.sql installed by kpi.install_views), and each view's
rows are compared value by value, type included, read back through the backend's loaders.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from deskpulse import kpi
from deskpulse.store import Store
from tests.backends import copied_to_postgres, row_key, typed
from tests.simdesk import backfilled_store
from tests.test_business_kpis import desk, load
from tests.test_sla_views import TARGETS

NOW = datetime(2026, 3, 11, tzinfo=UTC)  # the simulated desk's present: every SLA is past
VIEWS_SQL = resources.files("deskpulse.kpi").joinpath("views.sql").read_text(encoding="utf-8")
VIEWS = re.findall(r"^CREATE VIEW (\w+)", VIEWS_SQL, flags=re.MULTILINE)
BOOL_OID = 16
# seconds_left counts from each engine's own "now", read a moment apart
CLOCK_COLUMNS = {("kpi_sla_at_risk", "seconds_left")}


def simulated(folder: Path) -> Store:
    store = backfilled_store(folder / "sim.db", tickets=300, seed=11, now=NOW, days=40)
    assert kpi.ensure_definitions(store, kpi.synced_calendars(store), TARGETS)
    tags = [tag for (tag,) in store.conn.execute(
        "SELECT DISTINCT j.value FROM tickets t, json_each(t.tags) j ORDER BY 1 LIMIT 2")]
    assert tags, "the simulated tickets have no tags: escalation by tag would go untested"
    kpi.install_views(store, {"repeat_days": 3, "escalation_tags": tags,
                              "sla_at_risk": timedelta(hours=2)})
    return store


def business(folder: Path) -> Store:
    store = desk(folder / "business.db")
    for kind in ("costs", "revenue", "agent_hours", "accounts", "surveys"):
        load(store, kind)
    return store


def rows_of(fetched: list[tuple[Any, ...]], names: list[str], view: str) -> list[tuple]:
    kept = [i for i, name in enumerate(names) if (view, name) not in CLOCK_COLUMNS]
    return sorted((tuple(typed(row[i]) for i in kept) for row in fetched), key=row_key)


def compare_views(lite: Store, pg: Store) -> dict[str, int]:
    """Assert every view's rows agree; return how many rows each has."""
    counted = {}
    for view in VIEWS:
        cursor = lite.conn.execute(f"SELECT * FROM {view}")
        names = [d[0] for d in cursor.description]
        expected = cursor.fetchall()
        pg_cursor = pg.conn.execute(f"SELECT * FROM {view}")
        assert [d.name for d in pg_cursor.description] == names, view
        booleans = [d.name for d in pg_cursor.description if d.type_code == BOOL_OID]
        assert not booleans, f"{view}: yes/no columns are 0/1 on both engines, not {booleans}"
        got = pg_cursor.fetchall()
        assert rows_of(got, names, view) == rows_of(expected, names, view), view
        for column in (n for v, n in CLOCK_COLUMNS if v == view):
            at = names.index(column)
            for ours, theirs in zip(sorted(r[at] for r in got), sorted(r[at] for r in expected),
                                    strict=True):
                assert abs(ours - theirs) <= 5, (view, column)
        counted[view] = len(expected)
    return counted


@pytest.fixture(scope="module")
def engines(tmp_path_factory) -> Iterator[dict[str, tuple[Store, Store]]]:
    """Each store on SQLite and its copy on PostgreSQL (with the kpi_* views)."""
    with ExitStack() as stack:
        found = {}
        for name, build in (("simulated", simulated), ("business", business)):
            lite = build(tmp_path_factory.mktemp(name))
            stack.callback(lite.close)
            found[name] = (lite, stack.enter_context(copied_to_postgres(lite)))
        yield found


@pytest.mark.parametrize("name", ["simulated", "business"])
def test_every_view_has_the_same_rows_on_postgresql(engines, name):
    lite, pg = engines[name]
    assert len(VIEWS) >= 12
    assert set(compare_views(lite, pg)) == set(VIEWS)


def test_the_data_reaches_every_view_somewhere(engines):
    """Not an empty comparison: each view has rows in one of the two stores."""
    filled = {view for lite, _pg in engines.values() for view in VIEWS
              if lite.conn.execute(f"SELECT 1 FROM {view} LIMIT 1").fetchone()}
    assert filled == set(VIEWS)
