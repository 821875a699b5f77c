"""Repeat contact as a fact: each solved ticket's gap to its requester's next ticket.

kpi-catalog's repeat contact is "the requester opened another ticket within N days after the
ticket's latest solve". Asked per report, that was an indexed EXISTS per solved ticket (~1.6 s
on 90 days of a million-ticket store). Stored here instead, independent of N: the seconds
from `last_solved_at` to the earliest other live ticket of the same requester created after
it, when that is within `HORIZON_DAYS` (NULL otherwise). Then "within N days" is
`next_contact_s <= N × 86400` for any N up to the horizon (`kpi.upkeep.values` keeps them sorted per
day). Another ticket's creation, deletion or new requester moves the gaps of the requester's
tickets solved in the horizon before it: `neighbours` finds the ones whose gap can change.
"""

from __future__ import annotations

from collections.abc import Iterable

from deskpulse.kpi.upkeep.inputs import marks
from deskpulse.kpi.upkeep.values import ValueLog, Values, gaps_of
from deskpulse.store.backends import Connection

HORIZON_DAYS = 90
# whole seconds from instant b to instant a, in SQL both SQLite and PostgreSQL (with
# store/postgres_compat.sql) run: julianday's error is far below the half second ROUND drops
_SECONDS = "CAST(ROUND((julianday({a}) - julianday({b})) * 86400, 0) AS BIGINT)"
_GAP = (
    "(SELECT " + _SECONDS.format(a="MIN(n.created_at)", b="ticket_facts.last_solved_at")
    + " FROM tickets n "
    "WHERE n.source = ticket_facts.source AND n.requester_id = ticket_facts.requester_id "
    "AND n.id != ticket_facts.ticket_id AND n.deleted = 0 "
    "AND n.created_at > ticket_facts.last_solved_at AND n.created_at <= "
    f"strftime('%Y-%m-%dT%H:%M:%SZ', ticket_facts.last_solved_at, '+{HORIZON_DAYS} days'))")


def update_gaps(conn: Connection, source: str, ids: list[str]) -> None:
    """Recompute `next_contact_s` of the given tickets from the stored tickets."""
    if ids:
        conn.execute(f"UPDATE ticket_facts SET next_contact_s = {_GAP} WHERE source = ? AND "
                     f"ticket_id IN ({marks(len(ids))})", (source, *ids))


def contacts_of(conn: Connection, source: str, ids: list[str]
                ) -> set[tuple[str, str]]:
    """(requester, created_at) of the given tickets' current facts: where they are contacts."""
    if not ids:
        return set()
    # no "requester_id IS NOT NULL" in SQL: with hundreds of ids SQLite would then scan the
    # requester index instead of looking the ids up
    return {(requester, created) for requester, created in conn.execute(
        "SELECT requester_id, created_at FROM ticket_facts WHERE source = ? AND "
        f"ticket_id IN ({marks(len(ids))})", (source, *ids)) if requester is not None}


def neighbours(conn: Connection, source: str, contacts: Iterable[tuple[str, str]],
               exclude: set[str]) -> list[str]:
    """Tickets whose gap a contact (a ticket of `requester` created at `created`) added or
    removed can change: the requester's tickets last solved in the horizon before it, with no
    nearer next contact than it."""
    found: set[str] = set()
    for requester, created in contacts:
        found.update(tid for (tid,) in conn.execute(
            "SELECT ticket_id FROM ticket_facts WHERE source = ? AND requester_id = ? "
            "AND last_solved_at < ? AND last_solved_at >= "
            f"strftime('%Y-%m-%dT%H:%M:%SZ', ?, '-{HORIZON_DAYS} days') AND "
            "(next_contact_s IS NULL OR next_contact_s >= "
            + _SECONDS.format(a="?", b="last_solved_at") + ")",
            (source, requester, created, created, created)))
    return sorted(found - exclude)


def move_neighbours(conn: Connection, source: str, chunk: list[str],
                    contacts: set[tuple[str, str]], values: Values | ValueLog,
                    size: int = 500) -> None:
    """Within `kpi.upkeep.refresh`, after a chunk's facts were replaced: the gaps of other tickets
    that the chunk's tickets, as they were (`contacts`) and as they are, can shorten or
    lengthen; only their `next_contact` values move."""
    contacts |= contacts_of(conn, source, chunk)
    others = neighbours(conn, source, contacts, set(chunk))
    for start in range(0, len(others), size):
        part = others[start:start + size]
        before = gaps_of(conn, source, part)
        update_gaps(conn, source, part)
        values.add(before, gaps_of(conn, source, part))
