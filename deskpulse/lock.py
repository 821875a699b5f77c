"""One writer per job and database file.

An advisory `flock` on `<database>.<job>.lock`: the kernel drops it when the holding process
dies, however it dies, so a crashed daemon or a killed backfill never leaves the file stuck.
`sync` and `daemon` share the job "sync" (they move the same cursors); each source's backfill
is its own job, so a backfill can run beside the daemon — it reads into its own cursor slot,
upserts are idempotent, and SQLite queues the two writers' short IMMEDIATE transactions.
Readers (Datasette, pandas, DuckDB) never take a lock; WAL lets them read while we write.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from deskpulse.errors import DeskpulseError


class LockedError(DeskpulseError):
    """Another deskpulse process is writing to the same database file."""


class WriterLock:
    def __init__(self, database: str | Path, job: str = "sync"):
        self.path = Path(f"{database}.{job}.lock")
        self.database, self.job = Path(database), job
        self._fd: int | None = None

    def __enter__(self) -> WriterLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
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
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
