"""DDL of the KPI tables (migration 2). The kpi package owns their content; the store owns
the schema so there is one migration list. Documented in docs/schema.md."""

from __future__ import annotations

ANCHOR_DAYS = ("created_day", "first_reply_day", "first_solved_day", "last_solved_day",
               "rated_day")

KPI_TABLES = """
CREATE TABLE ticket_facts (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    priority TEXT,
    group_id TEXT,
    assignee_id TEXT,
    created_at TEXT NOT NULL,
    created_day TEXT NOT NULL,
    first_reply_at TEXT,
    first_reply_day TEXT,
    frt_cal INTEGER,
    frt_bus INTEGER,
    first_solved_at TEXT,
    first_solved_day TEXT,
    last_solved_at TEXT,
    last_solved_day TEXT,
    resolutions INTEGER NOT NULL,
    first_resolution_cal INTEGER,
    first_resolution_bus INTEGER,
    full_resolution_cal INTEGER,
    full_resolution_bus INTEGER,
    requester_wait_cal INTEGER NOT NULL,
    requester_wait_bus INTEGER,
    agent_wait_cal INTEGER NOT NULL,
    agent_wait_bus INTEGER,
    on_hold_cal INTEGER NOT NULL,
    on_hold_bus INTEGER,
    reopens INTEGER NOT NULL,
    replies INTEGER NOT NULL,
    public_agent_comments INTEGER NOT NULL,
    customer_msgs INTEGER NOT NULL,
    notes INTEGER NOT NULL,
    assignee_stations INTEGER NOT NULL,
    group_stations INTEGER NOT NULL,
    reassignments INTEGER NOT NULL,
    one_touch INTEGER NOT NULL,
    two_touch INTEGER NOT NULL,
    multi_touch INTEGER NOT NULL,
    zero_touch INTEGER NOT NULL,
    fcr INTEGER NOT NULL,
    csat_offered INTEGER NOT NULL,
    csat_score TEXT,
    csat_positive INTEGER,
    rated_at TEXT,
    rated_day TEXT,
    flags INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, ticket_id)
);
CREATE INDEX ticket_facts_created_day ON ticket_facts (source, created_day);
CREATE INDEX ticket_facts_first_reply_day ON ticket_facts (source, first_reply_day);
CREATE INDEX ticket_facts_first_solved_day ON ticket_facts (source, first_solved_day);
CREATE INDEX ticket_facts_last_solved_day ON ticket_facts (source, last_solved_day);
CREATE INDEX ticket_facts_rated_day ON ticket_facts (source, rated_day);
CREATE TABLE unsolved_spans (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    start_at TEXT NOT NULL,
    end_at TEXT,
    start_day TEXT NOT NULL,
    end_day TEXT,
    PRIMARY KEY (source, ticket_id, seq)
);
CREATE INDEX unsolved_spans_start ON unsolved_spans (source, start_day);
CREATE INDEX unsolved_spans_end ON unsolved_spans (source, end_day);
CREATE TABLE kpi_daily (
    source TEXT NOT NULL,
    day TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    created INTEGER NOT NULL DEFAULT 0,
    replied INTEGER NOT NULL DEFAULT 0,
    frt_sum INTEGER NOT NULL DEFAULT 0,
    solved INTEGER NOT NULL DEFAULT 0,
    first_res_sum INTEGER NOT NULL DEFAULT 0,
    full_res_n INTEGER NOT NULL DEFAULT 0,
    full_res_sum INTEGER NOT NULL DEFAULT 0,
    requester_wait_sum INTEGER NOT NULL DEFAULT 0,
    agent_wait_sum INTEGER NOT NULL DEFAULT 0,
    on_hold_sum INTEGER NOT NULL DEFAULT 0,
    replies_sum INTEGER NOT NULL DEFAULT 0,
    reopens_sum INTEGER NOT NULL DEFAULT 0,
    reopened_tickets INTEGER NOT NULL DEFAULT 0,
    one_touch INTEGER NOT NULL DEFAULT 0,
    two_touch INTEGER NOT NULL DEFAULT 0,
    multi_touch INTEGER NOT NULL DEFAULT 0,
    zero_touch INTEGER NOT NULL DEFAULT 0,
    fcr INTEGER NOT NULL DEFAULT 0,
    csat_rated INTEGER NOT NULL DEFAULT 0,
    csat_positive INTEGER NOT NULL DEFAULT 0,
    backlog_delta INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, day, dimension, value)
) WITHOUT ROWID;
"""

