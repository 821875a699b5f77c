"""Runs that failed because the database itself was locked, kept beside it.

A run that cannot get SQLite's write lock ("database is locked" after the busy timeout)
cannot log itself in `sync_runs` either, so `status` would go on saying `ok`. It is
appended instead to `<database>.failed-runs.jsonl` (owner-only, one JSON object a line,
no secrets: source, mode, times, owner, the error and its fix), which `status` reads
without any lock, and which the next writer that opens the file folds into `sync_runs`
and removes. A PostgreSQL store has no such sidecar: the server queues writers on row
locks rather than failing them after a timeout, and a run that cannot reach the server
at all fails with that error (there is no folder beside a server database to keep it in).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deskpulse.app.cli.failures import LOCKED_FIX, RUN_FAILED, Failure
from deskpulse.app.private import FILE_MODE
from deskpulse.app.sync.runs import this_host
from deskpulse.store import Store
from deskpulse.store.backends import DatabaseUrl, is_url

SUFFIX = ".failed-runs.jsonl"


def sidecar(database: Path | str) -> Path:
    return Path(f"{database}{SUFFIX}")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def locked(exc: BaseException) -> bool:
    """Whether `exc` is SQLite giving up on another program's write transaction."""
    text = str(exc)
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def append(database: Path | str, runs: Sequence[dict[str, Any]]) -> Path:
    """Add `runs` to the sidecar, owner-only (created so, and kept so if it was wider)."""
    path = sidecar(database)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.writelines(json.dumps(run, sort_keys=True) + "\n" for run in runs)
    return path


def read(database: Path | str) -> list[dict[str, Any]]:
    """The runs kept beside `database`; a line that is not a run is skipped, not fatal
    (a half-written last line after a crash)."""
    path = sidecar(database)
    if is_url(database) or not path.exists():
        return []
    runs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            run = json.loads(line)
        except ValueError:
            continue
        if isinstance(run, dict) and run.get("source"):
            runs.append(run)
    return runs


def fold(store: Store) -> int:
    """Move the kept runs into `sync_runs` (one transaction), then drop the sidecar."""
    if store.backend != "sqlite":
        return 0
    runs = read(store.path)
    if runs:
        store.add_finished_runs(runs)
    sidecar(store.path).unlink(missing_ok=True)
    return len(runs)


@contextmanager
def kept_when_locked(database: Path | DatabaseUrl, mode: str, pending: list[str],
                     span: tuple[str | None, str | None] = (None, None),
                     clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                     ) -> Iterator[None]:
    """Around a writing command: if the database stays locked, each source in `pending`
    (those whose run had not finished yet) gets a failed run in the sidecar, and the
    command fails with exit 1 naming where it was recorded."""
    if is_url(database):  # no sidecar beside a server database (module docstring)
        yield
        return
    started = _iso(clock())
    try:
        yield
    except sqlite3.OperationalError as exc:
        if not locked(exc) or not pending:
            raise
        error = f"the database was locked by another program's write transaction ({exc})"
        where = append(database, [
            {"source": name, "mode": mode, "status": "failed", "started_at": started,
             "finished_at": _iso(clock()), "error": error, "fix": LOCKED_FIX,
             "pid": os.getpid(), "host": this_host(), "since": span[0], "until": span[1]}
            for name in pending])
        msg = (f"{error}; this run failed, recorded in {where.name} beside it until the "
               "next run can write the file")
        raise Failure(msg, LOCKED_FIX, RUN_FAILED) from None


def merge_into_status(report: list[dict[str, Any]], database: Path | str) -> None:
    """Show kept runs in `status`: a source whose newest kept run is newer than its last
    logged run is `failing`, with that run's error and fix."""
    runs = read(database)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_source.setdefault(run["source"], []).append(run)
    for item in report:
        kept = by_source.get(item["source"], [])
        if not kept:
            continue
        newest = max(kept, key=lambda run: run.get("finished_at") or "")
        last = item.get("last_run")
        item["unrecorded_failed_runs"] = len(kept)
        if last and last.get("status") != "running" and \
                (last.get("finished_at") or last.get("started_at") or "") > \
                (newest.get("finished_at") or ""):
            continue
        item["health"] = "failing"
        item["consecutive_failures"] = item.get("consecutive_failures", 0) + len(kept)
        item["last_run"] = {"mode": newest.get("mode"), "status": "failed",
                            "started_at": newest.get("started_at"),
                            "finished_at": newest.get("finished_at"), "pages": 0,
                            "records": 0, "requests": 0, "error": newest.get("error"),
                            "fix": newest.get("fix"),
                            "recorded_in": str(sidecar(database))}
