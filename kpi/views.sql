-- The kpi_* views: the same figures as `deskpulse kpi`, for anyone with a SQLite client.
-- Durations are seconds (calendar time). Rates are 0..1. NULL means "no data", never 0.
-- The same text runs on PostgreSQL (SQLite's date functions, round and json_each installed
-- there by store/postgres_compat.sql): divisions are in double precision (CAST ... AS DOUBLE
-- PRECISION, not `* 1.0`, which PostgreSQL computes in exact decimals and rounds otherwise),
-- conditions become 0/1 through CASE, and whole parts are integer divisions, never a CAST
-- of a fraction (SQLite truncates it, PostgreSQL rounds).

-- One row per source, day, dimension and value (dimension 'all' has value ''): counts,
-- averages, and the backlog at the end of the day.
CREATE VIEW kpi_days_by AS
SELECT source, day, dimension, value, created, solved, reopened_tickets AS reopened,
       SUM(backlog_delta) OVER (PARTITION BY source, dimension, value ORDER BY day) AS backlog,
       replied AS frt_n,
       ROUND(CAST(frt_sum AS DOUBLE PRECISION) / NULLIF(replied, 0), 1) AS frt_mean_s,
       ROUND(CAST(first_res_sum AS DOUBLE PRECISION) / NULLIF(solved, 0), 1) AS first_resolution_mean_s,
       full_res_n AS full_resolution_n,
       ROUND(CAST(full_res_sum AS DOUBLE PRECISION) / NULLIF(full_res_n, 0), 1) AS full_resolution_mean_s,
       ROUND(CAST(requester_wait_sum AS DOUBLE PRECISION) / NULLIF(solved, 0), 1) AS requester_wait_mean_s,
       ROUND(CAST(replies_sum AS DOUBLE PRECISION) / NULLIF(solved, 0), 3) AS replies_per_solved,
       ROUND(CAST(one_touch AS DOUBLE PRECISION) / NULLIF(solved, 0), 4) AS one_touch_rate,
       ROUND(CAST(fcr AS DOUBLE PRECISION) / NULLIF(solved - zero_touch, 0), 4) AS fcr_rate,
       ROUND(CAST(reopened_tickets AS DOUBLE PRECISION) / NULLIF(solved, 0), 4) AS reopen_rate,
       csat_rated AS csat_n,
       ROUND(CAST(csat_positive AS DOUBLE PRECISION) / NULLIF(csat_rated, 0), 4) AS csat_rate
FROM kpi_daily;

-- The account as a whole: one row per source and day.
CREATE VIEW kpi_days AS
SELECT source, day, created, solved, reopened, backlog, frt_n, frt_mean_s,
       first_resolution_mean_s, full_resolution_n, full_resolution_mean_s,
       requester_wait_mean_s, replies_per_solved, one_touch_rate, fcr_rate, reopen_rate,
       csat_n, csat_rate
FROM kpi_days_by
WHERE dimension = 'all';

