"""One bad ticket never blocks a source: tickets whose facts cannot be computed are set aside.

`kpi.upkeep.refresh` runs each chunk of tickets inside a savepoint. When the chunk raises, it is
rolled back and its tickets are run one by one; a ticket that still raises is set aside like
a dead letter: it keeps no facts (as a deleted ticket, so a rebuild, which fails on it the
same way, gives the same rows), its error is kept in `kpi_set_aside` with the number of
attempts, `deskpulse status` names it, and the next refresh tries it again. The rest of the
refresh completes and commits. Errors of the database itself (locked, disk full, I/O) are
no ticket's fault: they still fail the whole refresh, which then commits nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from deskpulse.kpi.upkeep.inputs import marks
from deskpulse.store import Store
from deskpulse.store.backends import Connection, database_fault

log = logging.getLogger(__name__)

# run(ids, without) computes the chunk's facts in the database (the tickets in `without` get
# none) and returns what applies its rollup and value changes once the savepoint is released
Run = Callable[[list[str], frozenset[str]], Callable[[], None]]
# called with (source, ticket_id) before a ticket's facts are computed: a test raises from it
Fault = Callable[[str, str], None]
MAX_ERROR = 500


def _not_the_ticket(exc: BaseException) -> bool:
    """The database or the process failing: setting tickets aside would hide it."""
    return database_fault(exc) or isinstance(exc, MemoryError)


def _attempt(store: Store, run: Run, ids: list[str], without: frozenset[str] = frozenset()
             ) -> BaseException | None:
    """Run `ids` in a savepoint; None when it committed, else the error (rolled back)."""
    try:
        with store.transaction():
            apply = run(ids, without)
    except Exception as exc:  # noqa: BLE001 - any ticket-made error is set aside, not lost
        if _not_the_ticket(exc):
            raise
        return exc
    apply()
    return None


def refresh_isolated(store: Store, source: str, chunk: list[str], run: Run) -> int:
    """Refresh a chunk, setting aside the tickets that fail; return how many succeeded."""
    error = _attempt(store, run, chunk)
    if error is None:
        _clear(store.conn, source, chunk)
        return len(chunk)
    done = 0
    for tid in chunk:
        if len(chunk) > 1:
            error = _attempt(store, run, [tid])
        if error is None:
            _clear(store.conn, source, [tid])
            done += 1
            continue
        if _attempt(store, run, [tid], frozenset({tid})) is not None:  # keep its old facts
            log.error("source %s ticket %s: its old KPI facts could not be removed", source,
                      tid)
        _record(store.conn, source, tid, error)
    return done


def retry(conn: Connection, source: str) -> None:
    """Put the source's set-aside tickets back among the dirty ones: each refresh retries."""
    conn.execute("INSERT INTO kpi_dirty (source, ticket_id) SELECT source, ticket_id "
                 "FROM kpi_set_aside WHERE source = ? ON CONFLICT DO NOTHING", (source,))


def sources(conn: Connection) -> list[str]:
    return [row[0] for row in conn.execute(
        "SELECT source FROM kpi_dirty UNION SELECT source FROM kpi_set_aside ORDER BY 1")]


def listed(conn: Connection, source: str) -> list[dict[str, Any]]:
    """The source's set-aside tickets with their errors, for `deskpulse status`."""
    return [{"ticket_id": tid, "error": error, "attempts": attempts}
            for tid, error, attempts in conn.execute(
                "SELECT ticket_id, error, attempts FROM kpi_set_aside WHERE source = ? "
                "ORDER BY ticket_id", (source,))]


def _record(conn: Connection, source: str, tid: str, error: BaseException) -> None:
    text = f"{type(error).__name__}: {error}"[:MAX_ERROR]
    log.warning("source %s ticket %s: KPI facts set aside (%s)", source, tid, text)
    conn.execute("INSERT INTO kpi_set_aside (source, ticket_id, error, attempts) "
                 "VALUES (?, ?, ?, 1) ON CONFLICT (source, ticket_id) DO UPDATE SET "
                 "error = excluded.error, attempts = kpi_set_aside.attempts + 1",
                 (source, tid, text))


def _clear(conn: Connection, source: str, ids: list[str]) -> None:
    conn.execute(f"DELETE FROM kpi_set_aside WHERE source = ? AND ticket_id IN ({marks(len(ids))})",
                 (source, *ids))
