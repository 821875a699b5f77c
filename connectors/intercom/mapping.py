"""Intercom JSON → normalized records. Pure functions; the streams live in
`connectors.intercom.streams`.

A conversation is a ticket; its opening message (`source`) and its parts are its events.
Shapes: Intercom REST API 2.11 (developers.intercom.com; vendor-apis.md §3.4–3.5). Every
timestamp is unix seconds. Authors: `admin` is an agent, `user`/`lead` a customer (contact),
`bot` a bot, never an agent, whatever the admin list says about its id.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from deskpulse.connectors.engine.validate import REPORT_UNMAPPED
from deskpulse.store.models import (
    Event,
    Group,
    NormalizedRecord,
    Person,
    Rating,
    Ticket,
    TimeEntry,
    Unmapped,
    VendorMetrics,
)

STATE = {"open": "open", "closed": "solved", "snoozed": "on_hold"}
ROLE = {"admin": "agent", "user": "customer", "lead": "customer", "contact": "customer",
        "bot": "bot", "team": "agent"}
OPENED_BY = {"customer_initiated": "customer", "admin_initiated": "agent",
             "automated": "bot", "operator_initiated": "bot", "campaigns_initiated": "bot"}
CHANNEL = {"conversation": "chat", "email": "email", "push": "messaging",
           "facebook": "social", "twitter": "social", "instagram": "social",
           "phone_call": "phone", "sms": "messaging", "whatsapp": "messaging"}
STATUS_PARTS = {"open": "open", "close": "solved", "snoozed": "on_hold",
                "unsnoozed": "open", "timer_unsnooze": "open"}  # a snooze ended: open again
# parts that carry nothing a KPI reads yet; any other unknown part type is reported
QUIET_PARTS = frozenset({"participant_added", "participant_removed", "title_changed",
                         "language_detection_details", "conversation_rating_changed",
                         "conversation_rating_remark_added", "custom_action_started",
                         "custom_action_finished", "operator_workflow_event",
                         "sla_applied_by_rule", "conversation_sla_target_missed"})
ASSIGNMENTS = ("assignment", "default_assignment", "away_mode_assignment", "assign_and_reopen",
               "assign_and_unsnooze")


def moment(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"expected unix seconds, got {value!r}"
        raise TypeError(msg)
    return datetime.fromtimestamp(value, UTC)


def parts_count(raw: dict[str, Any]) -> int | None:
    count = (raw.get("statistics") or {}).get("count_conversation_parts")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def assigned(raw: dict[str, Any]) -> tuple[str | None, str | None]:
    """(admin, team) the conversation is assigned to. REST 2.x sends `admin_assignee_id` and
    `team_assignee_id` (numbers); older versions and webhooks send one `assignee` object,
    `{"type": "admin" | "team" | "nobody_admin", "id": …}`. Both are read, the ids first;
    0 is Intercom's "nobody" (its assign request takes `assignee_id: 0` to unassign)."""
    admin, team = _assignee_id(raw.get("admin_assignee_id")), _assignee_id(
        raw.get("team_assignee_id"))
    other = raw.get("assignee") if isinstance(raw.get("assignee"), dict) else {}
    if other.get("type") == "admin" and admin is None:
        admin = _assignee_id(other.get("id"))
    elif other.get("type") == "team" and team is None:
        team = _assignee_id(other.get("id"))
    return admin, team


def _assignee_id(value: Any) -> str | None:
    text = _text(value)
    return None if text in (None, "", "0") else text


def _opening(raw: dict[str, Any]) -> dict[str, Any]:
    """The opening message: `source` (REST 2.x) or `conversation_message` (1.x, webhooks)."""
    for key in ("source", "conversation_message"):
        if isinstance(raw.get(key), dict):
            return raw[key]
    return {}


def _requester(raw: dict[str, Any], author: dict[str, Any]) -> str | None:
    """The contact who wrote the opening message, else the first contact listed (`contacts`
    in 2.x, `user` in 1.x)."""
    if author.get("type") in ("user", "lead", "contact"):
        return _text(author.get("id"))
    contacts = (raw.get("contacts") or {}).get("contacts") or []
    if contacts and isinstance(contacts[0], dict):
        return _text(contacts[0].get("id"))
    user = raw.get("user") if isinstance(raw.get("user"), dict) else {}
    return _text(user.get("id"))


