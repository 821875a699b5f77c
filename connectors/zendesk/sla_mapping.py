"""Zendesk SLA policies (`GET /api/v2/slas/policies`) → `SlaPolicies`. Pure functions.

Shape: developer.zendesk.com/api-reference/ticketing/business-rules/sla_policies/ — each
policy has `position`, a `filter` of `all` and `any` conditions (`field`, `operator`,
`value`) and `policy_metrics` (`priority`, `metric`, `target` in minutes,
`business_hours`). Conditions become deskpulse's vendor-neutral form (`SlaCondition`): a
field deskpulse keeps on its `tickets` rows gets that column's name and values as stored
there; any other field stays `zendesk:<field>`, which the KPI side reports as a condition it
cannot evaluate (the policy is then unusable, never applied to every ticket).
"""

from __future__ import annotations

from typing import Any

from deskpulse.store.models import (
    SlaCondition,
    SlaConditions,
    SlaPolicies,
    SlaPolicy,
    SlaPolicyTarget,
)

METRIC = {"first_reply_time": "first_reply", "next_reply_time": "next_reply",
          "periodic_update_time": "periodic_update", "pausable_update_time": "pausable_update",
          "requester_wait_time": "requester_wait", "agent_work_time": "agent_work"}
# ticket_type_id values of the ticket "type" field
TICKET_TYPE = {"1": "question", "2": "incident", "3": "problem", "4": "task"}
# via_id values whose tickets deskpulse stores under one channel that no other via shares
# (email, API, chat); the rest (web form vs web widget, social networks…) cannot be told
# apart from a stored channel, so a condition on them is not evaluable.
VIA = {"4": "email", "5": "api", "29": "chat"}
# fields named as the tickets columns they are (values compared as text)
SAME = {"priority": "priority", "group_id": "group_id", "organization_id": "organization_id",
        "requester_id": "requester_id", "assignee_id": "assignee_id"}
OPERATORS = {"is", "is_not", "includes", "not_includes", "less_than", "greater_than",
             "less_than_equal", "greater_than_equal"}


def sla_policy_set(rows: list[dict[str, Any]]) -> SlaPolicies:
    """The account's whole policy list (raises on a malformed policy: the caller turns
    that into a dead letter for the page, and the stored set is left as it was)."""
    return SlaPolicies(policies=[sla_policy(raw) for raw in rows])


def sla_policy(raw: dict[str, Any]) -> SlaPolicy:
    filters = raw.get("filter") or {}
    targets = [SlaPolicyTarget(metric=METRIC.get(m["metric"], f"zendesk:{m['metric']}"),
                               priority=m["priority"], seconds=int(m["target"]) * 60,
                               business=bool(m.get("business_hours")))
               for m in raw.get("policy_metrics") or []]
    return SlaPolicy(
        id=raw["id"], title=raw.get("title"), position=int(raw["position"]),
        conditions=SlaConditions(all=[condition(c) for c in filters.get("all") or []],
                                 any=[condition(c) for c in filters.get("any") or []]),
        targets=targets, updated_at=raw.get("updated_at"))


def condition(raw: dict[str, Any]) -> SlaCondition:
    """One filter condition in deskpulse's terms (see the module docstring)."""
    field, operator, value = str(raw["field"]), str(raw["operator"]), raw.get("value")
    values = [str(v) for v in value] if isinstance(value, list) else \
        [] if value is None else [str(value)]
    if operator not in OPERATORS:
        return SlaCondition(field=f"zendesk:{field}", op=operator, values=values)
    if field in SAME:
        return SlaCondition(field=SAME[field], op=operator, values=values)
    if field in ("ticket_type_id", "type") and all(v in TICKET_TYPE or v in
                                                  TICKET_TYPE.values() for v in values):
        return SlaCondition(field="type", op=operator,
                            values=[TICKET_TYPE.get(v, v) for v in values])
    if field == "via_id" and all(v in VIA for v in values):
        return SlaCondition(field="channel", op=operator, values=[VIA[v] for v in values])
    if field in ("current_tags", "tags"):
        tags = [tag for v in values for tag in v.split()]
        return SlaCondition(field="tags", op=operator, values=tags)
    return SlaCondition(field=f"zendesk:{field}", op=operator, values=values)
