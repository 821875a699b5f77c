"""Normalized records: what every connector produces and every other part reads.

Connectors validate vendor JSON once, into these models (pydantic at the border); the store
writes them as rows and nothing downstream ever sees vendor dicts again, except in `raw`.
Ids are text for every vendor (Intercom ids are strings, Zendesk's are integers), and every
timestamp is an aware UTC datetime, written to SQLite as ISO-8601 `YYYY-MM-DDTHH:MM:SSZ`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

TicketStatus = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
Priority = Literal["low", "normal", "high", "urgent"]
Channel = Literal["email", "web", "chat", "phone", "social", "api", "messaging", "other"]
EventKind = Literal[
    "created", "message", "note", "status", "assignee", "group", "priority", "tags", "merge",
    "rating", "deleted", "attribute",
]
ActorRole = Literal["agent", "customer", "bot", "system"]
PersonRole = Literal["agent", "customer", "bot", "admin"]
RatingKind = Literal["csat", "nps", "ces"]
# The channel of a satisfaction survey's feedback message: a customer message that must not
# open a reply cycle (kpi-catalog.md §4; Freshdesk sends it as a conversation).
SURVEY_FEEDBACK_CHANNEL = "survey feedback"


def _id_text(value: Any) -> Any:
    """Vendors send ids as numbers or strings; the store keeps text (Zendesk 123 == '123')."""
    if isinstance(value, bool):
        msg = "an id cannot be a boolean"
        raise ValueError(msg)
    if isinstance(value, int):
        return str(value)
    return value


Id = Annotated[str, BeforeValidator(_id_text)]
OptionalId = Annotated[str | None, BeforeValidator(_id_text)]


def utc(value: datetime) -> datetime:
    """Normalize any aware datetime to UTC; naive datetimes are refused (their zone is a guess)."""
    if value.tzinfo is None:
        msg = "timestamp has no time zone"
        raise ValueError(msg)
    if value.tzinfo is UTC and not value.microsecond:
        return value  # already normalized (a record's field handed to another record)
    return value.astimezone(UTC).replace(microsecond=0)


def iso(value: datetime | None) -> str | None:
    """The one text form of a timestamp in the SQLite file: `2026-11-22T10:15:00Z`."""
    if value is None:
        return None
    if value.tzinfo is UTC and not value.microsecond and value.year >= 1000:
        # what every record field already is (see `utc`): C-fast isoformat, no re-normalizing
        return value.isoformat()[:19] + "Z"
    return utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


# Every timestamp field: parsed by pydantic, then normalized to whole-second UTC (a field
# type rather than a validator on every field: this runs on each record of a backfill).
UtcDatetime = Annotated[datetime, AfterValidator(utc)]


class Record(BaseModel):
    """Base of every normalized record: strict about what we use, ignorant of what we don't."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Ticket(Record):
    id: Id
    subject: str | None = None
    status: TicketStatus
    vendor_status: str | None = None
    priority: Priority | None = None
    channel: Channel = "other"
    type: str | None = None
    requester_id: OptionalId = None
    assignee_id: OptionalId = None
    group_id: OptionalId = None
    organization_id: OptionalId = None
    tags: list[str] = []
    created_at: UtcDatetime
    updated_at: UtcDatetime
    solved_at: UtcDatetime | None = None
    closed_at: UtcDatetime | None = None
    deleted: bool = False
    events_truncated: bool = False  # the vendor returned only part of the history (Intercom)
    events_seen: int | None = None  # the vendor's count of history items when last read
    raw: dict[str, Any] = {}


class Event(Record):
    """One thing that happened on a ticket: a message, a note, or a field change."""

    id: Id
    ticket_id: Id
    at: UtcDatetime
    kind: EventKind
    actor_id: OptionalId = None
    actor_role: ActorRole | None = None  # None: resolved from `people` by the KPI module
    public: bool = False
    channel: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    body: str | None = None


class Person(Record):
    id: Id
    role: PersonRole
    name: str | None = None
    email: str | None = None
    organization_id: OptionalId = None
    time_zone: str | None = None
    active: bool = True


class Group(Record):
    id: Id
    name: str | None = None
    schedule_id: OptionalId = None  # the business hours its tickets follow, if the vendor says


class Rating(Record):
    id: Id
    ticket_id: OptionalId = None
    at: UtcDatetime
    score: str
    scale: str
    positive: bool | None = None
    comment: str | None = None
    kind: RatingKind = "csat"


class RatingHalf(Record):
    """What a ticket export says of the ticket's answered rating: the rating's id, score and
    comment, but not when it was given (Zendesk `satisfaction_rating`). The store keeps it
    and writes the `ratings` row once a `RatingMoment` of the same ticket and score gives the
    time (store.rating_join), whichever of the two arrives first."""

    id: Id
    ticket_id: Id
    score: str
    scale: str
    positive: bool  # an answered rating: good or bad
    comment: str | None = None
    kind: RatingKind = "csat"


