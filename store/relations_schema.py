"""DDL of the relations migration: every link between tables declared as a FOREIGN KEY.

Declared so readers can follow them (sqlite3 `.schema`, `PRAGMA foreign_key_list`, DBeaver,
sqlite-utils `table.foreign_keys`), never enforced while syncing: a page of events can arrive
before the page with their ticket, so deskpulse keeps `PRAGMA foreign_keys` off (store/db.py).
A child keyed by (source, x) points at its parent's whole key (source, id): SQLite needs the
parent columns to be a PRIMARY KEY or UNIQUE. Tables whose rows hang off a source alone point
at `sources (name)`, which is also the one kind Datasette links (it skips compound keys).

SQLite cannot add a constraint with ALTER TABLE, so each table is rebuilt the documented way
(sqlite.org/lang_altertable.html, "other kinds of table schema changes"): create `X_new`,
copy every row, drop `X`, rename, recreate its indexes. `legacy_alter_table` keeps the rename
from re-checking the kpi_* views, which name `X` while it is briefly missing; the views
themselves are untouched. AUTOINCREMENT counters move with their table. Column order is the
order earlier migrations left, so `SELECT *` copies straight across. Do not use sqlite-utils
`table.transform()` on these tables later: it writes single-column foreign keys and would
split the compound ones. Time on a big file: docs/schema.md "Relations".
"""

from __future__ import annotations

