"""Every failure a user can cause or meet, as one or two lines naming the cause and the fix.

`Failure` carries the exit code (README "Exit codes": 0 ok, 1 a run failed, 2 usage or
configuration), the message and the fix; `explain` turns the exceptions the layers below
raise (a bad config, an unusable file, a locked database, a vendor that cannot be reached, a
path that cannot be written) into one. The CLI entry (`app.cli.main.main`) prints it and
shows the traceback only with `--debug`, so no call site needs its own try/except.
"""

from __future__ import annotations

import sqlite3

from deskpulse.app.config.file import ConfigError
from deskpulse.app.sync.lock import LockedError
from deskpulse.connectors import ConnectorUnavailable, SourceConfigError, SourceError
from deskpulse.store import StoreUnusable
from deskpulse.store.backends import database_fault

OK, RUN_FAILED, USAGE = 0, 1, 2

LOCKED_FIX = ("another program holds a write transaction on the file (a sqlite3 shell, a DB "
              "browser, a stuck script): end it, then run this again")
READONLY_FIX = ("sync, backfill, daemon and import write the file: run them as a user who may "
                "write the file and its folder (reading commands need only read access)")


class Failure(Exception):
    """A failure to show as `error: message` and `fix: fix`, exiting with `code`."""

    def __init__(self, message: str, fix: str | None = None, code: int = USAGE):
        super().__init__(message)
        self.message, self.fix, self.code = message, fix, code

    def lines(self) -> list[str]:
        return [f"error: {self.message}"] + ([f"  fix: {self.fix}"] if self.fix else [])


def explain(exc: BaseException) -> Failure | None:
    """The `Failure` an exception stands for, or None for a bug (shown with its traceback)."""
    if isinstance(exc, Failure):
        return exc
    if isinstance(exc, ConfigError | ConnectorUnavailable):
        return Failure(str(exc), exc.fix, USAGE)
    if isinstance(exc, LockedError):
        return Failure(str(exc), code=USAGE)
    if isinstance(exc, StoreUnusable):
        return Failure(str(exc), exc.fix, USAGE)
    if isinstance(exc, SourceError):
        code = USAGE if isinstance(exc, SourceConfigError) else RUN_FAILED
        return Failure(str(exc), code=code)
    if isinstance(exc, sqlite3.OperationalError):
        return _sqlite(exc)
    if type(exc).__module__.startswith("psycopg"):
        return _postgres(exc)
    if isinstance(exc, OSError) and exc.filename is not None:
        return _os(exc)
    return None


def _sqlite(exc: sqlite3.OperationalError) -> Failure | None:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return Failure("the database is locked by another program's write transaction "
                       f"({text}); this run failed and the file could not record it",
                       LOCKED_FIX, RUN_FAILED)
    if "readonly" in text or "read-only" in text:
        return Failure(f"cannot write the database: {text}", READONLY_FIX, USAGE)
    if "unable to open" in text:
        return Failure(f"cannot open the database: {text}",
                       "check that the file and its folder exist and that you may use them",
                       USAGE)
    return None


def _postgres(exc: BaseException) -> Failure | None:
    """PostgreSQL's errors that are the server's or the role's, not a bug of ours."""
    text = " ".join(str(exc).split())[:300]
    name = type(exc).__name__
    if name in ("InsufficientPrivilege", "ReadOnlySqlTransaction"):
        return Failure(f"the database refused: {text}", "give the URL's role the rights "
                       "deskpulse needs there (CREATE on its schema to write; SELECT to "
                       "read), see docs/postgresql.md", USAGE)
    if database_fault(exc):
        return Failure(f"the database server failed: {text}", "check that the PostgreSQL "
                       "server is up and reachable, then run this again", RUN_FAILED)
    return None


def _os(exc: OSError) -> Failure:
    where = exc.filename
    if isinstance(exc, FileNotFoundError):
        return Failure(f"{where}: no such file or folder",
                       "create the folder first, or give a path that exists", USAGE)
    if isinstance(exc, PermissionError):
        return Failure(f"{where}: permission denied",
                       "choose a path you may write, or run as a user who may", USAGE)
    if isinstance(exc, IsADirectoryError):
        return Failure(f"{where} is a folder", "give a file name inside it", USAGE)
    return Failure(f"{where}: {exc.strerror or exc}", None, USAGE)
