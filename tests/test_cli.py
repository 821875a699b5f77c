"""The command line as a user runs it: simulate on one port, backfill/sync/kpi/status on it."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from deskpulse.app.cli.main import app
from tests.simdesk import SIM_NOW, TOKEN, start_simulator, stop, write_config

cli = CliRunner()


@pytest.fixture(scope="module")
def simulator():
    url, server = start_simulator(tickets=250, seed=4, token=TOKEN)
    yield url
    stop(server)


def deskpulse(*args: str, token: str = TOKEN) -> subprocess.CompletedProcess:
    env = os.environ | {"SIM_TOKEN": token}
    return subprocess.run([sys.executable, "-m", "deskpulse", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def served(base_url: str, path: str, items: str, next_key: str) -> list[dict]:
    found, url = [], path
    with httpx.Client(base_url=base_url, auth=("demo@deskpulse.example/token", TOKEN)) as client:
        while url:
            body = client.get(url).json()
            found.extend(body[items])
            url = None if body.get("end_of_stream") else body.get(next_key)
    return found


def test_backfill_against_simulate_fetches_everything_exactly_once(tmp_path, simulator):
    config = write_config(tmp_path, simulator)
    done = deskpulse("backfill", "sim", "--since", "2000-01-01", "--config", str(config))
    assert done.returncode == 0, done.stderr + done.stdout
    assert "sim backfill: ok" in done.stdout

    import sqlite3

    db = sqlite3.connect(tmp_path / "desk.db")
    tickets = served(simulator, "/api/v2/incremental/tickets/cursor.json?start_time=1",
                     "tickets", "after_url")
    ids = db.execute("SELECT id FROM tickets").fetchall()
    assert sorted(int(row[0]) for row in ids) == sorted({t["id"] for t in tickets})
    audits = served(simulator, "/api/v2/incremental/ticket_events.json?start_time=1"
                    "&include=comment_events", "ticket_events", "next_page")
    comments = {child["id"] for audit in audits for child in audit["child_events"]
                if child.get("event_type") == "Comment"}
    stored = db.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM events "
                        "WHERE kind IN ('message', 'note')").fetchone()
    assert stored[0] == stored[1] == len(comments)
    db.close()

    status = deskpulse("status", "--json", "--config", str(config))
    assert status.returncode == 0
    report = json.loads(status.stdout)[0]
    assert report["health"] == "ok" and report["tickets"] == len(ids)
    assert report["requests_total"] > 0 and report["dead_letters"] == 0
    assert report["newest_ticket_update"] and report["data_lag_seconds"] >= 0

    again = deskpulse("sync", "--config", str(config))
    assert again.returncode == 0, again.stderr
    assert db_count(tmp_path / "desk.db", "tickets") == len(ids)

    as_csv = deskpulse("kpi", "--by", "channel", "--format", "csv", "--config", str(config))
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert sum(int(row["created"]) for row in rows) == len(ids) - deleted(tmp_path / "desk.db")


def test_a_wrong_token_fails_clearly_and_status_says_failing(tmp_path, simulator):
    config = write_config(tmp_path, simulator)
    bad = "wrong-token-0d0d0d"
    result = deskpulse("sync", "sim", "--config", str(config), token=bad)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "401" in output and "sim" in output and bad not in output
    status = deskpulse("status", "--json", "--config", str(config))
    assert status.returncode == 1
    assert json.loads(status.stdout)[0]["health"] == "failing"
    assert bad not in (tmp_path / "desk.db").read_bytes().decode("latin-1")


def test_a_second_writer_is_refused(tmp_path):
    from deskpulse.app.sync.lock import WriterLock

    config = write_config(tmp_path, "http://127.0.0.1:9")
    with WriterLock(tmp_path / "desk.db"):
        result = cli.invoke(app, ["sync", "--config", str(config)], env={"SIM_TOKEN": "x"})
    assert result.exit_code == 2
    assert "another deskpulse process" in result.output


@pytest.mark.parametrize("vendor", ["zendesk", "freshdesk", "intercom"])
@pytest.mark.parametrize("now", ["2026-03-10T23:35:00Z", SIM_NOW, "2026-07-02T12:30:00Z"])
def test_demo_prints_a_kpi_report(tmp_path, vendor, now):
    """At any time of day: a Freshdesk demo started at 00:01 UTC once failed verify (a
    pending spell the customer ended between backfill and sync)."""
    result = cli.invoke(app, ["demo", "--tickets", "150", "--out", str(tmp_path),
                              "--vendor", vendor, "--now", now])
    assert result.exit_code == 0, result.output
    assert f"Simulated {vendor.title()} account" in result.output
    assert "Backfill ok" in result.output and "Incremental sync ok" in result.output
    assert "KPIs by week" in result.output
    assert (tmp_path / "demo.db").exists()
    import sqlite3

    db = sqlite3.connect(tmp_path / "demo.db")
    assert db.execute("SELECT kind FROM sources").fetchone() == (vendor,)
    assert db.execute("SELECT count(*) FROM ticket_facts").fetchone()[0] > 100
    checked = cli.invoke(app, ["verify", "demo", "--database", str(tmp_path / "demo.db")])
    assert checked.exit_code == 0, checked.output


def test_demo_refuses_an_unknown_vendor(tmp_path):
    result = cli.invoke(app, ["demo", "--vendor", "helpscout", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "helpscout" in result.output


def test_demo_refuses_a_present_without_a_time_zone(tmp_path):
    result = cli.invoke(app, ["demo", "--now", "2026-03-11T00:01", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--now '2026-03-11T00:01'" in result.output
    assert not (tmp_path / "demo.db").exists()


def test_kpi_json_and_bad_options(tmp_path):
    cli.invoke(app, ["demo", "--tickets", "60", "--out", str(tmp_path), "--now", SIM_NOW])
    db = str(tmp_path / "demo.db")
    result = cli.invoke(app, ["kpi", "--database", db, "--format", "json", "--by", "week"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert rows and all("frt_p50_s" in row for row in rows)
    assert cli.invoke(app, ["kpi", "--database", db, "--by", "moon"]).exit_code == 2
    assert cli.invoke(app, ["kpi", "--database", db, "--since", "yesterday"]).exit_code == 2


def db_count(path: Path, table: str) -> int:
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def deleted(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM tickets WHERE deleted = 1").fetchone()[0]


def test_dry_run_prints_a_plan_with_an_estimate_and_writes_nothing(tmp_path, simulator):
    config = write_config(tmp_path, simulator)
    plan = deskpulse("backfill", "sim", "--since", "2000-01-01", "--dry-run", "--config",
                     str(config))
    assert plan.returncode == 0, plan.stderr
    assert "dry run" in plan.stdout and "~250 tickets" in plan.stdout
    assert "tickets: start from the beginning of the range" in plan.stdout
    assert not (tmp_path / "desk.db").exists()  # not even an empty file


def test_a_bounded_backfill_runs_beside_a_sync_and_leaves_the_sync_cursor_alone(tmp_path,
                                                                               simulator):
    from deskpulse.app.sync.lock import WriterLock

    config = write_config(tmp_path, simulator)
    with WriterLock(tmp_path / "desk.db", "sync"):  # as if the daemon were running
        done = deskpulse("backfill", "sim", "--since", "2000-01-01", "--until", "2100-01-01",
                         "--config", str(config))
    assert done.returncode == 0, done.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "desk.db") as db:
        slots = [row[0] for row in db.execute("SELECT stream FROM sync_state")]
    assert slots == []  # finished: its own slots are gone and no sync cursor was seeded
    assert db_count(tmp_path / "desk.db", "tickets") > 0
    runs = sqlite3.connect(tmp_path / "desk.db").execute("SELECT mode, status FROM sync_runs")
    assert runs.fetchall() == [("backfill", "ok")]


def test_verify_on_the_demo_database_agrees_on_everything(tmp_path):
    cli.invoke(app, ["demo", "--tickets", "80", "--out", str(tmp_path), "--now", SIM_NOW])
    result = cli.invoke(app, ["verify", "demo", "--database", str(tmp_path / "demo.db")])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "agree" in line]
    assert len(lines) == 16 and all("(100.0%)" in line for line in lines)
    assert "requester_wait_time_in_minutes (business):" in result.output  # the demo has hours


def test_kpi_headline_compares_with_the_previous_period_of_equal_length(tmp_path):
    from datetime import date, timedelta

    from deskpulse import kpi
    from deskpulse.store import Store

    cli.invoke(app, ["demo", "--tickets", "300", "--out", str(tmp_path), "--now", SIM_NOW])
    db = tmp_path / "demo.db"
    store = Store.open(db)
    days = [row[0] for row in store.conn.execute(
        "SELECT DISTINCT created_day FROM ticket_facts ORDER BY created_day")]
    first, last = date.fromisoformat(days[-30]), date.fromisoformat(days[-16])
    length = last - first
    [now] = kpi.summary(store, since=first, until=last)
    day_before = first - timedelta(days=1)
    [before] = kpi.summary(store, since=day_before - length, until=day_before)
    store.close()
    result = cli.invoke(app, ["kpi", "--database", str(db), "--since", first.isoformat(),
                              "--until", last.isoformat()])
    assert result.exit_code == 0, result.output
    assert "vs previous" in result.output
    created = next(line for line in result.output.splitlines() if "Tickets created" in line)
    delta = now["created"] - before["created"]
    assert created.rstrip(" │").endswith(f"{'+' if delta > 0 else '−' if delta < 0 else '±'}"
                                         f"{abs(delta):,}")
