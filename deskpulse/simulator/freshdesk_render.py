"""The simulated desk rendered as Freshdesk renders its objects (developers.freshdesk.com/api).

`stats` is computed here from the desk's own timeline, by Freshdesk's documented rules
(vendor-apis.md §4.3), not by deskpulse's KPI code: it is the oracle `deskpulse verify`
checks the connector and the KPI module against.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deskpulse.simulator import sla
from deskpulse.simulator.model import Action, Desk, Person, SimTicket

STATUS = {"new": 2, "open": 2, "pending": 3, "hold": 7, "solved": 4, "closed": 5}
PRIORITY = {"low": 1, "normal": 2, "high": 3, "urgent": 4}
SOURCE = {"email": 1, "web": 2, "api": 2, "voice": 3, "chat": 7, "twitter": 5,
          "native_messaging": 13}
OUTBOUND_EMAIL, SURVEY_FEEDBACK = 10, 6
SURVEY_ID, QUESTION_ID = 1, 11
SCORE = {"good": 103, "bad": -103}
FEEDBACK_ID_OFFSET, TIME_ENTRY_ID_OFFSET = 800_000_000, 900_000_000
ZONE_LABEL = "Eastern Time (US & Canada)"


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def flag(ticket: SimTicket, now: datetime) -> str | None:
    """A deleted simulated ticket is, in Freshdesk, either in the trash or marked spam."""
    if not ticket.is_deleted(now):
        return None
    return "deleted" if ticket.id % 2 == 0 else "spam"


def outbound(desk: Desk, ticket: SimTicket) -> bool:
    return ticket.submitter != ticket.requester and desk.people[ticket.submitter].role != \
        "end-user"


def ticket_json(desk: Desk, ticket: SimTicket, *, with_stats: bool) -> dict[str, Any]:
    now, state = desk.now, ticket.state(desk.now)
    flagged = flag(ticket, now)
    body: dict[str, Any] = {
        "cc_emails": [], "fwd_emails": [], "reply_cc_emails": [], "ticket_cc_emails": [],
        "fr_escalated": False, "spam": flagged == "spam", "email_config_id": None,
        "group_id": state["group"], "priority": PRIORITY[state["priority"]],
        "requester_id": ticket.requester, "responder_id": state["assignee"],
        "source": OUTBOUND_EMAIL if outbound(desk, ticket) else SOURCE[ticket.channel],
        "company_id": ticket.organization_id, "status": STATUS[state["status"]],
        "subject": ticket.subject, "association_type": None, "support_email": None,
        "to_emails": None, "product_id": None, "id": ticket.id, "type": ticket.type.title(),
        "due_by": None, "fr_due_by": None, "is_escalated": False, "custom_fields": {},
        "created_at": iso(ticket.created_at), "updated_at": iso(ticket.updated_at(now)),
        "associated_tickets_count": None, "tags": ticket.tags, "nr_due_by": None,
        "nr_escalated": False,
    } | _due(desk, ticket)
    if flagged == "deleted":
        body["deleted"] = True
    if with_stats:
        body["stats"] = stats(desk, ticket)
    return body


def _due(desk: Desk, ticket: SimTicket) -> dict[str, Any]:
    """The ticket's SLA due moments and whether each was missed (escalated) by now."""
    due = sla.due_moments(desk, ticket)
    replies = [] if outbound(desk, ticket) else agent_replies(desk, ticket)
    moves = _status_moves(desk, ticket)
    resolved = next((at for at, old, new in moves if new in (4, 5) and old not in (4, 5)),
                    None)
    first = replies[0].at if replies else None
    return {"fr_due_by": iso(due["fr_due_by"]), "due_by": iso(due["due_by"]),
            "fr_escalated": (first or desk.now) > due["fr_due_by"],
            "is_escalated": (resolved or desk.now) > due["due_by"]}


