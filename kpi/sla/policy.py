"""What an SLA target is (`Target`: an `[[sla]]` entry or one target of a vendor policy),
how targets are kept in `kpi_meta`, and which one applies to a ticket (`choose`). Pure: the
store readers that turn synced policies into targets live in `kpi.sla.targets`.

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

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

# the `tickets` columns a condition can name
FIELDS = ("priority", "group_id", "channel", "type", "tags", "organization_id",
          "requester_id", "assignee_id")
PRIORITY_ORDER = ("low", "normal", "high", "urgent")
ORDERED = {"less_than": lambda a, b: a < b, "greater_than": lambda a, b: a > b,
           "less_than_equal": lambda a, b: a <= b, "greater_than_equal": lambda a, b: a >= b}
MODES = ("auto", "config", "vendor")
METRICS = ("first_reply", "next_reply", "requester_wait", "agent_work", "periodic_update",
           "pausable_update")


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


@dataclass(frozen=True)
class Target:
    """One `[[sla]]` entry: `priorities` None matches any priority (and none). A vendor
    policy's target also names its `policy` (id), `position` and `conditions`; a policy
    with no usable target has one that matches no priority (`priorities` empty), so it
    still takes its place in the first-match order."""

    metric: str
    seconds: int
    business: bool = False
    priorities: tuple[str, ...] | None = None
    channel: str | None = None
    source: str | None = None
    policy: str | None = None
    title: str | None = None
    position: int | None = None
    conditions: Conditions | None = None

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            msg = f"unknown SLA metric {self.metric!r} (one of {', '.join(METRICS)})"
            raise ValueError(msg)

    def matches(self, metric: str, priority: str | None) -> bool:
        return self.metric == metric and (self.priorities is None or priority in self.priorities)


_POLICY_FIELDS = ("policy", "title", "position", "conditions")


def dump_targets(targets: Sequence[Target]) -> str:
    """Targets as JSON text: kept in `kpi_meta` so reports know what the facts used. An
    `[[sla]]` target leaves out the policy fields, so its text (and the fingerprint of files
    written before vendor policies) stays as it was."""
    return json.dumps([{k: v for k, v in asdict(t).items()
                        if k not in _POLICY_FIELDS or t.policy is not None} for t in targets],
                      sort_keys=True)


def load_targets(text: str | None) -> list[Target]:
    return [Target(**{**t, "priorities": None if t["priorities"] is None
                      else tuple(t["priorities"]),
                      "conditions": None if t.get("conditions") is None
                      else Conditions.load(t["conditions"])})
            for t in json.loads(text or "[]")]


def choose(targets: Sequence[Target], metric: str, priority: str | None,
           ticket: Mapping[str, object]) -> Target | None:
    """The target for a metric at a priority: the first `[[sla]]` entry that matches; for
    policy targets (kept together, in position order), those of the first policy the ticket
    matches, or none when that cannot be decided (an unusable policy might match)."""
    chosen: str | None = None
    passed: set[str] = set()  # policies the ticket does not match: judged once per call
    for target in targets:
        if target.policy is None:
            if target.matches(metric, priority):
                return target
            continue
        if chosen is None:
            if target.policy in passed:
                continue
            conditions = target.conditions or Conditions()
            matched = conditions.match({**ticket, "priority": priority})
            if matched is None:
                return None
            if not matched:
                passed.add(target.policy)
                continue
            chosen = target.policy
        if target.policy != chosen:
            return None  # the applying policy has no target for this metric and priority
        if target.matches(metric, priority):
            return target
    return None


def fingerprint(targets: Sequence[Target]) -> str:
    """Changes whenever the targets would change an instance."""
    return hashlib.sha256(dump_targets(targets).encode()).hexdigest()[:16]
