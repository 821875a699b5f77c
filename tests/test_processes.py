"""deskpulse as real processes: SIGTERM to the daemon, SIGKILL to a backfill, readers alongside.

These start `deskpulse simulate` on 127.0.0.1 and the CLI as subprocesses, because a signal
and a crash are only honest when they hit a real process.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from deskpulse import kpi
from deskpulse.app.demo.run import demo_source
from deskpulse.app.sync.runner import Runner
from deskpulse.simulator import ZendeskAPI, generate
from deskpulse.store import Store
from tests.simdesk import TOKEN, cli, start_simulator, stop, write_config

DATA_TABLES = ("tickets", "events", "people", "groups", "ratings", "vendor_metrics",
               "ticket_facts", "unsolved_spans", "kpi_daily")


def table(path: Path, name: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return sorted(db.execute(f"SELECT * FROM {name}").fetchall(), key=repr)


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def committed_pages(path: Path) -> int:
    try:
        with sqlite3.connect(path) as db:
            row = db.execute("SELECT COALESCE(SUM(pages), 0) FROM sync_runs").fetchone()
        return int(row[0])
    except sqlite3.OperationalError:
        return 0


@pytest.fixture(scope="module")
def simulator():
    url, server = start_simulator(tickets=4000, seed=13)
    yield url
    stop(server)


def test_sigterm_finishes_the_page_in_hand_and_exits_0(tmp_path, simulator):
    config = write_config(tmp_path, simulator)
    daemon = cli("daemon", "--config", str(config), "--log-format", "json")
    wait_for(lambda: committed_pages(tmp_path / "desk.db") >= 2)
    started = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    out, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, err
    assert time.monotonic() - started < 30
    with sqlite3.connect(tmp_path / "desk.db") as db:
        status, pages = db.execute("SELECT status, pages FROM sync_runs").fetchone()
        saved = db.execute("SELECT COUNT(*) FROM sync_state").fetchone()[0]
    assert status in ("stopped", "ok") and pages >= 2 and saved >= 1
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any("sim" in line["message"] for line in lines)
    assert TOKEN not in err + out


def test_a_backfill_killed_20_times_ends_with_the_rows_of_an_uninterrupted_one(tmp_path,
                                                                              simulator):
    reference = write_config(tmp_path / "ref", simulator)
    done = cli("backfill", "sim", "--since", "2000-01-01", "--config", str(reference))
    assert done.wait(timeout=300) == 0, done.stderr.read()
    done.stdout.close()
    done.stderr.close()

    chaos = write_config(tmp_path / "chaos", simulator)
    rng, kills = random.Random(20261123), 0
    for _attempt in range(60):
        run = cli("backfill", "sim", "--since", "2000-01-01", "--config", str(chaos))
        try:
            run.wait(timeout=rng.uniform(0.6, 2.5))
        except subprocess.TimeoutExpired:
            run.send_signal(signal.SIGKILL)
            run.wait()
            kills += 1
        run.stdout.close()
        run.stderr.close()
        if kills >= 20:
            break
    assert kills >= 20
    final = cli("backfill", "sim", "--since", "2000-01-01", "--config", str(chaos))
    assert final.wait(timeout=300) == 0, final.stderr.read()
    final.stdout.close()
    final.stderr.close()
    for name in DATA_TABLES:
        assert table(tmp_path / "chaos" / "desk.db", name) == \
            table(tmp_path / "ref" / "desk.db", name), name
    with sqlite3.connect(tmp_path / "chaos" / "desk.db") as db:
        assert db.execute("SELECT COUNT(*) FROM kpi_dirty").fetchone()[0] == 0


def test_readers_never_hit_a_lock_or_a_half_written_page_during_a_backfill(tmp_path):
    now = datetime(2026, 6, 1, tzinfo=UTC)
    desk = generate(seed=8, tickets=3000, start=now - timedelta(days=60), end=now)
    api = ZendeskAPI(desk, email="demo@deskpulse.example", token="t")
    store = Store.open(tmp_path / "w.db")
    kpi.install_views(store)
    runner = Runner(store, demo_source(), transport=httpx.MockTransport(api.handler),
                    environ={"DESKPULSE_DEMO_TOKEN": "t"})
    writer = threading.Thread(target=runner.backfill, args=(now - timedelta(days=61),))
    reader = sqlite3.connect(tmp_path / "w.db", timeout=0.1)
    seen: list[int] = []
    writer.start()
    while writer.is_alive():
        tickets, metrics = reader.execute(
            "SELECT (SELECT COUNT(*) FROM tickets), (SELECT COUNT(*) FROM vendor_metrics)"
        ).fetchone()
        reader.execute("SELECT * FROM kpi_days").fetchall()
        seen.append(tickets)
        # a tickets page commits each ticket with its metrics: never one without the other
        assert metrics <= tickets
    writer.join()
    reader.close()
    store.close()
    assert seen == sorted(seen) and len(seen) > 3
