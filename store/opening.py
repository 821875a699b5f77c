"""Opening the SQLite file, for writing or only for reading, with errors a person can act on.

Reading commands (`kpi`, `sla`, `status`, `report`, `verify`, dry runs) must work on a file
the user may only read (0444, someone else's, a read-only mount) and must not change its
bytes, so they open it with SQLite's `mode=ro`. A WAL-mode file read that way needs its
`-shm` index: when that cannot be opened or created (a read-only folder) and no `-wal` file
holds changes, `immutable=1` reads the main file as it is; when a `-wal` does hold changes,
reading without them would show stale figures, so `StoreUnusable` says how to fold them in.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from deskpulse.store.schema import MIGRATIONS

UPGRADE_FIX = ("run `deskpulse sync` (or any writing command) with write access to it "
               "once to upgrade it")


class StoreUnusable(Exception):
    """The file cannot be used as asked; `fix` says what the user can do about it."""

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.fix = fix


class StoreEmpty(StoreUnusable):
    """The database exists but holds no deskpulse data yet (read-only opening)."""


def check_folder(path: Path) -> None:
    """A new file (and its lock and WAL files) needs an existing folder we may write in."""
    folder = path.parent
    if not folder.is_dir():
        msg = f"the folder of the database {path} does not exist"
        raise StoreUnusable(msg, f"create {folder} or point `database` elsewhere")


def open_readonly(path: Path) -> sqlite3.Connection:
    """A connection that can never write `path`, checked to be a current deskpulse file."""
    if not path.exists():
        msg = f"the database {path} does not exist"
        raise StoreUnusable(msg, "run `deskpulse sync` (or `deskpulse demo`) first, or check "
                            "the `database` setting / --database")
    if path.is_dir():
        msg = f"the database {path} is a folder, not a file"
        raise StoreUnusable(msg, "point `database` / --database at the SQLite file")
    target = quote(str(path.resolve()))
    try:
        conn = _probe(f"file:{target}?mode=ro")
    except sqlite3.OperationalError as exc:
        wal = Path(f"{path}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            msg = (f"{path} has changes in {wal.name} that cannot be read without write "
                   f"access to its folder ({exc})")
            raise StoreUnusable(msg, "run any deskpulse command with write access once (it "
                                "folds them into the file), or ask the file's owner to") from None
        try:
            conn = _probe(f"file:{target}?immutable=1")
        except sqlite3.OperationalError as again:
            msg = f"cannot read the database {path}: {again}"
            raise StoreUnusable(msg, "check that you may read the file") from None
    check_version(conn, path, writable=False)
    return conn


def _probe(uri: str) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        if isinstance(exc, sqlite3.OperationalError):
            raise
        msg = f"{uri.split('?')[0].removeprefix('file:')} is not a SQLite database ({exc})"
        raise StoreUnusable(msg, "point `database` / --database at a deskpulse file") from None
    return conn


def check_version(conn: sqlite3.Connection | int, path: object, *, writable: bool) -> int:
    """The database's schema version (a SQLite connection's `user_version`, or the version a
    PostgreSQL database recorded); refuses a newer one, and (read-only) an older one."""
    version = conn if isinstance(conn, int) else conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        msg = (f"{path} has schema version {version}, newer than this deskpulse "
               f"understands ({len(MIGRATIONS)})")
        raise StoreUnusable(msg, "upgrade deskpulse (pip install -U deskpulse)")
    if not writable and version == 0:
        msg = f"{path} holds no deskpulse data (no tables)"
        raise StoreEmpty(msg, "run `deskpulse sync` first, or point --database at a "
                            "deskpulse file")
    if not writable and version < len(MIGRATIONS):
        msg = (f"{path} was written by an older deskpulse (schema {version}, this one reads "
               f"{len(MIGRATIONS)}) and cannot be read before it is upgraded")
        raise StoreUnusable(msg, UPGRADE_FIX)
    return version


def create_private(path: str) -> None:
    """Create a new database file owner-only, naming the folder when that fails."""
    if path == ":memory:" or os.path.exists(path):
        return
    check_folder(Path(path))
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