def sla_policy_json(policy: sla.SimPolicy) -> dict[str, Any]:
    """A policy as `GET /api/v2/sla_policies` lists it; "Everyone else" is the default."""
    default = policy.type is None and policy.tag is None
    targets = {f"priority_{code}": {
        "respond_within": policy.first_reply[name] * sla.MINUTE,
        "resolve_within": policy.resolution[name] * sla.MINUTE,
        "business_hours": False, "escalation_enabled": True} for name, code in PRIORITY.items()}
    return {"id": 47000 + policy.id, "name": policy.title, "description": "",
            "active": True, "is_default": default, "position": 1 if default else policy.position,
            "sla_target": targets,
            "applicable_to": {} if default else {"ticket_types": [str(policy.type).title()]},
            "escalation": {}, "created_at": "2020-01-01T00:00:00Z",
            "updated_at": "2020-01-01T00:00:00Z"}


def _comments(desk: Desk, ticket: SimTicket) -> list[Action]:
    return [a for a in ticket.visible(desk.now) if a.kind == "comment"]


def _is_agent(desk: Desk, actor: int) -> bool:
    person = desk.people.get(actor)
    return person is not None and person.role != "end-user"


def stats(desk: Desk, ticket: SimTicket) -> dict[str, Any]:
    """Freshdesk's ticket stats: a response is a public agent reply or note after the
    description; outbound tickets have none; incoming messages (survey feedback included)
    move requester_responded_at; resolved/closed/reopened are the latest such moves."""
    replies = agent_replies(desk, ticket)
    incoming = [a.at for a in _comments(desk, ticket)[1:] if not _is_agent(desk, a.actor)]
    rating = ticket.rating_at(desk.now)
    if rating is not None and rating.comment and rating.score in SCORE:
        incoming.append(rating.created_at)
    responded = [] if outbound(desk, ticket) else replies
    codes = _status_moves(desk, ticket)
    resolved = [at for at, old, new in codes if new == 4 or (new == 5 and old != 4)]
    pending_since = _pending_start(codes) if codes[-1][2] == 3 else None
    return {
        "agent_responded_at": iso(responded[-1].at) if responded else None,
        "requester_responded_at": iso(max(incoming)) if incoming else None,
        "first_responded_at": iso(responded[0].at) if responded else None,
        "status_updated_at": iso(codes[-1][0]),
        "reopened_at": iso(max((at for at, old, new in codes if old in (4, 5)
                                and new not in (4, 5)), default=None)),
        "resolved_at": iso(resolved[-1]) if resolved else None,
        "closed_at": iso(max((at for at, _old, new in codes if new == 5), default=None)),
        "pending_since": iso(pending_since),
    }


def _status_moves(desk: Desk, ticket: SimTicket) -> list[tuple[datetime, int | None, int]]:
    """(time, old code, new code) of every change of Freshdesk status, creation first."""
    actions = ticket.visible(desk.now)
    code = STATUS[actions[0].value["status"]]
    moves: list[tuple[datetime, int | None, int]] = [(actions[0].at, None, code)]
    for action in actions[1:]:
        if action.kind == "status" and STATUS[action.value] != code:
            moves.append((action.at, code, STATUS[action.value]))
            code = STATUS[action.value]
    return moves


def _pending_start(moves: list[tuple[datetime, int | None, int]]) -> datetime:
    return next(at for at, old, new in reversed(moves) if new == 3 and old != 3)


def conversations(desk: Desk, ticket: SimTicket) -> list[dict[str, Any]]:
    """Everything after the description: replies, notes, and the survey's feedback message."""
    found = []
    for action in _comments(desk, ticket)[1:]:
        agent = _is_agent(desk, action.actor)
        found.append(_conversation(ticket, action.id, action.at, action.actor,
                                   incoming=not agent, private=not action.public,
                                   source=2 if not action.public else 0,
                                   text=str(action.value)))
    rating = ticket.rating_at(desk.now)
    if rating is not None and rating.comment and rating.score in SCORE:
        found.append(_conversation(ticket, rating.id + FEEDBACK_ID_OFFSET, rating.created_at,
                                   ticket.requester, incoming=True, private=False,
                                   source=SURVEY_FEEDBACK, text=rating.comment, category=7))
    return found


