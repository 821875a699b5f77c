"""The external-input tables (`deskpulse import`) and the sync bookkeeping (docs/schema.md)."""

from __future__ import annotations

from deskpulse.store.catalog import (
    COUNT,
    DAY,
    HOURS,
    JSON,
    TO_SOURCE,
    TS,
    Area,
    C,
    R,
    Table,
    source,
)

IMPORT = R(("import_id",), "ext_imports", ("id",))
FEED = C("feed", "the feed (`--feed`, default `csv`)")
IMPORT_ID = C("import_id", "the import that last wrote it (`ext_imports.id`)")
AMOUNT_COLUMNS = (
    C("period_start", "the first day the amount covers", DAY),
    C("period_end", "the last day the amount covers (inclusive)", DAY),
)

EXTERNAL = Area("External inputs", (
    "Rows imported with `deskpulse import` ([docs/imports.md](imports.md)): what a help desk "
    "does not know. `feed` names the ledger a row came from (`--feed`, default `csv`); feeds "
    "add up. `import_id` is the `ext_imports` row that last wrote it. Days are `YYYY-MM-DD`, "
    "periods inclusive."), (
    Table("ext_imports", "One row per import.", key=("id",), columns=(
        C("id", "import number"),
        C("kind", "`costs`, `revenue`, `surveys`, `agent_hours`, `accounts`"),
        C("feed", "the feed (surveys: the help-desk source the answers were stored under)"),
        C("file_name", "the file's base name (never its content)"),
        C("rows", "rows written", COUNT),
        C("replaced", "stored rows the import updated or replaced", COUNT),
        C("imported_at", "when", TS),
    )),
    Table("ext_costs", "Support costs over periods; periods of one feed and category never "
          "overlap (an import replaces the ones its rows overlap).",
          key=("feed", "category", "period_start"), relations=(IMPORT,), columns=(
        FEED,
        C("category", "`salaries`, `tools`, `outsourcing`, …"),
        *AMOUNT_COLUMNS,
        C("amount", "the cost, spread evenly over its days in KPIs", "currency units"),
        C("currency", "three-letter code; one currency for all costs"),
        IMPORT_ID,
    )),
    Table("ext_revenue", "Revenue over periods; periods of one feed never overlap.",
          key=("feed", "period_start"), relations=(IMPORT,), columns=(
        FEED,
        *AMOUNT_COLUMNS,
        C("amount", "the revenue, spread evenly over its days in KPIs", "currency units"),
        C("currency", "three-letter code, the costs' currency"),
        IMPORT_ID,
    )),
    Table("ext_agent_hours", "Hours per agent and day (WFM or payroll export).",
          key=("feed", "agent_email", "day"), relations=(IMPORT,), columns=(
        FEED,
        C("agent_email", "lowercase; matched to `people.email` of agents and admins"),
        C("day", "the UTC day", DAY),
        C("scheduled_h", "scheduled (paid) hours", HOURS),
        C("logged_in_h", "logged-in hours", HOURS),
        C("productive_h", "productive hours", HOURS),
        IMPORT_ID,
    )),
    Table("ext_accounts", "Billing accounts, for churn and retention of accounts with tickets.",
          key=("feed", "account_id"), relations=(IMPORT,), columns=(
        FEED,
        C("account_id", "the billing system's id"),
        C("domain_or_org_id", "matched to `tickets.organization_id` or to the requester's "
          "email domain"),
        C("plan", "plan name", null="not given"),
        C("mrr", "monthly recurring revenue", "currency units"),
        C("start_date", "when the account started", DAY),
        C("churn_date", "when it was lost", DAY, null="still a customer"),
        IMPORT_ID,
    )),
))