def conversation_records(raw: dict[str, Any], *, with_parts: bool,
                         seen: int | None = None) -> list[NormalizedRecord]:
    """A conversation from search (no parts: `seen` is the part count already stored) or
    from `GET /conversations/{id}` (`with_parts`: the parts become events)."""
    cid = str(raw["id"])
    source = _opening(raw)
    author = source.get("author") if isinstance(source.get("author"), dict) else {}
    requester = _requester(raw, author)
    admin, team = assigned(raw)
    returned = raw.get("conversation_parts") or {}
    listed = returned.get("conversation_parts") or []
    count = parts_count(raw)
    # Intercom returns the 500 most recent parts; its statistics count them all
    truncated = with_parts and count is not None and count > max(
        len(listed), returned.get("total_count") or 0)
    ticket = Ticket(
        id=cid, subject=raw.get("title") or source.get("subject") or None,
        status=STATE.get(raw.get("state"), "open"),  # type: ignore[arg-type]
        vendor_status=raw.get("state") if raw.get("state") not in ("open",) else None,
        priority="high" if raw.get("priority") == "priority" else "normal",
        channel=CHANNEL.get(source.get("type"), "other"),  # type: ignore[arg-type]
        requester_id=requester, assignee_id=admin, group_id=team,
        tags=[t.get("name") for t in (raw.get("tags") or {}).get("tags") or []
              if isinstance(t, dict) and t.get("name")],
        created_at=moment(raw["created_at"]), updated_at=moment(raw["updated_at"]),
        events_truncated=truncated, events_seen=count if with_parts else seen,
        raw={k: v for k, v in raw.items() if k != "conversation_parts"},
    )
    records: list[NormalizedRecord] = [ticket, *conversation_notes(cid, raw, source)]
    if isinstance(raw.get("statistics"), dict):
        records.append(VendorMetrics(ticket_id=cid, metrics=raw["statistics"]))
        records += handling_time(cid, raw["statistics"], ticket.updated_at, admin)
    if isinstance(raw.get("conversation_rating"), dict) and \
            raw["conversation_rating"].get("rating") is not None:
        records.append(rating_record(cid, raw["conversation_rating"]))
    if with_parts:
        records += opening_events(cid, ticket.created_at, source, author, ticket.channel)
        for part in listed:
            if isinstance(part, dict):
                records += part_events(cid, part) + part_notes(cid, part)
    return records


def conversation_notes(cid: str, raw: dict[str, Any], source: dict[str, Any]) -> list[Unmapped]:
    """The conversation's state and source type when deskpulse has no meaning for them."""
    notes = []
    if raw.get("state") is not None and raw.get("state") not in STATE:
        notes.append(Unmapped(kind="state", value=str(raw["state"]), record_type="ticket",
                              record_id=cid, field="conversation.state",
                              effect="counted as open", fix=REPORT_UNMAPPED))
    if source.get("type") is not None and source.get("type") not in CHANNEL:
        notes.append(Unmapped(kind="channel", value=str(source["type"]), record_type="ticket",
                              record_id=cid, field="conversation.source.type",
                              effect="counted as channel other", fix=REPORT_UNMAPPED))
    return notes + opening_notes(cid, source)


def opening_notes(cid: str, source: dict[str, Any]) -> list[Unmapped]:
    """The opening message's author type and `delivered_as` when deskpulse does not know
    them: who opened the conversation decides whether its clock starts (a customer) or not."""
    author = source.get("author") if isinstance(source.get("author"), dict) else {}
    return _unknown(author.get("type"), ROLE, "author_type", "ticket", cid,
                    "conversation.source.author.type",
                    "the opener's role comes from delivered_as, else the synced people") + \
        _unknown(source.get("delivered_as"), OPENED_BY, "delivered_as", "ticket", cid,
                 "conversation.source.delivered_as",
                 "not read (the opener's role comes from its author)")


def _unknown(value: Any, known: Any, kind: str, record_type: str, record_id: str,
             field: str, effect: str) -> list[Unmapped]:
    """One unmapped note when a value is given and deskpulse does not know it."""
    if value is None or value in known:
        return []
    return [Unmapped(kind=kind, value=str(value), record_type=record_type,
                     record_id=record_id, field=field, effect=effect, fix=REPORT_UNMAPPED)]


def handling_time(cid: str, statistics: dict[str, Any], at: datetime,
                  admin: Any) -> list[NormalizedRecord]:
    """Intercom's own handle time (`statistics.handling_time`, API 2.14+: the time the
    conversation was open and assigned to a teammate) as the conversation's one time entry,
    so handle-time figures exist for Intercom too. Older API versions send none: no entry."""
    seconds = statistics.get("handling_time")
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        return []
    return [TimeEntry(id=f"{cid}-handling-time", ticket_id=cid, agent_id=admin,
                      seconds=seconds, at=at, note="Intercom statistics.handling_time")]