-- Exact p50/p90 per source, day and metric, each on the day of its end event (as in
-- `deskpulse kpi`): frt, frt_bus, social_frt (channel 'social') by first-reply day;
-- first_resolution(_bus), agent_work(_bus), handle_time by first-solve day;
-- full_resolution(_bus) by last-solve day; first_assignment by first-assignment day;
-- reply(_bus) = every answered reply cycle, by the day of the answer. Linear interpolation as
-- percentile_cont, with n and mean beside them. Window functions only: no extension needed.
-- Business-time metrics have no rows without a schedule.
CREATE VIEW kpi_percentiles_daily AS
WITH v AS (
    SELECT source, first_reply_day AS day, 'frt' AS metric, frt_cal AS x
    FROM ticket_facts WHERE frt_cal IS NOT NULL
    UNION ALL
    SELECT source, first_reply_day, 'frt_bus', frt_bus
    FROM ticket_facts WHERE frt_bus IS NOT NULL
    UNION ALL
    SELECT source, first_reply_day, 'social_frt', frt_cal
    FROM ticket_facts WHERE frt_cal IS NOT NULL AND channel = 'social'
    UNION ALL
    SELECT source, first_solved_day, 'first_resolution', first_resolution_cal
    FROM ticket_facts WHERE first_resolution_cal IS NOT NULL
    UNION ALL
    SELECT source, first_solved_day, 'first_resolution_bus', first_resolution_bus
    FROM ticket_facts WHERE first_resolution_bus IS NOT NULL
    UNION ALL
    SELECT source, last_solved_day, 'full_resolution', full_resolution_cal
    FROM ticket_facts WHERE full_resolution_cal IS NOT NULL
    UNION ALL
    SELECT source, last_solved_day, 'full_resolution_bus', full_resolution_bus
    FROM ticket_facts WHERE full_resolution_bus IS NOT NULL
    UNION ALL
    SELECT source, first_assigned_day, 'first_assignment', first_assignment_cal
    FROM ticket_facts WHERE first_assignment_cal IS NOT NULL
    UNION ALL
    SELECT source, first_solved_day, 'agent_work', agent_work_cal
    FROM ticket_facts WHERE first_solved_day IS NOT NULL
    UNION ALL
    SELECT source, first_solved_day, 'agent_work_bus', agent_work_bus
    FROM ticket_facts WHERE first_solved_day IS NOT NULL AND agent_work_bus IS NOT NULL
    UNION ALL
    SELECT source, first_solved_day, 'handle_time', handle_time_s
    FROM ticket_facts WHERE first_solved_day IS NOT NULL AND handle_time_s IS NOT NULL
    UNION ALL
    SELECT c.source, c.end_day, 'reply', c.secs_cal
    FROM reply_cycles c JOIN ticket_facts f ON f.source = c.source AND f.ticket_id = c.ticket_id
    WHERE c.end_kind = 'reply'
    UNION ALL
    SELECT c.source, c.end_day, 'reply_bus', c.secs_bus
    FROM reply_cycles c JOIN ticket_facts f ON f.source = c.source AND f.ticket_id = c.ticket_id
    WHERE c.end_kind = 'reply' AND c.secs_bus IS NOT NULL
),
ranked AS (
    SELECT source, day, metric, x,
           ROW_NUMBER() OVER (PARTITION BY source, day, metric ORDER BY x NULLS FIRST) AS rn,
           COUNT(*) OVER (PARTITION BY source, day, metric) AS n
    FROM v
),
picked AS (
    SELECT source, day, metric, MAX(n) AS n, AVG(CAST(x AS DOUBLE PRECISION)) AS mean,
           -- rank (n - 1) * p, split into its whole part and its fraction
           (MAX(n) - 1) / 2 AS w50, CAST(MAX(n) - 1 AS DOUBLE PRECISION) * 0.5 AS h50,
           (MAX(n) - 1) * 9 / 10 AS w90, CAST(MAX(n) - 1 AS DOUBLE PRECISION) * 0.9 AS h90,
           MAX(CASE WHEN rn = (n - 1) / 2 + 1 THEN x END) AS lo50,
           MAX(CASE WHEN rn = (n - 1) / 2 + 2 THEN x END) AS hi50,
           MAX(CASE WHEN rn = (n - 1) * 9 / 10 + 1 THEN x END) AS lo90,
           MAX(CASE WHEN rn = (n - 1) * 9 / 10 + 2 THEN x END) AS hi90
    FROM ranked
    GROUP BY source, day, metric
)
SELECT source, day, metric, n, ROUND(mean, 1) AS mean_s,
       lo50 + (h50 - w50) * (COALESCE(hi50, lo50) - lo50) AS p50_s,
       lo90 + (h90 - w90) * (COALESCE(hi90, lo90) - lo90) AS p90_s
FROM picked;