# Migration 3: what the stored facts were computed with (a schedule fingerprint, …), so a
# changed definition triggers a full rebuild by itself.
KPI_META = """
CREATE TABLE kpi_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

REPLY_CYCLES = """
ALTER TABLE ticket_facts ADD COLUMN reply_cycles INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ticket_facts ADD COLUMN reply_time_median_cal INTEGER;
ALTER TABLE ticket_facts ADD COLUMN reply_time_median_bus INTEGER;
CREATE TABLE reply_cycles (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    start_at TEXT NOT NULL,
    end_at TEXT,
    end_kind TEXT NOT NULL,
    secs_cal INTEGER,
    secs_bus INTEGER,
    end_day TEXT,
    PRIMARY KEY (source, ticket_id, seq)
);
CREATE INDEX reply_cycles_end ON reply_cycles (source, end_day);
"""

HANDLE_TIME = """
ALTER TABLE ticket_facts ADD COLUMN handle_time_s INTEGER;
"""

ASSIGNMENT_AND_BOTS = """
ALTER TABLE ticket_facts ADD COLUMN first_assigned_at TEXT;
ALTER TABLE ticket_facts ADD COLUMN first_assigned_day TEXT;
ALTER TABLE ticket_facts ADD COLUMN first_assignment_cal INTEGER;
ALTER TABLE ticket_facts ADD COLUMN first_assignment_bus INTEGER;
ALTER TABLE ticket_facts ADD COLUMN bot_msgs INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ticket_facts_first_assigned_day ON ticket_facts (source, first_assigned_day);
"""

# SLA instances (kpi-catalog §4, §5.6): every time a target applied to a ticket. The day
# columns are UTC days; `outcome_day` is where an outcome falls in a report (the fulfilment
# for achieved, the breach for breached or pending; NULL when cancelled).
SLA_INSTANCES = """
CREATE TABLE sla_instances (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    seq INTEGER NOT NULL,
    applied_at TEXT NOT NULL,
    applied_day TEXT NOT NULL,
    start_at TEXT NOT NULL,
    priority TEXT,
    channel TEXT NOT NULL,
    group_id TEXT,
    target_s INTEGER NOT NULL,
    business INTEGER NOT NULL,
    breach_at TEXT,
    breach_day TEXT,
    fulfilled_at TEXT,
    fulfilled_day TEXT,
    outcome TEXT NOT NULL,
    outcome_day TEXT,
    PRIMARY KEY (source, ticket_id, metric, seq)
);
CREATE INDEX sla_instances_outcome_day ON sla_instances (source, outcome_day);
CREATE INDEX sla_instances_pending ON sla_instances (breach_at) WHERE outcome = 'pending';
"""

# Report latency (issue #8): each day's values of a percentile figure kept sorted per channel
# (`kpi_values`, one BLOB of packed integers: a 90-day range is ~90 BLOBs per channel, not a
# row per ticket), the counters the rate figures need as day rollups, and each ticket's gap to
# its requester's next ticket (repeat contact) as a fact. Filled by the next facts rebuild
# (FACTS_VERSION 7).
REPORT_VALUES = """
CREATE TABLE kpi_values (
    metric TEXT NOT NULL,
    day TEXT NOT NULL,
    source TEXT NOT NULL,
    channel TEXT NOT NULL,
    n INTEGER NOT NULL,
    wide INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (metric, day, source, channel)
);
ALTER TABLE ticket_facts ADD COLUMN requester_id TEXT;
ALTER TABLE ticket_facts ADD COLUMN next_contact_s INTEGER;
CREATE INDEX ticket_facts_requester ON ticket_facts (source, requester_id, last_solved_at);
ALTER TABLE kpi_daily ADD COLUMN bot_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kpi_daily ADD COLUMN with_bots INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kpi_daily ADD COLUMN surveys_offered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kpi_daily ADD COLUMN surveys_answered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kpi_daily ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;
"""

# KPI facts that could not be computed (kpi.set_aside): kept with their error, retried by
# every refresh, named by `deskpulse status`.
KPI_SET_ASIDE = """
CREATE TABLE kpi_set_aside (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (source, ticket_id),
    FOREIGN KEY (source, ticket_id) REFERENCES tickets (source, id)
) WITHOUT ROWID;
"""
