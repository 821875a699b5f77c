"""The KPI tables: per-ticket facts and the rollups built from them (docs/kpis.md)."""

from __future__ import annotations

from deskpulse.store.catalog import BOOL, COUNT, DAY, SECONDS, TS, Area, C, Column, R, Table, source

TICKET = R(("source", "ticket_id"), "tickets")
NOT_YET = "it has not happened yet"
NO_SCHEDULE = "no business schedule (configured or synced)"
TICKET_ID = C("ticket_id", "the ticket (`tickets.id`)")


def timed(stem: str, meaning: str, null: str = NOT_YET) -> tuple[Column, Column]:
    """A moment as a UTC timestamp and as the day it falls on in `[kpi] report_tz`."""
    return (C(f"{stem}_at", meaning, TS, null),
            C(f"{stem}_day", f"the day of `{stem}_at` in `[kpi] report_tz`", DAY, null))


def spans(stem: str, meaning: str, cal_null: str = "") -> tuple[Column, Column]:
    """A duration in calendar seconds (`_cal`) and in business seconds (`_bus`)."""
    return (C(f"{stem}_cal", meaning + ", calendar time", SECONDS, cal_null),
            C(f"{stem}_bus", meaning + ", business time", SECONDS,
              NO_SCHEDULE + (f", or {cal_null}" if cal_null else "")))