-- Per ticket, the conditions behind the rate figures of `deskpulse kpi`, with the options the
-- last run recorded in kpi_meta ([kpi] repeat_contact_days, default 7, and escalation_tags).
-- escalated: handed to a second group, raised to high/urgent after creation, or tagged;
-- repeat_contact: the requester opened another ticket within N days of the latest solve;
-- bot_only: solved by bots alone (flag 16); surveys: only vendors that record unanswered
-- surveys (Zendesk) say what was offered, elsewhere survey_offered is NULL.
CREATE VIEW kpi_ticket_flags AS
WITH opts AS (
    SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM kpi_meta
                     WHERE key = 'repeat_contact_days'), 7) AS days,
           COALESCE((SELECT value FROM kpi_meta WHERE key = 'escalation_tags'), '[]') AS tags
)
SELECT f.source, f.ticket_id, f.created_day, f.first_solved_day,
       CASE WHEN f.group_stations >= 2
                 OR EXISTS (SELECT 1 FROM json_each(t.tags) j, json_each(opts.tags) o
                            WHERE j.value = o.value)
                 OR f.priority_raised = 1 THEN 1 ELSE 0 END AS escalated,
       CASE WHEN f.last_solved_at IS NOT NULL AND t.requester_id IS NOT NULL AND EXISTS (
            SELECT 1 FROM tickets n WHERE n.source = t.source
            AND n.requester_id = t.requester_id AND n.id != t.id AND n.deleted = 0
            AND n.created_at > f.last_solved_at
            AND n.created_at <= strftime('%Y-%m-%dT%H:%M:%SZ', f.last_solved_at,
                                         '+' || opts.days || ' days')) THEN 1 ELSE 0 END
           AS repeat_contact,
       CASE WHEN (f.flags & 16) != 0 THEN 1 ELSE 0 END AS bot_only,
       CASE WHEN f.bot_msgs > 0 THEN 1 ELSE 0 END AS with_bots,
       CASE WHEN s.kind = 'zendesk' THEN f.csat_offered END AS survey_offered,
       CASE WHEN s.kind = 'zendesk' THEN CASE WHEN f.csat_positive IS NOT NULL THEN 1 ELSE 0 END
       END AS survey_answered
FROM ticket_facts f
JOIN tickets t ON t.source = f.source AND t.id = f.ticket_id
LEFT JOIN sources s ON s.name = f.source
CROSS JOIN opts;

