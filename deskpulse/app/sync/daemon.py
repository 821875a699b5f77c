"""`deskpulse daemon`: syncs the configured sources as they fall due, sharing them with every
other daemon on the same database (any number, on any machines).

No daemon owns a source. Each one looks for due sources whose lease is free or expired
(every `[daemon] poll`, and at once when one of its syncs ends), claims them with a
compare-and-set (store.leases), and syncs up to `workers` of them at a time, each in a
thread with its own connection. Its leases are renewed by every page it commits and at
every poll; each is released with the source's next slot: the slot the run served plus
whole intervals, slots missed meanwhile collapsing into one. A daemon that dies keeps its
leases until they expire (`lease_ttl`), then another daemon takes its sources over from
their last committed page; the fence in `commit_page` keeps a stalled one from committing
after that. SIGTERM/SIGINT set one stop event: every running sync finishes and commits the
page in hand and releases its lease with the source still due (another daemon takes it up
at once), then the process exits 0. With `metrics` (from `--metrics`), every real sync moves
the Prometheus counters page by page (deskpulse.app.sync.metrics), and every poll reads the
sources' last successes from the file, so /healthz counts other daemons' runs too.

The clock, the wait between polls and the daemon's name are parameters: tests run it on a
fake clock, calling `tick()` themselves.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from typing import Any

from deskpulse.app.config.file import Config, SourceConfig
from deskpulse.app.sync.clock import Clock, utcnow
from deskpulse.app.sync.jobs import configured_runner, open_for_writing
from deskpulse.app.sync.leasing import holder_name
from deskpulse.app.sync.metrics import DaemonMetrics, dead_letter_count, last_successes
from deskpulse.app.sync.result import RunResult
from deskpulse.store import Lease, Store, next_slot

log = logging.getLogger(__name__)

JOB = "sync"
RunSource = Callable[[SourceConfig, threading.Event, Lease], RunResult]
# Run statuses after which the source stays due: the run did not serve its slot.
UNSERVED = ("stopped", "interrupted")



class Daemon:
    """Claims and syncs due sources of `config` until `stop()`; see the module docstring."""

    def __init__(
        self,
        config: Config,
        *,
        run_source: RunSource | None = None,
        metrics: DaemonMetrics | None = None,
        clock: Clock = utcnow,
        holder: str | None = None,
        store: Store | None = None,
    ):
        self.config = config
        self.settings = config.daemon
        self.metrics = metrics
        self.clock = clock
        self.holder = holder or holder_name()
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self.results: list[RunResult] = []
        self.active: dict[str, Lease] = {}
        self._run_source = run_source or self._sync_once
        self._store = store  # the control connection: claims, renewals, releases
        self._lock = threading.Lock()  # guards it and `active` across the sync threads
        self._pool = ThreadPoolExecutor(self.settings.workers,
                                        thread_name_prefix="deskpulse-sync")
        self._futures: list[Future[None]] = []

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_for_writing(self.config)
        return self._store

    def run(self) -> None:
        """Block until SIGTERM/SIGINT (or `stop()`); install the signal handlers first."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        log.info("daemon %s started with %d sources (lease_ttl %ss)", self.holder,
                 len(self.config.sources), int(self.settings.lease_ttl.total_seconds()))
        try:
            self.start()
            while not self.stop_event.is_set():
                self.tick()
                self.wake.wait(self.settings.poll.total_seconds())
                self.wake.clear()
        finally:
            self.close()
        log.info("daemon stopped")

    def start(self) -> None:
        """Give every configured source a lease row; a new one is due at once."""
        with self._lock:
            self.store.add_leases(self.config.sources, JOB, self.clock())

    def tick(self) -> list[str]:
        """Renew the leases in hand, then claim due sources for the free workers and start
        their syncs; returns the names claimed."""
        claimed: list[Lease] = []
        with self._lock:
            for lease in list(self.active.values()):
                if not self.store.renew_lease(lease):
                    log.warning("source %s: lease lost (it expired and another process took "
                                "the source over); its sync stops at its next page",
                                lease.source)
            if self.metrics:  # successes of the other daemons count for /healthz too
                for name, at in last_successes(self.store).items():
                    self.metrics.health.succeeded(name, at)
            free = self.settings.workers - len(self.active)
            if self.stop_event.is_set() or free <= 0:
                return []
            for name in self.store.due_sources(JOB, self.clock()):
                if len(claimed) >= free:
                    break
                if name not in self.config.sources or name in self.active:
                    continue
                lease = self.store.claim_lease(name, JOB, self.holder,
                                               ttl=self.settings.lease_ttl, clock=self.clock)
                if lease is None:  # another daemon was quicker
                    continue
                if lease.previous:
                    log.warning("source %s: took over from %s, whose lease expired", name,
                                lease.previous)
                self.active[name] = lease
                claimed.append(lease)
        for lease in claimed:
            self._futures.append(self._pool.submit(self._job, lease))
        return [lease.source for lease in claimed]

    def idle(self, timeout: float | None = None) -> None:
        """Wait for the syncs started so far to end (tests, and `close`)."""
        wait_all(list(self._futures), timeout=timeout)

    def stop(self) -> None:
        """Ask running syncs to stop after their current page; `run` then returns."""
        self.stop_event.set()
        self.wake.set()

    def close(self) -> None:
        self.stop_event.set()
        self._pool.shutdown(wait=True)
        if self._store is not None:
            self._store.close()
            self._store = None

    def _on_signal(self, signum: int, _frame: Any) -> None:
        log.info("received %s: finishing the pages in hand", signal.Signals(signum).name)
        self.stop()

    def _job(self, lease: Lease) -> None:
        name = lease.source
        result: RunResult | None = None
        try:
            result = self._run_source(self.config.sources[name], self.stop_event, lease)
        except Exception:
            log.exception("source %s: sync crashed; next try at its next slot", name)
            if self.metrics:
                self.metrics.crashed(name)
        finally:
            self._release(lease, result)
        if result is None:
            return
        self.results.append(result)
        if result.status == "failed":
            log.error("source %s: sync failed, next try at its next slot: %s", name, result.error)

    def _release(self, lease: Lease, result: RunResult | None) -> None:
        """Free the lease with the source's next slot (a stopped or cut-short run leaves it
        due), and wake the loop: a worker is free."""
        interval = self.config.sources[lease.source].interval
        unserved = result is not None and result.status in UNSERVED
        next_due = None if unserved else next_slot(lease.due, interval, self.clock())
        with self._lock:
            self.active.pop(lease.source, None)
            if not self.store.release_lease(lease, next_due):
                log.warning("source %s: its lease had been taken over before the run ended",
                            lease.source)
        self.wake.set()

    def _sync_once(self, source: SourceConfig, stop: threading.Event,
                   lease: Lease) -> RunResult:
        store = open_for_writing(self.config)
        meter = self.metrics.meter(source.name) if self.metrics else None
        try:
            result = configured_runner(store, self.config, source, stop=stop,
                                       sleep=_interruptible_sleep(stop), lease=lease,
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
