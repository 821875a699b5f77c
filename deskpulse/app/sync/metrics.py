"""The daemon's Prometheus metrics (`deskpulse daemon --metrics HOST:PORT`).

Everything lives in one dedicated `CollectorRegistry`, never the library's global one, so
tests and several daemons in one process do not clash. The numbers come from what the sync
runner already returns (`RunResult`, and its pages through the `progress` hook, so a scrape
during a long run sees records and requests move); connectors know nothing of Prometheus.
Time-based figures (lag, health) are computed at scrape time from an injected clock.
docs/reliability.md "Monitoring the daemon" lists every metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from deskpulse.app.config.file import Config
from deskpulse.app.sync.clock import Clock, utcnow
from deskpulse.app.sync.health import DEFAULT_AFTER, Health
from deskpulse.app.sync.result import RunResult
from deskpulse.connectors import Page
from deskpulse.store import Store

RUN_STATUSES = ("ok", "failed", "stopped")
# KPI refreshes run from milliseconds (an incremental sync) to minutes (a rebuild).
REFRESH_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)



def for_config(config: Config, after: int = DEFAULT_AFTER, clock: Clock = utcnow,
               ) -> DaemonMetrics:
    """Metrics for a daemon about to sync `config`'s sources: the last successes already in
    the file count, so a restarted daemon is not unhealthy, nor healthy by forgetting."""
    store = Store.open(config.database)
    try:
        last = {name: last_success(store, name) for name in config.sources}
        dead = {name: dead_letter_count(store, name) for name in config.sources}
    finally:
        store.close()
    intervals = {name: source.interval for name, source in config.sources.items()}
    metrics = DaemonMetrics(Health(intervals, clock(), last, after), clock)
    for name, count in dead.items():
        metrics.dead_letters.labels(name).set(count)
    return metrics


def last_success(store: Store, source: str) -> datetime | None:
    """When the source's latest successful run finished, from `sync_runs`."""
    row = store.conn.execute("SELECT MAX(finished_at) FROM sync_runs WHERE source = ? AND "
                             "status = 'ok'", (source,)).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def last_successes(store: Store) -> dict[str, datetime]:
    """Every source's latest successful run, whichever daemon ran it: several daemons share
    the sources, so each one's /healthz reads the others' successes from the file."""
    return {row[0]: datetime.fromisoformat(row[1]) for row in store.conn.execute(
        "SELECT source, MAX(finished_at) FROM sync_runs WHERE status = 'ok' "
        "GROUP BY source").fetchall() if row[1]}


def dead_letter_count(store: Store, source: str) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM dead_letters WHERE source = ?",
                                  (source,)).fetchone()[0])


class DaemonMetrics:
    """The daemon's counters and gauges, and the health they imply, in their own registry."""

    def __init__(self, health: Health, clock: Clock = utcnow):
        self.health, self.clock = health, clock
        self.registry = CollectorRegistry()
        r = self.registry
        self.records = Counter("deskpulse_records", "Records committed, per stream.",
                               ["source", "stream"], registry=r)
        self.requests = Counter("deskpulse_requests", "HTTP requests spent on committed "
                                "pages (retries included), per stream.",
                                ["source", "stream"], registry=r)
        self.throttled = Counter("deskpulse_rate_limited", "429 answers from the vendor.",
                                 ["source"], registry=r)
        self.retries = Counter("deskpulse_retries", "Request attempts after the first "
                               "(429s, 5xx, timeouts, resets, truncated bodies).",
                               ["source"], registry=r)
        self.runs = Counter("deskpulse_runs", "Finished sync runs, by status (ok, failed, "
                            "stopped).", ["source", "status"], registry=r)
        self.dead_letters = Gauge("deskpulse_dead_letters", "Dead letters the file holds "
                                  "(objects that failed validation), after the last run.",
                                  ["source"], registry=r)
        self.kpi_refresh = Histogram("deskpulse_kpi_refresh_duration_seconds", "Time a run "
                                     "spent refreshing KPI facts.", ["source"],
                                     buckets=REFRESH_BUCKETS, registry=r)
        r.register(_HealthCollector(health, clock))
        for name in health.intervals:  # every series exists from the start, at 0
            for status in RUN_STATUSES:
                self.runs.labels(name, status)
            self.throttled.labels(name)
            self.retries.labels(name)
            self.kpi_refresh.labels(name)

    def meter(self, source: str) -> RunMeter:
        """A meter for one run of `source`: pass its `page` as the runner's `progress`."""
        return RunMeter(self, source)

    def crashed(self, source: str) -> None:
        """A run that raised instead of returning a result (the runner marked it failed)."""
        self.runs.labels(source, "failed").inc()


@dataclass
class RunMeter:
    """Moves the counters page by page during one run, then settles them at its end."""

    metrics: DaemonMetrics
    source: str
    _throttled: int = 0
    _retries: int = 0

    def page(self, stream: str, page: Page, result: RunResult) -> None:
        """The runner's `progress` hook: one committed page."""
        m = self.metrics
        m.records.labels(self.source, stream).inc(len(page.records))
        m.requests.labels(self.source, stream).inc(page.requests)
        self._engine(result)

    def finished(self, result: RunResult, dead_letters: int) -> None:
        """The run's status, KPI refresh time, dead letters and, if ok, its success time."""
        m = self.metrics
        self._engine(result)
        m.runs.labels(self.source, result.status).inc()
        m.kpi_refresh.labels(self.source).observe(result.kpi_seconds)
        m.dead_letters.labels(self.source).set(dead_letters)
        if result.status == "ok":
            m.health.succeeded(self.source, m.clock())

    def _engine(self, result: RunResult) -> None:
        """Add the 429s and retries the run counted since the last look."""
        m = self.metrics
        m.throttled.labels(self.source).inc(max(0, result.throttled - self._throttled))
        m.retries.labels(self.source).inc(max(0, result.retries - self._retries))
        self._throttled, self._retries = result.throttled, result.retries


class _HealthCollector(Collector):
    """Last success, lag and health per source, computed at scrape time."""

    def __init__(self, health: Health, clock: Clock):
        self.health, self.clock = health, clock

    def collect(self) -> Iterable[Metric]:
        return list(self._families(self.clock()))

    def _families(self, now: datetime) -> Iterator[Metric]:
        last = GaugeMetricFamily("deskpulse_source_last_success_timestamp_seconds",
                                 "When the source's last successful sync finished (Unix "
                                 "time); absent until it has one.", labels=["source"])
        lag = GaugeMetricFamily("deskpulse_source_lag_seconds", "Seconds since the source's "
                                "last successful sync finished; absent until it has one.",
                                labels=["source"])
        healthy = GaugeMetricFamily("deskpulse_source_healthy", "1 while the source has "
                                    "synced within its unhealthy-after intervals, else 0 "
                                    "(as /healthz).", labels=["source"])
        unhealthy = {problem.source for problem in self.health.problems(now)}
        for name in sorted(self.health.intervals):
            success = self.health.last_success(name)
            if success is not None:
                last.add_metric([name], success.timestamp())
                lag.add_metric([name], max(0.0, (now - success).total_seconds()))
            healthy.add_metric([name], 0 if name in unhealthy else 1)
        yield from (last, lag, healthy)
