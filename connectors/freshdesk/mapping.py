"""Freshdesk JSON → normalized records. Pure functions; the streams live in
`connectors.freshdesk.streams`.

Field names and codes: developers.freshdesk.com/api/ (tickets, conversations, surveys, time
entries, business hours) and vendor-apis.md §2.4–2.5. Freshdesk exposes no status history:
`status_events` derives status events from the `stats` timestamps of each ticket as it is
seen. Their ids are built from (ticket, status, time), so the same observation upserts one
row and consecutive syncs add what changed in between (docs/freshdesk.md says what that
cannot see).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from deskpulse.connectors.engine.validate import REPORT_UNMAPPED
from deskpulse.connectors.zones import ZONE_FIX, iana, resolve
from deskpulse.store.models import (
    SURVEY_FEEDBACK_CHANNEL,
    BusinessSchedule,
    Event,
    Group,
    NormalizedRecord,
    Person,
    Rating,
    Ticket,
    TimeEntry,
    Unmapped,
    VendorMetrics,
    iso,
)

STATUS = {2: "open", 3: "pending", 4: "solved", 5: "closed"}
# A custom status (its own id) is the catalog's "on hold" unless the source maps it
# (`status_map = {"6" = "pending"}`): Freshdesk's default custom statuses stop the SLA timer.
CUSTOM_STATUS_DEFAULT = "on_hold"
PRIORITY = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
CHANNEL = {1: "email", 2: "web", 3: "phone", 4: "web", 5: "social", 6: "social", 7: "chat",
           8: "messaging", 9: "web", 10: "email", 11: "other", 12: "chat", 13: "messaging"}
OUTBOUND_EMAIL = 10
CONVERSATION_SOURCE = {0: "reply", 1: "email", 2: "note", 3: "created from tweet",
                       4: "created from survey", 5: "tweet", 6: SURVEY_FEEDBACK_CHANNEL,
                       7: "facebook", 8: "forwarded email", 9: "phone", 10: "ecommerce"}
PUBLIC_NOTE = 2
# Same-second derived status events apply in this order (a direct close sets resolved_at and
# closed_at to one moment: solved, then closed, so it is one resolution, not two).
STATUS_ORDER = {"open": 1, "pending": 2, "on_hold": 3, "solved": 4, "closed": 5}
DAYS = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
        "friday": "fri", "saturday": "sat", "sunday": "sun"}


def status_of(code: Any, status_map: dict[str, str]) -> tuple[str, str | None]:
    """(normalized status, vendor status when it differs) for a numeric Freshdesk status."""
    if str(code) in status_map:
        return status_map[str(code)], str(code)
    if isinstance(code, bool) or not isinstance(code, int):
        msg = f"status must be a number, got {code!r}"
        raise TypeError(msg)
    if code in STATUS:
        return STATUS[code], None
    return CUSTOM_STATUS_DEFAULT, str(code)


def ticket_records(raw: dict[str, Any], status_map: dict[str, str]) -> list[NormalizedRecord]:
    """A ticket (with `stats` when listed with include=stats), its creation, its opening
    message and the status events its stats reveal."""
    status, vendor_status = status_of(raw["status"], status_map)
    flagged = "spam" if raw.get("spam") else "deleted" if raw.get("deleted") else None
    stats = raw.get("stats") if isinstance(raw.get("stats"), dict) else {}
    ticket = Ticket(
        id=raw["id"], subject=raw.get("subject"),
        status="closed" if flagged else status, vendor_status=flagged or vendor_status,
        priority=PRIORITY.get(raw.get("priority")),  # type: ignore[arg-type]
        channel=CHANNEL.get(raw.get("source"), "other"),  # type: ignore[arg-type]
        type=raw.get("type"), requester_id=raw.get("requester_id"),
        assignee_id=raw.get("responder_id"), group_id=raw.get("group_id"),
        organization_id=raw.get("company_id"), tags=raw.get("tags") or [],
        created_at=raw["created_at"], updated_at=raw["updated_at"],
        solved_at=stats.get("resolved_at"), closed_at=stats.get("closed_at"),
        deleted=flagged is not None, raw=raw,
    )
    outbound = raw.get("source") == OUTBOUND_EMAIL
    opener = raw.get("responder_id") if outbound else raw.get("requester_id")
    role = "agent" if outbound else "customer"
    tid, at = ticket.id, ticket.created_at
    records: list[NormalizedRecord] = [
        ticket,
        Event(id=f"{tid}-created", ticket_id=tid, at=at, kind="created", actor_id=opener,
              actor_role=role, new_value="open"),
        # the description: the ticket's opening message (conversations hold only what follows)
        Event(id=f"{tid}-description", ticket_id=tid, at=at, kind="message", public=True,
              actor_id=opener, actor_role=role, channel=ticket.channel),
    ]
    records += ticket_notes(raw, tid, status_map)
    if flagged:
        records.append(Event(id=f"{tid}-{flagged}", ticket_id=tid, at=ticket.updated_at,
                             kind="deleted", new_value=flagged))
    elif stats:
        records.extend(status_events(tid, status, stats))
        records.append(VendorMetrics(ticket_id=tid, metrics={
            "created_at": iso(ticket.created_at), "source": raw.get("source"),
            "status": raw["status"], "stats": stats}))
    return records


def ticket_notes(raw: dict[str, Any], tid: str, status_map: dict[str, str]) -> list[Unmapped]:
    """The ticket's status, priority and source codes deskpulse has no meaning for."""
    notes = []
    code, priority, source = raw.get("status"), raw.get("priority"), raw.get("source")
    if str(code) not in status_map and code not in STATUS:
        notes.append(Unmapped(
            kind="status", value=str(code), record_type="ticket", record_id=tid,
            field="ticket.status", effect=f"a custom status, counted as {CUSTOM_STATUS_DEFAULT}",
            fix=f'say what it means in the source\'s config: status_map = {{ "{code}" = '
                '"pending" } (or open, on_hold, solved, closed)'))
    if priority is not None and priority not in PRIORITY:
        notes.append(Unmapped(kind="priority", value=str(priority), record_type="ticket",
                              record_id=tid, field="ticket.priority", effect="no priority",
                              fix=REPORT_UNMAPPED))
    if source is not None and source not in CHANNEL:
        notes.append(Unmapped(kind="channel", value=str(source), record_type="ticket",
                              record_id=tid, field="ticket.source",
                              effect="counted as channel other", fix=REPORT_UNMAPPED))
    return notes


