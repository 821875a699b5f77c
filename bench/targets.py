"""Where a benchmark writes: a SQLite file (a path) or a PostgreSQL database (a URL).

A benchmark starts from an empty store, so a URL's database is dropped and created again:
only a database whose name contains "bench" is ever dropped (never a user's deskpulse
database by a slip of the command line). Sibling targets (the executemany ceiling's own
store) are a file beside the file, or a database named after the database.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from deskpulse.store import backends

Target = Path | str


def is_url(target: Target) -> bool:
    """A PostgreSQL URL rather than a SQLite path, told as the store tells them."""
    return backends.is_url(str(target))


def shown(target: Target) -> str:
    """The target as it may be printed: a URL without its password."""
    if not is_url(target):
        return str(target)
    parts = urlsplit(str(target))
    host = parts.hostname or ""
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, "", ""))


def sibling(target: Target, suffix: str) -> Target:
    """A second target next to `target`: `x.db` → `x-suffix.db`; `/db` → `/db_suffix`."""
    if not is_url(target):
        path = Path(target)
        return path.with_name(f"{path.stem}-{suffix}{path.suffix}")
    parts = urlsplit(str(target))
    return urlunsplit(parts._replace(path=f"{parts.path}_{suffix}"))


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        msg = (f"the benchmarks drop and re-create the database they are given; {name!r} "
               "does not look like a benchmark's: name it e.g. deskpulse_bench")
        raise SystemExit(msg)
    return name


def _admin(url: str, statements: list[str]) -> None:
    """Run statements outside a transaction, connected to the server's `postgres` database."""
    import psycopg  # the PostgreSQL backend's driver; only needed for a URL target
    from psycopg import sql

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")),
                         autocommit=True) as conn:
        for statement in statements:
            conn.execute(sql.SQL(statement).format(sql.Identifier(database_name(url))))


def fresh(target: Target) -> None:
    """Make `target` empty: delete the file (and its WAL, lock, …) or re-create the database."""
    if is_url(target):
        _admin(str(target), ["DROP DATABASE IF EXISTS {} WITH (FORCE)", "CREATE DATABASE {}"])
        return
    path = Path(target)
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()


def drop(target: Target) -> None:
    """Remove `target` once a benchmark is done with it."""
    if is_url(target):
        _admin(str(target), ["DROP DATABASE IF EXISTS {} WITH (FORCE)"])
    else:
        fresh(target)
