"""What every `deskpulse` command shares: the Typer app, the console, options, and the steps
of opening the config and the store. Commands live in deskpulse/app/cli/ (main.py registers all)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from deskpulse.app.cli.errors import DeskpulseGroup
from deskpulse.app.cli.failures import Failure
from deskpulse.app.config.file import Config, ConfigError, KpiConfig, SourceConfig, load_config
from deskpulse.app.sync.jobs import open_writable, writer_lock  # noqa: F401 - the CLI's
from deskpulse.app.sync.progress import stored_counts
from deskpulse.app.sync.result import RunResult
from deskpulse.kpi import Calendars
from deskpulse.store import Store
from deskpulse.store.backends import DatabaseUrl, target

if TYPE_CHECKING:
    from deskpulse.app.demo.simulated import SimulatedVendor

app = typer.Typer(cls=DeskpulseGroup, no_args_is_help=True, rich_markup_mode=None,
                  help="Keep a local SQLite copy of your help desk, with support KPIs. "
                  "Add --debug to any command to see a failure's traceback.")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"deskpulse {version('deskpulse')}")
        raise typer.Exit


@app.callback()
def _options(
    version: Annotated[bool | None, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="print the version and exit")] = None,
) -> None:
    """Keep a local SQLite copy of your help desk, with support KPIs. Add --debug to any
    command to see a failure's traceback."""


# Piped or captured output gets a width that fits the KPI tables instead of Rich's 80,
# unless $COLUMNS says how wide the reader's window is.
_WIDTH = None if "COLUMNS" in os.environ else 140
console = Console(width=None if sys.stdout.isatty() else _WIDTH)
err = Console(stderr=True, width=None if sys.stderr.isatty() else _WIDTH)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="deskpulse.toml (default: "
                              "$DESKPULSE_CONFIG or ./deskpulse.toml)")]
DatabaseOption = Annotated[
    str | None, typer.Option("--database", help="read this SQLite file or postgresql:// URL "
                             "instead of the config's database")]


def source_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of a source argument: the names in the config (`--config` when
    already typed, else $DESKPULSE_CONFIG or ./deskpulse.toml); none when it is unusable."""
    try:
        names = load_config(ctx.params.get("config")).sources
    except (ConfigError, OSError):
        return []
    return [name for name in names if name.startswith(incomplete)]


def fail(message: str, code: int = 2) -> Failure:
    """The failure to raise: the app's group shows it as `error: …` (deskpulse.app.cli.failures)."""
    return Failure(message, code=code)


def simulated_vendor(vendor: str) -> SimulatedVendor:
    from deskpulse.app.demo.simulated import vendor as lookup

    try:
        return lookup(vendor)
    except LookupError as exc:
        raise fail(str(exc)) from None


def read_config(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise Failure(str(exc), exc.fix) from None


def kpi_options(config: Path | None, database: str | None) -> dict:
    """The config's [kpi] choices (escalation tags, repeat-contact window); a bare
    --database without a config uses the defaults."""
    if database is not None and config is None:
        return KpiConfig().summary_options()
    return read_config(config).kpi.summary_options()


def open_store(database: Path | DatabaseUrl, options: dict | None = None) -> Store:
    """Open the file for writing (deskpulse.app.sync.jobs.open_writable: current views, `options`
    ([kpi] choices) recorded for them, runs kept beside it while it was locked folded in)."""
    return open_writable(database, options)


def read_store(config_path: Path | None, database: str | None) -> Store:
    """The database opened for reading only (store.opening; on PostgreSQL a read-only
    session): reading commands never change it and need no write access to it."""
    return Store.open_readonly(target(database) if database is not None
                               else read_config(config_path).database)


def parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"{option} {text!r} is not a date like 2024-01-31"
        raise fail(msg) from None


def parse_moment(text: str | None, option: str) -> datetime | None:
    """A `--now` for the simulated desk: tests and bug reports fix it, so a run does not
    depend on the time of day it happens to be started at."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        msg = f"{option} {text!r} is not a UTC moment like 2026-03-11T00:01:00Z"
        raise fail(msg)
    return moment.astimezone(UTC).replace(microsecond=0)


def day_range(since: str | None, until: str | None) -> tuple[date | None, date | None]:
    """--since and --until as days; a range that ends before it starts is refused."""
    first, last = parse_day(since, "--since"), parse_day(until, "--until")
    if first is not None and last is not None and first > last:
        msg = f"--since {first} is after --until {last}: the range is empty"
        raise Failure(msg, "give the earlier day to --since")
    return first, last


def known_source(store: Store, source: str | None) -> None:
    """A --source the file holds no rows of is a typo, not an empty answer."""
    if source is None:
        return
    names = [row[0] for row in store.conn.execute("SELECT name FROM sources ORDER BY name")]
    if source not in names:
        msg = f"no source named '{source}' in {store.path}"
        raise Failure(msg, f"use one of: {', '.join(names)}" if names
                      else "this file holds no source yet: run `deskpulse sync` first")


def summarize(result: RunResult) -> None:
    counts = stored_counts(result)
    line = (f"{result.source} {result.mode}: {result.status}, {result.records:,} records"
            + (f" ({counts})" if counts else "")
            + f" in {result.pages:,} pages, {result.requests:,} requests")
    (err if result.error else console).print(line + (f"\n  {result.error}" if result.error else ""),
        markup=False, soft_wrap=True)  # the error is one line, however long


def business_calendars(cfg: Config) -> Calendars | None:
    try:
        return cfg.business_calendars()
    except ConfigError as exc:
        raise fail(str(exc)) from None


def source_config(cfg: Config, name: str) -> SourceConfig:
    try:
        return cfg.source(name)
    except ConfigError as exc:
        raise fail(str(exc)) from None