BOOKKEEPING = Area("Sync bookkeeping", "", (
    Table("sync_state", "Where each stream stopped. A backfill reads into its own slot, "
          "`<stream>@backfill:<since>`; a stream read to the end keeps `{\"finished\": true}` "
          "there, so a resumed backfill skips it, and every slot is removed when the whole "
          "backfill completes.", key=("source", "stream"),
          relations=(TO_SOURCE,), columns=(
        source(),
        C("stream", "the vendor stream (`tickets`, `ticket_events`, …)"),
        C("cursor", "the vendor cursor to resume from (Zendesk `after_cursor`, `start_time`, "
          "…)", JSON, null="the stream finished: start it over"),
        C("updated_at", "when it was committed", TS),
    )),
    Table("sync_runs", "One row per sync or backfill.", key=("id",), relations=(TO_SOURCE,),
          columns=(
        C("id", "run number"),
        source(),
        C("mode", "`sync` or `backfill`"),
        C("started_at", "when it started", TS),
        C("finished_at", "when it ended", TS, null="still running, or the process died"),
        C("status", "`running`, `ok`, `failed`, `interrupted` (a second Ctrl-C, or its "
          "process died: closed so by the next run of the source, and shown so by `deskpulse "
          "status` at once), `stopped` (SIGTERM or a first Ctrl-C, also during a retry wait; "
          "the page in hand was committed)"),
        C("pages", "pages committed", COUNT),
        C("records", "records committed", COUNT),
        C("requests", "HTTP requests made (retries included)", COUNT),
        C("error", "what went wrong, naming source, endpoint and what to check; never a token",
          null="nothing went wrong"),
        C("pid", "the process that runs it: a `running` row whose pid is gone on this host is "
          "a dead run", null="a run recorded before deskpulse kept it"),
        C("host", "the machine that runs it", null="a run recorded before deskpulse kept it"),
        C("since", "a backfill's first day (`--since`), to say how to resume it", DAY,
          null="a sync, or a backfill from the account's beginning"),
        C("until", "a backfill's last day (`--until`)", DAY, null="no end given"),
    )),
    Table("source_leases", "Which process syncs which source now: several `deskpulse "
          "daemon` processes (on any machines) share one database's sources through these "
          "rows, each source synced by one at a time. A claim, a renewal and a release are "
          "compare-and-set UPDATEs; every page is committed only while its writer still "
          "holds the lease (README \"Several daemons\").",
          key=("source", "job"), columns=(
        source(),
        C("job", "`sync` (daemons and `deskpulse sync`) or `backfill` (`deskpulse backfill`, "
          "which reads into its own cursor slot and may run beside them)"),
        C("holder", "who holds it: `host pid N #id` of the daemon or command",
          null="free"),
        C("generation", "claims so far: the fencing token a page commit checks", COUNT),
        C("acquired_at", "when the holder claimed it", TS, null="never claimed"),
        C("expires_at", "when another process may take it over (pushed `lease_ttl` ahead "
          "at every page)", TS, null="free"),
        C("next_due_at", "when the source is next due: the run's slot plus whole "
          "`interval`s (slots missed meanwhile collapse into one)", TS),
    )),
    Table("dead_letters", "Vendor objects that failed validation. The sync goes on without "
          "them; nothing vanishes silently.", key=("id",), relations=(TO_SOURCE,), columns=(
        C("id", "row number"),
        source(),
        C("stream", "the stream it came from"),
        C("at", "when it was rejected", TS),
        C("error", "which fields failed and why"),
        C("payload", "the vendor object", JSON, null="the response held no object to keep"),
        C("record_id", "the vendor's id of the object: the letter is deleted once a record "
          "with this id is stored from the same stream (the vendor sent it again, or "
          "`deskpulse retry` mapped it)", null="the object had no readable id"),
    )),
    Table("unmapped", "Vendor values deskpulse could not map (a zone, a status, a channel, a "
          "part type, ...): one row per record and value, so a page read again never counts "
          "twice. A kept record's rows are replaced each time it is written, so a value "
          "mapped since stops counting. `deskpulse status` lists them.",
          key=("source", "record_type", "record_id", "kind", "value"), relations=(TO_SOURCE,),
          columns=(
        source(),
        C("record_type", "the record that carried the value: `ticket`, `event`, `person`, "
          "`group`, `schedule`, ..."),
        C("record_id", "that record's id, as the vendor gives it"),
        C("kind", "what could not be mapped: `zone`, `status`, `channel`, `part_type`, ..."),
        C("value", "the vendor's value, as sent"),
        C("stream", "the stream that read it"),
        C("field", "where in the vendor's object the value stood (e.g. `conversation.source`)"),
        C("effect", "what deskpulse did instead (e.g. `its channel is other`)"),
        C("fix", "what the user can do", null="nothing to configure: report the value"),
        C("seen_at", "when a sync last read it", TS),
    )),
    Table("unmapped_values", "View: `unmapped` counted per source, kind and value, with one "
          "example record; what `deskpulse status` shows.", view=True, columns=(
        source(),
        C("kind", "what could not be mapped"),
        C("value", "the vendor's value"),
        C("records", "distinct records carrying it", COUNT),
        C("example", "one of them: record type and id"),
        C("field", "where the value stood"),
        C("effect", "what deskpulse did instead"),
        C("fix", "what the user can do", null="nothing to configure: report the value"),
        C("last_seen", "when a sync last read it", TS),
    )),
    Table("kpi_set_aside", "Tickets whose KPI facts could not be computed (an error in the "
          "fact code on data it did not expect): set aside so that one ticket never blocks "
          "its source's KPIs. Such a ticket has no `ticket_facts` row (like a deleted ticket, "
          "so it is in no figure); every KPI refresh tries it again and removes the row when "
          "it succeeds. `deskpulse status` lists them.", key=("source", "ticket_id"),
          relations=(R(("source", "ticket_id"), "tickets"),), columns=(
        source(),
        C("ticket_id", "the ticket (`tickets.id`)"),
        C("error", "the error's type and message, as the fact code raised it"),
        C("attempts", "how many refreshes have tried it and failed", COUNT),
    )),
    Table("kpi_dirty", "Tickets whose KPI facts must be recomputed: written in the same "
          "transaction as the page that changed them, removed by the KPI refresh. Usually "
          "empty between runs.", key=("source", "ticket_id"), columns=(
        source(),
        C("ticket_id", "the ticket (`tickets.id`)"),
    )),
))