def status_events(ticket_id: str, status: str, stats: dict[str, Any]) -> list[Event]:
    """The status changes `stats` proves: the latest reopen, pending spell, resolve, close,
    and the current status since `status_updated_at`."""
    seen = [("open", stats.get("reopened_at")), ("pending", stats.get("pending_since")),
            ("solved", stats.get("resolved_at")), ("closed", stats.get("closed_at")),
            (status, stats.get("status_updated_at"))]
    events: dict[str, Event] = {}
    for value, when in seen:
        if not when:
            continue
        moment = datetime.fromisoformat(str(when).replace("Z", "+00:00"))
        event = status_event(ticket_id, value, moment, "system")
        events[event.id] = event
    return list(events.values())


def status_event(ticket_id: Any, value: str, moment: Any, role: str) -> Event:
    """A derived status change; its id is (ticket, time, status), so every way of proving
    the same change (stats, a customer reply, the next sync) upserts one row."""
    at = moment if isinstance(moment, datetime) else datetime.fromisoformat(
        str(moment).replace("Z", "+00:00"))
    key = f"{ticket_id}-status-{int(at.timestamp())}-{STATUS_ORDER.get(value, 3)}"
    return Event(id=key, ticket_id=ticket_id, at=at, kind="status", new_value=value,
                 actor_role=role)  # type: ignore[arg-type]


def conversation_records(raw: dict[str, Any]) -> list[NormalizedRecord]:
    """A reply or note. `incoming` is the customer (the survey-feedback message included);
    anything else is an agent: a public reply or public note is a response, a private
    note is not."""
    incoming, private = bool(raw.get("incoming")), bool(raw.get("private"))
    public_note = not incoming and not private and raw.get("source") == PUBLIC_NOTE
    kind = "note" if private or public_note else "message"
    notes: list[NormalizedRecord] = [] if raw.get("source") in CONVERSATION_SOURCE else [
        Unmapped(kind="conversation_source", value=str(raw.get("source")), record_type="event",
                 record_id=raw["id"], field="conversation.source",
                 effect="its channel is other", fix=REPORT_UNMAPPED)]
    channel = CONVERSATION_SOURCE.get(raw.get("source"), "other")
    message = Event(id=raw["id"], ticket_id=raw["ticket_id"], at=raw["created_at"], kind=kind,
                    public=not private, actor_id=raw.get("user_id"),
                    actor_role="customer" if incoming else "agent", channel=channel,
                    body=raw.get("body_text"))
    if not incoming or private or channel == SURVEY_FEEDBACK_CHANNEL:
        return [*notes, message]
    # Freshdesk moves a ticket back to open whenever its customer replies ("Understanding
    # ticket statuses", support.freshdesk.com 37600): a pending spell that ended between two
    # syncs is seen here, where `stats` shows only the latest one.
    return [*notes, message, status_event(message.ticket_id, "open", message.at, "customer")]


