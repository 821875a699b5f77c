"""The errors deskpulse raises to code that uses it as a library (deskpulse.app.api).

    DeskpulseError                 catch this to catch them all
    ├── ConfigError                deskpulse.toml cannot be used as written (app.config.file)
    ├── LockedError                another process is writing the file (app.sync.lock)
    ├── DatabaseError              the file is missing, not a deskpulse file, or of another version
    ├── InvalidArgument            a bad argument (also a ValueError)
    ├── MissingExtra               pandas or polars is not installed (also an ImportError)
    └── RunFailed                  a sync or backfill ended failed; `.results` has every run

Every message names the cause and what to do about it, and never holds a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deskpulse.app.sync.result import RunResult


class DeskpulseError(Exception):
    """The base of every error deskpulse raises on purpose."""


class DatabaseError(DeskpulseError):
    """The database file cannot be read as a deskpulse file of this version."""


class InvalidArgument(DeskpulseError, ValueError):
    """An argument deskpulse cannot use (a date, a duration, a `by`)."""


class MissingExtra(DeskpulseError, ImportError):
    """An optional library (pandas, polars) is needed and not installed."""


class RunFailed(DeskpulseError):
    """A sync or backfill did not finish ok. The pages it committed stay committed, and running
    it again resumes; `results` holds every run of the call, the ok ones too."""

    def __init__(self, results: list[RunResult]):
        self.results = results
        failed = [r for r in results if r.status != "ok"]
        lines = [f"{r.source} {r.mode}: {r.status}" + (f": {r.error}" if r.error else "")
                 for r in failed]
        super().__init__("; ".join(lines) + " (fix the cause and run it again: it resumes "
                         "from the last committed page)")
