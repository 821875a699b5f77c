"""One writer per database file.

An advisory `flock` on `<database>.lock`: the kernel drops it when the holding process dies,
however it dies, so a crashed daemon or a killed backfill never leaves the file stuck.
Readers (Datasette, pandas, DuckDB) never take it; WAL lets them read while we write.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType


class LockedError(Exception):
    """Another deskpulse process is writing to the same database file."""


class WriterLock:
    def __init__(self, database: str | Path):
        self.path = Path(f"{database}.lock")
        self._fd: int | None = None

    def __enter__(self) -> WriterLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            msg = (
                f"another deskpulse process (pid {holder}) is writing to {self.path.stem}; "
                "wait for it to finish or stop it (a daemon and a backfill cannot share a file "
                "at once)"
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
