"""The simulated desk rendered as Intercom renders conversations (REST API 2.11 shapes).

A ticket becomes a conversation: its opening comment is the `source`, everything after it a
part. The rendering adds what Intercom has and the vendor-neutral desk does not: the
Operator bot's greeting on customer-started conversations, assignments and status changes
made by "the system" shown as the bot's, and, on a few conversations, hundreds of attribute
updates, so that more than 500 parts exist and Intercom's cut to the 500 most recent shows.
`statistics` is computed here by Intercom's documented rules (vendor-apis.md §4.4), with
office hours Mon–Fri 09:00–17:00 New York, independently of deskpulse's KPI code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from deskpulse.simulator.metrics import business_seconds
from deskpulse.simulator.model import SYSTEM, Desk, Person, SimTicket

BOT_ID = "999999"
BOT = {"id": BOT_ID, "type": "bot", "name": "Operator", "email": "operator@deskpulse.example"}
GREETING_DELAY = timedelta(seconds=6)
PART_LIMIT = 500
PADDED_EVERY, PADDING = 211, 520  # every 211th conversation gets 520 attribute updates
STATE = {"new": "open", "open": "open", "pending": "snoozed", "hold": "snoozed",
         "solved": "closed", "closed": "closed"}
PART_FOR_STATE = {"open": "open", "snoozed": "snoozed", "closed": "close"}
SOURCE_TYPE = {"email": "email", "twitter": "twitter", "voice": "phone_call"}
RATING = {"good": 5, "bad": 2}
PART_ID_OFFSET, PAD_ID_OFFSET = 3_000_000_000, 4_000_000_000


@dataclass(frozen=True)
class Part:
    id: int
    at: datetime
    kind: str  # comment | note | assignment | open | close | snoozed | attribute
    author: dict[str, Any]
    body: str | None = None
    assigned_to: dict[str, Any] | None = None


def unix(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def author_of(desk: Desk, actor: int) -> dict[str, Any]:
    if actor == SYSTEM:
        return BOT
    person = desk.people[actor]
    if person.role != "end-user":
        return {"id": str(person.id), "type": "admin", "name": person.name,
                "email": person.email}
    return {"id": str(person.id), "type": contact_role(person), "name": person.name,
            "email": person.email}


def contact_role(person: Person) -> str:
    return "lead" if person.id % 5 == 0 else "user"


def customer_started(desk: Desk, ticket: SimTicket) -> bool:
    return desk.people[ticket.submitter].role == "end-user"


def parts(desk: Desk, ticket: SimTicket) -> list[Part]:
    """Every part visible now, oldest first (the source is not a part)."""
    now, found = desk.now, []
    actions = ticket.visible(now)
    created = actions[0].at
    if customer_started(desk, ticket) and created + GREETING_DELAY <= now:
        found.append(Part(ticket.id * 10 + PART_ID_OFFSET, created + GREETING_DELAY,
                          "comment", BOT, "Thanks! The team will reply soon."))
    if ticket.id % PADDED_EVERY == 0:
        found += [Part(PAD_ID_OFFSET + ticket.id * 1000 + n, created + timedelta(seconds=1),
                       "attribute", BOT) for n in range(PADDING)]
    state = STATE[actions[0].value["status"]]
    comments = [a for a in actions if a.kind == "comment"]
    for action in actions[1:]:
        author = author_of(desk, action.actor)
        if action.kind == "comment" and action is not comments[0]:
            found.append(Part(action.id, action.at, "comment" if action.public else "note",
                              author, str(action.value)))
        elif action.kind in ("assignee", "group") and action.value is not None:
            target = {"type": "admin" if action.kind == "assignee" else "team",
                      "id": str(action.value)}
            found.append(Part(action.id, action.at, "assignment", author, None, target))
        elif action.kind == "status" and STATE[action.value] != state:
            state = STATE[action.value]
            found.append(Part(action.id, action.at, PART_FOR_STATE[state], author))
        elif action.kind == "priority":
            found.append(Part(action.id, action.at, "attribute", author))
    return sorted(found, key=lambda p: (p.at, p.id))


def state_of(desk: Desk, ticket: SimTicket) -> str:
    return STATE[ticket.state(desk.now)["status"]]


def statistics(desk: Desk, ticket: SimTicket, every: list[Part]) -> dict[str, Any]:
    """Intercom's conversation statistics: everything after the first contact message."""
    opening = [a for a in ticket.visible(desk.now) if a.kind == "comment"][0]
    contact = [opening.at] if customer_started(desk, ticket) else []
    contact += [p.at for p in every if p.kind == "comment" and p.author["type"] in
                ("user", "lead")]
    stats: dict[str, Any] = {key: None for key in (
        "time_to_assignment", "time_to_admin_reply", "time_to_first_close",
        "time_to_last_close", "median_time_to_reply", "first_contact_reply_at",
        "first_assignment_at", "first_admin_reply_at", "first_close_at", "last_assignment_at",
        "last_assignment_admin_reply_at", "last_contact_reply_at", "last_admin_reply_at",
        "last_close_at", "last_closed_by_id", "count_reopens", "count_assignments")}
    stats |= {"type": "conversation_statistics", "count_conversation_parts": len(every)}
    if not contact:
        return stats
    first = min(contact)
    after = [p for p in every if p.at >= first]
    replies = [p for p in after if p.kind == "comment" and p.author["type"] == "admin"]
    closes = [p for p in after if p.kind == "close"]
    assignments = [p for p in after if p.kind == "assignment"]
    stats |= {
        "first_contact_reply_at": unix(first), "last_contact_reply_at": unix(max(contact)),
        "first_admin_reply_at": unix(replies[0].at) if replies else None,
        "last_admin_reply_at": unix(replies[-1].at) if replies else None,
        "first_close_at": unix(closes[0].at) if closes else None,
        "last_close_at": unix(closes[-1].at) if closes else None,
        "last_closed_by_id": closes[-1].author["id"] if closes else None,
        "first_assignment_at": unix(assignments[0].at) if assignments else None,
        "last_assignment_at": unix(assignments[-1].at) if assignments else None,
        "count_assignments": len(assignments),
        "count_reopens": _reopens(after),
        "time_to_admin_reply": _office(first, replies[0].at) if replies else None,
        "time_to_first_close": _office(first, closes[0].at) if closes else None,
        "time_to_last_close": _office(first, closes[-1].at) if closes else None,
        "median_time_to_reply": _median_reply(contact, replies),
    }
    return stats


