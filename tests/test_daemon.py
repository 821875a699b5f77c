"""The daemon's loop on a fake clock: claims due sources, releases them to their next slot,
shares them with other daemons, takes a dead daemon's sources over, stops cleanly.

`run_source` is injected (the real sync is covered by test_daemon_processes.py); each test
calls `tick()` itself and waits for the started syncs with `idle()`, never with a sleep.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deskpulse.app.config.file import config_from_dict
from deskpulse.app.sync.daemon import Daemon
from deskpulse.app.sync.logs import JsonFormatter
from deskpulse.app.sync.result import RunResult
from deskpulse.store import Store

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def config(tmp_path: Path, sources: int = 2, workers: int = 4):
    names = {"fast": "1m", "slow": "1h"} if sources == 2 else \
        {f"s{n:02}": "1h" for n in range(sources)}
    return config_from_dict({
        "database": "d.db",
        "daemon": {"lease_ttl": "30s", "workers": workers},
        "sources": {name: {"kind": "zendesk", "interval": every}
                    for name, every in names.items()},
    }, base_dir=tmp_path)


class Recorder:
    """A run_source that logs which daemon synced what, with a status per source."""

    def __init__(self, statuses: dict[str, str] | None = None):
        self.calls: list[tuple[str, str]] = []
        self.statuses = statuses or {}
        self.lock = threading.Lock()

    def __call__(self, source, stop, lease) -> RunResult:
        with self.lock:
            self.calls.append((source.name, lease.holder))
        status = self.statuses.get(source.name, "ok")
        if status == "crash":
            raise RuntimeError("boom")
        return RunResult(source=source.name, mode="sync", status=status)


def daemon(tmp_path, clock, run, name="A", **options) -> Daemon:
    cfg = config(tmp_path, **options)
    made = Daemon(cfg, run_source=run, clock=clock, holder=name,
                  store=Store.open(cfg.database))
    made.start()
    return made


def due(tmp_path: Path) -> dict[str, str]:
    store = Store.open(tmp_path / "d.db")
    try:
        return {row["source"]: row["next_due_at"] for row in store.leases()}
    finally:
        store.close()


def test_due_sources_are_synced_once_and_released_to_their_next_slot(tmp_path):
    clock, run = Clock(), Recorder()
    one = daemon(tmp_path, clock, run)
    assert sorted(one.tick()) == ["fast", "slow"]
    one.idle(30)
    assert sorted(run.calls) == [("fast", "A"), ("slow", "A")]
    assert due(tmp_path) == {"fast": "2026-03-02T09:01:00Z", "slow": "2026-03-02T10:00:00Z"}
    clock.advance(seconds=59)
    assert one.tick() == []  # nothing due yet
    clock.advance(seconds=1)
    assert one.tick() == ["fast"]
    one.idle(30)
    one.close()
    assert len(run.calls) == 3


def test_missed_slots_collapse_into_one_run_on_the_grid(tmp_path):
    clock, run = Clock(), Recorder()
    one = daemon(tmp_path, clock, run)
    one.tick()
    one.idle(30)
    clock.advance(minutes=7, seconds=30)  # seven slots of `fast` went by unserved
    assert one.tick() == ["fast"]
    one.idle(30)
    one.close()
    assert due(tmp_path)["fast"] == "2026-03-02T09:08:00Z"  # still on the minute grid


def test_two_daemons_share_the_sources_and_each_is_synced_by_exactly_one(tmp_path):
    clock, run = Clock(), Recorder()
    first = daemon(tmp_path, clock, run, "A", sources=12, workers=4)
    second = daemon(tmp_path, clock, run, "B", sources=12, workers=4)
    taken = first.tick() + second.tick()
    assert len(taken) == 8 and len(set(taken)) == 8  # four workers each, never the same
    first.idle(30)
    second.idle(30)
    taken += second.tick() + first.tick()
    first.idle(30)
    second.idle(30)
    first.close()
    second.close()
    assert sorted(name for name, _ in run.calls) == sorted(f"s{n:02}" for n in range(12))
    assert {holder for _, holder in run.calls} == {"A", "B"}


def test_a_dead_daemons_source_is_taken_over_once_its_lease_expires(tmp_path):
    clock, run = Clock(), Recorder()
    cfg = config(tmp_path)
    dead = Store.open(cfg.database)
    dead.add_leases(["fast", "slow"], "sync", NOW)
    assert dead.claim_lease("slow", "sync", "dead daemon", ttl=timedelta(seconds=30),
                            clock=clock) is not None
    alive = daemon(tmp_path, clock, run, "B")
    assert alive.tick() == ["fast"]
    alive.idle(30)
    clock.advance(seconds=29)
    assert alive.tick() == []
    clock.advance(seconds=1)
    assert alive.tick() == ["slow"]
    alive.idle(30)
    alive.close()
    dead.close()
    assert run.calls == [("fast", "B"), ("slow", "B")]


def test_a_failing_or_crashing_source_does_not_stop_the_others(tmp_path, caplog):
    clock, run = Clock(), Recorder({"fast": "crash", "slow": "failed"})
    one = daemon(tmp_path, clock, run)
    with caplog.at_level(logging.ERROR):
        one.tick()
        one.idle(30)
    one.close()
    assert [r.status for r in one.results] == ["failed"]
    assert "source fast: sync crashed" in caplog.text
    assert "source slow: sync failed" in caplog.text
    # both were released to their next slot: no retry storm
    assert due(tmp_path) == {"fast": "2026-03-02T09:01:00Z", "slow": "2026-03-02T10:00:00Z"}


def test_stop_reaches_running_syncs_leaves_them_due_and_claims_nothing_new(tmp_path):
    started, release = threading.Event(), threading.Event()
    seen_stop: list[bool] = []

    def run_source(source, stop, lease):
        started.set()
        release.wait(30)
        seen_stop.append(stop.is_set())
        return RunResult(source=source.name, mode="sync", status="stopped")

    clock = Clock()
    one = daemon(tmp_path, clock, run_source, workers=1)
    assert one.tick() == ["fast"]
    assert started.wait(30)
    one.stop()
    release.set()
    one.idle(30)
    assert one.tick() == []  # after stop: nothing claimed
    one.close()
    assert seen_stop == [True]
    # the stopped run did not serve its slot: still due, for the next daemon at once
    assert due(tmp_path)["fast"] == "2026-03-02T09:00:00Z"


def test_a_poll_renews_the_leases_of_running_syncs(tmp_path):
    started, release = threading.Event(), threading.Event()

    def run_source(source, stop, lease):
        started.set()
        release.wait(30)
        return RunResult(source=source.name, mode="sync", status="ok")

    clock = Clock()
    one = daemon(tmp_path, clock, run_source, workers=1)
    one.tick()
    assert started.wait(30)
    other = Store.open(tmp_path / "d.db")
    try:
        for _ in range(4):  # a long page wait: two minutes, polled every 20 s
            clock.advance(seconds=20)
            one.tick()
            assert other.claim_lease("fast", "sync", "B", ttl=timedelta(seconds=30),
                                     clock=clock) is None
    finally:
        release.set()
        one.idle(30)
        one.close()
        other.close()


@pytest.mark.parametrize("value", ["30", "0s"])
def test_lease_ttl_needs_a_unit_and_a_length(tmp_path, value):
    from deskpulse.app.config.file import ConfigError

    with pytest.raises(ConfigError, match="daemon.lease_ttl"):
        config_from_dict({"daemon": {"lease_ttl": value}}, base_dir=tmp_path)


def test_json_log_lines_carry_message_and_extra_fields():
    record = logging.LogRecord("deskpulse.app.sync.runner", logging.INFO, __file__, 1,
                               "source %s stream %s: reading", ("acme", "tickets"), None)
    record.source, record.stream = "acme", "tickets"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "source acme stream tickets: reading"
    assert (line["level"], line["source"], line["stream"]) == ("info", "acme", "tickets")


def test_healthz_counts_the_successes_of_other_daemons(tmp_path):
    from deskpulse.app.sync.health import Health
    from deskpulse.app.sync.metrics import DaemonMetrics

    clock, run = Clock(), Recorder()
    cfg = config(tmp_path)
    health = Health({name: s.interval for name, s in cfg.sources.items()}, NOW, after=3)
    metrics = DaemonMetrics(health, clock)
    other = Store.open(cfg.database)
    other.add_leases(["fast", "slow"], "sync", NOW + timedelta(days=1))  # nothing due here
    run_id = other.start_run("fast", "sync", pid=1, host="elsewhere")
    other.finish_run(run_id, "ok")
    finished = other.conn.execute("SELECT finished_at FROM sync_runs").fetchone()[0]
    other.close()
    one = Daemon(cfg, run_source=run, clock=clock, holder="A", metrics=metrics,
                 store=Store.open(cfg.database))
    one.start()
    assert one.tick() == [] and run.calls == []
    one.close()
    assert health.last_success("fast") == datetime.fromisoformat(finished)
    assert health.last_success("slow") is None