class RatingMoment(Record):
    """When a ticket was rated, and with which score: the other half of a `RatingHalf`
    (Zendesk's `SatisfactionRating` audit event; its time is its audit's)."""

    id: Id  # the audit event's id
    ticket_id: Id
    at: UtcDatetime
    score: str
    comment: str | None = None


class VendorMetrics(Record):
    """The vendor's own computed figures for a ticket (the oracle `deskpulse verify` uses)."""

    ticket_id: Id
    metrics: dict[str, Any]


class TimeEntry(Record):
    """Time an agent logged on a ticket (Freshdesk time entries): the input of handle time."""

    id: Id
    ticket_id: OptionalId = None
    agent_id: OptionalId = None
    seconds: int
    billable: bool | None = None
    at: UtcDatetime  # when the work was done (the vendor's executed_at / start)
    note: str | None = None


class BusinessSchedule(Record):
    """A vendor's business-hours definition, as the vendor keeps it.

    `hours` maps mon..sun to "HH:MM-HH:MM" ranges in `time_zone` (an IANA name when the
    vendor's label could be translated, else the vendor's own label).
    """

    id: Id
    name: str | None = None
    time_zone: str | None = None
    is_default: bool = False
    hours: dict[str, list[str]] = {}
    holidays: list[str] = []
    seen_at: UtcDatetime | None = None  # when a sync read it: a change starts a new version


class SlaCondition(Record):
    """One condition of a vendor SLA policy, in deskpulse's terms: `field` is a `tickets`
    column (priority, group_id, channel, type, tags, organization_id, requester_id,
    assignee_id) or `vendor:field` for one deskpulse cannot evaluate; `values` as text."""

    field: str
    op: str  # is | is_not | includes | not_includes | less_than | greater_than | …
    values: list[str] = []


class SlaConditions(Record):
    """`all` must all hold; `any`, when not empty, needs one (Zendesk's filter)."""

    all: list[SlaCondition] = []
    any: list[SlaCondition] = []


class SlaPolicyTarget(Record):
    """One target of a policy: `metric` a deskpulse SLA metric (kpi.sla_policy.METRICS) or the
    vendor's own name (`vendor:name`) when deskpulse has no such metric."""

    metric: str
    priority: Priority
    seconds: int
    business: bool = False


class SlaPolicy(Record):
    """A vendor SLA policy. `position` orders them: a ticket gets the first one it matches."""

    id: Id
    title: str | None = None
    position: int
    active: bool = True
    conditions: SlaConditions = SlaConditions()
    targets: list[SlaPolicyTarget] = []
    updated_at: UtcDatetime | None = None


class SlaPolicies(Record):
    """Every SLA policy of an account as read now: replaces what the store held for the
    source (a policy deleted at the vendor goes; an empty list leaves none)."""

    policies: list[SlaPolicy] = []


class SlaDeadline(Record):
    """A vendor's own due moment for one SLA metric of a ticket (Freshdesk `fr_due_by`…)."""

    metric: str
    due_at: UtcDatetime
    escalated: bool | None = None


class SlaDeadlines(Record):
    """A ticket's vendor due moments as read now: replaces the ticket's stored ones."""

    ticket_id: Id
    deadlines: list[SlaDeadline] = []


class Rejected(Record):
    """A vendor object that failed validation: kept as a dead letter, never silently dropped."""

    error: str
    payload: dict[str, Any] | list[Any] | str | None = None
    at: UtcDatetime | None = None
    record_id: str | None = None  # the vendor's id of the object, when it has one


class Unmapped(Record):
    """A vendor value deskpulse has no mapping for, seen on one record: stored per source
    (`unmapped`) and shown by `deskpulse status`, never silently defaulted or dropped.

    `record_type` is "ticket", "event", "person", "group" or "schedule" when the record is
    kept under that name (re-reading it replaces what was noted on it), else the vendor's
    own name for it ("part"). `effect` says what deskpulse did instead, `fix` what the user
    can do about it.
    """

    kind: str  # time_zone, status, priority, channel, role, part_type, …
    value: str
    record_type: str
    record_id: Id
    field: str  # where in the vendor's object: "schedule.time_zone", "ticket.source"
    effect: str
    fix: str | None = None


NormalizedRecord = (Ticket | Event | Person | Group | Rating | RatingHalf | RatingMoment
                    | VendorMetrics | TimeEntry | BusinessSchedule | SlaPolicies | SlaDeadlines
                    | Rejected | Unmapped)