def _reopens(after: list[Part]) -> int:
    """Opens that follow a close (an unsnooze is not a reopen)."""
    count, closed = 0, False
    for part in after:
        if part.kind == "close":
            closed = True
        elif part.kind == "open" and closed:
            count, closed = count + 1, False
    return count


def _office(start: datetime, end: datetime) -> int:
    return int(business_seconds(start, end))


def _median_reply(contact: list[datetime], replies: list[Part]) -> int | None:
    """Each admin reply measured from the contact's last unanswered message before it."""
    waits, answered = [], None
    for reply in replies:
        waiting = [at for at in contact if at <= reply.at and (answered is None or at > answered)]
        if waiting:
            waits.append(_office(waiting[-1], reply.at))
            answered = reply.at
    return int(median(waits)) if waits else None


def part_json(part: Part, state: str) -> dict[str, Any]:
    kind = "conversation_attribute_updated_by_admin" if part.kind == "attribute" else part.kind
    return {"type": "conversation_part", "id": str(part.id), "part_type": kind,
            "body": None if part.body is None else f"<p>{part.body}</p>",
            "created_at": unix(part.at), "updated_at": unix(part.at),
            "notified_at": unix(part.at), "assigned_to": part.assigned_to,
            "author": part.author, "attachments": [], "external_id": None, "redacted": False,
            "metadata": {}, "state": state, "tags": [], "event_details": {},
            "app_package_code": None}


