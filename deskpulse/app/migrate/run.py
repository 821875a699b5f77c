"""One migration: open both stores, copy and check inside one transaction on the target.

All or nothing, by construction: the copy, the id counters and every check run inside a
single transaction on the target, committed only when every check agrees. A crash, a
refused value or a difference rolls it back, leaving the target as it was found (its schema,
no rows): running the command again starts over, and nothing is ever half copied. The source
is read in one snapshot (a read transaction), so a sync writing it meanwhile changes nothing
the copy sees: the cursors copied match the rows copied, and the first sync into the target
fetches whatever came after. Runs the file kept beside itself while it was locked
(`<file>.failed-runs.jsonl`, app.sync.failed_runs) become `sync_runs` rows of the target, as
the file's next writer would have made them; the file and its sidecar stay as they are.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

from deskpulse import kpi
from deskpulse.app.errors import DeskpulseError
from deskpulse.app.migrate import checks, copying
from deskpulse.app.migrate.targets import is_url, same_file, scrub, shown
from deskpulse.app.sync import failed_runs
from deskpulse.app.sync.lock import WriterLock
from deskpulse.store import Store, StoreUnusable
from deskpulse.store.schema import statements

RUN_FAILED, USAGE = 1, 2


class MigrateError(DeskpulseError):
    """The migration cannot start or did not finish; the target holds none of its rows."""

    def __init__(self, message: str, fix: str, code: int = RUN_FAILED):
        super().__init__(message)
        self.message, self.fix, self.code = message, fix, code


@dataclass
class MigrateResult:
    """What was copied and how each check came out. `ok` False: rolled back."""

    source: str
    target: str  # redacted
    checks: list[checks.Check] = field(default_factory=list)
    rows: int = 0
    copy_seconds: float = 0.0  # the rows' copy, ids' counters included
    check_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failed(self) -> list[checks.Check]:
        return [check for check in self.checks if not check.ok]


class _Differs(Exception):
    """Leaves the target's transaction so it rolls back."""


def migrate(source: str | Path, target: str, *, now: datetime,
            progress: copying.Progress | None = None,
            clock: Callable[[], float] = time.monotonic,
            batch: int = copying.BATCH) -> MigrateResult:
    """Copy the SQLite file `source` into `target` (a postgresql:// URL or a SQLite path) and
    check it; `now` is the moment the KPI summary is read at on both sides. Raises
    MigrateError (and StoreUnusable for a source that is not a current deskpulse file)."""
    if is_url(str(source)):
        msg = f"--from {shown(str(source))} is not a SQLite file"
        raise MigrateError(msg, "give --from the SQLite file to copy (--to takes the URL)",
                           USAGE)
    if same_file(source, target):
        msg = f"--from and --to both name {source}"
        raise MigrateError(msg, "give --to a new file name or a postgresql:// URL", USAGE)
    reader = Store.open_readonly(source)
    try:
        with _target_lock(target):
            writer = open_target(target)
            try:
                return _copy_and_check(reader, writer, target, now=now, progress=progress,
                                       clock=clock, batch=batch)
            finally:
                writer.close()
    finally:
        reader.close()


@contextmanager
def _target_lock(target: str) -> Iterator[None]:
    """A SQLite target is held like a sync holds it (no daemon starts on it meanwhile)."""
    with nullcontext() if is_url(target) else WriterLock(target, "sync"):
        yield


def open_target(target: str) -> Store:
    """The target, its schema created or brought up to date. An error quoting the URL (the
    server cannot be reached, say) never shows its password."""
    try:
        return Store.open(target)
    except StoreUnusable as exc:
        raise StoreUnusable(scrub(str(exc), target), exc.fix) from None


def _copy_and_check(source: Store, target: Store, target_name: str, *, now: datetime,
                    progress: copying.Progress | None, clock: Callable[[], float],
                    batch: int) -> MigrateResult:
    result = MigrateResult(str(source.path), shown(target_name))
    source.conn.execute("BEGIN")  # one snapshot for the copy and the checks
    try:
        views = current_views(source)
        plans = copying.plan(source)
        _refuse_other_schema(target, plans, result.target)
        started = clock()
        with target.transaction():
            _refuse_rows(target, plans, result.target)
            kpi.install_views(target)  # after the refusal: a database in use is not touched
            try:
                copying.copy_tables(source, target, plans, progress=progress, batch=batch)
            except copying.CopyFailed as exc:
                msg = scrub(f"{exc}; nothing was kept in {result.target}", target_name)
                raise MigrateError(msg, "fix the cause and run the same command again: it "
                                   "starts over", RUN_FAILED) from exc
            kept = failed_runs.read(source.path)  # runs the locked file could not log
            if kept:
                target.add_finished_runs(kept)
            result.rows = sum(item.rows for item in plans) + len(kept)
            copied = clock()
            result.checks = _checks(source, target, plans, views, now, len(kept))
            result.copy_seconds, result.check_seconds = copied - started, clock() - copied
            if not result.ok:
                raise _Differs
    except _Differs:
        pass  # rolled back; the caller shows result.failed
    finally:
        source.conn.execute("ROLLBACK")
    return result


def _refuse_other_schema(target: Store, plans: list[copying.TablePlan], name: str) -> None:
    missing = copying.missing_in_target(target, plans)
    if missing:
        msg = f"{name} lacks {', '.join(missing[:5])} of the source's schema"
        raise MigrateError(msg, "run the same deskpulse version on both (pip install -U "
                           "deskpulse), then migrate again", USAGE)


def _refuse_rows(target: Store, plans: list[copying.TablePlan], name: str) -> None:
    """A target in use is never merged into, nor emptied: that is the user's call to make."""
    busy = copying.tables_with_rows(target, plans)
    if busy:
        more = ", …" if len(busy) > 4 else ""
        msg = (f"{name} already holds deskpulse rows ({', '.join(busy[:4])}{more}); migrate "
               "copies only into an empty database")
        raise MigrateError(msg, "give --to a new database (or file), or empty this one "
                           "yourself if you mean to replace it", USAGE)


def _checks(source: Store, target: Store, plans: list[copying.TablePlan],
            views: dict[str, str], now: datetime, kept_runs: int) -> list[checks.Check]:
    found = checks.table_checks(target, [
        (item.name, item.rows + (kept_runs if item.name == "sync_runs" else 0))
        for item in plans])
    found += [checks.view_check(source, target, view, reads_clock="'now'" in sql.lower())
              for view, sql in sorted(views.items())]
    found.append(checks.summary_check(source, target, now=now,
                                      options=checks.kpi_options(source)))
    return found


def current_views(source: Store) -> dict[str, str]:
    """This deskpulse's kpi_* views over the source, as TEMP views (they shadow the file's
    own, which an older deskpulse may have written; a read-only file takes TEMP objects), so
    both sides are compared through the same definitions. Returns each view's SQL by name."""
    sql = resources.files("deskpulse.kpi").joinpath("views.sql").read_text(encoding="utf-8")
    views = {}
    # query_only refuses TEMP objects too; the file itself stays opened read-only (mode=ro).
    source.conn.execute("PRAGMA query_only = OFF")
    try:
        for statement in statements(sql):
            source.conn.execute(statement.replace("CREATE VIEW", "CREATE TEMP VIEW", 1))
            name = re.search(r"CREATE VIEW (\w+)", statement)
            if name:
                views[name.group(1)] = statement
    finally:
        source.conn.execute("PRAGMA query_only = ON")
    return views
