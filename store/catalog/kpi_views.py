"""The kpi_* views (kpi/views.sql): the same figures as `deskpulse kpi`, read with SQL.

The kpi package owns their SQL; their meaning is described here with every other object of
the file, so one generator documents them all.
"""

from __future__ import annotations

from deskpulse.store.catalog import BOOL, COUNT, DAY, HOURS, RATE, SECONDS, TS, C, Table, source

NOTHING = "nothing to divide"
DAY_COLUMN = C("day", "the day in `[kpi] report_tz`", DAY)
SLA_METRIC = C("metric", "the SLA metric")


def View(name: str, description: str, *columns) -> Table:  # noqa: N802
    return Table(name, description, tuple(columns), view=True)


DAY_FIGURES = (
    C("created", "tickets created", COUNT),
    C("solved", "tickets solved for the first time", COUNT),
    C("reopened", "of those, tickets reopened at least once", COUNT),
    C("backlog", "unsolved tickets at the end of the day", COUNT),
    C("frt_n", "tickets first replied to", COUNT),
    C("frt_mean_s", "their mean first reply time", SECONDS, NOTHING),
    C("first_resolution_mean_s", "mean first resolution time of the solved", SECONDS, NOTHING),
    C("full_resolution_n", "tickets last solved that day (still solved)", COUNT),
    C("full_resolution_mean_s", "their mean full resolution time", SECONDS, NOTHING),
    C("requester_wait_mean_s", "mean requester wait of the solved", SECONDS, NOTHING),
    C("replies_per_solved", "mean replies per solved ticket", null=NOTHING),
    C("one_touch_rate", "one-touch share of the solved", RATE, NOTHING),
    C("fcr_rate", "one-touch and not reopened, over solved tickets with at least one reply",
      RATE, NOTHING),
    C("reopen_rate", "reopened share of the solved", RATE, NOTHING),
    C("csat_n", "answered ratings", COUNT),
    C("csat_rate", "positive share of the answered ratings", RATE, NOTHING),
)

