"""Report figures that count tickets meeting a condition (repeat contact, escalation,
bot-only resolution, survey response), straight from `ticket_facts` and `tickets`.

They are not day-rollup counters: their conditions look across tickets (a requester's next
ticket) or depend on configuration (escalation tags), so they are counted per query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from kpi.rules import rules_for
from store import Store

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
    after its latest solve (kpi-catalog: repeat contact rate, a data-only proxy for FCR)."""
    return scope.count("first_solved_day", (
        "f.last_solved_at IS NOT NULL AND t.requester_id IS NOT NULL AND EXISTS ("
        "SELECT 1 FROM tickets n WHERE n.source = t.source AND "
        "n.requester_id = t.requester_id AND n.id != t.id AND n.deleted = 0 AND "
        "n.created_at > f.last_solved_at AND n.created_at <= "
        "strftime('%Y-%m-%dT%H:%M:%SZ', f.last_solved_at, ?))"), (f"+{int(days)} days",))


def escalations(scope: Scope, tags: tuple[str, ...] = ()) -> dict[str, int]:
    """Tickets created in the range that were escalated (kpi-catalog): handed to a second
    group, raised to high or urgent after creation, or tagged with one of `tags`."""
    tagged = "0"
    if tags:
        marks = ", ".join("?" * len(tags))
        tagged = f"EXISTS (SELECT 1 FROM json_each(t.tags) WHERE value IN ({marks}))"
    return scope.count("created_day", f"f.group_stations >= 2 OR f.priority_raised = 1 OR "
                       f"{tagged}", tags)


def solved_shares(scope: Scope) -> dict[str, dict[str, int]]:
    """Among tickets first solved in the range: bot-only resolutions (flag 16), tickets with
    any bot message, and satisfaction surveys offered and answered (the survey response
    rate), the latter only from vendors that record unanswered surveys: elsewhere every
    known survey is an answer."""
    found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    kinds = dict(scope.store.conn.execute("SELECT name, kind FROM sources"))
    for key, source, bot_only, bots, offered, answered in scope.sums(
            "first_solved_day", "1", by="f.source", aggregates="SUM((f.flags & 16) != 0), "
            "SUM(f.bot_msgs > 0), SUM(f.csat_offered), SUM(f.csat_positive IS NOT NULL)"):
        share = found[key]
        share["bot_only"] += bot_only
        share["with_bots"] += bots
        if rules_for(kinds.get(source)).surveys_offered:
            share["offered"] += offered
            share["answered"] += answered
    return found


def unsolved_now(store: Store, source: str | None = None) -> dict[str, int]:
    """Tickets unsolved as stored now (the last sync), and those of them with no assignee:
    the queue nobody owns (kpi-catalog "unassigned unsolved"). Not bound to a date range."""
    where, args = ("AND source = ?", (source,)) if source else ("", ())
    unsolved, unassigned = store.conn.execute(
        "SELECT COUNT(*), COUNT(*) - COUNT(assignee_id) FROM ticket_facts "
        f"WHERE status NOT IN ('solved', 'closed') {where}", args).fetchone()
    return {"unsolved_now": unsolved, "unassigned_unsolved_now": unassigned}
