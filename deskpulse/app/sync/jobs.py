"""A sync or a backfill of configured sources, as `deskpulse sync`, `deskpulse backfill`, the
daemon and the Python API run it: under the writer lock of its job, with the config's business
hours, SLA targets and report zone. Nothing here prints; callers show the results."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from deskpulse import kpi
from deskpulse.app.config.file import Config, SourceConfig
from deskpulse.app.sync import failed_runs
from deskpulse.app.sync.leasing import SourceBusy, leased
from deskpulse.app.sync.lock import WriterLock
from deskpulse.app.sync.runner import Progress, Runner, RunResult
from deskpulse.store import Store
from deskpulse.store.backends import DatabaseUrl
from deskpulse.store.opening import check_folder


def day_start(day: date | None, *, next_day: bool = False) -> datetime | None:
    """Midnight UTC of `day` (of the day after, for an inclusive last day of a range)."""
    if day is None:
        return None
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment + timedelta(days=1) if next_day else moment


def configured_runner(store: Store, cfg: Config, source: SourceConfig,
                      **options: Any) -> Runner:
    """A Runner for `source` with what the config says about figures; `options` are
    Runner's own (progress, stop, sleep, transport ...)."""
    return Runner(store, source, schedule=cfg.business_calendars(), targets=cfg.sla_targets(),
                  sla_targets=cfg.kpi.sla_targets, report_tz=cfg.kpi.report_tz, **options)


def open_for_writing(cfg: Config) -> Store:
    """The config's database, migrated, with current kpi_* views and [kpi] choices."""
    return open_writable(cfg.database, cfg.kpi.summary_options())


def open_writable(database: Path | DatabaseUrl, options: dict[str, Any] | None = None) -> Store:
    """`database` migrated, with current kpi_* views (`options`: the [kpi] choices they
    record), and the runs kept beside it while it was locked folded in (failed_runs)."""
    store = Store.open(database)
    try:
        kpi.install_views(store, options)
        failed_runs.fold(store)
    except BaseException:
        store.close()
        raise
    return store


@contextmanager
def writer_lock(cfg: Config, job: str = "sync", runs: list[str] | None = None,
                mode: str = "sync", span: tuple[str | None, str | None] = (None, None),
                ) -> Iterator[None]:
    """Hold the lock of `job` on the database (a LockedError names the holder's pid).
    `runs`: the sources whose runs are still to finish, kept beside the file as failed
    if SQLite's own lock stays taken (deskpulse.app.sync.failed_runs)."""
    if isinstance(cfg.database, Path):
        check_folder(cfg.database)
    with WriterLock(cfg.database, job), \
            failed_runs.kept_when_locked(cfg.database, mode, runs if runs is not None else [],
                                         span):
        yield


def sync_sources(cfg: Config, names: list[str], *, progress: Progress | None = None,
                 on_result: Callable[[RunResult], None] | None = None,
                 **options: Any) -> list[RunResult]:
    """One incremental pass over each named source, in order; a failed one does not stop
    the rest, and one whose lease another process (a daemon) holds is `skipped`. Raises
    ConfigError (an unknown name, a bad schedule) before anything runs and LockedError when
    another process holds the sync job. If SQLite's own lock stays taken,
    the runs not yet finished are kept beside the file as failed
    (deskpulse.app.sync.failed_runs)."""
    sources = [cfg.source(name) for name in names]
    cfg.business_calendars()  # a bad [[schedule]] is a config error before any lock
    results: list[RunResult] = []
    stop, pending = options.get("stop"), list(names)
    with writer_lock(cfg, "sync", pending):
        store = open_for_writing(cfg)
        try:
            for source in sources:
                if stop is not None and stop.is_set():
                    break
                try:
                    with leased(store, source.name, "sync", cfg.daemon.lease_ttl) as lease:
                        result = configured_runner(store, cfg, source, progress=progress,
                                                   lease=lease, **options).sync()
                except SourceBusy as exc:  # a daemon syncs it now: not a run of ours
                    result = RunResult(source=source.name, mode="sync", status="skipped",
                                       error=str(exc))
                pending.remove(source.name)  # logged in the file: no longer kept beside it
                results.append(result)
                if on_result:
                    on_result(result)
        finally:
            store.close()
    return results


def backfill_source(cfg: Config, name: str, since: datetime, until: datetime | None = None, *,
                    progress: Progress | None = None,
                    before: Callable[[Runner], None] | None = None,
                    **options: Any) -> RunResult:
    """Everything changed from `since` (to `until`) for one source, resumably, under the
    source's own backfill lock and backfill lease (it may run beside the daemons: its
    cursor slot is its own; SourceBusy when another backfill of the source holds it).
    `before` sees the runner first (the CLI takes the dry run's estimate as the progress
    total)."""
    source = cfg.source(name)
    cfg.business_calendars()
    span = (since.date().isoformat(),
            (until - timedelta(days=1)).date().isoformat() if until else None)
    with writer_lock(cfg, f"backfill-{name}", [name], "backfill", span):
        store = open_for_writing(cfg)
        try:
            with leased(store, name, "backfill", cfg.daemon.lease_ttl) as lease:
                runner = configured_runner(store, cfg, source, progress=progress, lease=lease,
                                           **options)
                if before:
                    before(runner)
                return runner.backfill(since, until)
        finally:
            store.close()
