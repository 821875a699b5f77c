"""Keeping the KPI tables current: facts for changed tickets, and the day buckets they
contribute to (each chunk's rows are written by `kpi.upkeep.fact_rows`).

`refresh` takes the tickets listed in `kpi_dirty` (written in the same transaction as the
page that changed them), recomputes their facts, and moves each `kpi_daily` bucket by the
difference between what their old and new facts contribute, all in one transaction. Cost
grows with what changed, not with the store. `rebuild` is the same code over every ticket
from empty tables, so a full rebuild and any sequence of incremental refreshes give
identical rows (integer sums).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from typing import Any

from deskpulse.kpi.hours.schedules import Calendars, as_calendars
from deskpulse.kpi.hours.seconds import Schedule
from deskpulse.kpi.sla.policy import Target
from deskpulse.kpi.upkeep import set_aside
from deskpulse.kpi.upkeep.contacts import contacts_of, move_neighbours, update_gaps
from deskpulse.kpi.upkeep.fact_rows import days_in, replace_facts
from deskpulse.kpi.upkeep.inputs import marks
from deskpulse.kpi.upkeep.rollup import Deltas, contributions_of
from deskpulse.kpi.upkeep.set_aside import Fault
from deskpulse.kpi.upkeep.values import ValueLog, Values, values_of
from deskpulse.store import Store
from deskpulse.store.schema import statements

CHUNK = 500


def report_zone(store: Store) -> str:
    """The zone the stored day columns are in (recorded by `kpi.upkeep.definitions`)."""
    row = store.conn.execute("SELECT value FROM kpi_meta WHERE key = 'report_tz'").fetchone()
    return row[0] if row else "UTC"


# A refresh of this many tickets or more (a backfill, a rebuild) refreshes the planner's
# statistics at its end (Store.analyze: PostgreSQL only).
ANALYZE_AFTER = 10_000


def refresh(store: Store, *, source: str | None = None,
            schedule: Schedule | Calendars | None = None, targets: Sequence[Target] = (),
            fault: Fault | None = None) -> int:
    """Recompute facts of every ticket in `kpi_dirty` (of `source`, or all); return how many.
    `schedule` gives business time (the `_bus` columns); without it they stay NULL.
    `targets` are the SLA targets (`sla_instances`); without them there are none. A ticket
    whose facts cannot be computed is set aside (`kpi.upkeep.set_aside`), never blocking the rest;
    `fault(source, ticket_id)` is called before each ticket's facts (tests inject errors)."""
    done, calendars, day = 0, as_calendars(schedule), days_in(report_zone(store))
    with store.transaction():
        for name in [source] if source else set_aside.sources(store.conn):
            set_aside.retry(store.conn, name)
            deltas = Deltas(store.conn, name)  # rollups written once, not once a chunk
            values = Values(store.conn, name)  # the percentile figures' sorted values

            def run(ids: list[str], without: frozenset[str], name: str = name,
                    deltas: Deltas = deltas, values: Values = values) -> Callable[[], None]:
                old = contributions_of(store.conn, name, ids)
                old_values = values_of(store.conn, name, ids)
                contacts = contacts_of(store.conn, name, ids)
                replace_facts(store, name, ids, calendars, day, targets, without, fault)
                update_gaps(store.conn, name, ids)
                new = contributions_of(store.conn, name, ids)
                log = ValueLog()  # applied to `values` only once the chunk stands
                log.add(old_values, values_of(store.conn, name, ids))
                move_neighbours(store.conn, name, ids, contacts, log)
                return lambda: (deltas.add(old, new), log.replay(values))

            for chunk in _dirty_chunks(store, name):
                done += set_aside.refresh_isolated(store, name, chunk, run)
                store.conn.execute(
                    "DELETE FROM kpi_dirty WHERE source = ? AND ticket_id IN "
                    f"({marks(len(chunk))})", (name, *chunk))
            deltas.flush()
            values.finish()
        if done >= ANALYZE_AFTER:
            store.analyze()  # in the transaction: the statistics and the rows go together
    return done


def _dirty_chunks(store: Store, source: str) -> Iterator[list[str]]:
    """The source's dirty tickets, CHUNK at a time, read as they are needed: a backfill of a
    million tickets leaves a million ids, which held in one list grew the process's memory
    with the account (bench/memory.py)."""
    after = ""
    while True:
        chunk = [row[0] for row in store.conn.execute(
            "SELECT ticket_id FROM kpi_dirty WHERE source = ? AND ticket_id > ? "
            "ORDER BY ticket_id LIMIT ?", (source, after, CHUNK))]
        if not chunk:
            return
        yield chunk
        after = chunk[-1]


def rebuild(store: Store, *, source: str | None = None,
            schedule: Schedule | Calendars | None = None, targets: Sequence[Target] = (),
            fault: Fault | None = None) -> int:
    """Drop every fact and rollup (of `source`, or all) and recompute them from the events."""
    with store.transaction():
        where, args = ("WHERE source = ?", (source,)) if source else ("", ())
        for table in ("ticket_facts", "unsolved_spans", "reply_cycles", "kpi_daily",
                      "sla_instances", "kpi_values"):
            store.conn.execute(f"DELETE FROM {table} {where}", args)
        # WHERE is never empty: SQLite would read ON CONFLICT as the join's ON otherwise
        store.conn.execute("INSERT INTO kpi_dirty (source, ticket_id) SELECT source, id FROM "
                           f"tickets {where or 'WHERE true'} ON CONFLICT DO NOTHING", args)
        return refresh(store, source=source, schedule=schedule, targets=targets, fault=fault)


def install_views(store: Store, options: dict[str, Any] | None = None) -> None:
    """(Re)create the kpi_* views from kpi/views.sql; with `options` (the config's [kpi]
    `repeat_days`, `escalation_tags` and `sla_at_risk`, as for `kpi.summary`), record them in
    kpi_meta for the views that depend on them."""
    sql = resources.files("deskpulse.kpi").joinpath("views.sql").read_text(encoding="utf-8")
    with store.transaction():
        if options is not None:
            at_risk = options.get("sla_at_risk")
            for key, value in (("repeat_contact_days", str(int(options["repeat_days"]))),
                               ("escalation_tags", json.dumps(list(
                                   options["escalation_tags"]))),
                               ("sla_at_risk_seconds", str(int(
                                   at_risk.total_seconds())) if at_risk else "3600")):
                store.conn.execute(
                    "INSERT INTO kpi_meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
        # the views of this version first, readers before what they read (kpi_days reads
        # kpi_days_by): no CASCADE, so a reader's own view on ours makes this fail loudly
        # instead of vanishing; then any kpi_* view an older version left (store.drop_views)
        for name in reversed(re.findall(r"^CREATE VIEW (\w+)", sql, flags=re.MULTILINE)):
            store.conn.execute(f"DROP VIEW IF EXISTS {name}")
        store.drop_views("kpi_")
        for statement in statements(sql):
            store.conn.execute(statement)
