"""What every `deskpulse` command shares: the Typer app, the console, options, and the steps
of opening the config and the store. Commands live in deskpulse/cli.py and cli_tools.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

import kpi
from deskpulse.config import Config, ConfigError, KpiConfig, SourceConfig, load_config
from deskpulse.lock import LockedError, WriterLock
from deskpulse.sync import RunResult
from kpi import Calendars
from store import Store

if TYPE_CHECKING:
    from deskpulse.simulated import SimulatedVendor

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Keep a local SQLite copy of your help desk, with support KPIs.")
# Piped or captured output gets a width that fits the KPI tables instead of Rich's 80.
console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="deskpulse.toml (default: "
                              "$DESKPULSE_CONFIG or ./deskpulse.toml)")]
DatabaseOption = Annotated[
    Path | None, typer.Option("--database", help="read this SQLite file instead of the "
                              "config's (for kpi and status)")]


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def simulated_vendor(vendor: str) -> SimulatedVendor:
    from deskpulse.simulated import vendor as lookup

    try:
        return lookup(vendor)
    except LookupError as exc:
        raise fail(str(exc)) from None


def read_config(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise fail(str(exc)) from None


def kpi_options(config: Path | None, database: Path | None) -> dict:
    """The config's [kpi] choices (escalation tags, repeat-contact window); a bare
    --database without a config uses the defaults."""
    if database is not None and config is None:
        return KpiConfig().summary_options()
    return read_config(config).kpi.summary_options()


def open_store(database: Path, options: dict | None = None) -> Store:
    """Open the file with current views; `options` ([kpi] choices) are recorded for them."""
    store = Store.open(database)
    kpi.install_views(store, options)
    return store


def read_store(config_path: Path | None, database: Path | None) -> Store:
    if database is not None:
        if not database.exists():
            msg = f"{database} does not exist"
            raise fail(msg)
        return open_store(database)
    cfg = read_config(config_path)
    return open_store(cfg.database, cfg.kpi.summary_options())


def parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"{option} {text!r} is not a date like 2024-01-31"
        raise fail(msg) from None


def summarize(result: RunResult) -> None:
    line = (f"{result.source} {result.mode}: {result.status}, {result.records:,} records in "
            f"{result.pages} pages, {result.requests} requests")
    (err if result.error else console).print(line + (f"\n  {result.error}" if result.error else ""))


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


@contextmanager
def writer_lock(cfg: Config, job: str = "sync") -> Iterator[None]:
    """Hold the lock of `job` on the database, or exit naming the holder's pid."""
    lock = WriterLock(cfg.database, job)
    try:
        lock.__enter__()
    except LockedError as exc:
        raise fail(str(exc)) from None
    try:
        yield
    finally:
        lock.__exit__(None, None, None)

