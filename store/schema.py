"""The SQLite schema as an ordered list of forward-only migrations.

One number, `PRAGMA user_version`, says which migrations a file has; each migration runs in
one transaction together with its version bump, so a crash mid-migration leaves the file at
the previous version. Never edit a released migration: append a new one.
The tables are documented for readers in docs/schema.md (a test keeps the two in step).
"""

from __future__ import annotations

import sqlite3

from deskpulse.store.ext_schema import EXTERNAL_INPUTS
from deskpulse.store.kpi_schema import (
    ASSIGNMENT_AND_BOTS,
    HANDLE_TIME,
    KPI_META,
    KPI_SET_ASIDE,
    KPI_TABLES,
    REPLY_CYCLES,
    REPORT_VALUES,
    SLA_INSTANCES,
)
from deskpulse.store.rating_join import RATING_HALVES
from deskpulse.store.relations_schema import RELATIONS
from deskpulse.store.unmapped import UNMAPPED_VALUES

CORE_TABLES = """
CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account TEXT,
    added_at TEXT NOT NULL
);
CREATE TABLE tickets (
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
    PRIMARY KEY (source, id)
);
CREATE INDEX tickets_created ON tickets (source, created_at);
CREATE TABLE events (
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
    PRIMARY KEY (source, id)
);
CREATE INDEX events_ticket ON events (source, ticket_id, at);
CREATE INDEX events_actor ON events (source, actor_id);
CREATE TABLE people (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    role TEXT NOT NULL,
    name TEXT,
    email TEXT,
    organization_id TEXT,
    time_zone TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (source, id)
);
CREATE TABLE groups (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT,
    PRIMARY KEY (source, id)
);
CREATE TABLE ratings (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    ticket_id TEXT,
    at TEXT NOT NULL,
    score TEXT NOT NULL,
    scale TEXT NOT NULL,
    positive INTEGER,
    comment TEXT,
    kind TEXT NOT NULL DEFAULT 'csat',
    PRIMARY KEY (source, id)
);
CREATE INDEX ratings_ticket ON ratings (source, ticket_id);
CREATE TABLE vendor_metrics (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    metrics TEXT NOT NULL,
    PRIMARY KEY (source, ticket_id)
);
CREATE TABLE sync_state (
    source TEXT NOT NULL,
    stream TEXT NOT NULL,
    cursor TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (source, stream)
);
CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    mode TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    pages INTEGER NOT NULL DEFAULT 0,
    records INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX sync_runs_source ON sync_runs (source, started_at);
CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    stream TEXT NOT NULL,
    at TEXT NOT NULL,
    error TEXT NOT NULL,
    payload TEXT
);
CREATE TABLE kpi_dirty (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    PRIMARY KEY (source, ticket_id)
) WITHOUT ROWID;
"""

VENDOR_EXTRAS = """
ALTER TABLE tickets ADD COLUMN events_truncated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN events_seen INTEGER;
CREATE TABLE time_entries (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    ticket_id TEXT,
    agent_id TEXT,
    seconds INTEGER NOT NULL,
    billable INTEGER,
    at TEXT NOT NULL,
    note TEXT,
    PRIMARY KEY (source, id)
);
CREATE INDEX time_entries_ticket ON time_entries (source, ticket_id);
CREATE TABLE schedules (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT,
    time_zone TEXT,
    is_default INTEGER NOT NULL DEFAULT 0,
    hours TEXT NOT NULL DEFAULT '{}',
    holidays TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (source, id)
);
"""

REQUESTER_INDEX = """
CREATE INDEX tickets_requester ON tickets (source, requester_id, created_at);
"""

# Which business hours a group follows (Freshdesk's business_hour_id), agent work time (time
# in new/open, the Zendesk SLA metric) as a fact, and the ticket type as a report dimension.
GROUP_SCHEDULES_AND_AGENT_WORK = """
ALTER TABLE groups ADD COLUMN schedule_id TEXT;
ALTER TABLE ticket_facts ADD COLUMN agent_work_cal INTEGER;
ALTER TABLE ticket_facts ADD COLUMN agent_work_bus INTEGER;
ALTER TABLE ticket_facts ADD COLUMN type TEXT;
"""

