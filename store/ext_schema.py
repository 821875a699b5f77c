"""DDL of the external-input tables (`deskpulse import`): what a help desk does not know.

Costs, revenue, agent hours and billing accounts come from CSV files, one `feed` per ledger
(default `csv`). Keys make a re-import an update, never a second copy: periods of costs and
revenue are replaced where a new file overlaps them (store/external.py), agent days and
accounts are upserted on their key. Survey answers go to `ratings`. Documented in
docs/schema.md.
"""

from __future__ import annotations

EXTERNAL_INPUTS = """
CREATE TABLE ext_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    feed TEXT NOT NULL,
    file_name TEXT NOT NULL,
    rows INTEGER NOT NULL,
    replaced INTEGER NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE TABLE ext_costs (
    feed TEXT NOT NULL,
    category TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    amount REAL NOT NULL,
    currency TEXT NOT NULL,
    import_id INTEGER NOT NULL,
    PRIMARY KEY (feed, category, period_start)
);
CREATE TABLE ext_revenue (
    feed TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    amount REAL NOT NULL,
    currency TEXT NOT NULL,
    import_id INTEGER NOT NULL,
    PRIMARY KEY (feed, period_start)
);
CREATE TABLE ext_agent_hours (
    feed TEXT NOT NULL,
    agent_email TEXT NOT NULL,
    day TEXT NOT NULL,
    scheduled_h REAL NOT NULL,
    logged_in_h REAL NOT NULL,
    productive_h REAL NOT NULL,
    import_id INTEGER NOT NULL,
    PRIMARY KEY (feed, agent_email, day)
);
CREATE INDEX ext_agent_hours_day ON ext_agent_hours (day);
CREATE TABLE ext_accounts (
    feed TEXT NOT NULL,
    account_id TEXT NOT NULL,
    domain_or_org_id TEXT NOT NULL,
    plan TEXT,
    mrr REAL NOT NULL,
    start_date TEXT NOT NULL,
    churn_date TEXT,
    import_id INTEGER NOT NULL,
    PRIMARY KEY (feed, account_id)
);
CREATE INDEX ratings_kind_at ON ratings (kind, at);
"""
