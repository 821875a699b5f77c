"""KPI cost, store size and report latency on a store of a million tickets.

Generating and serving a million tickets through the simulator takes hours (it keeps every
timeline in memory), so the large store is built from `copies` copies of one simulated
account backfilled for real: every ticket-keyed row (tickets, events, ratings, vendor
metrics, time entries) is copied with a suffix on its ids, so each copy is the same account's
year again, ten times as busy per day. Facts are then rebuilt from scratch (the full rebuild
figure: the copies have none yet), 1,000 tickets are marked changed and refreshed (the
incremental figure), and the report for 90 days is timed.
`python -m bench.scale [--base 100000] [--copies 10] [--keep DIR]`;
`python -m bench.scale --reuse PATH` times the refresh and the report on a store built before
(migrated first; its facts rebuilt only when their definitions changed, and that timed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

from bench.common import api, backfill, desk, open_store, refresh_vs_rebuild, table, table_bytes
from deskpulse import kpi
from deskpulse.store import Store

# ticket-keyed tables and the columns that hold ids to make unique per copy
KEYED = {"tickets": ("id",), "events": ("id", "ticket_id"), "ratings": ("id", "ticket_id"),
         "vendor_metrics": ("ticket_id",), "time_entries": ("id", "ticket_id")}


def _copy_rows(store: Store, copy: int) -> None:
    """One more copy of every ticket-keyed row, ids suffixed `~copy`."""
    for name, ids in KEYED.items():
        columns = [row[1] for row in store.conn.execute(f"PRAGMA table_info('{name}')")]
        picked = ", ".join(f"{c} || '~{copy}'" if c in ids else c for c in columns)
        originals = f"instr({ids[0]}, '~') = 0"  # the base account's rows only
        store.conn.execute(f"INSERT INTO {name} ({', '.join(columns)}) "
                           f"SELECT {picked} FROM {name} WHERE {originals}")


def build(base: int, copies: int, folder: Path) -> tuple[Store, dict[str, str]]:
    """A store of base × copies tickets with facts rebuilt from scratch; the timings."""
    store = open_store(folder / "scale.db")
    started = time.perf_counter()
    backfill(store, httpx.MockTransport(api(desk(base)).handler))
    timings = {"backfill of the base account": f"{time.perf_counter() - started:.1f} s"}
    started = time.perf_counter()
    with store.transaction():
        for copy in range(1, copies):
            _copy_rows(store, copy)
    timings["copying it"] = f"{time.perf_counter() - started:.1f} s"
    return store, timings


def _counts(store: Store) -> tuple[dict[str, int], list[tuple[str, str]]]:
    counts = {name: store.conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
              for name in ("tickets", "events")}
    return counts, [("tickets, events", f"{counts['tickets']:,}, {counts['events']:,}")]


def _random_ids(store: Store) -> list[str]:
    return [row[0] for row in store.conn.execute(
        "SELECT id FROM tickets ORDER BY random() LIMIT 1000")]


def figures(store: Store, path: Path) -> list[tuple[str, str]]:
    counts, rows = _counts(store)
    incremental, full = refresh_vs_rebuild(store, _random_ids(store))
    rows += [("kpi.rebuild of every ticket", f"{full:.1f} s"),
             ("kpi.refresh of 1,000 changed tickets", f"{incremental:.2f} s"),
             ("refresh / rebuild (target <= 0.01)", f"{incremental / full:.4f}")]
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = dict(store.conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
    rows += [("file size", f"{path.stat().st_size / 1e6:,.0f} MB"),
             ("bytes per ticket (table + indexes + raw JSON)",
              f"{table_bytes(pages, 'tickets') / counts['tickets']:,.0f}"),
             ("bytes per event (table + indexes)",
              f"{table_bytes(pages, 'events') / counts['events']:,.0f}")]
    return rows + report_latency(store)


def report_latency(store: Store) -> list[tuple[str, str]]:
    """Seconds of `kpi.summary` for the last 90 days: whole range, by channel, by week."""
    rows = []
    last = date.fromisoformat(store.conn.execute("SELECT MAX(day) FROM kpi_daily").fetchone()[0])
    for label, by in (("kpi report, 90 days, p50/p90", None),
                      ("… by channel", "channel"), ("… by week", "week")):
        started = time.perf_counter()
        kpi.summary(store, source="demo", since=last - timedelta(days=89), until=last, by=by)
        rows.append((f"{label} (target < 1 s)", f"{time.perf_counter() - started:.3f} s"))
    return rows


def reuse(path: Path) -> list[tuple[str, str]]:
    """The refresh and report figures on a kept store, without building it again."""
    started = time.perf_counter()
    store = Store.open(path)  # runs the migrations it lacks
    try:
        kpi.install_views(store)
        rows = [("opening (migrations)", f"{time.perf_counter() - started:.1f} s")]
        started = time.perf_counter()
        if kpi.ensure_definitions(store, None):
            rows.append(("kpi.rebuild (facts of older definitions)",
                         f"{time.perf_counter() - started:.1f} s"))
        rows += _counts(store)[1]
        with store.transaction():
            store.conn.executemany("INSERT OR IGNORE INTO kpi_dirty VALUES ('demo', ?)",
                                   [(tid,) for tid in _random_ids(store)])
        started = time.perf_counter()
        kpi.refresh(store)
        rows.append(("kpi.refresh of 1,000 changed tickets",
                     f"{time.perf_counter() - started:.2f} s"))
        return rows + report_latency(store)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--base", type=int, default=100_000, help="tickets backfilled")
    parser.add_argument("--copies", type=int, default=10, help="copies in the large store")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: proves it runs")
    parser.add_argument("--keep", type=Path, help="build the store in this folder and keep it")
    parser.add_argument("--reuse", type=Path, help="a store kept before: only migrate, refresh "
                        "and time the report")
    args = parser.parse_args()
    if args.reuse:
        print(table(f"kept store {args.reuse}", reuse(args.reuse)))
        return
    base, copies = (200, 3) if args.smoke else (args.base, args.copies)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        store, timings = build(base, copies, folder)
        try:
            rows = list(timings.items()) + figures(store, folder / "scale.db")
        finally:
            store.close()
    print(table(f"{base * copies:,} tickets ({copies} copies of a simulated {base:,}-ticket "
                "account)", rows))


if __name__ == "__main__":
    main()