KPI_VIEWS = (
    View("kpi_days", "View: one row per source and day, the headline figures (rates 0..1; NULL "
         "when there is nothing to divide).", source(), DAY_COLUMN, *DAY_FIGURES),
    View("kpi_days_by", "View: the same columns per `dimension` and `value` (dimension `all` "
         "included; the backlog runs per value).", source(), DAY_COLUMN,
         C("dimension", "as in `kpi_daily`"), C("value", "as in `kpi_daily`"), *DAY_FIGURES),
    View("kpi_percentiles_daily", "View: exact percentiles per source, day and `metric`, each "
         "on the day of its end event as in `deskpulse kpi`: `frt`, `frt_bus`, `social_frt` "
         "(tickets whose channel is `social`) by first-reply day; `first_resolution`, "
         "`first_resolution_bus`, `agent_work`, `agent_work_bus`, `handle_time` by first-solve "
         "day; `full_resolution`, `full_resolution_bus` by latest-solve day; `first_assignment` "
         "by first-assignment day; `reply`, `reply_bus` (every answered reply cycle) by the day "
         "of the answer. Percentiles use linear interpolation, like `percentile_cont`. "
         "Business-time metrics have no rows without a schedule. For a range longer than a day, "
         "compute percentiles from `ticket_facts` (never average daily medians): `deskpulse "
         "kpi` does exactly that.", source(), DAY_COLUMN,
         C("metric", "the figure (above)"), C("n", "how many values", COUNT),
         C("mean_s", "their mean", SECONDS), C("p50_s", "the median", SECONDS),
         C("p90_s", "the 90th percentile", SECONDS)),
    View("kpi_ticket_flags", "View: per ticket, the conditions behind the rate figures, under "
         "the `[kpi]` options the last run recorded in `kpi_meta` (`repeat_contact_days`, "
         "default 7; `escalation_tags`).", source(), C("ticket_id", "the ticket"),
         C("created_day", "as in `ticket_facts`", DAY),
         C("first_solved_day", "as in `ticket_facts`", DAY, "not solved"),
         C("escalated", "a second group, priority raised to high/urgent after creation, or a "
           "configured tag", BOOL),
         C("repeat_contact", "the requester opened another ticket within N days of the latest "
           "solve", BOOL),
         C("bot_only", "bot-only resolution (flag 16)", BOOL),
         C("with_bots", "any bot message", BOOL),
         C("survey_offered", "a survey was offered (Zendesk only, which records unanswered "
           "surveys)", BOOL, "another vendor"),
         C("survey_answered", "the survey was answered (Zendesk only)", BOOL,
           "another vendor")),
    View("kpi_days_rates", "View: those rates per source and day, as `deskpulse kpi` reports "
         "them. Rates are 0..1, NULL when there is nothing to count.", source(), DAY_COLUMN,
         C("created", "tickets created", COUNT),
         C("escalated", "of those, escalated", COUNT),
         C("escalation_rate", "escalated share of the created", RATE, NOTHING),
         C("solved", "tickets first solved", COUNT),
         C("repeat_contacts", "of those, followed by a repeat contact", COUNT),
         C("repeat_contact_rate", "repeat-contact share of the solved", RATE, NOTHING),
         C("bot_only", "of the solved, bot-only resolutions", COUNT),
         C("bot_only_rate", "bot-only share of the solved with a bot message", RATE,
           "the day's solved tickets had no bot message"),
         C("survey_response_rate", "answered share of the surveys offered (first-solve day)",
           RATE, "no survey offered, or a vendor that does not record them")),
    View("kpi_sla_days", "View: SLA outcomes per source, day and `metric`; pending instances "
         "past their breach moment at query time count as breached.", source(), DAY_COLUMN,
         SLA_METRIC,
         C("achieved", "instances achieved, by fulfilment day", COUNT),
         C("breached", "instances breached, by breach day", COUNT),
         C("achievement_rate", "achieved share of the day's outcomes", RATE, NOTHING),
         C("achievement_rate_7d", "the same over the 7 days up to the day", RATE, NOTHING)),
    View("kpi_sla_breaches", "View: breaches per source, breach day, metric, priority and "
         "group, pending instances past their breach moment included.", source(),
         C("day", "the UTC breach day", DAY), SLA_METRIC,
         C("priority", "the priority when the target applied", null="no priority"),
         C("group_id", "the ticket's current group", null="no group"),
         C("breaches", "breached instances", COUNT)),
    View("kpi_sla_tickets", "View: one row per ticket with an SLA outcome (as of query time) — "
         "the population of \"% tickets meeting all SLAs\".", source(),
         C("ticket_id", "the ticket"), C("instances", "instances with an outcome", COUNT),
         C("breached", "how many breached", COUNT),
         C("met_all", "1 when none breached", BOOL)),
    View("kpi_sla_at_risk", "View: pending SLA instances due within `[kpi] sla_at_risk` (as "
         "the last run recorded it in `kpi_meta`, `sla_at_risk_seconds`; default an hour) or "
         "past their breach moment, soonest first. `deskpulse sla` lists the same for any "
         "window.", C("rank", "1 = due soonest"), source(), C("ticket_id", "the ticket"),
         SLA_METRIC, C("priority", "the priority when the target applied", null="no priority"),
         C("group_id", "the ticket's current group", null="no group"),
         C("assignee_id", "the ticket's assignee", null="unassigned"),
         C("breach_at", "when the target is used up", TS),
         C("seconds_left", "until `breach_at` (negative when overdue)", SECONDS),
         C("state", "`at risk` or `overdue`")),
    View("kpi_ext_money_daily", "View: imported costs and revenue spread evenly over the days "
         "of their periods. Sum a range for its pro-rated support cost or revenue, as "
         "`deskpulse kpi` does.", C("kind", "`cost` or `revenue`"), C("feed", "the feed"),
         C("category", "the cost category (`''` for revenue)"),
         C("currency", "three-letter code"), C("day", "a day of the period", DAY),
         C("amount", "that day's share", "currency units")),
    View("kpi_ext_surveys_daily", "View: NPS and CES answers (`ratings` of kind `nps`, `ces`) "
         "per source and UTC day. Over a range, NPS = Σ(promoters − detractors) × 100 / Σ nps_n "
         "and CES mean = Σ ces_sum / Σ ces_n.", source(), C("day", "the UTC day", DAY),
         C("nps_n", "NPS answers", COUNT), C("promoters", "answers 9–10", COUNT),
         C("detractors", "answers 0–6", COUNT),
         C("nps", "(promoters − detractors) × 100 / nps_n", "-100..100", "no NPS answer"),
         C("ces_n", "CES answers", COUNT),
         C("ces_sum", "answers mapped onto 1–7, summed"),
         C("ces_easy", "answers ≥ 5 on 1–7", COUNT)),
    View("kpi_ext_agent_days", "View: imported hours per agent email and day. `deskpulse kpi` "
         "counts a ticket solved by one agent on two covered days once; this view counts it on "
         "each day.", C("agent_email", "as imported"), C("day", "the UTC day", DAY),
         C("scheduled_h", "scheduled hours", HOURS), C("logged_in_h", "logged-in hours", HOURS),
         C("productive_h", "productive hours", HOURS),
         C("matched", "1 when the email is an agent's or admin's in `people`", BOOL),
         C("solved", "tickets the agent solved that day", COUNT),
         C("handled", "distinct tickets the agent touched that day", COUNT)),
)
