"""The help-desk tables: what the connectors normalize from the vendors (docs/schema.md)."""

from __future__ import annotations

from deskpulse.store.catalog import (
    BOOL,
    DAY,
    JSON,
    SECONDS,
    TO_SOURCE,
    TS,
    Area,
    C,
    R,
    Table,
    source,
)

TICKET = R(("source", "ticket_id"), "tickets")
VENDOR_ID = "the vendor's {} id"

HELP_DESK = Area("Help-desk data", "", (
    Table("sources", "One row per configured source that has synced.", key=("name",), columns=(
        C("name", "the source's name from the config"),
        C("kind", "`zendesk`, `freshdesk` or `intercom`"),
        C("account", "the vendor account (Zendesk subdomain, Freshdesk domain)",
          null="the vendor has no account name (Intercom)"),
        C("added_at", "when deskpulse first synced it", TS),
    )),
    Table("tickets", "One row per ticket (Intercom: per conversation), its current state.",
          key=("source", "id"), relations=(
              TO_SOURCE, R(("source", "requester_id"), "people"),
              R(("source", "assignee_id"), "people"), R(("source", "group_id"), "groups")),
          columns=(
        source(),
        C("id", VENDOR_ID.format("ticket")),
        C("subject", "subject line", null="the vendor gives none (chats, Intercom conversations)"),
        C("status", "normalized: `new`, `open`, `pending`, `on_hold`, `solved`, `closed` (a "
          "deleted ticket keeps `closed` with `deleted` = 1)"),
        C("vendor_status", "the vendor's own status value when it differs (`hold`, `deleted`, a "
          "custom status id)", null="the normalized `status` is the vendor's own"),
        C("priority", "`low`, `normal`, `high`, `urgent`", null="no priority set"),
        C("channel", "channel at creation: `email`, `web`, `chat`, `phone`, `social`, `api`, "
          "`messaging`, `other`"),
        C("type", "the vendor's ticket type (`question`, `incident`, `problem`, `task`, …)",
          null="no type set"),
        C("requester_id", "who asked (id into `people`)", null="the vendor names no requester"),
        C("assignee_id", "the agent it is assigned to (id into `people`)", null="unassigned"),
        C("group_id", "the group it is assigned to (id into `groups`)", null="no group"),
        C("organization_id", "the vendor's organization (company) id",
          null="no organization"),
        C("tags", "tags", JSON),
        C("created_at", "when the vendor created it", TS),
        C("updated_at", "when the vendor last changed it", TS),
        C("solved_at", "latest solve, when the vendor gives it (Zendesk: from its ticket "
          "metrics)", TS, null="not solved, or the vendor does not say"),
        C("closed_at", "when closed, when the vendor gives it (Zendesk does not: see `events`)",
          TS, null="not closed, or the vendor does not say"),
        C("deleted", "1 when the vendor deleted the ticket or marked it spam (`vendor_status` "
          "says which); it stays for the record and drops out of KPIs", BOOL),
        C("raw", "the vendor's ticket object, for fields deskpulse does not normalize", JSON,
          null="not kept"),
        C("events_truncated", "1 when the vendor returned only part of the ticket's history "
          "(Intercom gives the 500 most recent parts): its facts may miss early events", BOOL),
        C("events_seen", "the vendor's count of history items when the events were last read "
          "(Intercom `statistics.count_conversation_parts`); a sync skips re-reading a "
          "conversation whose count has not moved", null="the vendor gives no count"),
    )),
    Table("events", "Everything that happened on a ticket, one row per thing.",
          key=("source", "id"), relations=(TICKET, R(("source", "actor_id"), "people")),
          columns=(
        source(),
        C("id", VENDOR_ID.format("event")),
        C("ticket_id", "the ticket it belongs to (`tickets.id`; the event may arrive first)"),
        C("at", "when it happened", TS),
        C("kind", "`created` (once per ticket; `new_value` is the initial status), `message` "
          "(public message), `note` (a note; `public` says whether the customer sees it), "
          "`status`, `assignee`, `group`, `priority`, `tags`, `merge`, `rating`, `deleted`, "
          "`attribute` (Intercom attribute updates; `new_value` holds the vendor's details as "
          "JSON)"),
        C("actor_id", "who did it (id into `people`); Zendesk automations are `-1`",
          null="the vendor names no actor"),
        C("actor_role", "`agent`, `customer`, `bot`, `system`",
          null="the vendor says nothing: the KPI module uses `people.role`"),
        C("public", "1 when the customer can see it", BOOL),
        C("channel", "the channel it came through, as the vendor names it (`Web form`, `Mail`, "
          "`Rule`, …)", null="the vendor does not say"),
        C("old_value", "for changes: the value before (statuses normalized as in "
          "`tickets.status`)", null="not a change, or the field was empty"),
        C("new_value", "for changes: the value after (statuses normalized as in "
          "`tickets.status`)", null="not a change, or the field was emptied"),
        C("body", "message or note text",
          null="not a message or note, or the source sets `store_bodies = false`"),
    )),
    Table("people", "Agents, admins, customers and bots.", key=("source", "id"),
          relations=(TO_SOURCE,), columns=(
        source(),
        C("id", VENDOR_ID.format("user")),
        C("role", "`agent`, `admin`, `customer`, `bot`"),
        C("name", "as the vendor gives it", null="the vendor gives none"),
        C("email", "as the vendor gives it", null="the vendor gives none"),
        C("organization_id", "the person's organization", null="none"),
        C("time_zone", "the person's time zone as the vendor names it", null="not given"),
        C("active", "0 when suspended or deleted", BOOL),
    )),
    Table("groups", "Agent groups (Intercom: teams).", key=("source", "id"),
          relations=(TO_SOURCE, R(("source", "schedule_id"), "schedules")), columns=(
        source(),
        C("id", VENDOR_ID.format("group")),
        C("name", "the group's name", null="the vendor gives none"),
        C("schedule_id", "the `schedules` id whose business hours the group's tickets follow, "
          "when the vendor says (Freshdesk's `business_hour_id`)",
          null="the default schedule"),
    )),
    Table("ratings", "Satisfaction ratings, including surveys offered but not answered, and "
          "survey answers imported with `deskpulse import surveys` (NPS, CES, CSAT; their id "
          "starts with `import:`).", key=("source", "id"), relations=(TICKET,),
          notes="For imported answers `positive` is: NPS promoter (9–10); CES easy (≥ 5 on "
          "1–7); CSAT in the top 40% of the scale (docs/imports.md).", columns=(
        source(),
        C("id", "the vendor's rating id (imported: `import:` + a digest of kind, time, "
          "requester email and ticket)"),
        C("ticket_id", "the rated ticket", null="an imported answer names no ticket"),
        C("at", "when it was created or last changed", TS),
        C("score", "the vendor's value (`good`, `bad`, `offered`, `5`, `103`, …)"),
        C("scale", "`good_bad`, `1-5`, `0-10`, …"),
        C("positive", "1 positive, 0 negative", BOOL, null="not answered (offered only)"),
        C("comment", "the customer's comment", null="no comment"),
        C("kind", "`csat`, `nps` or `ces`"),
    )),
    Table("rating_halves", "Zendesk (`ratings = \"exports\"`): each ticket's answered rating "
          "as the ticket export gives it (id, score, comment, no time), kept until a "
          "`rating_moments` row of the same ticket and score gives its time; then it is "
          "written to `ratings`. `deskpulse status` counts the ones still waiting.",
          key=("source", "ticket_id"), relations=(TICKET,), columns=(
        source(),
        C("ticket_id", "the rated ticket"),
        C("rating_id", "the vendor's rating id (`ratings.id` once joined)"),
        C("score", "`good` or `bad`"),
        C("scale", "`good_bad`"),
        C("positive", "1 good, 0 bad", BOOL),
        C("comment", "the customer's comment", null="no comment"),
        C("kind", "`csat`"),
        C("rated_at", "the time the joined `ratings` row carries", TS,
          null="no rating event with this score read yet: the rating waits (a ticket export "
          "read before the events, or a rating given before the events' start)"),
    )),
    Table("rating_moments", "Zendesk: every `SatisfactionRating` event of the ticket-event "
          "export (when a ticket was rated, and how); the latest of a ticket gives its "
          "rating's time.", key=("source", "id"), relations=(TICKET,), columns=(
        source(),
        C("id", "the vendor's event id"),
        C("ticket_id", "the rated ticket"),
        C("at", "its audit's time", TS),
        C("score", "the score given (`good`, `bad`)"),
        C("comment", "the comment given with it (the event's `body`)", null="no comment"),
    )),
    Table("vendor_metrics", "The vendor's own computed figures for a ticket, kept to check "
          "deskpulse's KPIs against (`deskpulse verify`).", key=("source", "ticket_id"),
          relations=(TICKET,), columns=(
        source(),
        C("ticket_id", "the ticket"),
        C("metrics", "Zendesk's `metric_set` (durations in minutes as `{\"calendar\": …, "
          "\"business\": …}`); Freshdesk's `{\"created_at\", \"source\", \"status\", \"stats\": "
          "{…timestamps…}}`; Intercom's conversation `statistics` (unix times and office-hours "
          "seconds)", JSON),
    )),
    Table("time_entries", "Time agents logged on tickets (Freshdesk time entries): the input of "
          "handle time.", key=("source", "id"),
          relations=(TICKET, R(("source", "agent_id"), "people")), columns=(
        source(),
        C("id", VENDOR_ID.format("time-entry")),
        C("ticket_id", "the ticket the time was spent on", null="the vendor names no ticket"),
        C("agent_id", "who spent it (id into `people`)", null="the vendor names no agent"),
        C("seconds", "time spent", SECONDS),
        C("billable", "1 billable, 0 not", BOOL, null="the vendor does not say"),
        C("at", "when the work was done (Freshdesk `executed_at`)", TS),
        C("note", "the agent's note on the entry", null="no note"),
    )),
    Table("schedules", "The vendor's business-hours definitions, synced as the vendor keeps them "
          "(Zendesk `/business_hours/schedules`, whose first schedule is the default, with each "
          "schedule's `/holidays`; Freshdesk `/business_hours`). Without a `[[schedule]]` in the "
          "config, a file with a single source uses them for the `_bus` facts: a ticket follows "
          "its group's schedule (`groups.schedule_id`), else the default one.",
          key=("source", "id"), relations=(TO_SOURCE,), columns=(
        source(),
        C("id", VENDOR_ID.format("schedule")),
        C("name", "the schedule's name", null="the vendor gives none"),
        C("time_zone", "IANA zone when the vendor's label translates, else the vendor's label",
          null="the vendor gives none"),
        C("is_default", "1 for the account's default schedule", BOOL),
        C("hours", "`{\"mon\": [\"09:00-17:00\"], …}`; a day not listed is closed", JSON),
        C("holidays", "days off, `YYYY-MM-DD` or an inclusive range `YYYY-MM-DD..YYYY-MM-DD` "
          "(Zendesk's holidays; Freshdesk's API gives none)", JSON),
    )),
    Table("schedule_versions", "The history of each synced schedule. When a sync sees a "
          "schedule's zone, hours or holidays differ from its last version, a new version starts "
          "on the (UTC) day of that sync, so tickets handled before the change keep the hours "
          "they were worked under.", key=("source", "id", "effective_from"),
          relations=(R(("source", "id"), "schedules"),), columns=(
        source(),
        C("id", "the schedule (`schedules.id`)"),
        C("effective_from", "the day the version starts; `''` for the first version seen (it "
          "stands for all time before)", DAY),
        C("time_zone", "as in `schedules`", null="the vendor gives none"),
        C("hours", "as in `schedules`", JSON),
        C("holidays", "as in `schedules`", JSON),
    )),
    Table("sla_policies", "The vendor's own SLA policies (Zendesk `/slas/policies`, Freshdesk "
          "`/sla_policies`), read whole at every sync: a policy deleted at the vendor "
          "disappears. When `[kpi] sla_targets` chooses them (docs/kpis.md \"The vendor's SLA "
          "policies\"), a ticket gets the targets of the first active policy by `position` whose "
          "conditions it matches.", key=("source", "id"), relations=(TO_SOURCE,), columns=(
        source(),
        C("id", VENDOR_ID.format("policy")),
        C("title", "the policy's title (Freshdesk `name`)", null="the vendor gives none"),
        C("position", "the order policies are matched in; Freshdesk's default policy is ranked "
          "last (2147483647)"),
        C("active", "1 when the vendor applies it (Freshdesk `active`; Zendesk policies always "
          "are)", BOOL),
        C("conditions", "`{\"all\": [...], \"any\": [...]}` of `{\"field\", \"op\", "
          "\"values\"}`: `field` a `tickets` column (`priority`, `group_id`, `channel`, `type`, "
          "`tags`, `organization_id`, `requester_id`, `assignee_id`) with values as stored "
          "there, or `zendesk:<field>` / `freshdesk:<field>` for a condition deskpulse cannot "
          "evaluate; `all` must all hold, `any` (when not empty) needs one", JSON),
        C("updated_at", "when the vendor last changed it", TS, null="the vendor does not say"),
    )),
    Table("sla_policy_targets", "Each policy's targets per metric and priority.",
          key=("source", "policy_id", "metric", "priority"),
          relations=(R(("source", "policy_id"), "sla_policies"),), columns=(
        source(),
        C("policy_id", "the policy (`sla_policies.id`)"),
        C("metric", "a deskpulse SLA metric (`first_reply`, `next_reply`, `requester_wait`, "
          "`agent_work`, `periodic_update`, `pausable_update`), or `zendesk:<metric>` for one "
          "deskpulse has no name for"),
        C("priority", "`low`, `normal`, `high`, `urgent` (Freshdesk priorities 1–4)"),
        C("target_s", "the target (Zendesk gives minutes)", SECONDS),
        C("business", "1 when the target counts business hours only", BOOL),
    )),
    Table("vendor_sla", "The vendor's own due moment for a ticket's SLA metric, as last read "
          "(Freshdesk `fr_due_by` → `first_reply`, `nr_due_by` → `next_reply`, `due_by` → "
          "`requester_wait`), compared with deskpulse's breach moments by `deskpulse verify`.",
          key=("source", "ticket_id", "metric"), relations=(TICKET,), columns=(
        source(),
        C("ticket_id", "the ticket"),
        C("metric", "the deskpulse SLA metric the due moment is for"),
        C("due_at", "the vendor's due moment", TS),
        C("escalated", "the vendor's flag that the due moment was missed (`fr_escalated`, "
          "`nr_escalated`, `is_escalated`)", BOOL, null="not given"),
    )),
))
