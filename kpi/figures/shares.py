"""Report figures that count tickets meeting a condition that is not a day-rollup counter:
repeat contact (a window the report chooses, over stored gaps) and escalation by configured
tags. Bot-only resolution, survey response and escalation without tags are `kpi_daily`
counters (kpi.rollup).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from deskpulse.kpi.upkeep import values
from deskpulse.kpi.upkeep.contacts import HORIZON_DAYS
from deskpulse.store import Store

REPEAT_DAYS = 7  # kpi-catalog's default window for repeat contact


@dataclass(frozen=True)
class Scope:
    """Which tickets a summary covers and how its rows are keyed (period or dimension)."""

    store: Store
    source: str | None
    since: date | None
    until: date | None
    dimension: str  # a ticket_facts column
    key: Callable[[str | None, str | None], str]

    def sums(self, anchor: str, condition: str, args: tuple[Any, ...] = (),
             aggregates: str = "COUNT(*)", by: str = "") -> Any:
        """(key, *aggregates) over the tickets whose `anchor` day is in range and that meet
        `condition` (SQL over `f` = ticket_facts and `t` = tickets), summed by SQLite per
        anchor day and dimension value (and `by`, a further column) before the rows are
        keyed: a 90-day range of a large account is a few hundred groups, not a row per
        ticket in Python. Keys that repeat (weeks, the whole range) are for the caller to
        add up."""
        clauses, values = [f"f.{anchor} IS NOT NULL"], []
        if self.source:
            clauses.append("f.source = ?")
            values.append(self.source)
        if self.since:
            clauses.append(f"f.{anchor} >= ?")
            values.append(self.since.isoformat())
        if self.until:
            clauses.append(f"f.{anchor} <= ?")
            values.append(self.until.isoformat())
        extra = f", {by}" if by else ""
        # the join costs a lookup per ticket: only when the condition reads the ticket
        join = " JOIN tickets t ON t.source = f.source AND t.id = f.ticket_id" \
            if "t." in condition else ""
        for row in self.store.conn.execute(
                f"SELECT f.{anchor}, f.{self.dimension}{extra}, {aggregates} FROM ticket_facts f"
                f"{join} WHERE {' AND '.join(clauses)} AND ({condition}) "
                f"GROUP BY 1, 2{', 3' if by else ''}", (*values, *args)):
            yield (self.key(row[0], row[1]), *row[2:])

    def count(self, anchor: str, condition: str, args: tuple[Any, ...] = ()
              ) -> dict[str, int]:
        found: dict[str, int] = defaultdict(int)
        for key, number in self.sums(anchor, condition, args):
            found[key] += number
        return found


def repeat_contacts(scope: Scope, days: int = REPEAT_DAYS) -> dict[str, int]:
    """Tickets first solved in the range whose requester opened another ticket within `days`
    after its latest solve (kpi-catalog: repeat contact rate, a data-only proxy for FCR).

    Counted from the stored gaps (kpi.contacts): by bisection in each day's sorted gaps when
    rows are keyed by day or channel, else from the facts. A window past the gaps' horizon is
    asked of the tickets themselves, one indexed EXISTS per solved ticket (slow at scale)."""
    limit = int(days) * 86400
    if days > HORIZON_DAYS:
        return _repeat_contacts_by_query(scope, days)
    if scope.dimension != "channel":
        return scope.count("first_solved_day", "f.next_contact_s <= ?", (limit,))
    found: dict[str, int] = defaultdict(int)
    for day, channel, wide, data in values.read(
            scope.store.conn, "next_contact", source=scope.source, since=scope.since,
            until=scope.until):
        found[scope.key(day, channel)] += bisect_right(values.unpack(wide, data), limit)
    return found


def _repeat_contacts_by_query(scope: Scope, days: int) -> dict[str, int]:
    return scope.count("first_solved_day", (
        "f.last_solved_at IS NOT NULL AND t.requester_id IS NOT NULL AND EXISTS ("
        "SELECT 1 FROM tickets n WHERE n.source = t.source AND "
        "n.requester_id = t.requester_id AND n.id != t.id AND n.deleted = 0 AND "
        "n.created_at > f.last_solved_at AND n.created_at <= "
        "strftime('%Y-%m-%dT%H:%M:%SZ', f.last_solved_at, ?))"), (f"+{int(days)} days",))


def tagged_escalations(scope: Scope, tags: tuple[str, ...] = ()) -> dict[str, int]:
    """Tickets created in the range that are escalated only by one of `tags` (kpi-catalog:
    escalated = handed to a second group, raised to high or urgent after creation, or
    tagged). The first two are the `escalated` day counter (kpi.rollup); tags are
    configuration, so the tickets they add are counted per report (none without tags)."""
    if not tags:
        return {}
    marks = ", ".join("?" * len(tags))
    return scope.count("created_day", "NOT (f.group_stations >= 2 OR f.priority_raised = 1) "
                       f"AND EXISTS (SELECT 1 FROM json_each(t.tags) WHERE value IN ({marks}))",
                       tags)


def unsolved_now(store: Store, source: str | None = None) -> dict[str, int]:
    """Tickets unsolved as stored now (the last sync), and those of them with no assignee:
    the queue nobody owns (kpi-catalog "unassigned unsolved"). Not bound to a date range."""
    where, args = ("AND source = ?", (source,)) if source else ("", ())
    unsolved, unassigned = store.conn.execute(
        "SELECT COUNT(*), COUNT(*) - COUNT(assignee_id) FROM ticket_facts "
        f"WHERE status NOT IN ('solved', 'closed') {where}", args).fetchone()
    return {"unsolved_now": unsolved, "unassigned_unsolved_now": unassigned}
