"""deskpulse from Python, without shelling out: read KPIs and SLAs at risk from a file opened
read-only, and sync or backfill configured sources with a progress callback.

The figures are those of `deskpulse kpi` and `deskpulse sla` (deskpulse/app/report/figures.py
computes
them for both), as rows with the keys of their `--format json`. docs/python-api.md shows every
call; tests/test_python_api.py runs each example in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from deskpulse.app.config.durations import parse_interval
from deskpulse.app.config.file import Config, ConfigError, KpiConfig, load_config
from deskpulse.app.errors import DatabaseError, InvalidArgument, RunFailed
from deskpulse.app.frames import Rows
from deskpulse.app.report.export import clean_rows
from deskpulse.app.report.figures import BY_CHOICES, at_risk_window, kpi_figures, sla_risks
from deskpulse.app.sync.jobs import backfill_source, day_start, sync_sources
from deskpulse.app.sync.result import RunResult
from deskpulse.connectors import Page
from deskpulse.store import Store, StoreUnusable
from deskpulse.store.backends import DatabaseUrl, target

Day = date | str | None


@dataclass
class KpiRows(Rows):
    """`deskpulse kpi` figures: `rows` as its JSON; `previous`, without `by` and with `since`,
    the same figures for the same number of days just before (what the headline compares),
    None when the file does not cover those days, and then `no_previous` says why."""

    previous: dict[str, Any] | None = None
    no_previous: str | None = None


@dataclass(frozen=True)
class SyncProgress:
    """Told after every committed page: `page_records` in it, `stream_total` the vendor's
    count for the stream when it gives one, and the run's totals so far."""

    source: str
    mode: str  # "sync" or "backfill"
    stream: str
    page_records: int
    stream_total: int | None
    stream_done: bool
    records: int
    pages: int
    requests: int


OnProgress = Callable[[SyncProgress], None]


class Desk:
    """A deskpulse file opened read-only (see `open`); close it, or use it in a `with`."""

    def __init__(self, store: Store, cfg: Config | None):
        self._store, self._cfg = store, cfg
        self.path = Path(store.path)

    def kpis(self, *, by: str | None = None, since: Day = None, until: Day = None,
             source: str | None = None, now: datetime | None = None) -> KpiRows:
        """The figures of `deskpulse kpi`: by day, week, channel, group, agent, priority,
        type or tag (None: one row for the range), days inclusive. `now` (default: the
        current time) decides which pending SLAs count as breached or at risk."""
        if by is not None and by not in BY_CHOICES:
            msg = f"by={by!r}: use one of {', '.join(BY_CHOICES)}, or None for the whole range"
            raise InvalidArgument(msg)
        options = (self._cfg.kpi if self._cfg else KpiConfig()).summary_options()
        figures = kpi_figures(self._store, self._cfg, by=by, since=_day(since, "since"),
                              until=_day(until, "until"), source=source,
                              now=now or datetime.now(UTC), options=options)
        # the JSON of `deskpulse kpi`: the same rounding, booleans and `_missing` reasons
        return KpiRows(clean_rows(figures.merged()), figures.notes,
                       clean_rows([figures.previous])[0] if figures.previous else None,
                       figures.no_previous)

    def sla_at_risk(self, *, within: timedelta | str | None = None, source: str | None = None,
                    now: datetime | None = None) -> Rows:
        """The rows of `deskpulse sla`: pending SLAs due within `within` (default: the
        config's `[kpi] sla_at_risk`, 1h) and overdue ones, soonest first."""
        if isinstance(within, str):
            try:
                within = parse_interval(within)
            except ValueError as exc:
                msg = f"within={within!r}: {exc}"
                raise InvalidArgument(msg) from None
        window = at_risk_window(self._cfg) if within is None else within
        risks = sla_risks(self._store, self._cfg, window=window, source=source,
                          now=now or datetime.now(UTC))
        return Rows(clean_rows(risks.rows), risks.notes)

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def open(database: str | Path | None = None, *,  # deskpulse.open, as gzip.open
         config: str | Path | None = None) -> Desk:
    """Open a deskpulse file read-only: its bytes are never changed, and a sync may run
    meanwhile. `database` alone: defaults for the [kpi] choices; `config` (or, with neither,
    $DESKPULSE_CONFIG or ./deskpulse.toml): its database and its [kpi] choices."""
    cfg = None if database is not None and config is None else load_config(config)
    path = target(database) if database is not None \
        else cfg.database  # type: ignore[union-attr]
    return Desk(open_read_only(path), cfg)


def run_sync(sources: list[str] | None = None, *, config: str | Path | None = None,
             progress: OnProgress | None = None) -> list[RunResult]:
    """One incremental pass over each named source (default: all configured), as
    `deskpulse sync`. Raises RunFailed when any run did not end ok (the others still ran)."""
    cfg = load_config(config)
    names = sources or list(cfg.sources)
    if not names:
        msg = f"no sources configured in {cfg.path}: add a [sources.NAME] table"
        raise ConfigError(msg)
    return _checked(sync_sources(cfg, names, progress=_progress(progress, "sync")))


def run_backfill(source: str, since: date | str, until: Day = None, *,
                 config: str | Path | None = None, progress: OnProgress | None = None
                 ) -> RunResult:
    """Everything changed from `since` to `until` (inclusive days; default: now) for one
    source, as `deskpulse backfill`; calling it again after an interruption resumes."""
    cfg = load_config(config)
    first = day_start(_day(since, "since"))
    if first is None:
        msg = "since=None: a backfill needs a first day, e.g. '2024-01-01'"
        raise InvalidArgument(msg)
    last = day_start(_day(until, "until"), next_day=True)
    return _checked([backfill_source(cfg, source, first, last,
                                     progress=_progress(progress, "backfill"))])[0]


def open_read_only(path: Path | DatabaseUrl) -> Store:
    """The file as it is (store.opening: SQLite's `mode=ro` and `query_only`, no migration,
    no view rebuilt, nothing written; a PostgreSQL database through a read-only session); a
    missing file, another kind of file or another schema version is a DatabaseError saying
    what to do."""
    try:
        store = Store.open_readonly(path)
    except StoreUnusable as exc:
        msg = f"{exc}: {exc.fix}"
        raise DatabaseError(msg) from None
    return store


def _day(value: Day, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        msg = f"{name}={value!r} is not a date: give a date or text like '2024-01-31'"
        raise InvalidArgument(msg) from None


def _progress(callback: OnProgress | None, mode: str
              ) -> Callable[[str, Page, RunResult], None] | None:
    """The Runner's page callback, told to `callback` as a SyncProgress."""
    if callback is None:
        return None

    def told(stream: str, page: Page, result: RunResult) -> None:
        callback(SyncProgress(result.source, mode, stream, len(page.records), page.total,
                              page.done, result.records, result.pages, result.requests))
    return told


def _checked(results: list[RunResult]) -> list[RunResult]:
    if any(result.status != "ok" for result in results):
        raise RunFailed(results)
    return results


__all__ = ["Desk", "KpiRows", "Rows", "SyncProgress", "open", "open_read_only", "run_backfill",
           "run_sync"]
