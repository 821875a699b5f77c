"""Freshdesk SLA policies (`GET /api/v2/sla_policies`) and a ticket's own due moments →
records. Pure functions.

Shape: developers.freshdesk.com/api/#sla-policies — each policy has `position`, `active`,
`is_default`, `sla_target` per `priority_1`..`priority_4` (`respond_within`,
`next_respond_within`, `resolve_within` in seconds, `business_hours`) and `applicable_to`
(`group_ids`, `sources`, `ticket_types`, `company_ids`, `product_ids`: every non-empty one
must match, any value within one). The default policy (no `applicable_to`) applies when no
other does, so it is ranked after every other. `resolve_within` is the resolution clock,
which Freshdesk pauses in pending and on-hold statuses: deskpulse's `requester_wait`
pauses in pending only (kpi-catalog §5.6), so docs/kpis.md says where they part.
"""

from __future__ import annotations

from typing import Any

from deskpulse.connectors.freshdesk.mapping import CHANNEL, PRIORITY
from deskpulse.store.models import (
    SlaCondition,
    SlaConditions,
    SlaDeadline,
    SlaDeadlines,
    SlaPolicies,
    SlaPolicy,
    SlaPolicyTarget,
)

METRIC = {"respond_within": "first_reply", "next_respond_within": "next_reply",
          "resolve_within": "requester_wait"}
DEFAULT_LAST = 2**31 - 1  # the default policy's rank: after every other policy
# per-ticket due moments and their escalation flags
DEADLINES = (("fr_due_by", "fr_escalated", "first_reply"),
             ("nr_due_by", "nr_escalated", "next_reply"),
             ("due_by", "is_escalated", "requester_wait"))


def sla_policy_set(rows: list[dict[str, Any]]) -> SlaPolicies:
    return SlaPolicies(policies=[sla_policy(raw) for raw in rows])


def sla_policy(raw: dict[str, Any]) -> SlaPolicy:
    targets = []
    for number, priority in PRIORITY.items():
        target = (raw.get("sla_target") or {}).get(f"priority_{number}") or {}
        for key, metric in METRIC.items():
            if target.get(key) is not None:
                targets.append(SlaPolicyTarget(
                    metric=metric, priority=priority, seconds=int(target[key]),  # type: ignore[arg-type]
                    business=bool(target.get("business_hours"))))
    default = bool(raw.get("is_default"))
    return SlaPolicy(
        id=raw["id"], title=raw.get("name"),
        position=DEFAULT_LAST if default else int(raw.get("position") or 0),
        active=raw.get("active", True) is not False, targets=targets,
        conditions=SlaConditions(all=conditions(raw.get("applicable_to") or {})),
        updated_at=raw.get("updated_at"))


def conditions(applicable: dict[str, Any]) -> list[SlaCondition]:
    found = []
    for key, field in (("group_ids", "group_id"), ("company_ids", "organization_id"),
                       ("ticket_types", "type")):
        if applicable.get(key):
            found.append(SlaCondition(field=field, op="is",
                                      values=[str(v) for v in applicable[key]]))
    if applicable.get("sources"):
        found.append(_sources(applicable["sources"]))
    if applicable.get("product_ids"):  # deskpulse does not keep a ticket's product
        found.append(SlaCondition(field="freshdesk:product_ids", op="is",
                                  values=[str(v) for v in applicable["product_ids"]]))
    return found


def _sources(codes: list[Any]) -> SlaCondition:
    """Sources → channels, only where the policy names every source that deskpulse stores
    under those channels (portal and feedback widget are both `web`): a channel cannot tell
    a policy's source from the others sharing it."""
    chosen = {int(c) for c in codes if str(c).isdigit()}
    channels = {CHANNEL[c] for c in chosen if c in CHANNEL}
    exact = len(chosen) == len(codes) and all(c in CHANNEL for c in chosen) and all(
        code in chosen for code, channel in CHANNEL.items() if channel in channels)
    if not exact:
        return SlaCondition(field="freshdesk:sources", op="is", values=[str(c) for c in codes])
    return SlaCondition(field="channel", op="is", values=sorted(channels))


def deadline_records(raw: dict[str, Any]) -> list[SlaDeadlines]:
    """A listed ticket's due moments (`fr_due_by`, `nr_due_by`, `due_by`) and escalation
    flags: the vendor's own SLA clock, which `deskpulse verify` compares with deskpulse's."""
    items = [SlaDeadline(metric=metric, due_at=raw[due], escalated=raw.get(flag))
             for due, flag, metric in DEADLINES if raw.get(due)]
    return [SlaDeadlines(ticket_id=raw["id"], deadlines=items)]