def counts(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(C(name, meaning, COUNT) for name, meaning in pairs)


TOUCH = "1 when solved or closed with exactly {} replies"

KPI_TABLES = Area("KPIs", (
    "Definitions: [docs/kpis.md](kpis.md). Every duration is integer seconds: `_cal` calendar "
    "time, `_bus` business time under the schedule in use — NULL when there is none, never "
    "silently equal to calendar time. NULL means the end event has not happened yet; 0 means "
    "it happened at once."), (
    Table("ticket_facts", "One row per ticket that is not deleted: a pure function of its "
          "events and ratings, recomputed whenever a sync changes the ticket.",
          key=("source", "ticket_id"), relations=(TICKET,), columns=(
        source(), TICKET_ID,
        C("status", "the status after the ticket's last status event, a report dimension; "
          "with no status event (a ticket created closed, imported, or older than the event "
          "window) the ticket's own status (`tickets.status`; flag 32 when that differs from "
          "its creation's)"),
        C("channel", "channel at creation, a report dimension"),
        C("priority", "current priority, a report dimension", null="no priority"),
        C("group_id", "current group, a report dimension", null="no group"),
        C("assignee_id", "current assignee, a report dimension", null="unassigned"),
        *timed("created", "creation", null=""),
        *timed("first_reply", "first public agent reply (for a ticket an agent created, the "
               "opening comment does not count)"),
        *spans("frt", "first reply time: creation → first reply", NOT_YET),
        *timed("first_solved", "first entry into solved (or closed without a prior solve); "
               "when set, first_resolution_cal is too",
               "never solved, or (Intercom) closed only before the contact's first message, "
               "which Intercom does not count as a close"),
        *timed("last_solved", "latest entry into solved (or closed without a prior solve)"),
        C("resolutions", "how many times it was solved", COUNT),
        *spans("first_resolution", "creation → first solve", NOT_YET),
        *spans("full_resolution", "creation → latest solve",
               "not solved or closed now (never solved, or reopened)"),
        *spans("requester_wait", "time in new, open and on-hold (intervals that have ended)"),
        *spans("agent_wait", "time in pending (ended intervals)"),
        *spans("on_hold", "time on hold (0 when never held)"),
        *counts(("reopens", "solved/closed → unsolved transitions"),
                ("replies", "public agent replies (not counting an agent-created ticket's "
                 "opening comment)"),
                ("public_agent_comments", "every public agent comment"),
                ("customer_msgs", "public customer messages"),
                ("notes", "private notes"),
                ("assignee_stations", "assignments to an agent (non-empty values)"),
                ("group_stations", "assignments to a group (non-empty values)"),
                ("reassignments", "assignee_stations − 1, at least 0")),
        C("one_touch", TOUCH.format(1), BOOL),
        C("two_touch", TOUCH.format(2), BOOL),
        C("multi_touch", "1 when solved or closed with 3 or more replies", BOOL),
        C("zero_touch", TOUCH.format(0), BOOL),
        C("fcr", "1 when one-touch and never reopened", BOOL),
        C("csat_offered", "1 when a satisfaction survey was offered (answered or not)", BOOL),
        C("csat_score", "the latest answered rating's score (`ratings.score`)",
          null="no answered rating"),
        C("csat_positive", "the latest answered rating: 1 positive, 0 negative", BOOL,
          "no answered rating"),
        *timed("rated", "when the latest answered rating was given", "no answered rating"),
        C("flags", "bit 1: created by an agent; bit 2: clock skew (a timestamp went backwards; "
          "clamped to 0); bit 4: status history reconstructed, not recorded (Freshdesk: wait "
          "times are approximate); bit 8: no customer message, so no clock (Intercom rules: "
          "durations stay NULL); bit 16: bot-only resolution (solved with bot messages and no "
          "agent reply); bit 32: no status event, the status is the ticket's own (it differs "
          "from the creation's or there is no creation event)", "bit set"),
        C("reply_cycles", "waits answered by an agent reply (see `reply_cycles`)", COUNT),
        *spans("reply_time_median", "the median of those waits, whole seconds (Intercom's "
               "`median_time_to_reply` is the same figure under its rules)",
               "no wait answered yet"),
        C("handle_time_s", "time agents logged on the ticket (`time_entries`)", SECONDS,
          "none was logged (or the vendor has no time tracking)"),
        *timed("first_assigned", "the first assignment to an agent after the clock starts"),
        *spans("first_assignment", "time to first assignment: clock start → first assignment",
               NOT_YET),
        C("bot_msgs", "public messages by bots (never counted as replies)", COUNT),
        *spans("agent_work", "agent work time: time in new and open (ended intervals), "
               "Zendesk's SLA metric", "facts computed before this column existed"),
        C("type", "the vendor's ticket type, a report dimension", null="no type"),
        C("priority_raised", "1 when the priority was raised to high or urgent after creation "
          "(a sign of escalation)", BOOL),
        C("requester_id", "the ticket's requester when its facts were computed (whose later "
          "tickets are repeat contacts)", null="no requester"),
        C("next_contact_s", "from `last_solved_at` to the earliest other live ticket of the "
          "same requester created after it, when within 90 days (repeat contact within N days: "
          "`next_contact_s <= N × 86400`)", SECONDS,
          "not solved, or no such ticket within 90 days"),
    )),
    Table("kpi_meta", "What the stored facts and views were computed with.", key=("key",),
          notes=(
        "`definitions`: `v<facts version>:` and a fingerprint of the business calendars (every "
        "schedule version and group assignment), or `no-schedule`, then `:sla-` and a "
        "fingerprint of the SLA targets when there are any, and the report time zone when it "
        "is not UTC, for the whole set. `definitions:<source>`: the same with only the SLA "
        "targets that apply to that source (its own and those of no source); when a newer "
        "deskpulse, the configuration or the source's synced policies change it, the next run "
        "rebuilds that source's facts by itself (a report time zone or facts version change: "
        "every source's). A file of a version before these keys adopts them without a "
        "rebuild when its `definitions` matches. `sla_targets`: the SLA targets in use as JSON — "
        "`[[sla]]` entries, or vendor policy targets with their policy id, title, position and "
        "conditions — (what the reports read to say which metrics have targets and which "
        "policies are unusable). `report_tz`: the zone the `*_day` columns are in. "
        "`repeat_contact_days` and `escalation_tags` (JSON array), `sla_at_risk_seconds`: the "
        "`[kpi]` options the last `sync`, `backfill`, `daemon` run or a reading command with a "
        "config recorded, read by `kpi_ticket_flags` and `kpi_sla_at_risk`."), columns=(
        C("key", "`definitions`, `definitions:<source>`, `sla_targets`, `report_tz`, "
          "`repeat_contact_days`, "
          "`escalation_tags`, `sla_at_risk_seconds` (below)"),
        C("value", "the setting, as text or JSON"),
    )),
    Table("unsolved_spans", "The intervals in which a ticket was unsolved — from creation or a "
          "reopen to the next solve — the input of the backlog.",
          key=("source", "ticket_id", "seq"), relations=(TICKET,), columns=(
        source(), TICKET_ID,
        C("seq", "the span's number within the ticket, from 0"),
        C("start_at", "when the span began", TS),
        C("end_at", "when it ended", TS, "still unsolved"),
        C("start_day", "the day of `start_at` in `[kpi] report_tz`", DAY),
        C("end_day", "the day of `end_at` in `[kpi] report_tz`", DAY, "still unsolved"),
    )),
    Table("reply_cycles", "Each wait of a customer for an agent's answer. A cycle opens at the "
          "first customer message while none is open (creation opens the first, unless an agent "
          "opened the ticket; a survey's feedback message never opens one) and ends at the next "
          "public agent reply (`reply`), at a solve without a reply (`solve`), or is still "
          "`open`.", key=("source", "ticket_id", "seq"), relations=(TICKET,), columns=(
        source(), TICKET_ID,
        C("seq", "the cycle's number within the ticket"),
        C("start_at", "the first unanswered customer message (Intercom rules: the last one)",
          TS),
        C("end_at", "the reply or solve that ended it", TS, "still open"),
        C("end_kind", "`reply`, `solve` or `open`"),
        C("secs_cal", "the wait, calendar time", SECONDS, "still open"),
        C("secs_bus", "the wait, business time", SECONDS, NO_SCHEDULE + ", or still open"),
        C("end_day", "the day of `end_at` in `[kpi] report_tz`", DAY, "still open"),
    )),
))
