"""The sync runner: connector pages → `Store.commit_page` → `kpi.upkeep.refresh`, logged in
`sync_runs`.

Every page is committed with its cursor in one transaction, so a crash anywhere resumes from
the last committed page. KPI facts are refreshed from `kpi_dirty` (filled in the same
transactions) at the end of every run and, during a long one, whenever a refresh is cheap
next to the reading it follows (`app.sync.refresh_pace`: every 30 s in a rate-limited
backfill), and a crash between a commit and a refresh loses nothing: the next run
refreshes the rest.

A backfill reads into its own cursor slot (`tickets@backfill:2024-01-01`), so it can be
interrupted and resumed with the same command, and it never moves the cursor that
incremental syncs continue from, except to seed it when the source has never synced.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from deskpulse import kpi
from deskpulse.app.config.file import ConfigError, SourceConfig
from deskpulse.app.config.secrets import scrub as _scrub
from deskpulse.app.config.secrets import secret_values
from deskpulse.app.sync.clock import utcnow
from deskpulse.app.sync.refresh_pace import RefreshPace
from deskpulse.app.sync.result import RunResult
from deskpulse.app.sync.retry import retry_dead_letters
from deskpulse.app.sync.runs import FINISHED, StopRequested, owner_gone, stoppable_sleep, this_host
from deskpulse.connectors import Connector, Page, Source, SourceError, open_source
from deskpulse.connectors.source import Clock, Sleep
from deskpulse.kpi import Calendars, Schedule
from deskpulse.kpi.sla.policy import Target
from deskpulse.store import Lease, LeaseLost, Store

log = logging.getLogger(__name__)

Progress = Callable[[str, Page, RunResult], None]


@dataclass
class Runner:
    """Runs one source against one open store. `sleep`, `clock`, `transport` are for tests."""

    store: Store
    source: SourceConfig
    transport: httpx.BaseTransport | None = None
    sleep: Sleep | None = None
    clock: Clock | None = None
    progress: Progress | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    environ: dict[str, str] | None = None
    connector: Connector | None = None  # default: the one registered for source.kind
    max_pages: int | None = None  # per stream: a bounded run (deskpulse record)
    schedule: Calendars | Schedule | None = None  # business hours for the `_bus` facts
    report_tz: str = "UTC"  # the zone of the facts' day columns ([kpi] report_tz)
    targets: tuple[Target, ...] = ()  # the config's [[sla]] targets (sla_instances)
    sla_targets: str = "auto"  # [kpi] sla_targets: config, vendor policies, or auto
    phase: Callable[[str], None] | None = None  # told when the run moves to its KPI refresh
    lease: Lease | None = None  # pages commit only while this lease is held (store.leases)
    _at: tuple[str, str] | None = field(default=None, init=False, repr=False)
    _in_use: Calendars | Schedule | None = field(default=None, init=False, repr=False)
    _pace: RefreshPace | None = field(default=None, init=False, repr=False)

    def sync(self) -> RunResult:
        """One incremental pass over every stream (a first sync starts at `start_date`)."""
        return self._run("sync", self.source.since(), None, slot=lambda stream: stream)

    def backfill(self, since: datetime, until: datetime | None = None) -> RunResult:
        """Read everything changed since `since` (up to `until`), resumably, without moving
        the sync cursors: a backfill has a cursor slot of its own, named by its range."""
        return self._run("backfill", since, until,
                         slot=lambda stream: backfill_slot(stream, since, until),
                         span=(since.date().isoformat(), None if until is None else
                               (until - timedelta(microseconds=1)).date().isoformat()))

    def plan(self, since: datetime, until: datetime | None = None) -> dict[str, Any]:
        """What `backfill` would read, and a size estimate from the vendor (no writes)."""
        connector = self.connector or self.source.connector()
        settings = self.source.settings(connector, self.environ)
        source = open_source(connector, self.source.name, settings, transport=self.transport,
                             sleep=self.sleep, clock=self.clock)
        try:
            estimate = source.estimate(since)
        finally:
            source.close()
        resume = {stream: self.store.cursor(self.source.name, backfill_slot(stream, since, until))
                  for stream in connector.streams}
        return {"source": self.source.name, "kind": connector.kind, "streams":
                list(connector.streams), "since": since.isoformat(),
                "until": until.isoformat() if until else None, "resume_from": resume,
                "estimate": estimate, "requests_per_minute":
                estimate.get("requests_per_minute")  # learned from the vendor's headers
                or getattr(settings, "incremental_requests_per_minute", None)
                or getattr(settings, "requests_per_minute", None)}

    def _run(self, mode: str, since: datetime, until: datetime | None,
             slot: Callable[[str], str], span: tuple[str | None, str | None] = (None, None),
             ) -> RunResult:
        name = self.source.name
        result = RunResult(source=name, mode=mode)
        self._at = None
        self._pace = RefreshPace((self.clock or utcnow)())
        try:
            connector = self.connector or self.source.connector()
            settings = self.source.settings(connector, self.environ)
        except ConfigError as exc:  # e.g. a token variable not set: a failed run, not a crash
            self.store.ensure_source(name, self.source.kind, None)
            return self._finish(self._start(mode, span), result, "failed", str(exc))
        self.store.ensure_source(name, connector.kind, connector.account(settings))
        self._in_use = self._schedule()
        kpi.ensure_definitions(self.store, self._in_use, self._targets(),
                               report_tz=self.report_tz)
        run_id = self._start(mode, span)
        secrets = secret_values(settings)
        if mode == "sync":
            retry_dead_letters(self.store, name, connector, settings)
        try:
            source = open_source(
                connector, name, settings, transport=self.transport,
                sleep=self.sleep or stoppable_sleep(self.stop), clock=self.clock,
            )
            try:
                for stream in connector.streams:
                    if self.stop.is_set():
                        break
                    self._read_stream(source, stream, slot(stream), since, until, run_id,
                                      result)
            finally:
                result.count_engine(source)
                source.close()
            if self.phase:
                self.phase(f"refreshing KPIs of {self.store.dirty_count(name):,} tickets")
            result.kpi_refreshed += self._timed_refresh(result)
            if self.lease is not None:  # a stall past the lease: the taker's run serves it
                self.store.hold_lease(self.lease)
        except LeaseLost as exc:  # another process took the source over: its run goes on
            return self._finish(run_id, result, "interrupted", str(exc))
        except (SourceError, StopRequested) as exc:
            if self.stop.is_set():  # stopped during a retry or pacing wait: not a failure
                return self._finish(run_id, result, "stopped", None)
            where = f" [stream {self._at[0]}, resuming from cursor {self._at[1]}]" \
                if self._at else ""
            return self._finish(run_id, result, "failed", _scrub(f"{exc}{where}", secrets))
        except BaseException as exc:
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            error = _scrub(f"{type(exc).__name__}: {exc}", secrets)
            self._finish(run_id, result, status, error)
            raise
        status = "stopped" if self.stop.is_set() else "ok"
        if status == "ok" and mode == "backfill":  # a later backfill of the range reads anew
            for stream in connector.streams:
                self.store.reset_cursor(name, slot(stream))
        return self._finish(run_id, result, status, None)

    def _start(self, mode: str, span: tuple[str | None, str | None]) -> int:
        """Log the run with its owner, first closing runs of this source whose process died
        (`interrupted`), so `status` never shows a dead run as running."""
        host = this_host()
        for run in self.store.running_runs(self.source.name):
            if owner_gone(run, host=host):
                self.store.finish_run(run["id"], "interrupted",
                                      "its process ended before the run finished")
            elif self.lease is not None and run["mode"] == mode:  # fenced out by our lease
                self.store.finish_run(run["id"], "interrupted", "its lease expired (the "
                                      "process died or stalled) and another took it over")
        return self.store.start_run(self.source.name, mode, pid=os.getpid(), host=host,
                                    since=span[0], until=span[1])

    def _read_stream(
        self, source: Source, stream: str, slot: str, since: datetime,
        until: datetime | None, run_id: int, result: RunResult,
    ) -> None:
        cursor = self.store.cursor(self.source.name, slot)
        if cursor == FINISHED and slot != stream:
            log.info("source %s stream %s: read to the end before the interruption, skipped",
                     self.source.name, stream)
            return
        self._at = (stream, json.dumps(cursor))
        log.info("source %s stream %s: reading from %s", self.source.name, stream,
                 "saved cursor" if cursor else since.isoformat())
        pages_read = 0
        extra = {"stored": self._events_seen} if _accepts(source.read, "stored") else {}
        for page in source.read(stream, cursor, since=since, until=until, **extra):
            changed = self.store.commit_page(
                self.source.name, slot, page.records, page.cursor,
                run_id=run_id, requests=page.requests, keep_bodies=self.source.store_bodies,
                lease=self.lease,
            )
            result.count_page(stream, page, len(changed))
            result.count_engine(source)
            if self.progress:
                self.progress(stream, page, result)
            pages_read += 1
            result.kpi_refreshed += self._refresh_if_due(result)
            self._at = (stream, json.dumps(page.cursor))
            if page.done:
                self._finish_slot(stream, slot, page, seed_sync=until is None)
            if self.stop.is_set():
                log.info("source %s stream %s: stop requested, page committed",
                         self.source.name, stream)
                return
            if self.max_pages is not None and pages_read >= self.max_pages:
                log.info("source %s stream %s: page limit %d reached", self.source.name,
                         stream, self.max_pages)
                return

    def _schedule(self) -> Calendars | Schedule | None:
        """The configured business hours, else the vendor's synced default (one source)."""
        return self.schedule if self.schedule is not None else kpi.synced_calendars(self.store)

    def _refresh_if_due(self, result: RunResult) -> int:
        """A mid-run refresh, when `RefreshPace` says it is worth it (app.sync.refresh_pace);
        paced across the run's streams, since a backfill's streams follow one another."""
        now = self.clock or utcnow
        pace = self._pace = self._pace or RefreshPace(now())
        if not pace.worth_asking(now()):
            return 0
        if not pace.due(now(), self.store.dirty_count(self.source.name)):
            return 0
        started = now()
        refreshed = self._timed_refresh(result)
        pace.refreshed(started, now(), refreshed)
        return refreshed

    def _timed_refresh(self, result: RunResult) -> int:
        """`_refresh_kpis`, its duration added to the run's `kpi_seconds` (for monitoring)."""
        now = self.clock or utcnow
        started = now()
        try:
            return self._refresh_kpis()
        finally:
            result.kpi_seconds += (now() - started).total_seconds()

    def _targets(self) -> tuple[Target, ...]:
        """The SLA targets in use: the config's, or the vendor's synced policies."""
        return kpi.sla_targets_in_use(self.store, self.targets, self.sla_targets)

    def _refresh_kpis(self) -> int:
        """Refresh changed tickets' facts; if the business hours or SLA targets in use
        changed meanwhile (the vendor's schedule or SLA policies were just synced), the facts
        they apply to are rebuilt under the new ones (`ensure_definitions` sees the change)."""
        current, targets = self._schedule(), self._targets()
        if _fingerprint(current) != _fingerprint(self._in_use):
            self._in_use = current
        kpi.ensure_definitions(self.store, current, targets, report_tz=self.report_tz)
        return kpi.refresh(self.store, source=self.source.name, schedule=self._in_use,
                           targets=targets)

    def _events_seen(self, ticket_ids: list[str]) -> dict[str, int]:
        return self.store.events_seen(self.source.name, ticket_ids)

    def _finish_slot(self, stream: str, slot: str, page: Page, *, seed_sync: bool) -> None:
        """A completed open-ended backfill hands its cursor to the sync slot if that has none
        (a bounded one stopped in the past, so its cursor is no place to sync from)."""
        if slot == stream:
            return
        sync_cursor = self.store.cursor(self.source.name, stream)
        if seed_sync and sync_cursor is None and page.cursor is not None:
            self.store.commit_page(self.source.name, stream, [], page.cursor, lease=self.lease)
        self.store.commit_page(self.source.name, slot, [], FINISHED, lease=self.lease)

    def _finish(self, run_id: int, result: RunResult, status: str, error: str | None) -> RunResult:
        result.status, result.error = status, error
        self.store.finish_run(run_id, status, error)
        log.log(logging.ERROR if error else logging.INFO,
                "source %s %s %s: %s pages, %s records, %s requests, %s connections%s",
                result.source, result.mode, status, f"{result.pages:,}", f"{result.records:,}",
                f"{result.requests:,}", f"{result.connections:,}", f": {error}" if error else "",
                extra={"run_status": status})
        return result


def backfill_slot(stream: str, since: datetime, until: datetime | None) -> str:
    """The cursor slot of a backfill of `stream` over a range (`tickets@backfill:2024-01-01`)."""
    tag = since.date().isoformat() + (f"..{until.date().isoformat()}" if until else "")
    return f"{stream}@backfill:{tag}"


def _fingerprint(schedule: Calendars | Schedule | None) -> str | None:
    return None if schedule is None else schedule.fingerprint()


def _accepts(function: Callable[..., Any], parameter: str) -> bool:
    """Whether a plug-in's method takes `parameter` (older connectors predate `stored`)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return parameter in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())