RELATIONS = """
PRAGMA legacy_alter_table = ON;
CREATE TABLE tickets_new (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    subject TEXT,
    status TEXT NOT NULL,
    vendor_status TEXT,
    priority TEXT,
    channel TEXT NOT NULL,
    type TEXT,
    requester_id TEXT,
    assignee_id TEXT,
    group_id TEXT,
    organization_id TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    solved_at TEXT,
    closed_at TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    raw TEXT,
    events_truncated INTEGER NOT NULL DEFAULT 0,
    events_seen INTEGER,
    PRIMARY KEY (source, id),
    FOREIGN KEY (source) REFERENCES sources (name),
    FOREIGN KEY (source, requester_id) REFERENCES people (source, id),
    FOREIGN KEY (source, assignee_id) REFERENCES people (source, id),
    FOREIGN KEY (source, group_id) REFERENCES groups (source, id)
);
INSERT INTO tickets_new SELECT * FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_new RENAME TO tickets;
CREATE INDEX tickets_created ON tickets (source, created_at);
CREATE INDEX tickets_requester ON tickets (source, requester_id, created_at);
CREATE TABLE events_new (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor_id TEXT,
    actor_role TEXT,
    public INTEGER NOT NULL DEFAULT 0,
    channel TEXT,
    old_value TEXT,
    new_value TEXT,
    body TEXT,
    PRIMARY KEY (source, id),
    FOREIGN KEY (source, ticket_id) REFERENCES tickets (source, id),
    FOREIGN KEY (source, actor_id) REFERENCES people (source, id)
);
INSERT INTO events_new SELECT * FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_ticket ON events (source, ticket_id, at);
CREATE INDEX events_actor ON events (source, actor_id);
CREATE TABLE people_new (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    role TEXT NOT NULL,
    name TEXT,
    email TEXT,
    organization_id TEXT,
    time_zone TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (source, id),
    FOREIGN KEY (source) REFERENCES sources (name)
);
INSERT INTO people_new SELECT * FROM people;
DROP TABLE people;
ALTER TABLE people_new RENAME TO people;
CREATE TABLE groups_new (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT,
    schedule_id TEXT,
    PRIMARY KEY (source, id),
    FOREIGN KEY (source) REFERENCES sources (name),
    FOREIGN KEY (source, schedule_id) REFERENCES schedules (source, id)
);
INSERT INTO groups_new SELECT * FROM groups;
DROP TABLE groups;
ALTER TABLE groups_new RENAME TO groups;
CREATE TABLE ratings_new (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    ticket_id TEXT,
    at TEXT NOT NULL,
    score TEXT NOT NULL,
    scale TEXT NOT NULL,
    positive INTEGER,
    comment TEXT,
    kind TEXT NOT NULL DEFAULT 'csat',
    PRIMARY KEY (source, id),
    FOREIGN KEY (source, ticket_id) REFERENCES tickets (source, id)
);
INSERT INTO ratings_new SELECT * FROM ratings;
DROP TABLE ratings;
ALTER TABLE ratings_new RENAME TO ratings;
CREATE INDEX ratings_ticket ON ratings (source, ticket_id);
CREATE INDEX ratings_kind_at ON ratings (kind, at);
CREATE TABLE vendor_metrics_new (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    metrics TEXT NOT NULL,
    PRIMARY KEY (source, ticket_id),
    FOREIGN KEY (source, ticket_id) REFERENCES tickets (source, id)
);
INSERT INTO vendor_metrics_new SELECT * FROM vendor_metrics;
DROP TABLE vendor_metrics;
ALTER TABLE vendor_metrics_new RENAME TO vendor_metrics;
CREATE TABLE time_entries_new (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    ticket_id TEXT,
    agent_id TEXT,
    seconds INTEGER NOT NULL,
    billable INTEGER,
    at TEXT NOT NULL,
    note TEXT,
    PRIMARY KEY (source, id),
    FOREIGN KEY (source, ticket_id) REFERENCES tickets (source, id),
    FOREIGN KEY (source, agent_id) REFERENCES people (source, id)
);
INSERT INTO time_entries_new SELECT * FROM time_entries;
DROP TABLE time_entries;
ALTER TABLE time_entries_new RENAME TO time_entries;
CREATE INDEX time_entries_ticket ON time_entries (source, ticket_id);
CREATE TABLE schedules_new (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT,
    time_zone TEXT,
    is_default INTEGER NOT NULL DEFAULT 0,
    hours TEXT NOT NULL DEFAULT '{}',
    holidays TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (source, id),
    FOREIGN KEY (source) REFERENCES sources (name)
);
INSERT INTO schedules_new SELECT * FROM schedules;
DROP TABLE schedules;
ALTER TABLE schedules_new RENAME TO schedules;
CREATE TABLE schedule_versions_new (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    time_zone TEXT,
    hours TEXT NOT NULL,
    holidays TEXT NOT NULL,
    PRIMARY KEY (source, id, effective_from),
    FOREIGN KEY (source, id) REFERENCES schedules (source, id)
);
INSERT INTO schedule_versions_new SELECT * FROM schedule_versions;
DROP TABLE schedule_versions;
ALTER TABLE schedule_versions_new RENAME TO schedule_versions;
CREATE TABLE sla_policies_new (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    title TEXT,
    position INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    conditions TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT,
    PRIMARY KEY (source, id),
    FOREIGN KEY (source) REFERENCES sources (name)
);
INSERT INTO sla_policies_new SELECT * FROM sla_policies;
DROP TABLE sla_policies;
ALTER TABLE sla_policies_new RENAME TO sla_policies;
CREATE TABLE sla_policy_targets_new (
    source TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    priority TEXT NOT NULL,
    target_s INTEGER NOT NULL,
    business INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, policy_id, metric, priority),
    FOREIGN KEY (source, policy_id) REFERENCES sla_policies (source, id)
);
INSERT INTO sla_policy_targets_new SELECT * FROM sla_policy_targets;
DROP TABLE sla_policy_targets;
ALTER TABLE sla_policy_targets_new RENAME TO sla_policy_targets;
CREATE TABLE vendor_sla_new (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    due_at TEXT NOT NULL,
    escalated INTEGER,
    PRIMARY KEY (source, ticket_id, metric),
    FOREIGN KEY (source, ticket_id) REFERENCES tickets (source, id)
);
INSERT INTO vendor_sla_new SELECT * FROM vendor_sla;
DROP TABLE vendor_sla;
ALTER TABLE vendor_sla_new RENAME TO vendor_sla;
CREATE TABLE sync_state_new (
    source TEXT NOT NULL,
    stream TEXT NOT NULL,
    cursor TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (source, stream),
    FOREIGN KEY (source) REFERENCES sources (name)
);
INSERT INTO sync_state_new SELECT * FROM sync_state;
DROP TABLE sync_state;
ALTER TABLE sync_state_new RENAME TO sync_state;
CREATE TABLE sync_runs_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    mode TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    pages INTEGER NOT NULL DEFAULT 0,
    records INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    pid INTEGER,
    host TEXT,
    since TEXT,
    until TEXT,
    FOREIGN KEY (source) REFERENCES sources (name)
);
INSERT INTO sync_runs_new SELECT * FROM sync_runs;
DELETE FROM sqlite_sequence WHERE name = 'sync_runs_new';
UPDATE sqlite_sequence SET name = 'sync_runs_new' WHERE name = 'sync_runs';
DROP TABLE sync_runs;
ALTER TABLE sync_runs_new RENAME TO sync_runs;
CREATE INDEX sync_runs_source ON sync_runs (source, started_at);
CREATE TABLE dead_letters_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    stream TEXT NOT NULL,
    at TEXT NOT NULL,
    error TEXT NOT NULL,
    payload TEXT,
    record_id TEXT,
    FOREIGN KEY (source) REFERENCES sources (name)
);
INSERT INTO dead_letters_new SELECT * FROM dead_letters;
DELETE FROM sqlite_sequence WHERE name = 'dead_letters_new';
UPDATE sqlite_sequence SET name = 'dead_letters_new' WHERE name = 'dead_letters';
DROP TABLE dead_letters;
ALTER TABLE dead_letters_new RENAME TO dead_letters;
CREATE INDEX dead_letters_record ON dead_letters (source, record_id);
CREATE TABLE ticket_facts_new (
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
    reply_cycles INTEGER NOT NULL DEFAULT 0,
    reply_time_median_cal INTEGER,
    reply_time_median_bus INTEGER,
    handle_time_s INTEGER,
    first_assigned_at TEXT,
    first_assigned_day TEXT,
    first_assignment_cal INTEGER,
    first_assignment_bus INTEGER,
    bot_msgs INTEGER NOT NULL DEFAULT 0,
    agent_work_cal INTEGER,
    agent_work_bus INTEGER,
    type TEXT,
    priority_raised INTEGER NOT NULL DEFAULT 0,
    requester_id TEXT,
    next_contact_s INTEGER,
    PRIMARY KEY (source, ticket_id),
    FOREIGN KEY (source, ticket_id) REFERENCES tickets (source, id)
);
INSERT INTO ticket_facts_new SELECT * FROM ticket_facts;
DROP TABLE ticket_facts;
ALTER TABLE ticket_facts_new RENAME TO ticket_facts;
CREATE INDEX ticket_facts_created_day ON ticket_facts (source, created_day);
CREATE INDEX ticket_facts_first_reply_day ON ticket_facts (source, first_reply_day);
CREATE INDEX ticket_facts_first_solved_day ON ticket_facts (source, first_solved_day);
CREATE INDEX ticket_facts_last_solved_day ON ticket_facts (source, last_solved_day);
CREATE INDEX ticket_facts_rated_day ON ticket_facts (source, rated_day);
CREATE INDEX ticket_facts_first_assigned_day ON ticket_facts (source, first_assigned_day);
CREATE INDEX ticket_facts_requester ON ticket_facts (source, requester_id, last_solved_at);
CREATE TABLE unsolved_spans_new (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    start_at TEXT NOT NULL,
    end_at TEXT,
    start_day TEXT NOT NULL,
    end_day TEXT,
    PRIMARY KEY (source, ticket_id, seq),
    FOREIGN KEY (source, ticket_id) REFERENCES tickets (source, id)
);
INSERT INTO unsolved_spans_new SELECT * FROM unsolved_spans;
DROP TABLE unsolved_spans;
ALTER TABLE unsolved_spans_new RENAME TO unsolved_spans;
CREATE INDEX unsolved_spans_start ON unsolved_spans (source, start_day);
CREATE INDEX unsolved_spans_end ON unsolved_spans (source, end_day);
CREATE TABLE reply_cycles_new (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    start_at TEXT NOT NULL,
    end_at TEXT,
    end_kind TEXT NOT NULL,
    secs_cal INTEGER,
    secs_bus INTEGER,
    end_day TEXT,
    PRIMARY KEY (source, ticket_id, seq),
    FOREIGN KEY (source, ticket_id) REFERENCES tickets (source, id)
);
INSERT INTO reply_cycles_new SELECT * FROM reply_cycles;
DROP TABLE reply_cycles;
ALTER TABLE reply_cycles_new RENAME TO reply_cycles;
CREATE INDEX reply_cycles_end ON reply_cycles (source, end_day);
CREATE TABLE sla_instances_new (
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
    PRIMARY KEY (source, ticket_id, metric, seq),
    FOREIGN KEY (source, ticket_id) REFERENCES tickets (source, id)
);
INSERT INTO sla_instances_new SELECT * FROM sla_instances;
DROP TABLE sla_instances;
ALTER TABLE sla_instances_new RENAME TO sla_instances;
CREATE INDEX sla_instances_outcome_day ON sla_instances (source, outcome_day);
CREATE INDEX sla_instances_pending ON sla_instances (breach_at) WHERE outcome = 'pending';
CREATE TABLE ext_costs_new (
    feed TEXT NOT NULL,
    category TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    amount REAL NOT NULL,
    currency TEXT NOT NULL,
    import_id INTEGER NOT NULL,
    PRIMARY KEY (feed, category, period_start),
    FOREIGN KEY (import_id) REFERENCES ext_imports (id)
);
INSERT INTO ext_costs_new SELECT * FROM ext_costs;
DROP TABLE ext_costs;
ALTER TABLE ext_costs_new RENAME TO ext_costs;
CREATE TABLE ext_revenue_new (
    feed TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    amount REAL NOT NULL,
    currency TEXT NOT NULL,
    import_id INTEGER NOT NULL,
    PRIMARY KEY (feed, period_start),
    FOREIGN KEY (import_id) REFERENCES ext_imports (id)
);
INSERT INTO ext_revenue_new SELECT * FROM ext_revenue;
DROP TABLE ext_revenue;
ALTER TABLE ext_revenue_new RENAME TO ext_revenue;
CREATE TABLE ext_agent_hours_new (
    feed TEXT NOT NULL,
    agent_email TEXT NOT NULL,
    day TEXT NOT NULL,
    scheduled_h REAL NOT NULL,
    logged_in_h REAL NOT NULL,
    productive_h REAL NOT NULL,
    import_id INTEGER NOT NULL,
    PRIMARY KEY (feed, agent_email, day),
    FOREIGN KEY (import_id) REFERENCES ext_imports (id)
);
INSERT INTO ext_agent_hours_new SELECT * FROM ext_agent_hours;
DROP TABLE ext_agent_hours;
ALTER TABLE ext_agent_hours_new RENAME TO ext_agent_hours;
CREATE INDEX ext_agent_hours_day ON ext_agent_hours (day);
CREATE TABLE ext_accounts_new (
    feed TEXT NOT NULL,
    account_id TEXT NOT NULL,
    domain_or_org_id TEXT NOT NULL,
    plan TEXT,
    mrr REAL NOT NULL,
    start_date TEXT NOT NULL,
    churn_date TEXT,
    import_id INTEGER NOT NULL,
    PRIMARY KEY (feed, account_id),
    FOREIGN KEY (import_id) REFERENCES ext_imports (id)
);
INSERT INTO ext_accounts_new SELECT * FROM ext_accounts;
DROP TABLE ext_accounts;
ALTER TABLE ext_accounts_new RENAME TO ext_accounts;
PRAGMA legacy_alter_table = OFF;
"""
