"""The SLA instances and the day rollups of the KPI facts (docs/kpis.md)."""

from __future__ import annotations

from deskpulse.store.catalog import BOOL, COUNT, DAY, SECONDS, TS, C, R, Table, source

TICKET = R(("source", "ticket_id"), "tickets")
SOLVED_DAY = "of the tickets first solved that day: "


def counts(*pairs: tuple[str, str], unit: str = COUNT) -> tuple:
    return tuple(C(name, meaning, unit) for name, meaning in pairs)


SLA_INSTANCES = Table(
    "sla_instances", "Every time an SLA target applied to a ticket (definitions: "
    "[docs/kpis.md](kpis.md#slas)), recomputed with the ticket's other facts and a pure "
    "function of its events and the `[[sla]]` targets: nothing in it depends on \"now\". Day "
    "columns are UTC days, indexed for day ranges.",
    key=("source", "ticket_id", "metric", "seq"), relations=(TICKET,), columns=(
        source(),
        C("ticket_id", "the ticket (`tickets.id`)"),
        C("metric", "`first_reply`, `next_reply`, `requester_wait`, `agent_work`, "
          "`periodic_update`, `pausable_update`"),
        C("seq", "the instance's number among the ticket's instances of that metric"),
        C("applied_at", "when the target applied (the clock start, a reply cycle's start, an "
          "agent reply, or a priority change)", TS),
        C("applied_day", "the UTC day of `applied_at`", DAY),
        C("start_at", "where its clock measures from; before `applied_at` when a priority "
          "change re-applied a target (first reply still counts from creation)", TS),
        C("priority", "the ticket's priority when the target applied", null="no priority"),
        C("channel", "the ticket's channel at creation"),
        C("group_id", "the ticket's current group", null="no group"),
        C("target_s", "the target", SECONDS),
        C("business", "1: the target counts business seconds of the schedule in use; 0: "
          "calendar seconds", BOOL),
        C("breach_at", "the moment the target is (or was) used up", TS,
          "the clock stopped or is paused short of it"),
        C("breach_day", "the UTC day of `breach_at`", DAY,
          "the clock stopped or is paused short of it"),
        C("fulfilled_at", "the reply or solve that fulfilled it; for `requester_wait` and "
          "`agent_work` the final solve (a reopen re-activates the instance)", TS,
          "not yet, or cancelled"),
        C("fulfilled_day", "the UTC day of `fulfilled_at`", DAY, "not yet, or cancelled"),
        C("outcome", "`achieved` (fulfilled at or before `breach_at`), `breached` (after it), "
          "`pending` (not fulfilled yet: a report counts it breached once `breach_at` has "
          "passed), `cancelled` (replaced by another target after a priority change, before "
          "its breach)"),
        C("outcome_day", "the day its outcome falls on in reports: `fulfilled_day` when "
          "achieved, `breach_day` when breached or pending", DAY,
          "cancelled, or pending with no breach moment"),
    ))

KPI_DAILY = Table(
    "kpi_daily", "Additive day rollups. `dimension` is `all` (value `''`), `channel`, `group`, "
    "`agent` (current assignee), `priority` or `type`. Each count is anchored on one day of the "
    "ticket: `created` on its creation day; `replied`/`frt_sum` on its first-reply day; "
    "`solved` and everything measured at the solve on its first-solve day; `full_res_*` on its "
    "latest-solve day; `csat_*` on its rating day.",
    key=("source", "day", "dimension", "value"), columns=(
        source(),
        C("day", "the bucket's day in `[kpi] report_tz`", DAY),
        C("dimension", "`all`, `channel`, `group`, `agent`, `priority` or `type`"),
        C("value", "the dimension's value (`''` for `all` or an empty value)"),
        *counts(("created", "tickets created"),
                ("replied", "tickets first replied to")),
        C("frt_sum", "sum of their first reply times", SECONDS),
        C("solved", "tickets solved for the first time", COUNT),
        C("first_res_sum", "sum of their first resolution times", SECONDS),
        C("full_res_n", "tickets last solved that day (still solved)", COUNT),
        *counts(("full_res_sum", "their full resolution times"),
                ("requester_wait_sum", SOLVED_DAY + "summed requester waits"),
                ("agent_wait_sum", SOLVED_DAY + "summed pending time"),
                ("on_hold_sum", SOLVED_DAY + "summed on-hold time"), unit=SECONDS),
        *counts(("replies_sum", SOLVED_DAY + "replies"),
                ("reopens_sum", SOLVED_DAY + "reopens"),
                ("reopened_tickets", SOLVED_DAY + "those reopened at least once"),
                ("one_touch", SOLVED_DAY + "one-touch"),
                ("two_touch", SOLVED_DAY + "two-touch"),
                ("multi_touch", SOLVED_DAY + "three or more replies"),
                ("zero_touch", SOLVED_DAY + "no reply"),
                ("fcr", SOLVED_DAY + "first-contact resolutions"),
                ("csat_rated", "answered ratings (latest per ticket) given that day"),
                ("csat_positive", "the positive ones"),
                ("backlog_delta", "+1 per unsolved span opening that day, −1 per span "
                 "closing; the running sum is the backlog at the end of the day"),
                ("bot_only", SOLVED_DAY + "bot-only resolutions (flag 16)"),
                ("with_bots", SOLVED_DAY + "those with any bot message"),
                ("surveys_offered", SOLVED_DAY + "satisfaction surveys offered (reports use "
                 "them only for vendors that record unanswered surveys)"),
                ("surveys_answered", SOLVED_DAY + "surveys answered"),
                ("escalated", "tickets created that day that were handed to a second group or "
                 "raised to high/urgent priority (escalation tags are added per report)")),
    ))

KPI_VALUES = Table(
    "kpi_values", "Each day's values of a percentile figure, sorted, per channel: what makes "
    "an exact p50/p90 over a long range fast (a range is one BLOB per day and channel, merged, "
    "instead of a row per ticket). Kept in step with `ticket_facts` and `reply_cycles` by every "
    "refresh.", key=("metric", "day", "source", "channel"), columns=(
        C("metric", "`frt`, `frt_bus`, `first_resolution`, `full_resolution`, "
          "`full_resolution_bus`, `first_assignment`, `agent_work`, `agent_work_bus`, "
          "`handle_time` (the `ticket_facts` column of that name, `_cal` for calendar time), "
          "`reply` (every answered reply cycle's `secs_cal`) or `next_contact` "
          "(`next_contact_s`)"),
        C("day", "the figure's anchor day, as in `kpi_percentiles_daily` (`next_contact`: the "
          "first-solve day)", DAY),
        source(),
        C("channel", "the tickets' current channel"),
        C("n", "how many values", COUNT),
        C("wide", "0: `data` is 4-byte integers; 1: 8-byte (a value did not fit in 4)", BOOL),
        C("data", "the values, ascending, packed as C `int32` or `int64` in the byte order of "
          "the machine that wrote them (Python `array(\"i\")` or `array(\"q\")`)",
          "seconds, packed"),
    ))