def opening_events(cid: str, at: datetime, source: dict[str, Any], author: dict[str, Any],
                   channel: str) -> list[Event]:
    """The conversation's creation and its first message, by whoever started it."""
    role = ROLE.get(author.get("type", "")) or OPENED_BY.get(source.get("delivered_as", ""))
    events = [Event(id=f"{cid}-created", ticket_id=cid, at=at, kind="created",
                    actor_id=author.get("id"), actor_role=role, new_value="open")]  # type: ignore[arg-type]
    if source.get("body") is not None or source.get("id") is not None:
        events.append(Event(id=f"{cid}-source", ticket_id=cid, at=at, kind="message",
                            public=True, actor_id=author.get("id"), actor_role=role,  # type: ignore[arg-type]
                            channel=channel, body=source.get("body")))
    return events


def part_events(cid: str, part: dict[str, Any]) -> list[Event]:
    """One part → its events: a message, a note, an assignment, a status change, an
    attribute update, or nothing (other part types carry no KPI meaning yet)."""
    kind, pid = part.get("part_type"), str(part["id"])
    author = part.get("author") if isinstance(part.get("author"), dict) else {}
    role = ROLE.get(author.get("type", ""))
    common = {"ticket_id": cid, "at": moment(part["created_at"]), "actor_id": author.get("id"),
              "actor_role": role}
    body = part.get("body")
    events: list[Event] = []
    if kind == "comment":
        events.append(Event(id=pid, kind="message", public=True, body=body, **common))
    elif kind == "note":
        events.append(Event(id=pid, kind="note", public=False, body=body, **common))
    elif kind in ASSIGNMENTS:
        target = part.get("assigned_to")
        if isinstance(target, dict):  # null: "no change in assignment" (API 2.11)
            field = "group" if target.get("type") == "team" else "assignee"
            events.append(Event(id=pid, kind=field, new_value=_assignee_id(target.get("id")),
                                **common))
        if body:  # assign-and-reply: the reply is a message too
            events.append(Event(id=f"{pid}-reply", kind="message", public=True, body=body,
                                **common))
    elif str(kind).startswith("conversation_attribute_updated"):
        details = part.get("event_details")
        events.append(Event(id=pid, kind="attribute", new_value=json.dumps(
            details, sort_keys=True) if details else None, **common))
    if kind in STATUS_PARTS or kind in ("assign_and_reopen",):
        events.append(Event(id=f"{pid}-status", kind="status",
                            new_value=STATUS_PARTS.get(kind, "open"), **common))
    return events


def part_notes(cid: str, part: dict[str, Any]) -> list[Unmapped]:
    """A part whose type or author type deskpulse does not know (its events are missing or
    have no role: say so rather than let a reply or a status change vanish)."""
    kind, pid = part.get("part_type"), str(part["id"])
    author = part.get("author") if isinstance(part.get("author"), dict) else {}
    notes = []
    if kind not in ("comment", "note", *ASSIGNMENTS, *STATUS_PARTS, *QUIET_PARTS) and \
            not str(kind).startswith("conversation_attribute_updated"):
        notes.append(Unmapped(kind="part_type", value=str(kind), record_type="part",
                              record_id=pid, field="conversation_part.part_type",
                              effect=f"not read (conversation {cid}'s KPIs may miss it)",
                              fix=REPORT_UNMAPPED))
    return notes + _unknown(author.get("type"), ROLE, "author_type", "event", pid,
                            "conversation_part.author.type",
                            "its author's role is looked up among the synced people")


def rating_record(cid: str, raw: dict[str, Any]) -> Rating:
    """`conversation_rating`: 1–5 stars; 4 and 5 are positive (kpi-catalog.md CSAT)."""
    value = raw["rating"]
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"conversation_rating.rating must be 1-5, got {value!r}"
        raise TypeError(msg)
    return Rating(id=f"{cid}-rating", ticket_id=cid, at=moment(raw["created_at"]),
                  score=str(value), scale="1-5", positive=value >= 4,
                  comment=raw.get("remark") or None, kind="csat")


def admin_records(raw: dict[str, Any]) -> list[NormalizedRecord]:
    return [Person(id=raw["id"], role="agent", name=raw.get("name"), email=raw.get("email"))]


def team_records(raw: dict[str, Any]) -> list[NormalizedRecord]:
    return [Group(id=raw["id"], name=raw.get("name"))]


def contact_records(raw: dict[str, Any]) -> list[NormalizedRecord]:
    companies = (raw.get("companies") or {}).get("data") or []
    org = companies[0].get("id") if companies and isinstance(companies[0], dict) else None
    return [Person(id=raw["id"], role="customer", name=raw.get("name"),
                   email=raw.get("email"), organization_id=org)]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
