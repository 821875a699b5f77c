"""Vendor SLA policies as targets: which policy applies to a ticket, and where the targets
in use come from (the config's `[[sla]]` entries or the synced policies).

Zendesk and Freshdesk apply exactly one policy to a ticket: the first, by position, whose
conditions it matches; its targets for the ticket's priority are the ticket's targets, and a
matching policy without a target for a metric leaves that metric without one (no later
policy fills it in). Conditions are the connectors' vendor-neutral form (`sla_policies`
.conditions): `all` must all hold, `any` (when not empty) needs one. A condition on a field
deskpulse does not keep (`vendor:field`) cannot be decided: a ticket that might match such
a policy gets no vendor target at all, and the reports say which policy and field (never
applied to every ticket, never silently skipped over).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from store import Store

# the `tickets` columns a condition can name
FIELDS = ("priority", "group_id", "channel", "type", "tags", "organization_id",
          "requester_id", "assignee_id")
PRIORITY_ORDER = ("low", "normal", "high", "urgent")
ORDERED = {"less_than": lambda a, b: a < b, "greater_than": lambda a, b: a > b,
           "less_than_equal": lambda a, b: a <= b, "greater_than_equal": lambda a, b: a >= b}
MODES = ("auto", "config", "vendor")


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    values: tuple[str, ...] = ()

    def problem(self) -> str | None:
        """Why deskpulse cannot evaluate this condition, or None when it can."""
        if self.field not in FIELDS:
            return f"a condition on {self.field}, which deskpulse does not keep"
        if self.op in ORDERED and self.field != "priority":
            return f"{self.field} {self.op}, which has no order"
        if self.op not in ("is", "is_not", "includes", "not_includes", *ORDERED):
            return f"the operator {self.op!r} on {self.field}"
        return None

    def holds(self, ticket: Mapping[str, Any]) -> bool | None:
        """True/False, or None when it cannot be decided."""
        if self.problem() is not None:
            return None
        value = ticket.get(self.field)
        have = {str(v) for v in value} if isinstance(value, list | tuple) else \
            set() if value is None else {str(value)}
        wanted = set(self.values)
        if self.op in ("is", "includes"):
            return bool(have & wanted)
        if self.op in ("is_not", "not_includes"):
            return not have & wanted
        if value not in PRIORITY_ORDER or not self.values or \
                self.values[0] not in PRIORITY_ORDER:
            return False
        return ORDERED[self.op](PRIORITY_ORDER.index(value), PRIORITY_ORDER.index(
            self.values[0]))


@dataclass(frozen=True)
class Conditions:
    all: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()

    def match(self, ticket: Mapping[str, Any]) -> bool | None:
        """Three-valued: None when an undecidable condition could change the answer."""
        every = [c.holds(ticket) for c in self.all]
        if False in every:
            return False
        some = [c.holds(ticket) for c in self.any]
        if some and True not in some:
            return None if None in some else False
        return None if None in every else True

    def problems(self) -> list[str]:
        return [p for c in (*self.all, *self.any) if (p := c.problem())]

    @classmethod
    def load(cls, data: Mapping[str, Any] | None) -> Conditions:
        data = data or {}
        return cls(*(tuple(Condition(c["field"], c["op"], tuple(c.get("values") or ()))
                           for c in data.get(part) or ()) for part in ("all", "any")))


def policies(store: Store, source: str) -> list[dict[str, Any]]:
    """The source's active synced policies in the order they apply, each with its targets
    (`metric`, `priority`, `seconds`, `business`)."""
    found = [{"id": pid, "title": title, "position": position,
              "conditions": Conditions.load(json.loads(conditions)), "targets": []}
             for pid, title, position, conditions in store.conn.execute(
                 "SELECT id, title, position, conditions FROM sla_policies WHERE source = ? "
                 "AND active = 1 ORDER BY position, id", (source,))]
    by_id = {p["id"]: p for p in found}
    for pid, metric, priority, seconds, business in store.conn.execute(
            "SELECT policy_id, metric, priority, target_s, business FROM sla_policy_targets "
            "WHERE source = ? ORDER BY policy_id, metric, priority", (source,)):
        if pid in by_id:
            by_id[pid]["targets"].append({"metric": metric, "priority": priority,
                                          "seconds": seconds, "business": bool(business)})
    return found


def synced_sources(store: Store) -> list[str]:
    return [row[0] for row in store.conn.execute(
        "SELECT DISTINCT source FROM sla_policies WHERE active = 1 ORDER BY source")]


def describe(policy: Mapping[str, Any]) -> str:
    return f"SLA policy {policy['title'] or policy['id']!r} (id {policy['id']})"
