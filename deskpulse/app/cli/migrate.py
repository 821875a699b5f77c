"""`deskpulse migrate --from FILE --to URL`: copy a SQLite file into PostgreSQL (or another
SQLite file) and show how the checks came out. The work is in deskpulse/app/migrate/;
registered in deskpulse/app/cli/main.py."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from deskpulse.app.cli.common import console, err
from deskpulse.app.cli.failures import RUN_FAILED, Failure
from deskpulse.app.migrate import MigrateError, MigrateResult, migrate
from deskpulse.app.migrate.targets import shown

PROGRESS_EVERY_S = 2.0


def migrate_command(
    source: Annotated[Path, typer.Option("--from", help="the deskpulse SQLite file to copy "
                                         "(read only, never changed)")],
    target: Annotated[str, typer.Option("--to", help="postgresql://user@host/dbname, or a "
                                        "new SQLite file; it must hold no deskpulse rows")],
) -> None:
    """Copy a SQLite file, cursors included, into PostgreSQL or another file, then check
    every table's row count, every kpi_* view and the KPI summary; exit 1 if any differs."""
    progress = ProgressLine(err)
    try:
        result = migrate(source, target, now=datetime.now(UTC), progress=progress)
    except MigrateError as exc:
        raise Failure(exc.message, exc.fix, exc.code) from None
    except KeyboardInterrupt:  # the transaction rolled back on its way out
        msg = f"interrupted; the copy was rolled back: {shown(target)} holds none of it"
        raise Failure(msg, "run the same command again: it starts over", RUN_FAILED) from None
    progress.done(result)
    show(result, console)
    if not result.ok:
        msg = (f"the copy differs from the source in {len(result.failed)} check(s) (above); "
               f"it was rolled back: {result.target} holds none of it")
        raise Failure(msg, f"keep using {result.source}, which is unchanged, and report the "
                      "lines above", RUN_FAILED)


class ProgressLine:
    """Rows copied and rows/s on stderr, at most every PROGRESS_EVERY_S seconds: a small file
    prints nothing until its summary, a big one shows it is moving. `clock` is a parameter."""

    def __init__(self, out: Console, clock: Callable[[], float] = time.monotonic,
                 every: float = PROGRESS_EVERY_S):
        self.out, self.clock, self.every = out, clock, every
        self.started: float | None = None  # the first table's start: opening is not copying
        self.last = 0.0
        self.finished_tables = 0  # rows of the tables already copied

    def __call__(self, table: str, copied: int, total: int) -> None:
        now = self.clock()
        if self.started is None:
            self.started = self.last = now
        if copied == total:
            self.finished_tables += total
        if now - self.last < self.every:
            return
        self.last = now
        rows = self.finished_tables + (copied if copied < total else 0)
        rate = rows / max(now - self.started, 1e-9)
        self.out.print(f"copying {table}: {copied:,} of {total:,} rows; {rows:,} rows in all, "
                       f"{rate:,.0f} rows/s", markup=False, highlight=False)

    def done(self, result: MigrateResult) -> None:
        rate = result.rows / max(result.copy_seconds, 1e-9)
        self.out.print(f"copied {result.rows:,} rows in {result.copy_seconds:.1f} s "
                       f"({rate:,.0f} rows/s), checked them in {result.check_seconds:.1f} s",
                       markup=False, highlight=False)


def show(result: MigrateResult, out: Console) -> None:
    """Tables with rows and every check that differs, one line each; the rest summed up."""
    table = Table(title=f"{result.source} -> {result.target}", title_justify="left")
    for column in ("what", "source", "target", ""):
        table.add_column(column, justify="right" if column in ("source", "target") else "left")
    quiet = {"table": 0, "view": 0}
    for check in result.checks:
        mark = "equal" if check.ok else "DIFFERS"
        if check.ok and check.kind != "summary" and (check.kind == "view" or not check.source):
            quiet[check.kind] += 1
            continue
        unit = " figures" if check.kind == "summary" else ""
        table.add_row(check.what, f"{check.source:,}{unit}", f"{check.target:,}{unit}", mark)
        for line in check.differences:
            table.add_row("", "", "", line)
    if quiet["table"]:
        table.add_row(f"{quiet['table']} empty tables", "0", "0", "equal")
    if quiet["view"]:
        table.add_row(f"{quiet['view']} kpi_* views", "", "", "equal, row by row")
    out.print(table)
