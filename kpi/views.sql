-- The kpi_* views: the same figures as `deskpulse kpi`, for anyone with a SQLite client.
-- Durations are seconds (calendar time). Rates are 0..1. NULL means "no data", never 0.

-- One row per source, day, dimension and value (dimension 'all' has value ''): counts,
-- averages, and the backlog at the end of the day.
CREATE VIEW kpi_days_by AS
SELECT source, day, dimension, value, created, solved, reopened_tickets AS reopened,
       SUM(backlog_delta) OVER (PARTITION BY source, dimension, value ORDER BY day) AS backlog,
       replied AS frt_n,
       ROUND(frt_sum * 1.0 / NULLIF(replied, 0), 1) AS frt_mean_s,
       ROUND(first_res_sum * 1.0 / NULLIF(solved, 0), 1) AS first_resolution_mean_s,
       full_res_n AS full_resolution_n,
       ROUND(full_res_sum * 1.0 / NULLIF(full_res_n, 0), 1) AS full_resolution_mean_s,
       ROUND(requester_wait_sum * 1.0 / NULLIF(solved, 0), 1) AS requester_wait_mean_s,
       ROUND(replies_sum * 1.0 / NULLIF(solved, 0), 3) AS replies_per_solved,
       ROUND(one_touch * 1.0 / NULLIF(solved, 0), 4) AS one_touch_rate,
       ROUND(fcr * 1.0 / NULLIF(solved - zero_touch, 0), 4) AS fcr_rate,
       ROUND(reopened_tickets * 1.0 / NULLIF(solved, 0), 4) AS reopen_rate,
       csat_rated AS csat_n,
       ROUND(csat_positive * 1.0 / NULLIF(csat_rated, 0), 4) AS csat_rate
FROM kpi_daily;

-- The account as a whole: one row per source and day.
CREATE VIEW kpi_days AS
SELECT source, day, created, solved, reopened, backlog, frt_n, frt_mean_s,
       first_resolution_mean_s, full_resolution_n, full_resolution_mean_s,
       requester_wait_mean_s, replies_per_solved, one_touch_rate, fcr_rate, reopen_rate,
       csat_n, csat_rate
FROM kpi_days_by
WHERE dimension = 'all';

-- Exact p50/p90 per source, day and metric (frt by first-reply day, first_resolution by
-- first-solve day, full_resolution by last-solve day), linear interpolation as
-- percentile_cont, with n and mean beside them. Window functions only: no extension needed.
CREATE VIEW kpi_percentiles_daily AS
WITH v AS (
    SELECT source, first_reply_day AS day, 'frt' AS metric, frt_cal AS x
    FROM ticket_facts WHERE frt_cal IS NOT NULL
    UNION ALL
    SELECT source, first_solved_day, 'first_resolution', first_resolution_cal
    FROM ticket_facts WHERE first_resolution_cal IS NOT NULL
    UNION ALL
    SELECT source, last_solved_day, 'full_resolution', full_resolution_cal
    FROM ticket_facts WHERE full_resolution_cal IS NOT NULL
),
ranked AS (
    SELECT source, day, metric, x,
           ROW_NUMBER() OVER (PARTITION BY source, day, metric ORDER BY x) AS rn,
           COUNT(*) OVER (PARTITION BY source, day, metric) AS n
    FROM v
),
picked AS (
    SELECT source, day, metric, MAX(n) AS n, AVG(x) AS mean,
           (MAX(n) - 1) * 0.5 AS h50, (MAX(n) - 1) * 0.9 AS h90,
           MAX(CASE WHEN rn = CAST((n - 1) * 0.5 AS INTEGER) + 1 THEN x END) AS lo50,
           MAX(CASE WHEN rn = CAST((n - 1) * 0.5 AS INTEGER) + 2 THEN x END) AS hi50,
           MAX(CASE WHEN rn = CAST((n - 1) * 0.9 AS INTEGER) + 1 THEN x END) AS lo90,
           MAX(CASE WHEN rn = CAST((n - 1) * 0.9 AS INTEGER) + 2 THEN x END) AS hi90
    FROM ranked
    GROUP BY source, day, metric
)
SELECT source, day, metric, n, ROUND(mean, 1) AS mean_s,
       lo50 + (h50 - CAST(h50 AS INTEGER)) * (COALESCE(hi50, lo50) - lo50) AS p50_s,
       lo90 + (h90 - CAST(h90 AS INTEGER)) * (COALESCE(hi90, lo90) - lo90) AS p90_s
FROM picked;

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
    SELECT source, substr(at, 1, 10) AS day, kind, CAST(score AS INTEGER) AS score,
           1 + (CAST(score AS REAL) - CAST(substr(scale, 1, instr(scale, '-') - 1) AS REAL))
           * 6 / (CAST(substr(scale, instr(scale, '-') + 1) AS REAL)
                  - CAST(substr(scale, 1, instr(scale, '-') - 1) AS REAL)) AS ces7
    FROM ratings WHERE kind IN ('nps', 'ces')
)
SELECT source, day,
       SUM(kind = 'nps') AS nps_n,
       SUM(kind = 'nps' AND score >= 9) AS promoters,
       SUM(kind = 'nps' AND score <= 6) AS detractors,
       ROUND((SUM(kind = 'nps' AND score >= 9) - SUM(kind = 'nps' AND score <= 6)) * 100.0
             / NULLIF(SUM(kind = 'nps'), 0), 1) AS nps,
       SUM(kind = 'ces') AS ces_n,
       SUM(CASE WHEN kind = 'ces' THEN ces7 END) AS ces_sum,
       SUM(kind = 'ces' AND ces7 >= 5) AS ces_easy
FROM answers GROUP BY source, day;

-- Imported agent hours per (lowercase) email and day, with what the matching desk agents
-- (people.email) did that day: tickets solved and distinct tickets touched.
CREATE VIEW kpi_ext_agent_days AS
WITH h AS (
    SELECT lower(agent_email) AS email, day, SUM(scheduled_h) AS scheduled_h,
           SUM(logged_in_h) AS logged_in_h, SUM(productive_h) AS productive_h
    FROM ext_agent_hours GROUP BY 1, 2
),
work AS (
    SELECT lower(p.email) AS email, substr(e.at, 1, 10) AS day, e.source, e.ticket_id,
           MAX(e.kind = 'status' AND (e.new_value = 'solved' OR (e.new_value = 'closed'
               AND COALESCE(e.old_value, '') <> 'solved'))) AS solved
    FROM events e
    JOIN people p ON p.source = e.source AND p.id = e.actor_id
    JOIN tickets t ON t.source = e.source AND t.id = e.ticket_id AND t.deleted = 0
    WHERE p.email IS NOT NULL AND p.role IN ('agent', 'admin')
      AND COALESCE(e.actor_role, 'agent') = 'agent'
    GROUP BY 1, 2, 3, 4
)
SELECT h.email AS agent_email, h.day, h.scheduled_h, h.logged_in_h, h.productive_h,
       EXISTS (SELECT 1 FROM people p WHERE lower(p.email) = h.email
               AND p.role IN ('agent', 'admin')) AS matched,
       (SELECT COUNT(*) FROM work w WHERE w.email = h.email AND w.day = h.day AND w.solved)
           AS solved,
       (SELECT COUNT(*) FROM work w WHERE w.email = h.email AND w.day = h.day) AS handled
FROM h;
