"""Which days the file can speak for, so a comparison with a period it does not hold is
refused ("the file starts on …") instead of shown as a change from zero."""

from __future__ import annotations

from datetime import date

from deskpulse.store import Store


def first_day(store: Store, source: str | None = None) -> date | None:
    """The creation day of the file's first ticket (of `source`); None: no ticket."""
    where, args = ("WHERE source = ?", [source]) if source else ("", [])
    row = store.conn.execute(f"SELECT MIN(created_day) FROM ticket_facts {where}",
                             args).fetchone()
    return date.fromisoformat(row[0]) if row and row[0] else None


def uncovered(store: Store, since: date, source: str | None = None) -> str | None:
    """Why the file does not cover a period starting on `since`, or None when it does
    (its first ticket was created on or before that day)."""
    first = first_day(store, source)
    if first is None:
        return "the file holds no tickets"
    if first > since:
        return f"the file starts on {first.isoformat()}"
    return None
