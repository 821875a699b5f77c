"""Three `deskpulse daemon` processes, one database, 30 simulated sources, one daemon SIGKILLed
mid-page (issue #19): every source is synced exactly once in its interval, the dead daemon's
sources are taken over from their last committed page, no page is lost or doubled, and the
KPI tables equal a rebuild.

Real processes, because a SIGKILL is only honest when it hits one. The simulator answers
slowly (`--latency`) so that a sync is caught mid-page; the test polls the database with
generous deadlines and never sleeps to assert.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from deskpulse import kpi
from deskpulse.app.config.file import load_config
from deskpulse.app.sync.jobs import configured_runner
from deskpulse.simulator import ZendeskAPI, generate
from deskpulse.store import Store
from tests.simdesk import SIM_NOW, TOKEN, cli, free_port, stop

SOURCES = [f"s{n:02}" for n in range(30)]
TICKETS, SEED = 120, 19
COMPARED = ("tickets", "events", "people", "groups", "ratings", "ticket_facts", "kpi_daily",
            "reply_cycles", "unsolved_spans")


def write_config(folder: Path, base_url: str, names: list[str], database: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    sources = "".join(f"""
[sources.{name}]
kind = "zendesk"
subdomain = "{name}"
email = "demo@deskpulse.example"
token = "${{SIM_TOKEN}}"
base_url = "{base_url}"
incremental_requests_per_minute = 100000
interval = "1h"
""" for name in names)
    config = folder / "deskpulse.toml"
    config.write_text(f"""database = "{database}"
[daemon]
lease_ttl = "4s"
poll = "1s"
workers = 4

[[schedule]]
tz = "UTC"
[schedule.hours]
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]
{sources}""", encoding="utf-8")
    return config


def runs(database: str) -> list[dict]:
    store = Store.open(database)
    try:
        cur = store.conn.execute("SELECT source, status, pid, pages, error, started_at "
                                 "FROM sync_runs ORDER BY id")
        keys = ("source", "status", "pid", "pages", "error", "started_at")
        return [dict(zip(keys, row, strict=True)) for row in cur.fetchall()]
    finally:
        store.close()


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def table(store: Store, name: str, source: str) -> list[tuple]:
    """A source's rows without the source column (and the vendor's raw spelling)."""
    columns = [column for column in store.column_names(name)
               if column not in ("source", "raw")]
    return sorted(store.conn.execute(
        f"SELECT {', '.join(columns)} FROM {name} WHERE source = ?", (source,)).fetchall(),
        key=repr)


def reference(folder: Path) -> Store:
    """The simulated account synced once, in-process, then its KPIs rebuilt from scratch.
    Two sources, so that (as in the shared file) no synced business hours are used."""
    present = datetime.fromisoformat(SIM_NOW.replace("Z", "+00:00"))
    desk = generate(seed=SEED, tickets=TICKETS, start=present - timedelta(days=90),
                    end=present)
    api = ZendeskAPI(desk, email="demo@deskpulse.example", token=TOKEN)
    cfg = load_config(write_config(folder, "http://127.0.0.1:9", ["r0", "r1"], "ref.db"))
    store = Store.open(cfg.database)
    kpi.install_views(store)
    for name in ("r0", "r1"):
        result = configured_runner(store, cfg, cfg.source(name),
                                   transport=httpx.MockTransport(api.handler),
                                   environ={"SIM_TOKEN": TOKEN}).sync()
        assert result.status == "ok", result.error
    kpi.rebuild(store, schedule=cfg.business_calendars(),
                targets=kpi.sla_targets_in_use(store, cfg.sla_targets(), cfg.kpi.sla_targets))
    return store


@pytest.fixture
def slow_simulator():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "deskpulse", "simulate", "--port", str(port), "--tickets",
         str(TICKETS), "--seed", str(SEED), "--token", TOKEN, "--now", SIM_NOW,
         "--latency", "0.15"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert "Simulated Zendesk" in server.stdout.readline()
    yield f"http://127.0.0.1:{port}"
    stop(server)


def test_three_daemons_share_30_sources_and_take_over_a_killed_ones(request, backend, tmp_path,
                                                                    db_target, slow_simulator):
    database = str(db_target)  # a SQLite file, or a PostgreSQL schema (tests/backends.py)
    config = write_config(tmp_path / "shared", slow_simulator, SOURCES, database)
    Store.open(database).close()  # created and migrated once, before the race
    started, clock = datetime.now(UTC), time.monotonic()
    daemons = [cli("daemon", "--config", str(config)) for _ in range(3)]
    try:
        pids = {daemon.pid for daemon in daemons}

        def mid_page() -> list[dict]:  # runs of a daemon with a page committed, still going
            for daemon in daemons:  # a daemon that could not start says why
                if daemon.poll() is not None:
                    raise AssertionError(daemon.stderr.read()[-3000:])
            return [run for run in runs(database) if run["status"] == "running"
                    and run["pages"] >= 1 and run["pid"] in pids]

        wait_for(lambda: bool(mid_page()), 60, "a daemon mid-sync")
        print(f"kill at {time.monotonic() - clock:.1f}s")
        victim = next(d for d in daemons if d.pid == mid_page()[0]["pid"])
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        held = {run["source"] for run in runs(database)
                if run["pid"] == victim.pid and run["status"] == "running"}
        assert held, "the killed daemon held no source"

        def all_synced() -> bool:
            found = runs(database)
            return {run["source"] for run in found if run["status"] == "ok"} == set(SOURCES) \
                and not any(run["status"] == "running" for run in found)

        wait_for(all_synced, 90, "every source synced")
        print(f"all synced at {time.monotonic() - clock:.1f}s")
        survivors = [d for d in daemons if d is not victim]
        for daemon in survivors:
            daemon.send_signal(signal.SIGTERM)
        for daemon in survivors:
            _out, err = daemon.communicate(timeout=60)
            assert daemon.returncode == 0, err[-2000:]
    finally:
        for daemon in daemons:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
            for pipe in (daemon.stdout, daemon.stderr):
                if pipe and not pipe.closed:
                    pipe.close()

    found = runs(database)
    for name in SOURCES:
        mine = [run for run in found if run["source"] == name]
        assert [run["status"] for run in mine].count("ok") == 1, (name, mine)
        assert all(run["status"] in ("ok", "interrupted") for run in mine), (name, mine)
    killed = [run for run in found if run["pid"] == victim.pid and run["source"] in held]
    assert killed and all(run["status"] == "interrupted" for run in killed), killed
    for name in held:  # taken over by a live daemon, which finished the source
        ok = next(run for run in found if run["source"] == name and run["status"] == "ok")
        assert ok["pid"] != victim.pid

    shared = Store.open(database)
    ref = reference(tmp_path / "ref")
    try:
        for lease in shared.leases():  # free, and next due one interval after its first slot
            assert lease["holder"] is None, lease
            due = datetime.fromisoformat(lease["next_due_at"].replace("Z", "+00:00"))
            assert timedelta(minutes=59) <= due - started <= timedelta(minutes=62), lease
        assert shared.dirty_count("s00") == 0
        for name in COMPARED:
            expected = table(ref, name, "r0")
            assert expected, name
            for source in SOURCES:
                assert table(shared, name, source) == expected, (name, source)
    finally:
        shared.close()
        ref.close()