-- Those rates per source and day: escalation on the creation day, the others on the
-- first-solve day (as `deskpulse kpi`). Rates are 0..1; NULL when there is nothing to count
-- (bot_only_rate: no bot message among the day's solved tickets).
CREATE VIEW kpi_days_rates AS
WITH created AS (
    SELECT source, created_day AS day, COUNT(*) AS created, SUM(escalated) AS escalated
    FROM kpi_ticket_flags GROUP BY source, created_day
),
solved AS (
    SELECT source, first_solved_day AS day, COUNT(*) AS solved,
           SUM(repeat_contact) AS repeat_contacts, SUM(bot_only) AS bot_only,
           SUM(with_bots) AS with_bots, SUM(survey_offered) AS surveys_offered,
           SUM(survey_answered) AS surveys_answered
    FROM kpi_ticket_flags WHERE first_solved_day IS NOT NULL
    GROUP BY source, first_solved_day
),
days AS (SELECT source, day FROM created UNION SELECT source, day FROM solved)
SELECT d.source, d.day, COALESCE(c.created, 0) AS created, COALESCE(c.escalated, 0) AS escalated,
       ROUND(CAST(c.escalated AS DOUBLE PRECISION) / NULLIF(c.created, 0), 4) AS escalation_rate,
       COALESCE(s.solved, 0) AS solved, COALESCE(s.repeat_contacts, 0) AS repeat_contacts,
       ROUND(CAST(s.repeat_contacts AS DOUBLE PRECISION) / NULLIF(s.solved, 0), 4) AS repeat_contact_rate,
       COALESCE(s.bot_only, 0) AS bot_only,
       CASE WHEN s.with_bots > 0 THEN ROUND(CAST(s.bot_only AS DOUBLE PRECISION) / s.solved, 4) END
           AS bot_only_rate,
       ROUND(CAST(s.surveys_answered AS DOUBLE PRECISION) / NULLIF(s.surveys_offered, 0), 4)
           AS survey_response_rate
FROM days d
LEFT JOIN created c ON c.source = d.source AND c.day = d.day
LEFT JOIN solved s ON s.source = d.source AND s.day = d.day;

-- SLA views (kpi-catalog §5.6), over sla_instances. "Now" is the clock at query time: an
-- instance still pending past its breach moment counts as breached. Cancelled instances
-- never count. Rates are 0..1, NULL when nothing has an outcome.

-- Per source, day and metric: instances achieved (by fulfilment day) and breached (by
-- breach day), the day's achievement rate and the rate over the 7 days up to it.
CREATE VIEW kpi_sla_days AS
WITH outcomes AS (
    SELECT source, outcome_day AS day, metric,
           SUM(CASE WHEN outcome = 'achieved' THEN 1 ELSE 0 END) AS achieved,
           SUM(CASE WHEN outcome IN ('breached', 'pending') THEN 1 ELSE 0 END) AS breached
    FROM sla_instances
    WHERE outcome IN ('achieved', 'breached')
       OR (outcome = 'pending' AND breach_at <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    GROUP BY source, outcome_day, metric
)
SELECT source, day, metric, achieved, breached,
       ROUND(CAST(achieved AS DOUBLE PRECISION) / NULLIF(achieved + breached, 0), 4)
           AS achievement_rate,
       ROUND(CAST(SUM(achieved) OVER last_week AS DOUBLE PRECISION)
             / NULLIF(SUM(achieved + breached) OVER last_week, 0), 4) AS achievement_rate_7d
FROM outcomes
WINDOW last_week AS (PARTITION BY source, metric ORDER BY julianday(day)
                     RANGE BETWEEN 6 PRECEDING AND CURRENT ROW);

-- Breaches per source, breach day, metric, priority (in force when the target applied) and
-- group (the ticket's current group).
CREATE VIEW kpi_sla_breaches AS
SELECT source, breach_day AS day, metric, priority, group_id, COUNT(*) AS breaches
FROM sla_instances
WHERE outcome = 'breached'
   OR (outcome = 'pending' AND breach_at <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
GROUP BY source, breach_day, metric, priority, group_id;

-- One row per ticket with an SLA outcome: instances with one, how many breached, and
-- whether it met all its SLAs (the "% tickets meeting all SLAs" population).
CREATE VIEW kpi_sla_tickets AS
WITH judged AS (
    SELECT source, ticket_id, CASE WHEN outcome = 'achieved' THEN 1 ELSE 0 END AS met
    FROM sla_instances
    WHERE outcome IN ('achieved', 'breached')
       OR (outcome = 'pending' AND breach_at <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)
SELECT source, ticket_id, COUNT(*) AS instances, SUM(1 - met) AS breached,
       MIN(met) AS met_all
FROM judged
GROUP BY source, ticket_id;

-- Pending instances due within [kpi] sla_at_risk (recorded in kpi_meta by the last run;
-- default an hour: `at risk`) or already past their breach moment (`overdue`), soonest
-- first; `deskpulse sla` gives the same list for any window.
CREATE VIEW kpi_sla_at_risk AS
WITH due AS (
    SELECT s.source, s.ticket_id, s.metric, s.priority, s.group_id, t.assignee_id,
           s.breach_at,
           CAST(ROUND((julianday(s.breach_at) - julianday('now')) * 86400, 0) AS BIGINT)
               AS seconds_left
    FROM sla_instances s
    JOIN tickets t ON t.source = s.source AND t.id = s.ticket_id
    WHERE s.outcome = 'pending'
      AND s.breach_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+' || COALESCE(
          (SELECT value FROM kpi_meta WHERE key = 'sla_at_risk_seconds'), '3600') || ' seconds')
)
SELECT ROW_NUMBER() OVER (ORDER BY breach_at, source, ticket_id, metric) AS rank,
       source, ticket_id, metric, priority, group_id, assignee_id, breach_at, seconds_left,
       CASE WHEN seconds_left < 0 THEN 'overdue' ELSE 'at risk' END AS state
FROM due;

-- Business KPI inputs (`deskpulse import`). Money per day: each cost or revenue row spread
-- evenly over its days (what `deskpulse kpi` pro-rates), one row per kind, feed, category
-- and day; sum a range to get its support cost or revenue.
CREATE VIEW kpi_ext_money_daily AS
WITH RECURSIVE spread(kind, feed, category, currency, day, period_end, amount) AS (
    SELECT 'cost', feed, category, currency, period_start, period_end,
           amount / (julianday(period_end) - julianday(period_start) + 1)
    FROM ext_costs
    UNION ALL
    SELECT 'revenue', feed, '', currency, period_start, period_end,
           amount / (julianday(period_end) - julianday(period_start) + 1)
    FROM ext_revenue
    UNION ALL
    SELECT kind, feed, category, currency, date(day, '+1 day'), period_end, amount
    FROM spread WHERE day < period_end
)
SELECT kind, feed, category, currency, day, amount FROM spread;

-- Survey answers per source and day (UTC): NPS counts and CES mapped onto 1-7
-- (1 + (score - low) * 6 / (high - low); easy = 5 or more). NPS = (promoters - detractors)
-- * 100 / nps_n over any range; CES mean = ces_sum / ces_n.
CREATE VIEW kpi_ext_surveys_daily AS
WITH answers AS (
    SELECT source, date(at) AS day, kind, CAST(score AS INTEGER) AS score,
           1 + (CAST(score AS DOUBLE PRECISION)
                - CAST(substr(scale, 1, instr(scale, '-') - 1) AS DOUBLE PRECISION))
           * 6 / NULLIF(CAST(substr(scale, instr(scale, '-') + 1) AS DOUBLE PRECISION)
                        - CAST(substr(scale, 1, instr(scale, '-') - 1) AS DOUBLE PRECISION), 0)
           AS ces7
    FROM ratings WHERE kind IN ('nps', 'ces')
),
counted AS (
    SELECT source, day, ces7,
           CASE WHEN kind = 'nps' THEN 1 ELSE 0 END AS nps,
           CASE WHEN kind = 'nps' AND score >= 9 THEN 1 ELSE 0 END AS promoter,
           CASE WHEN kind = 'nps' AND score <= 6 THEN 1 ELSE 0 END AS detractor,
           CASE WHEN kind = 'ces' THEN 1 ELSE 0 END AS ces,
           -- NULL (not counted) for a CES answer on a scale without a range, as in SQLite
           CASE WHEN kind = 'ces' AND ces7 >= 5 THEN 1 WHEN kind <> 'ces' OR ces7 < 5 THEN 0
           END AS easy
    FROM answers
)
SELECT source, day,
       SUM(nps) AS nps_n,
       SUM(promoter) AS promoters,
       SUM(detractor) AS detractors,
       ROUND(CAST(SUM(promoter) - SUM(detractor) AS DOUBLE PRECISION) * 100
             / NULLIF(SUM(nps), 0), 1) AS nps,
       SUM(ces) AS ces_n,
       SUM(CASE WHEN ces = 1 THEN ces7 END) AS ces_sum,
       SUM(easy) AS ces_easy
FROM counted GROUP BY source, day;

-- Imported agent hours per (lowercase) email and day, with what the matching desk agents
-- (people.email) did that day: tickets solved and distinct tickets touched.
CREATE VIEW kpi_ext_agent_days AS
WITH h AS (
    SELECT lower(agent_email) AS email, day, SUM(scheduled_h) AS scheduled_h,
           SUM(logged_in_h) AS logged_in_h, SUM(productive_h) AS productive_h
    FROM ext_agent_hours GROUP BY 1, 2
),
work AS (
    SELECT lower(p.email) AS email, date(e.at) AS day, e.source, e.ticket_id,
           MAX(CASE WHEN e.kind = 'status' AND (e.new_value = 'solved' OR (e.new_value = 'closed'
               AND COALESCE(e.old_value, '') <> 'solved')) THEN 1 ELSE 0 END) AS solved
    FROM events e
    JOIN people p ON p.source = e.source AND p.id = e.actor_id
    JOIN tickets t ON t.source = e.source AND t.id = e.ticket_id AND t.deleted = 0
    WHERE p.email IS NOT NULL AND p.role IN ('agent', 'admin')
      AND COALESCE(e.actor_role, 'agent') = 'agent'
    GROUP BY 1, 2, 3, 4
)
SELECT h.email AS agent_email, h.day, h.scheduled_h, h.logged_in_h, h.productive_h,
       CASE WHEN EXISTS (SELECT 1 FROM people p WHERE lower(p.email) = h.email
                         AND p.role IN ('agent', 'admin')) THEN 1 ELSE 0 END AS matched,
       (SELECT COUNT(*) FROM work w WHERE w.email = h.email AND w.day = h.day AND w.solved = 1)
           AS solved,
       (SELECT COUNT(*) FROM work w WHERE w.email = h.email AND w.day = h.day) AS handled
FROM h;