def agent_records(raw: dict[str, Any]) -> list[NormalizedRecord]:
    contact = raw.get("contact") if isinstance(raw.get("contact"), dict) else {}
    return [Person(id=raw["id"], role="agent", name=contact.get("name"),
                   email=contact.get("email"), time_zone=contact.get("time_zone"),
                   active=bool(contact.get("active", True)))]


def contact_records(raw: dict[str, Any]) -> list[NormalizedRecord]:
    return [Person(id=raw["id"], role="customer", name=raw.get("name"), email=raw.get("email"),
                   organization_id=raw.get("company_id"), time_zone=raw.get("time_zone"),
                   active=bool(raw.get("active", True)) and not raw.get("deleted", False))]


def group_records(raw: dict[str, Any]) -> list[NormalizedRecord]:
    """A group and the business hours its tickets follow (Freshdesk: a ticket inherits its
    group's business hours, else the default ones)."""
    return [Group(id=raw["id"], name=raw.get("name"), schedule_id=raw.get("business_hour_id"))]


def survey_scale(survey: dict[str, Any]) -> str:
    """`freshdesk-3`, `-5` or `-7`: how many answers the default question accepts."""
    questions = [q for q in survey.get("questions") or [] if isinstance(q, dict)]
    default = next((q for q in questions if q.get("default")), questions[0] if questions else {})
    return f"freshdesk-{len(default.get('accepted_ratings') or []) or 3}"


def rating_records(raw: dict[str, Any], scales: dict[str, str]) -> list[NormalizedRecord]:
    """Freshdesk's default question: 101..103 happy, 100 neutral, -101..-103 unhappy.
    Positive means happy; neutral is answered and counts against (kpi-catalog.md CSAT)."""
    answers = raw["ratings"]
    value = answers.get("default_question", next(iter(answers.values()), None))
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"ratings.default_question must be a number, got {value!r}"
        raise TypeError(msg)
    return [Rating(id=raw["id"], ticket_id=raw.get("ticket_id"),
                   at=raw.get("updated_at") or raw["created_at"], score=str(value),
                   scale=scales.get(str(raw.get("survey_id")), "freshdesk-3"),
                   positive=value > 100, comment=raw.get("feedback"), kind="csat")]


def time_entry_records(raw: dict[str, Any]) -> list[NormalizedRecord]:
    seconds = raw.get("time_spent_in_seconds")
    if seconds is None:
        hours, minutes = str(raw["time_spent"]).split(":")
        seconds = int(hours) * 3600 + int(minutes) * 60
    return [TimeEntry(id=raw["id"], ticket_id=raw.get("ticket_id"), agent_id=raw.get("agent_id"),
                      seconds=seconds, billable=raw.get("billable"),
                      at=raw.get("executed_at") or raw.get("start_time") or raw["created_at"],
                      note=raw.get("note"))]


def business_hours_records(raw: dict[str, Any]) -> list[NormalizedRecord]:
    spans = {day: span for day, span in (raw.get("business_hours") or {}).items()
             if isinstance(span, dict)}
    hours = {_weekday(day): [f"{_clock(span['start_time'])}-{_clock(span['end_time'])}"]
             for day, span in spans.items() if _weekday(day)}
    label = raw.get("time_zone")
    schedule = BusinessSchedule(id=raw["id"], name=raw.get("name"), time_zone=iana(label),
                                is_default=bool(raw.get("is_default")), hours=hours)
    notes: list[NormalizedRecord] = [Unmapped(
        kind="weekday", value=str(day), record_type="schedule", record_id=schedule.id,
        field="business_hours.business_hours", fix=REPORT_UNMAPPED,
        effect=f"its hours are left out of business hours {schedule.name!r} ({schedule.id})")
        for day in spans if not _weekday(day)]
    if resolve(label) is not None:
        return [schedule, *notes]
    return [schedule, *notes, Unmapped(
        kind="time_zone", value=str(label), record_type="schedule", record_id=schedule.id,
        field="business_hours.time_zone", fix=ZONE_FIX,
        effect=f"business hours {schedule.name!r} ({schedule.id}) cannot time business hours")]


def _weekday(name: Any) -> str | None:
    """Freshdesk's weekday key ("monday"; any case, or "mon") → ours; None when unknown."""
    key = str(name).strip().lower()
    return DAYS.get(key) or (key if key in DAYS.values() else None)


def _clock(text: str) -> str:
    """'9:00 am' / '5:30 pm' / '17:30' → '09:00' / '17:30' / '17:30'."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*([ap]m)?\s*", str(text), re.IGNORECASE)
    if not match:
        msg = f"unreadable business-hours time {text!r}"
        raise ValueError(msg)
    hour, minute, half = int(match[1]), int(match[2]), (match[3] or "").lower()
    if half:
        hour = hour % 12 + (12 if half == "pm" else 0)
    return f"{hour:02d}:{minute:02d}"