# Each synced schedule's versions (store/schedules.py); effective_from '' = the first one.
SCHEDULE_HISTORY = """
CREATE TABLE schedule_versions (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    time_zone TEXT,
    hours TEXT NOT NULL,
    holidays TEXT NOT NULL,
    PRIMARY KEY (source, id, effective_from)
);
INSERT INTO schedule_versions SELECT source, id, '', time_zone, hours, holidays FROM schedules;
"""

# An escalation sign as a fact (priority raised to high/urgent after creation), so reports
# no longer look through every ticket's events for it.
ESCALATION_FACT = """
ALTER TABLE ticket_facts ADD COLUMN priority_raised INTEGER NOT NULL DEFAULT 0;
"""

# The vendor's own SLA policies (whole set per source, replaced at each sync), their targets
# per metric × priority, and the vendor's per-ticket due moments (Freshdesk fr_due_by, …).
VENDOR_SLA = """
CREATE TABLE sla_policies (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    title TEXT,
    position INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    conditions TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT,
    PRIMARY KEY (source, id)
);
CREATE TABLE sla_policy_targets (
    source TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    priority TEXT NOT NULL,
    target_s INTEGER NOT NULL,
    business INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, policy_id, metric, priority)
);
CREATE TABLE vendor_sla (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    due_at TEXT NOT NULL,
    escalated INTEGER,
    PRIMARY KEY (source, ticket_id, metric)
);
"""

# Who runs a run (pid and host, so `status` can tell a live run from one whose process died)
# and what range a backfill covers (to say how to resume it); the vendor id of a dead
# letter's object, so the letter is dropped once that record is stored.
RUN_OWNERS = """
ALTER TABLE sync_runs ADD COLUMN pid INTEGER;
ALTER TABLE sync_runs ADD COLUMN host TEXT;
ALTER TABLE sync_runs ADD COLUMN since TEXT;
ALTER TABLE sync_runs ADD COLUMN until TEXT;
ALTER TABLE dead_letters ADD COLUMN record_id TEXT;
CREATE INDEX dead_letters_record ON dead_letters (source, record_id);
"""

# Which daemon syncs which source now (store/leases.py): several daemons, on any machines,
# share one database's sources. One row per source and job (`sync`: the daemons and
# `deskpulse sync`; `backfill`: `deskpulse backfill`); `generation` is the fencing token.
SOURCE_LEASES = """
CREATE TABLE source_leases (
    source TEXT NOT NULL,
    job TEXT NOT NULL,
    holder TEXT,
    generation INTEGER NOT NULL DEFAULT 0,
    acquired_at TEXT,
    expires_at TEXT,
    next_due_at TEXT NOT NULL,
    PRIMARY KEY (source, job)
);
CREATE INDEX source_leases_due ON source_leases (job, next_due_at);
"""

# Ordered, forward-only. Index i brings a file from user_version i to i + 1.
MIGRATIONS: list[str] = [CORE_TABLES, KPI_TABLES, KPI_META, VENDOR_EXTRAS, REPLY_CYCLES,
                         HANDLE_TIME, ASSIGNMENT_AND_BOTS, REQUESTER_INDEX,
                         GROUP_SCHEDULES_AND_AGENT_WORK, SCHEDULE_HISTORY,
                         SLA_INSTANCES, EXTERNAL_INPUTS,
                         ESCALATION_FACT, REPORT_VALUES, VENDOR_SLA,
                         UNMAPPED_VALUES, RUN_OWNERS, KPI_SET_ASIDE, RELATIONS, RATING_HALVES,
                         SOURCE_LEASES]


def migrate(conn: sqlite3.Connection, up_to: int | None = None) -> int:
    """Apply every migration the file lacks (up to version `up_to`, default the latest);
    return the resulting schema version."""
    last = len(MIGRATIONS) if up_to is None else up_to
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):  # Store.open says so first, with the fix (store.opening)
        msg = f"database schema version {version} is newer than this deskpulse"
        raise RuntimeError(msg)
    for number in range(version, last):
        _apply(conn, MIGRATIONS[number], number + 1)
    return max(version, last)


def _apply(conn: sqlite3.Connection, script: str, version: int) -> None:
    # executescript() commits first and runs outside our transaction, so split statements
    # and run them one by one inside BEGIN ... COMMIT together with the version bump.
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in statements(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {int(version)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def statements(script: str) -> list[str]:
    """The SQL statements of a script, split where SQLite itself sees a statement end."""
    found, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                found.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        found.append(buffer.strip())
    return found
