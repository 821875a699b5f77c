"""Zendesk JSON → normalized records. Pure functions; the streams live in
`connectors.zendesk.streams`.

Field names and values: developer.zendesk.com/api-reference/ticketing/tickets/tickets/ and
vendor-apis.md §1.4–1.5. The layout of incremental ticket-event children is documented only by
example, so both layouts seen in the wild are read: field-named keys
(`{"status": "open", "previous_value": "new", "event_type": "Change"}`) and the audit layout
(`{"field_name": "status", "value": "open", "previous_value": "new", "type": "Change"}`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from deskpulse.connectors.engine.validate import REPORT_UNMAPPED
from deskpulse.connectors.zones import ZONE_FIX, iana, resolve
from deskpulse.store.models import (
    BusinessSchedule,
    Event,
    Group,
    NormalizedRecord,
    Person,
    Rating,
    RatingHalf,
    RatingMoment,
    Rejected,
    Ticket,
    TimeEntry,
    Unmapped,
    VendorMetrics,
)

STATUS = {"new": "new", "open": "open", "pending": "pending", "hold": "on_hold",
          "solved": "solved", "closed": "closed"}
CHANNEL = {"web": "web", "email": "email", "api": "api", "voice": "phone", "chat": "chat",
           "twitter": "social", "facebook": "social", "any_channel": "social",
           "instagram_dm": "social", "native_messaging": "messaging", "whatsapp": "messaging",
           "sunshine_conversations_api": "messaging", "mobile_sdk": "messaging",
           "web_widget": "web", "mobile": "messaging", "sms": "messaging",
           # via types (developer.zendesk.com/documentation/ticketing/reference-guides/via-types)
           "mail": "email", "web_form": "web", "web_service": "api", "helpcenter": "web",
           "voicemail": "phone", "phone_call_inbound": "phone", "phone_call_outbound": "phone",
           "api_voicemail": "phone", "api_phone_call_inbound": "phone",
           "api_phone_call_outbound": "phone", "chat_transcript": "chat",
           "chat_offline_message": "chat", "twitter_dm": "social", "twitter_favorite": "social",
           "facebook_post": "social", "facebook_message": "social",
           "sunshine_conversations_facebook_messenger": "social",
           "sunshine_conversations_twitter_dm": "social", "line": "messaging",
           "wechat": "messaging", "telegram": "messaging", "viber": "messaging",
           "kakaotalk": "messaging", "apple_business_chat": "messaging",
           "google_business_messages": "messaging", "google_rcs": "messaging",
           "messagebird_sms": "messaging", "twilio_sms": "messaging", "text_message": "messaging",
           # the tickets Zendesk itself puts in a new account: no customer channel at all
           "sample_ticket": "other", "sample_interactive_ticket": "other"}
ANSWERED = {"good": True, "bad": False}  # Zendesk's answered scores; offered/unoffered: none
ROLE = {"end-user": "customer", "agent": "agent", "admin": "admin"}
DELETED = "deleted"  # a status in Zendesk; in deskpulse a `deleted` event and flag
SYSTEM_USER = -1  # Zendesk's id for triggers, automations and other business rules
WEEK = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
FIELD_KIND = {"status": "status", "assignee_id": "assignee", "group_id": "group",
              "priority": "priority", "tags": "tags"}
# ticket-event children that carry nothing a KPI reads; any other unknown type is reported
QUIET_CHILDREN = frozenset({"Notification", "Cc", "Error", "External", "Push", "Tweet",
                            "FacebookEvent", "TicketSharingEvent",
                            "OrganizationActivity", "AgentMacroReference", "Audit",
                            "CommentRedactionEvent", "AttachmentRedactionEvent",
                            "CommentPrivacyChange", "SMS", "LogMeInTranscript"})
# comment-like children (Ticket Audit events reference): a message or a note like `Comment`,
# on the channel they came through (a phone call's VoiceComment: `data` holds the call)
COMMENTS = {"Comment": None, "VoiceComment": "voice", "FacebookComment": "facebook"}


def _status(value: Any) -> str | None:
    return None if value is None else STATUS.get(str(value), str(value))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _channel_name(via: Any) -> str:
    return str(via.get("channel") if isinstance(via, dict) else via)


def _channel(via: Any) -> str:
    return CHANNEL.get(_channel_name(via), "other")


def deletion_id(ticket_id: Any) -> str:
    """One `deleted` event per ticket, whether the ticket export (status "deleted") or the
    audit that deleted it says so first: both write this id, so it is never doubled."""
    return f"deleted-{ticket_id}"


def ticket_records(
    raw: dict[str, Any], metric_set: dict[str, Any] | None, time_spent_field: int | None = None,
    ratings: bool = False,
) -> list[NormalizedRecord]:
    """A ticket, its deletion, Zendesk's metrics, its time spent and (`ratings`: ratings are
    read from the exports) the id/score/comment half of its answered rating."""
    vendor_status = raw.get("status")
    deleted = vendor_status == "deleted"
    status = "closed" if deleted else _status(vendor_status)
    ticket = Ticket(
        id=raw["id"], subject=raw.get("subject"), status=status,
        vendor_status=vendor_status if vendor_status != status else None,
        priority=raw.get("priority"), channel=_channel(raw.get("via")), type=raw.get("type"),
        requester_id=raw.get("requester_id"), assignee_id=raw.get("assignee_id"),
        group_id=raw.get("group_id"), organization_id=raw.get("organization_id"),
        tags=raw.get("tags") or [], created_at=raw["created_at"], updated_at=raw["updated_at"],
        solved_at=(metric_set or {}).get("solved_at"), deleted=deleted, raw=raw,
    )
    records: list[NormalizedRecord] = [ticket]
    if raw.get("via") is not None and _channel_name(raw.get("via")) not in CHANNEL:
        records.append(Unmapped(kind="channel", value=_channel_name(raw.get("via")),
                                record_type="ticket", record_id=ticket.id,
                                field="ticket.via.channel", effect="counted as channel other",
                                fix=REPORT_UNMAPPED))
    if deleted:
        records.append(Event(id=deletion_id(ticket.id), ticket_id=ticket.id,
                             at=ticket.updated_at, kind="deleted", new_value=DELETED))
    if metric_set is not None:
        records.append(VendorMetrics(ticket_id=ticket.id, metrics=metric_set))
    if time_spent_field is not None:
        records += time_spent(ticket, raw, time_spent_field)
    if ratings:
        records += rating_half(ticket.id, raw.get("satisfaction_rating"))
    return records


def rating_half(ticket_id: str, rating: Any) -> list[NormalizedRecord]:
    """The ticket export's `satisfaction_rating`, when answered: the rating's id, score and
    comment (its time comes from the `SatisfactionRating` event: store.rating_join).
    `unoffered`, and `null` on plans without CSAT, are no rating. An offered survey carries no
    id there (recorded: fixtures/zendesk/ratings_offered_ticket.json), so offered surveys are
    read from the ratings list (`score=offered`, connectors.zendesk.streams)."""
    if not isinstance(rating, dict) or rating.get("score") not in ANSWERED:
        return []
    score = str(rating["score"])
    if rating.get("id") is None:
        return [Unmapped(kind="rating", value=score, record_type="ticket", record_id=ticket_id,
                         field="ticket.satisfaction_rating.id",
                         effect="rating not stored: the ticket export gave no rating id",
                         fix='set ratings = "list" for this source (README, Configuration)')]
    return [RatingHalf(id=rating["id"], ticket_id=ticket_id, score=score, scale="good_bad",
                       positive=ANSWERED[score], comment=rating.get("comment"))]

def time_spent(ticket: Ticket, raw: dict[str, Any], field_id: int) -> list[NormalizedRecord]:
    """The Time Tracking app keeps a ticket's total seconds in a custom field: that total is
    the ticket's one time entry (handle time). No value, or 0: no entry, never a 0. A value
    that is no number becomes a dead letter of its own; the ticket is kept."""
    value = next((f.get("value") for f in raw.get("custom_fields") or []
                  if isinstance(f, dict) and f.get("id") == field_id), None)
    try:
        seconds = int(value) if value not in (None, "") else 0
    except (TypeError, ValueError):
        return [Rejected(error=f"custom field {field_id} (time spent) is not a number of "
                               f"seconds: {value!r}",
                         payload={"ticket_id": ticket.id, "custom_field": field_id})]
    if seconds <= 0:
        return []
    return [TimeEntry(id=f"{ticket.id}-time-spent", ticket_id=ticket.id,
                      agent_id=ticket.assignee_id, seconds=seconds, at=ticket.updated_at,
                      note=f"Time Tracking field {field_id}")]


def person_records(raw: dict[str, Any]) -> list[NormalizedRecord]:
    role = ROLE.get(raw.get("role", ""), raw.get("role"))
    active = bool(raw.get("active", True)) and not raw.get("suspended", False)
    return [Person(id=raw["id"], role=role, name=raw.get("name"), email=raw.get("email"),
                   organization_id=raw.get("organization_id"),
                   time_zone=raw.get("iana_time_zone") or raw.get("time_zone"), active=active)]


def group_records(raw: dict[str, Any]) -> list[NormalizedRecord]:
    return [] if raw.get("deleted") else [Group(id=raw["id"], name=raw.get("name"))]


def schedule_records(raw: dict[str, Any]) -> list[NormalizedRecord]:
    """A business-hours schedule: intervals are minutes from Sunday 00:00, local time;
    `holidays` (read from the schedule's own endpoint) are whole local days, inclusive."""
    hours: dict[str, list[str]] = {}
    for interval in raw.get("intervals") or []:
        start, end = int(interval["start_time"]), int(interval["end_time"])
        midnight = start // 1440 * 1440
        hours.setdefault(WEEK[(start // 1440) % 7], []).append(
            f"{_clock(start - midnight)}-{_clock(end - midnight)}")
    holidays = [f"{day['start_date']}..{day.get('end_date') or day['start_date']}"
                for day in raw.get("holidays") or []]
    schedule = BusinessSchedule(id=raw["id"], name=raw.get("name"),
                                time_zone=iana(raw.get("time_zone")), hours=hours,
                                holidays=holidays)
    if resolve(raw.get("time_zone")) is not None:
        return [schedule]
    return [schedule, Unmapped(
        kind="time_zone", value=str(raw.get("time_zone")), record_type="schedule",
        record_id=schedule.id, field="schedule.time_zone", fix=ZONE_FIX,
        effect=f"schedule {schedule.name!r} ({schedule.id}) cannot time business hours")]


def _clock(minutes: int) -> str:
    """Minutes into a day as HH:MM; the end of the day as 23:59:59 (a time has no 24:00)."""
    return "23:59:59" if minutes >= 1440 else f"{minutes // 60:02d}:{minutes % 60:02d}"


def rating_records(raw: dict[str, Any]) -> list[NormalizedRecord]:
    """A rating of `/satisfaction_ratings`, whole (id, score, comment, time)."""
    score = raw["score"]
    positive = ANSWERED.get(score)
    return [Rating(id=raw["id"], ticket_id=raw.get("ticket_id"),
                   at=raw.get("updated_at") or raw["created_at"], score=score, scale="good_bad",
                   positive=positive, comment=raw.get("comment"), kind="csat")]


def audit_records(audit: dict[str, Any]) -> list[NormalizedRecord]:
    """One ticket audit → created/message/note/change events. The incremental ticket-event
    export names its children `child_events` and the actor `updater_id`; the audits API
    (`/ticket_audits`) names them `events` and `author_id`: both are read."""
    ticket_id = audit["ticket_id"]
    actor = audit.get("updater_id", audit.get("author_id"))
    at = audit.get("created_at") or datetime.fromtimestamp(audit["timestamp"], UTC)
    via = _text(audit.get("via").get("channel") if isinstance(audit.get("via"), dict)
                else audit.get("via"))
    children = [c for c in audit.get("child_events", audit.get("events")) or []
                if isinstance(c, dict)]
    common = {"ticket_id": ticket_id, "channel": via}
    records: list[NormalizedRecord] = []
    creates = [c for c in children if _kind(c) == "Create"]
    if creates:
        initial = next((value for field, value, _old in map(_field_change, creates)
                        if field == "status"), "new")
        records.append(Event(id=audit["id"], at=at, kind="created", actor_id=actor,
                             actor_role=_role(actor), new_value=_status(initial), **common))
        for child in creates:  # initial assignee/group/priority: a change from nothing
            field, value, _old = _field_change(child)
            if field in FIELD_KIND and field != "status" and value not in (None, []):
                records.append(Event(id=child["id"], at=at, kind=FIELD_KIND[field],
                                     actor_id=actor, actor_role=_role(actor),
                                     new_value=_text(value), **common))
    for child in children:
        if _kind(child) not in ("Create", "Change", "SatisfactionRating", *COMMENTS,
                                *QUIET_CHILDREN):
            records.append(Unmapped(
                kind="event_type", value=str(_kind(child)), record_type="event",
                record_id=child.get("id") or audit["id"], field="audit.child_events.event_type",
                effect=f"not read (ticket {ticket_id}'s KPIs may miss it)", fix=REPORT_UNMAPPED))
        if _kind(child) in COMMENTS:
            records.append(_comment(child, at, actor, common))
        elif _kind(child) == "SatisfactionRating" and child.get("score") is not None:
            # when the ticket was rated (the audit's time): the rating's other half
            records.append(RatingMoment(
                id=child.get("id") or f"{audit['id']}-rating", ticket_id=ticket_id,
                at=child.get("created_at") or at, score=str(child["score"]),
                comment=child.get("body")))
        elif _kind(child) == "Change":
            field, new, old = _field_change(child)
            if field == "status" and DELETED in (new, old):
                records.append(_deletion(child, ticket_id, at, actor, new, old, common))
            elif field in FIELD_KIND:
                convert = _status if field == "status" else _text
                records.append(Event(
                    id=child["id"], at=at, kind=FIELD_KIND[field], actor_id=actor,
                    actor_role=_role(actor), old_value=convert(old), new_value=convert(new),
                    **common))
    return records


def _comment(child: dict[str, Any], at: Any, actor: Any, common: dict[str, Any]) -> Event:
    """A comment, voice comment or Facebook comment: a message when public, else a note,
    by its own author (the audit's actor when it names none)."""
    author = child.get("author_id", actor)
    public = bool(child.get("public"))
    own = child.get("via")  # a child names its own channel when it differs from the audit's
    channel = _text(own.get("channel") if isinstance(own, dict) else own) or \
        COMMENTS[str(_kind(child))] or common["channel"]
    return Event(id=child["id"], at=child.get("created_at") or at,
                 kind="message" if public else "note", public=public, actor_id=author,
                 actor_role=_role(author), body=child.get("plain_body") or child.get("body"),
                 ticket_id=common["ticket_id"], channel=channel)


def _deletion(child: dict[str, Any], ticket_id: Any, at: Any, actor: Any, new: Any, old: Any,
              common: dict[str, Any]) -> Event:
    """Zendesk's status "deleted" is no status: a deletion is the ticket's `deleted` event
    (old_value: the status it had), a restore a `deleted` event with new_value "restored"
    (old_value: "deleted"). Neither moves the status timeline the KPIs read."""
    restored = old == DELETED
    return Event(id=child["id"] if restored else deletion_id(ticket_id), at=at,
                 kind="deleted", actor_id=actor, actor_role=_role(actor),
                 old_value=DELETED if restored else _status(old),
                 new_value="restored" if restored else DELETED, **common)


def _kind(child: dict[str, Any]) -> str | None:
    return child.get("event_type") or child.get("type")


def _role(actor: Any) -> str | None:
    return "system" if actor in (SYSTEM_USER, str(SYSTEM_USER)) else None


def _field_change(child: dict[str, Any]) -> tuple[str | None, Any, Any]:
    if "field_name" in child:
        return child["field_name"], child.get("value"), child.get("previous_value")
    for field in FIELD_KIND:
        if field in child:
            return field, child[field], child.get("previous_value")
    return None, None, None
