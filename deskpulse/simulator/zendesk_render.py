"""The simulated desk rendered as Zendesk renders its objects (developer.zendesk.com shapes)."""

from __future__ import annotations

from datetime import datetime
from itertools import groupby
from typing import Any

from deskpulse.simulator import metrics, sla
from deskpulse.simulator.metrics import ticket_metric
from deskpulse.simulator.model import SYSTEM, Action, Desk, Person, Rating, SimTicket

VIA = {"email": "Mail", "web": "Web form", "api": "API", "voice": "Voice", "chat": "Chat",
       "twitter": "Twitter", "native_messaging": "Messaging"}
CREATE_FIELDS = {"status": "status", "priority": "priority", "assignee": "assignee_id",
                 "group": "group_id"}
CHANGE_FIELDS = {"status": "status", "priority": "priority", "assignee": "assignee_id",
                 "group": "group_id"}
CUSTOM_STATUS = {"new": 4001, "open": 4002, "pending": 4003, "hold": 4004, "solved": 4005,
                 "closed": 4006, "deleted": 4007}
AUDIT_ID_OFFSET = 500_000_000
CREATE_CHILD_OFFSET = 700_000_000
DELETION_ID_OFFSET = 3_000_000_000  # past every action-derived id, even at 1M tickets
RATING_AUDIT_OFFSET = 5_000_000_000  # past deletions; 16 ids per rating (8 answers)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ticket_json(desk: Desk, ticket: SimTicket, base: str) -> dict[str, Any]:
    now = desk.now
    state = ticket.state(now)
    rating = ticket.rating_at(now)
    status = "deleted" if ticket.is_deleted(now) else state["status"]
    updated = ticket.updated_at(now)
    comments = [a for a in ticket.visible(now) if a.kind == "comment"]
    return {
        "url": f"{base}/api/v2/tickets/{ticket.id}.json", "id": ticket.id, "external_id": None,
        "via": {"channel": ticket.channel, "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": iso(ticket.created_at), "updated_at": iso(updated),
        "generated_timestamp": int(updated.timestamp()), "type": ticket.type,
        "subject": ticket.subject, "raw_subject": ticket.subject,
        "description": comments[0].value if comments else "", "priority": state["priority"],
        "status": status, "recipient": None, "requester_id": ticket.requester,
        "submitter_id": ticket.submitter, "assignee_id": state["assignee"],
        "organization_id": ticket.organization_id, "group_id": state["group"],
        "collaborator_ids": [], "follower_ids": [], "email_cc_ids": [], "forum_topic_id": None,
        "problem_id": None, "has_incidents": False, "is_public": True, "due_at": None,
        "tags": ticket.tags, "custom_fields": [], "fields": [],
        "satisfaction_rating": _satisfaction(rating),
        "sharing_agreement_ids": [], "custom_status_id": CUSTOM_STATUS.get(status, 4000),
        "followup_ids": [], "ticket_form_id": 360000001, "brand_id": 360000002,
        "allow_channelback": False, "allow_attachments": True, "from_messaging_channel": False,
    }


def _satisfaction(rating: Rating | None) -> dict[str, Any]:
    """The ticket's `satisfaction_rating` as the ticket export shows it: an answered rating
    with its id, score and comment; an offered survey as its score alone (no id), as the
    recorded real export does (fixtures/zendesk/ratings_offered_ticket.json)."""
    if rating is None:
        return {"score": "unoffered"}
    if rating.score == "offered":
        return {"score": "offered"}
    return {"id": rating.id, "score": rating.score, "comment": rating.comment}


def metric_json(desk: Desk, ticket: SimTicket, base: str, agents: set[int]) -> dict[str, Any]:
    return ticket_metric(ticket, agents, desk.now, base)


def audits(ticket: SimTicket, now: datetime, base: str) -> list[dict[str, Any]]:
    """The ticket's visible actions grouped into audits (one per actor and moment), and its
    deletion, which Zendesk records as a status change to "deleted"."""
    grouped = groupby(ticket.visible(now), key=lambda a: (a.at, a.actor))
    found = [_audit(ticket, list(actions), base) for (_at, _actor), actions in grouped]
    if ticket.is_deleted(now):
        found.append(_deletion(ticket, now))
    return found + rating_audits(ticket, now)


def rating_audits(ticket: SimTicket, now: datetime) -> list[dict[str, Any]]:
    """One audit per answer the requester gave, each holding a `SatisfactionRating` event
    (score, assignee_id, body: the Ticket Audit events reference). An offered survey gets
    none: what Zendesk records for the offer is not documented."""
    if ticket.rating is None:
        return []
    found = []
    for n, (at, score, comment) in enumerate(ticket.rating.answers(now)):
        audit_id = RATING_AUDIT_OFFSET + ticket.rating.id * 16 + n * 2
        found.append({
            "id": audit_id, "ticket_id": ticket.id, "timestamp": int(at.timestamp()),
            "created_at": iso(at), "updater_id": ticket.requester, "via": "Web form",
            "system": {"client": "deskpulse-simulator"}, "event_type": "Audit",
            "child_events": [{"id": audit_id + 1, "via": "Web form", "via_reference_id": None,
                              "score": score, "assignee_id": ticket.state(at)["assignee"],
                              "body": comment, "event_type": "SatisfactionRating"}]})
    return found


def _deletion(ticket: SimTicket, now: datetime) -> dict[str, Any]:
    at, state = ticket.deleted_at, ticket.state(now)
    assert at is not None
    audit_id = DELETION_ID_OFFSET + ticket.id * 2
    actor = state["assignee"] if state["assignee"] is not None else SYSTEM
    return {"id": audit_id, "ticket_id": ticket.id, "timestamp": int(at.timestamp()),
            "created_at": iso(at), "updater_id": actor, "via": "Web form",
            "system": {"client": "deskpulse-simulator"}, "event_type": "Audit",
            "child_events": [{"id": audit_id + 1, "via": "Web form", "via_reference_id": None,
                              "status": "deleted", "previous_value": state["status"],
                              "event_type": "Change"}]}


def _audit(ticket: SimTicket, actions: list[Action], base: str) -> dict[str, Any]:
    first = actions[0]
    via = "Rule" if first.actor == SYSTEM else VIA.get(ticket.channel, "Web form")
    audit_id = first.id + AUDIT_ID_OFFSET
    children: list[dict[str, Any]] = []
    for action in actions:
        common = {"via": via, "via_reference_id": None}
        if action.kind == "create":
            for n, (name, field) in enumerate(CREATE_FIELDS.items()):
                children.append({"id": CREATE_CHILD_OFFSET + action.id * 8 + n, **common,
                                 field: action.value[name], "event_type": "Create"})
        elif action.kind == "comment":
            text = str(action.value)
            children.append({
                "id": action.id, **common, "type": "Comment", "event_type": "Comment",
                "author_id": action.actor, "body": text, "html_body": f"<p>{text}</p>",
                "plain_body": text, "public": action.public, "attachments": [],
                "audit_id": audit_id, "created_at": iso(action.at),
            })
        else:
            field = CHANGE_FIELDS[action.kind]
            children.append({"id": action.id, **common, field: action.value,
                             "previous_value": _previous(ticket, action),
                             "event_type": "Change"})
    return {"id": audit_id, "ticket_id": ticket.id, "timestamp": int(first.at.timestamp()),
            "created_at": iso(first.at), "updater_id": first.actor, "via": via,
            "system": {"client": "deskpulse-simulator"}, "event_type": "Audit",
            "child_events": children}


def _previous(ticket: SimTicket, action: Action) -> Any:
    value = ticket.actions[0].value.get(action.kind)
    for earlier in ticket.actions[1:]:
        if earlier is action:
            return value
        if earlier.kind == action.kind:
            value = earlier.value
    return value


def user_json(person: Person, base: str) -> dict[str, Any]:
    return {"id": person.id, "url": f"{base}/api/v2/users/{person.id}.json",
            "name": person.name, "email": person.email, "created_at": iso(person.created_at),
            "updated_at": iso(person.created_at), "time_zone": "Eastern Time (US & Canada)",
            "iana_time_zone": person.time_zone, "phone": None, "locale": "en-US",
            "organization_id": person.organization_id, "role": person.role, "verified": True,
            "active": True, "suspended": False, "shared": False, "tags": []}


def group_json(group_id: int, name: str, base: str, created: datetime) -> dict[str, Any]:
    return {"id": group_id, "url": f"{base}/api/v2/groups/{group_id}.json", "name": name,
            "description": "", "default": False, "deleted": False, "is_public": True,
            "created_at": iso(created), "updated_at": iso(created)}


def rating_json(ticket: SimTicket, state: dict[str, Any], base: str,
                now: datetime) -> dict[str, Any]:
    rating = ticket.rating_at(now)
    assert rating is not None
    return {"id": rating.id, "url": f"{base}/api/v2/satisfaction_ratings/{rating.id}.json",
            "assignee_id": state["assignee"], "group_id": state["group"],
            "requester_id": ticket.requester, "ticket_id": ticket.id, "score": rating.score,
            "comment": rating.comment, "created_at": iso(rating.created_at),
            "updated_at": iso(rating.updated_at)}


HOLIDAYS = {"holidays": [
    {"id": 9000 + n, "name": name, "start_date": first.isoformat(), "end_date": last.isoformat()}
    for n, (name, first, last) in enumerate(metrics.HOLIDAYS)]}

SCHEDULE = {
    "schedules": [{
        "id": 1, "name": "Support hours", "time_zone": "Eastern Time (US & Canada)",
        "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
        "intervals": [{"start_time": day * 1440 + 540, "end_time": day * 1440 + 1020}
                      for day in range(1, 6)],
    }]
}


TICKET_TYPE_ID = {"question": 1, "incident": 2, "problem": 3, "task": 4}


def sla_policy_json(policy: sla.SimPolicy, base: str) -> dict[str, Any]:
    """A policy as `GET /api/v2/slas/policies` lists it (targets in minutes)."""
    conditions = []
    if policy.tag is not None:
        conditions.append({"field": "current_tags", "operator": "includes",
                           "value": policy.tag})
    if policy.type is not None:
        conditions.append({"field": "ticket_type_id", "operator": "is",
                           "value": TICKET_TYPE_ID[policy.type]})
    metrics_ = [{"priority": priority, "metric": name, "target": minutes,
                 "business_hours": False}
                for name, targets in (("first_reply_time", policy.first_reply),
                                      ("requester_wait_time", policy.resolution))
                for priority, minutes in targets.items()]
    return {"url": f"{base}/api/v2/slas/policies/{policy.id}.json", "id": policy.id,
            "title": policy.title, "description": "", "position": policy.position,
            "filter": {"all": conditions, "any": []}, "policy_metrics": metrics_,
            "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z"}