def _conversation(ticket: SimTicket, cid: int, at: datetime, user: int, *, incoming: bool,
                  private: bool, source: int, text: str, category: int = 2
                  ) -> dict[str, Any]:
    return {"body": f"<div>{text}</div>", "body_text": text, "id": cid, "incoming": incoming,
            "private": private, "user_id": user, "support_email": None, "source": source,
            "category": category, "to_emails": [], "from_email": None, "cc_emails": [],
            "bcc_emails": None, "email_failure_count": None, "outgoing_failures": None,
            "thread_id": None, "thread_message_id": None, "created_at": iso(at),
            "updated_at": iso(at), "last_edited_at": None, "last_edited_user_id": None,
            "attachments": [], "automation_id": None, "automation_type_id": None,
            "auto_response": False, "ticket_id": ticket.id, "source_additional_info": None}


def agent_json(person: Person) -> dict[str, Any]:
    return {"available": True, "occasional": False, "id": person.id, "ticket_scope": 1,
            "signature": None, "group_ids": [], "role_ids": [], "skill_ids": [],
            "available_since": None, "type": "support_agent",
            "created_at": iso(person.created_at), "updated_at": iso(person.created_at),
            "contact": {"active": True, "email": person.email, "job_title": None,
                        "language": "en", "last_login_at": None, "mobile": None,
                        "name": person.name, "phone": None, "time_zone": ZONE_LABEL,
                        "created_at": iso(person.created_at),
                        "updated_at": iso(person.created_at)}}


def contact_json(person: Person) -> dict[str, Any]:
    return {"active": True, "address": None, "company_id": person.organization_id,
            "description": None, "email": person.email, "id": person.id, "job_title": None,
            "language": "en", "mobile": None, "name": person.name, "phone": None,
            "time_zone": ZONE_LABEL, "twitter_id": None, "other_emails": [],
            "created_at": iso(person.created_at), "updated_at": iso(person.created_at),
            "custom_fields": {}, "facebook_id": None, "unique_external_id": None}


def group_json(group_id: int, name: str, created: datetime) -> dict[str, Any]:
    return {"id": group_id, "name": name, "description": None, "escalate_to": None,
            "unassigned_for": None, "business_hour_id": None,
            "group_type": "support_agent_group", "auto_ticket_assign": 0,
            "created_at": iso(created), "updated_at": iso(created), "agent_ids": []}


def rating_json(ticket: SimTicket, state: dict[str, Any]) -> dict[str, Any]:
    rating = ticket.rating
    assert rating is not None
    return {"id": rating.id, "survey_id": SURVEY_ID, "user_id": ticket.requester,
            "agent_id": state["assignee"], "feedback": rating.comment,
            "group_id": state["group"], "ticket_id": ticket.id,
            "created_at": iso(rating.created_at), "updated_at": iso(rating.updated_at),
            "ratings": {"default_question": SCORE[rating.score]}}


def agent_replies(desk: Desk, ticket: SimTicket) -> list[Action]:
    """Public agent comments after the description: Freshdesk's responses, and what the
    simulated desk logs time for (one time entry each)."""
    return [a for a in _comments(desk, ticket)[1:] if a.public and _is_agent(desk, a.actor)]


def time_entry_json(ticket: SimTicket, action: Action) -> dict[str, Any]:
    seconds = 120 + action.id * 37 % 1500
    return {"id": action.id + TIME_ENTRY_ID_OFFSET, "billable": action.id % 3 != 0,
            "note": "", "timer_running": False, "agent_id": action.actor,
            "ticket_id": ticket.id, "company_id": ticket.organization_id,
            "time_spent": f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}",
            "time_spent_in_seconds": seconds, "executed_at": iso(action.at),
            "start_time": iso(action.at), "created_at": iso(action.at),
            "updated_at": iso(action.at)}


SURVEYS = [{"id": SURVEY_ID, "title": "Default Survey", "active": True,
            "questions": [{"id": QUESTION_ID, "label": "How would you rate your experience?",
                           "accepted_ratings": [103, 100, -103], "default": True}],
            "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z"}]
BUSINESS_HOURS = [{
    "id": 1, "name": "Support hours", "description": "Weekdays, New York", "is_default": True,
    "time_zone": ZONE_LABEL,
    "business_hours": {day: {"start_time": "9:00 am", "end_time": "5:00 pm"}
                       for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z"}]
