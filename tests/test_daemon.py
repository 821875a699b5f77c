from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler

from deskpulse.app.config.file import config_from_dict
from deskpulse.app.sync.daemon import Daemon, jitter_for
from deskpulse.app.sync.logs import JsonFormatter
from deskpulse.app.sync.result import RunResult

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def config(tmp_path: Path):
    return config_from_dict({
        "database": "d.db",
        "sources": {
            "fast": {"kind": "zendesk", "interval": "1m"},
            "slow": {"kind": "zendesk", "interval": "1h"},
        },
    }, base_dir=tmp_path)


def test_one_job_per_source_at_its_interval_without_overlap(tmp_path):
    daemon = Daemon(config(tmp_path), scheduler=BackgroundScheduler(timezone=UTC))
    daemon.schedule(now=NOW)
    jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
    assert set(jobs) == {"sync:fast", "sync:slow"}
    fast, slow = jobs["sync:fast"], jobs["sync:slow"]
    assert fast.trigger.interval == timedelta(minutes=1)
    assert slow.trigger.interval == timedelta(hours=1)
    assert (fast.max_instances, fast.coalesce) == (1, True)
    assert fast.trigger.jitter == 6 and slow.trigger.jitter == 30


def test_jitter_is_a_tenth_of_the_interval_capped_at_30s():
    assert jitter_for(timedelta(seconds=30)) == 3
    assert jitter_for(timedelta(hours=6)) == 30


def test_a_failing_source_does_not_stop_the_others(tmp_path, caplog):
    calls: list[str] = []

    def run_source(source, stop):
        calls.append(source.name)
        if source.name == "fast":
            raise RuntimeError("boom")
        return RunResult(source=source.name, mode="sync", status="ok")

    daemon = Daemon(config(tmp_path), scheduler=BackgroundScheduler(timezone=UTC),
                    run_source=run_source)
    with caplog.at_level(logging.ERROR):
        daemon._job("fast")
        daemon._job("slow")
    assert calls == ["fast", "slow"]
    assert [r.status for r in daemon.results] == ["ok"]
    assert "source fast: sync crashed" in caplog.text


def test_stop_reaches_running_syncs_and_no_new_run_starts(tmp_path):
    started, release = threading.Event(), threading.Event()
    seen_stop: list[bool] = []

    def run_source(source, stop):
        started.set()
        release.wait(5)
        seen_stop.append(stop.is_set())
        return RunResult(source=source.name, mode="sync", status="stopped")

    daemon = Daemon(config(tmp_path), scheduler=BackgroundScheduler(timezone=UTC),
                    run_source=run_source)
    worker = threading.Thread(target=daemon._job, args=("fast",))
    worker.start()
    assert started.wait(5)
    daemon.stop_event.set()
    release.set()
    worker.join(5)
    assert seen_stop == [True]
    daemon._job("slow")  # after stop: not run
    assert len(daemon.results) == 1


def test_json_log_lines_carry_message_and_extra_fields():
    record = logging.LogRecord("deskpulse.app.sync.runner", logging.INFO, __file__, 1,
                               "source %s stream %s: reading", ("acme", "tickets"), None)
    record.source, record.stream = "acme", "tickets"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "source acme stream tickets: reading"
    assert (line["level"], line["source"], line["stream"]) == ("info", "acme", "tickets")


def test_the_schedule_on_a_fake_clock_fires_each_source_at_its_interval(tmp_path):
    import random as stdlib_random

    daemon = Daemon(config(tmp_path), scheduler=BackgroundScheduler(timezone=UTC))
    daemon.schedule(now=NOW)
    fast = daemon.scheduler.get_job("sync:fast")
    stdlib_random.seed(7)  # APScheduler draws the jitter from the random module
    fires, previous = [], NOW
    for _ in range(5):
        previous = fast.trigger.get_next_fire_time(previous, previous + timedelta(seconds=1))
        fires.append(previous)
    gaps = [(b - a).total_seconds() for a, b in zip([NOW, *fires], fires, strict=False)]
    assert all(54 <= gap <= 66 for gap in gaps[1:]), gaps  # 60 s ± the 6 s jitter
    assert fast.misfire_grace_time == 60  # a run missed while asleep still runs once…
    assert fast.coalesce  # …and several missed runs collapse into that one