def conversation_json(desk: Desk, ticket: SimTicket, *, with_parts: bool) -> dict[str, Any]:
    now, state = desk.now, state_of(desk, ticket)
    current = ticket.state(now)
    every = parts(desk, ticket)
    opening = [a for a in ticket.visible(now) if a.kind == "comment"][0]
    opener = author_of(desk, opening.actor)
    requester = author_of(desk, ticket.requester)
    rating = ticket.rating_at(now)
    body: dict[str, Any] = {
        "type": "conversation", "id": str(ticket.id), "title": ticket.subject,
        "created_at": unix(ticket.created_at), "updated_at": unix(ticket.updated_at(now)),
        "waiting_since": None, "snoozed_until": None, "open": state != "closed",
        "state": state, "read": True,
        "priority": "priority" if current["priority"] == "urgent" else "not_priority",
        "admin_assignee_id": current["assignee"],  # numbers, as the 2.11 examples show
        "team_assignee_id": current["group"],
        "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": name, "name": name}
                                              for name in ticket.tags]},
        "conversation_rating": {
            "rating": RATING[rating.score], "remark": rating.comment,
            "created_at": unix(rating.created_at),
            "contact": {"type": "contact", "id": requester["id"]},
            "teammate": None if current["assignee"] is None else
            {"type": "admin", "id": str(current["assignee"])},
        } if rating is not None and rating.score in RATING else None,
        "source": {"type": SOURCE_TYPE.get(ticket.channel, "conversation"),
                   "id": str(opening.id),
                   "delivered_as": "customer_initiated" if customer_started(desk, ticket)
                   else "admin_initiated", "subject": "", "body": f"<p>{opening.value}</p>",
                   "author": opener, "attachments": [], "url": None, "redacted": False},
        "contacts": {"type": "contact.list", "contacts": [
            {"type": "contact", "id": requester["id"], "external_id": None}]},
        "teammates": {"type": "admin.list", "admins": []},
        "custom_attributes": {}, "sla_applied": None,
        "statistics": statistics(desk, ticket, every),
        "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
        "ai_agent_participated": False,
    }
    if ticket.id % 5 == 0:  # the older shape some responses still carry: an object only
        del body["admin_assignee_id"]
        body["assignee"] = {"type": "nobody_admin", "id": None} if current["assignee"] is None \
            else {"type": "admin", "id": str(current["assignee"])}
    if with_parts:
        recent = every[-PART_LIMIT:]
        body["conversation_parts"] = {"type": "conversation_part.list",
                                      "conversation_parts": [part_json(p, state)
                                                             for p in recent],
                                      "total_count": len(recent)}
    return body


def admin_json(person: Person) -> dict[str, Any]:
    return {"type": "admin", "email": person.email, "id": str(person.id), "name": person.name,
            "away_mode_enabled": False, "away_mode_reassign": False, "has_inbox_seat": True,
            "team_ids": [], "job_title": None, "avatar": {"image_url": None}}


BOT_ADMIN = {"type": "admin", "email": BOT["email"], "id": BOT_ID, "name": BOT["name"],
             "away_mode_enabled": False, "away_mode_reassign": False,
             "has_inbox_seat": False, "team_ids": [], "job_title": None,
             "avatar": {"image_url": None}}


def contact_json(person: Person) -> dict[str, Any]:
    listed = {"type": "list", "data": [], "url": "", "total_count": 0, "has_more": False}
    return {"type": "contact", "id": str(person.id), "workspace_id": "sim",
            "external_id": None, "role": contact_role(person), "email": person.email,
            "phone": None, "name": person.name, "avatar": None, "owner_id": None,
            "social_profiles": {"type": "list", "data": []}, "has_hard_bounced": False,
            "marked_email_as_spam": False, "unsubscribed_from_emails": False,
            "created_at": unix(person.created_at), "updated_at": unix(person.created_at),
            "signed_up_at": unix(person.created_at), "last_seen_at": None,
            "last_replied_at": None, "last_contacted_at": None, "last_email_opened_at": None,
            "last_email_clicked_at": None, "language_override": None, "browser": None,
            "browser_version": None, "browser_language": None, "os": None,
            "location": {"type": "location", "country": None, "region": None, "city": None},
            "custom_attributes": {}, "tags": listed, "notes": listed, "companies": listed}


def team_json(group_id: int, name: str) -> dict[str, Any]:
    return {"type": "team", "id": str(group_id), "name": name, "admin_ids": []}
