"""The local pipeline without the network: records stored per second vs a bare executemany
ceiling, incremental KPI refresh vs a full rebuild, bytes per row, report latency."""

from __future__ import annotations

import sqlite3
import time
from datetime import date, timedelta
from pathlib import Path

from bench.common import (
    NOW,
    Replay,
    backfill,
    open_store,
    precompute,
    refresh_vs_rebuild,
    table,
    table_bytes,
)
from deskpulse import kpi
from deskpulse.store import Store


def _ceiling(source: Store, folder: Path) -> float:
    """Insert the same tickets, events and people rows, into the same tables with the same
    indexes, with a minimal executemany loop."""
    rows = {name: source.conn.execute(f"SELECT * FROM {name}").fetchall()
            for name in ("tickets", "events", "people")}
    path = folder / "ceiling.db"
    for leftover in folder.glob("ceiling.db*"):
        leftover.unlink()
    # the tables and every index on them: indexes are most of what an insert costs
    schema = [sql for (sql,) in source.conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name IN ('tickets', 'events', 'people') "
        "AND sql IS NOT NULL ORDER BY type = 'index'")]
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode", "synchronous", "cache_size"):  # the store's own settings
        value = source.conn.execute(f"PRAGMA {pragma}").fetchone()[0]
        conn.execute(f"PRAGMA {pragma} = {value}")
    for sql in schema:
        conn.execute(sql)
    started = time.perf_counter()
    for name, values in rows.items():
        marks = ",".join("?" * len(values[0]))
        for start in range(0, len(values), 1000):  # one transaction per page, as deskpulse
            conn.execute("BEGIN")
            conn.executemany(f"INSERT INTO {name} VALUES ({marks})", values[start:start + 1000])
            conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return sum(len(v) for v in rows.values()) / seconds


def throughput_and_kpis(tickets: int, folder: Path) -> str:
    prepared = precompute(tickets, folder)
    store = open_store(folder / "local.db")
    started = time.perf_counter()
    result = backfill(store, Replay(prepared.recorded))
    seconds = time.perf_counter() - started
    counts = {name: store.conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
              for name in ("tickets", "events", "people", "ticket_facts")}
    stored = counts["tickets"] + counts["events"] + counts["people"]
    ceiling = _ceiling(store, folder)
    rows = [("records committed (all streams)", f"{result.records:,} in {seconds:.1f} s "
             "(includes KPI facts and rollups)"),
            ("tickets + events + people stored", f"{stored:,}"),
            ("deskpulse rate", f"{stored / seconds:,.0f} rows/s"),
            ("bare executemany ceiling, same rows", f"{ceiling:,.0f} rows/s"),
            ("ratio (target >= 0.3)", f"{stored / seconds / ceiling:.3f}")]
    rows += _kpi_cost(store, prepared, folder)
    rows += _size_and_latency(store, folder / "local.db", counts)
    store.close()
    return table(f"Local pipeline, {tickets:,} tickets (simulator precomputed: "
                 f"{prepared.seconds:.1f} s to serve live)", rows)


def _kpi_cost(store: Store, prepared, folder: Path) -> list[tuple[str, str]]:
    ids = [row[0] for row in store.conn.execute(
        "SELECT id FROM tickets ORDER BY id LIMIT 1000")]
    incremental, full = refresh_vs_rebuild(store, ids)
    return [("kpi.refresh of 1,000 changed tickets", f"{incremental:.2f} s"),
            ("kpi.rebuild of every ticket", f"{full:.2f} s"),
            ("refresh / rebuild (target <= 0.01 at 1M tickets)", f"{incremental / full:.4f}")]


def _size_and_latency(store: Store, path: Path, counts: dict[str, int]) -> list[tuple[str, str]]:
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = {name: size for name, size in store.conn.execute(
        "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")} if _has_dbstat(store) else {}
    total = path.stat().st_size
    rows = [("file size", f"{total / 1e6:,.1f} MB")]
    if pages:
        rows.append(("bytes per ticket (table + indexes + raw JSON)",
                     f"{table_bytes(pages, 'tickets') / counts['tickets']:,.0f}"))
        rows.append(("bytes per event (table + indexes)",
                     f"{table_bytes(pages, 'events') / counts['events']:,.0f}"))
    last = date.fromisoformat(store.conn.execute("SELECT MAX(day) FROM kpi_daily").fetchone()[0])
    started = time.perf_counter()
    kpi.summary(store, source="demo", since=last - timedelta(days=89), until=last)
    rows.append(("kpi report, 90 days, p50/p90 (target < 1 s)",
                 f"{time.perf_counter() - started:.3f} s"))
    return rows


def _has_dbstat(store: Store) -> bool:
    try:
        store.conn.execute("SELECT 1 FROM dbstat LIMIT 1")
        return True
    except sqlite3.OperationalError:
        return False


__all__ = ["NOW", "throughput_and_kpis"]
