"""`deskpulse daemon`: every configured source synced at its own interval, until told to stop.

APScheduler 3 runs one job per source: no two runs of the same source overlap
(`max_instances=1`), runs missed while the machine slept collapse into one (`coalesce`), and a
little jitter keeps sources from hitting the database at the same instant. Each job opens its
own connection; the store's IMMEDIATE transactions make concurrent writers queue, and the
file lock keeps other processes out. SIGTERM/SIGINT set one stop event: every running sync
finishes and commits the page in hand, then the process exits 0. With `metrics` (from
`--metrics`), every real sync moves the Prometheus counters page by page
(deskpulse.app.sync.metrics).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from deskpulse.app.config.file import Config, SourceConfig
from deskpulse.app.sync.jobs import configured_runner, open_for_writing
from deskpulse.app.sync.metrics import DaemonMetrics, dead_letter_count
from deskpulse.app.sync.result import RunResult

log = logging.getLogger(__name__)

MAX_JITTER_SECONDS = 30


def jitter_for(interval: timedelta) -> int:
    """Up to a tenth of the interval, at most 30 s."""
    return int(min(MAX_JITTER_SECONDS, interval.total_seconds() / 10))


class Daemon:
    """Schedules `sync` for every source of `config`; `stop` ends it gracefully."""

    def __init__(
        self,
        config: Config,
        *,
        scheduler: BlockingScheduler | None = None,
        run_source: Callable[[SourceConfig, threading.Event], RunResult] | None = None,
        metrics: DaemonMetrics | None = None,
    ):
        self.config = config
        self.metrics = metrics
        self.stop_event = threading.Event()
        workers = max(1, min(len(config.sources), 4))
        self.scheduler = scheduler or BlockingScheduler(
            executors={"default": ThreadPoolExecutor(workers)}, timezone=UTC
        )
        self._run_source = run_source or self._sync_once
        self.results: list[RunResult] = []

    def schedule(self, now: datetime | None = None) -> None:
        """Add one job per source; the first run of each starts right away."""
        first = now or datetime.now(UTC)
        for name, source in self.config.sources.items():
            seconds = int(source.interval.total_seconds())
            self.scheduler.add_job(
                self._job, IntervalTrigger(seconds=seconds, jitter=jitter_for(source.interval),
                                           timezone=UTC),
                args=[name], id=f"sync:{name}", name=f"sync {name}",
                max_instances=1, coalesce=True, misfire_grace_time=seconds,
                next_run_time=first, replace_existing=True,
            )

    def run(self) -> None:
        """Block until SIGTERM/SIGINT (or `stop()`); install the signal handlers first."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        self.schedule()
        log.info("daemon started with %d sources", len(self.config.sources))
        self.scheduler.start()
        log.info("daemon stopped")

    def stop(self) -> None:
        """Ask running syncs to stop after their current page, and wait for them."""
        self.stop_event.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        log.info("received %s: finishing the pages in hand", signal.Signals(signum).name)
        # shutdown(wait=True) must not run inside the handler while the scheduler's own
        # thread may hold its lock, so hand it to a thread and let the handler return.
        threading.Thread(target=self.stop, name="deskpulse-stop", daemon=True).start()

    def _job(self, name: str) -> None:
        if self.stop_event.is_set():
            return
        source = self.config.sources[name]
        try:
            result = self._run_source(source, self.stop_event)
        except Exception:
            log.exception("source %s: sync crashed; next try at its next slot", name)
            if self.metrics:
                self.metrics.crashed(name)
            return
        self.results.append(result)
        if result.status == "failed":
            log.error("source %s: sync failed, next try at its next slot: %s", name, result.error)

    def _sync_once(self, source: SourceConfig, stop: threading.Event) -> RunResult:
        store = open_for_writing(self.config)
        meter = self.metrics.meter(source.name) if self.metrics else None
        try:
            result = configured_runner(store, self.config, source, stop=stop,
                                       sleep=_interruptible_sleep(stop),
                                       progress=meter.page if meter else None).sync()
            if meter:
                meter.finished(result, dead_letter_count(store, source.name))
            return result
        finally:
            store.close()


def _interruptible_sleep(stop: threading.Event) -> Callable[[float], None]:
    """Backoff and pacing waits end early when a stop is requested."""

    def sleep(seconds: float) -> None:
        stop.wait(seconds)

    return sleep
