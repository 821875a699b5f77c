"""The local pipeline without the network: records stored per second vs a bare executemany
ceiling, incremental KPI refresh vs a full rebuild, bytes per row, report latency."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from bench.common import (
    NOW,
    Prepared,
    Replay,
    backfill,
    last_day,
    open_store,
    refresh_vs_rebuild,
    size_rows,
    table,
)
from bench.targets import Target, drop, fresh, sibling
from deskpulse import kpi
from deskpulse.store import Store


def ceiling_rate(source: Store, target: Target) -> float:
    """Insert the same tickets, events and people rows, into the same tables with the same
    indexes, with a minimal executemany loop: into a fresh store of the same engine, so
    the schema, indexes and settings are the store's own."""
    rows = {name: source.conn.execute(f"SELECT * FROM {name}").fetchall()
            for name in ("tickets", "events", "people")}
    fresh(target)
    ceiling = Store.open(target)
    try:
        started = time.perf_counter()
        for name, values in rows.items():
            marks = ",".join("?" * len(values[0]))
            for start in range(0, len(values), 1000):  # one transaction a page, as deskpulse
                with ceiling.transaction():
                    ceiling.conn.executemany(f"INSERT INTO {name} VALUES ({marks})",
                                             values[start:start + 1000])
        seconds = time.perf_counter() - started
    finally:
        ceiling.close()
        drop(target)
    return sum(len(v) for v in rows.values()) / seconds


def throughput_and_kpis(prepared: Prepared, folder: Path, target: Target | None = None) -> str:
    """Backfill from precomputed responses into `target` (default: a SQLite file in
    `folder`); its rows/s against the ceiling, KPI cost, size and report latency."""
    tickets = len(prepared.account.tickets)
    target = target or folder / "local.db"
    store = open_store(target)
    started = time.perf_counter()
    result = backfill(store, Replay(prepared.recorded))
    seconds = time.perf_counter() - started
    counts = {name: store.conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
              for name in ("tickets", "events", "people", "ticket_facts")}
    stored = counts["tickets"] + counts["events"] + counts["people"]
    ceiling = ceiling_rate(store, sibling(target, "ceiling"))
    rows = [("records committed (all streams)", f"{result.records:,} in {seconds:.1f} s "
             "(includes KPI facts and rollups)"),
            ("tickets + events + people stored", f"{stored:,}"),
            ("deskpulse rate", f"{stored / seconds:,.0f} rows/s"),
            ("bare executemany ceiling, same rows", f"{ceiling:,.0f} rows/s"),
            ("ratio (target >= 0.3)", f"{stored / seconds / ceiling:.3f}")]
    rows += _kpi_cost(store, prepared, folder)
    rows += size_rows(store, counts) + [_latency(store)]
    backend = store.backend
    store.close()
    return table(f"Local pipeline, {backend}, {tickets:,} tickets (simulator precomputed: "
                 f"{prepared.seconds:.1f} s to serve live)", rows)


def _kpi_cost(store: Store, prepared, folder: Path) -> list[tuple[str, str]]:
    ids = [row[0] for row in store.conn.execute(
        "SELECT id FROM tickets ORDER BY id LIMIT 1000")]
    incremental, full = refresh_vs_rebuild(store, ids)
    return [("kpi.refresh of 1,000 changed tickets", f"{incremental:.2f} s"),
            ("kpi.rebuild of every ticket", f"{full:.2f} s"),
            ("refresh / rebuild (target <= 0.01 at 1M tickets)", f"{incremental / full:.4f}")]


def _latency(store: Store) -> tuple[str, str]:
    last = last_day(store)
    started = time.perf_counter()
    kpi.summary(store, source="demo", since=last - timedelta(days=89), until=last)
    return ("kpi report, 90 days, p50/p90 (target < 1 s)",
            f"{time.perf_counter() - started:.3f} s")


__all__ = ["NOW", "ceiling_rate", "throughput_and_kpis"]
