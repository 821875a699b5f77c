"""One writer per job and database file.

An exclusive lock on `<database>.<job>.lock`, taken with `portalocker` (flock on Linux and
macOS, LockFileEx on Windows, so the CLI starts everywhere): the operating system drops it
when the holding process dies, however it dies, so a crashed daemon or a killed backfill
never leaves the file stuck.
`sync` and `daemon` share the job "sync" (they move the same cursors); each source's backfill
is its own job, so a backfill can run beside the daemon — it reads into its own cursor slot,
upserts are idempotent, and SQLite queues the two writers' short IMMEDIATE transactions.
Readers (Datasette, pandas, DuckDB) never take a lock; WAL lets them read while we write.
A PostgreSQL database needs no lock file: the server coordinates its writers (row locks,
advisory locks around migrations), so there the lock is held without a file.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

import portalocker

from deskpulse.app.errors import DeskpulseError
from deskpulse.store.backends import DatabaseUrl, is_url


class LockedError(DeskpulseError):
    """Another deskpulse process is writing to the same database file."""


class WriterLock:
    def __init__(self, database: str | Path | DatabaseUrl, job: str = "sync"):
        self.server = is_url(database)
        self.path = Path(f"{database}.{job}.lock")
        self.database, self.job = database if self.server else Path(database), job
        self._fd: int | None = None

    def __enter__(self) -> WriterLock:
        if self.server:
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            portalocker.lock(fd, portalocker.LOCK_EX | portalocker.LOCK_NB)
        except portalocker.LockException:
            holder = _holder(fd)
            os.close(fd)
            msg = (
                f"another deskpulse process (pid {holder}) is already running the "
                f"{self.job} job on {self.database}; wait for it to finish or stop it"
            )
            raise LockedError(msg) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            portalocker.unlock(self._fd)
            os.close(self._fd)
            self._fd = None


def _holder(fd: int) -> str:
    """The pid the holder wrote (Windows may refuse to read a locked range: 'unknown')."""
    try:
        return os.read(fd, 32).decode(errors="replace").strip() or "unknown"
    except OSError:
        return "unknown"
