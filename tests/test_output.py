"""What people and scripts read from `kpi` and `sla`: names instead of ids, whole dates at
100 columns, JSON/CSV numbers a person can paste, missing figures with their reason beside
them, CSV cells that cannot run as formulas, and no comparison with a period the file lacks."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from deskpulse.app.report.export import render_csv, render_json
from deskpulse.app.report.figures import sla_risks
from deskpulse.app.report.sla import _table
from deskpulse.store import Group, Person
from tests.simdesk import backfilled_store

NOW = datetime(2026, 5, 4, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("out") / "o.db"
    store = backfilled_store(path, tickets=300, seed=12, now=NOW, days=40)
    agents = [row[0] for row in store.conn.execute(
        "SELECT DISTINCT assignee_id FROM tickets WHERE assignee_id IS NOT NULL ORDER BY 1")]
    groups = [row[0] for row in store.conn.execute(
        "SELECT DISTINCT group_id FROM tickets WHERE group_id IS NOT NULL ORDER BY 1")]
    store.commit_page("demo", "users", [Person(id=a, role="agent", name=f"Agent Name {n}")
                                        for n, a in enumerate(agents)], None)
    store.commit_page("demo", "groups", [Group(id=groups[0], name="-2+3 billing")], None)
    store.conn.execute("UPDATE tickets SET subject = '=HYPERLINK(\"http://x\")' WHERE id IN "
                       "(SELECT ticket_id FROM sla_instances WHERE outcome = 'pending')")
    store.close()
    return path


def run(db, *args: str, columns: int = 100) -> subprocess.CompletedProcess:
    env = os.environ | {"COLUMNS": str(columns)}
    done = subprocess.run([sys.executable, "-m", "deskpulse", *args, "--database", str(db)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def test_by_week_shows_whole_dates_within_100_columns(db):
    out = run(db, "kpi", "--by", "week").stdout
    lines = out.splitlines()
    assert max(map(len, lines)) <= 100
    periods = [line for line in lines if re.match(r"\d{4}-", line)]
    assert len(periods) >= 5
    assert all(re.match(r"\d{4}-\d{2}-\d{2} ", line) for line in periods), periods
    assert not any("…" in line for line in periods)  # no cell cut short either


def test_by_agent_and_group_show_names_and_json_keeps_the_ids(db):
    table = run(db, "kpi", "--by", "agent").stdout
    assert "Agent Name 0" in table and max(map(len, table.splitlines())) <= 100
    assert "-2+3 billing" in run(db, "kpi", "--by", "group").stdout
    rows = json.loads(run(db, "kpi", "--by", "agent", "--format", "json").stdout)
    named_rows = [row for row in rows if row["agent"]]
    assert named_rows and all(row["agent_name"].startswith("Agent Name") for row in named_rows)
    assert all(not row["agent"].startswith("Agent") for row in named_rows)  # still the id


def test_json_numbers_are_rounded_and_missing_figures_give_their_reason(db):
    out = run(db, "kpi", "--format", "json").stdout
    assert not re.search(r"[1-9]\d*\.\d{3,}", out)  # never 195473.20000000007
    [row] = json.loads(out)
    assert isinstance(row["frt_p90_s"], float)
    assert row["support_cost"] is None  # no costs imported: empty, not text in a number
    assert row["support_cost_missing"] == "missing input: costs"
    assert all(not isinstance(value, str) for key, value in row.items()
               if key.endswith(("_pct", "_s", "_n", "cost", "revenue")))


def test_csv_numbers_booleans_and_formula_cells(db):
    rows = list(csv.DictReader(io.StringIO(run(db, "kpi", "--by", "group", "--format",
                                               "csv").stdout)))
    names = {row["group_name"] for row in rows}
    assert "'-2+3 billing" in names  # a spreadsheet would compute -2+3
    for row in rows:
        for key in ("frt_p90_s", "csat_pct", "requester_wait_mean_s"):
            assert re.fullmatch(r"(-?\d+(\.\d{1,2})?)?", row[key]), (key, row[key])
    from deskpulse.store import Store

    store = Store.open(db)
    found = sla_risks(store, None, window=timedelta(days=30), source=None, now=NOW).rows
    store.close()
    assert found
    sheet = list(csv.DictReader(io.StringIO(render_csv(found))))
    assert all(row["subject"].startswith("'=HYPERLINK") for row in sheet)
    assert {row["business"] for row in sheet} <= {"true", "false"}
    assert all(row["assignee_name"].startswith("Agent Name") for row in sheet
               if row["assignee_id"])
    assert json.loads(render_json(found))[0]["business"] in (True, False)


def test_the_sla_table_names_the_assignee(db):
    from deskpulse.store import Store

    store = Store.open(db)
    found = sla_risks(store, None, window=timedelta(days=30), source=None, now=NOW).rows
    store.close()
    out = io.StringIO()
    _table(Console(file=out, width=100), found, timedelta(days=30))
    assigned = [row for row in found if row["assignee_id"]]
    assert assigned and assigned[0]["assignee_name"] in out.getvalue()


def test_no_change_vs_a_previous_period_the_file_does_not_hold(db):
    first = (NOW - timedelta(days=30)).date()
    out = run(db, "kpi", "--since", first.isoformat(), "--until", NOW.date().isoformat())
    assert "vs previous" not in out.stdout.replace("No change vs previous", "")
    assert "the file starts on" in out.stdout
    late = (NOW - timedelta(days=10)).date()
    held = run(db, "kpi", "--since", late.isoformat(), "--until", NOW.date().isoformat())
    assert "vs previous" in held.stdout and "the file starts on" not in held.stdout
