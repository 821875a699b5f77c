"""KPI cost, store size and report latency on a store of a million tickets.

Generating and serving a million tickets through the simulator takes hours (it keeps every
timeline in memory), so the large store is built from `copies` copies of one simulated
account backfilled for real: every ticket-keyed row (tickets, events, ratings, vendor
metrics, time entries) is copied with a suffix on its ids, so each copy is the same account's
year again, ten times as busy per day. Facts are then rebuilt from scratch (the full rebuild
figure: the copies have none yet), 1,000 tickets are marked changed and refreshed (the
incremental figure), and the report for 90 days is timed.
`python -m bench.scale [--base 100000] [--copies 10] [--keep DIR | --database URL [--drop]]`;
`python -m bench.scale --reuse PATH|URL [--rebuild]` times the refresh and the report on a
store built before (migrated first; its facts rebuilt only when their definitions changed, or
always with --rebuild, and that timed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

from bench.common import (
    api,
    backfill,
    desk,
    last_day,
    log,
    mark_changed,
    open_store,
    refresh_vs_rebuild,
    size_rows,
    table,
)
from bench.targets import Target, drop, is_url, shown
from deskpulse import kpi
from deskpulse.store import Store

# ticket-keyed tables and the columns that hold ids to make unique per copy
KEYED = {"tickets": ("id",), "events": ("id", "ticket_id"), "ratings": ("id", "ticket_id"),
         "vendor_metrics": ("ticket_id",), "time_entries": ("id", "ticket_id")}


def _copy_rows(store: Store, copy: int) -> None:
    """One more copy of every ticket-keyed row, ids suffixed `~copy` (plain SQL that
    SQLite and PostgreSQL both run: `||` and LIKE)."""
    for name, ids in KEYED.items():
        columns = store.column_names(name)
        picked = ", ".join(f"{c} || '~{copy}'" if c in ids else c for c in columns)
        originals = f"{ids[0]} NOT LIKE '%~%'"  # the base account's rows only
        store.conn.execute(f"INSERT INTO {name} ({', '.join(columns)}) "
                           f"SELECT {picked} FROM {name} WHERE {originals}")


def build(base: int, copies: int, target: Target) -> tuple[Store, dict[str, str]]:
    """A store of base × copies tickets with facts rebuilt from scratch; the timings."""
    store = open_store(target)
    started = time.perf_counter()
    backfill(store, httpx.MockTransport(api(desk(base)).handler))
    timings = {"backfill of the base account": f"{time.perf_counter() - started:.1f} s"}
    log("backfill of the base account", timings["backfill of the base account"])
    started = time.perf_counter()
    with store.transaction():
        for copy in range(1, copies):
            _copy_rows(store, copy)
    timings["copying it"] = f"{time.perf_counter() - started:.1f} s"
    log("copying it", timings["copying it"])
    return store, timings


def _counts(store: Store) -> tuple[dict[str, int], list[tuple[str, str]]]:
    counts = {name: store.conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
              for name in ("tickets", "events")}
    return counts, [("tickets, events", f"{counts['tickets']:,}, {counts['events']:,}")]


def _random_ids(store: Store) -> list[str]:
    return [row[0] for row in store.conn.execute(
        "SELECT id FROM tickets ORDER BY random() LIMIT 1000")]


def figures(store: Store) -> list[tuple[str, str]]:
    counts, rows = _counts(store)
    incremental, full = refresh_vs_rebuild(store, _random_ids(store))
    log("kpi.refresh of 1,000 changed tickets", f"{incremental:.2f} s")
    rows += [("kpi.rebuild of every ticket", f"{full:.1f} s"),
             ("kpi.refresh of 1,000 changed tickets", f"{incremental:.2f} s"),
             ("refresh / rebuild (target <= 0.01)", f"{incremental / full:.4f}")]
    return rows + size_rows(store, counts) + report_latency(store)


def report_latency(store: Store) -> list[tuple[str, str]]:
    """Seconds of `kpi.summary` for the last 90 days: whole range, by channel, by week."""
    rows = []
    last = last_day(store)
    for label, by in (("kpi report, 90 days, p50/p90", None),
                      ("… by channel", "channel"), ("… by week", "week")):
        started = time.perf_counter()
        kpi.summary(store, source="demo", since=last - timedelta(days=89), until=last, by=by)
        rows.append((f"{label} (target < 1 s)", f"{time.perf_counter() - started:.3f} s"))
        log(*rows[-1])
    return rows


def reuse(target: Target, rebuild: bool = False) -> list[tuple[str, str]]:
    """The refresh and report figures on a kept store, without building it again (with
    `rebuild`, a full `kpi.rebuild` is timed first, for the refresh / rebuild ratio)."""
    started = time.perf_counter()
    store = Store.open(target)  # runs the migrations it lacks
    try:
        kpi.install_views(store)
        rows = [("opening (migrations)", f"{time.perf_counter() - started:.1f} s")]
        started = time.perf_counter()
        full = None
        if kpi.ensure_definitions(store, None):
            full = time.perf_counter() - started
            rows.append(("kpi.rebuild (facts of older definitions)", f"{full:.1f} s"))
        elif rebuild:
            kpi.rebuild(store)
            full = time.perf_counter() - started
            rows.append(("kpi.rebuild of every ticket", f"{full:.1f} s"))
        if full is not None:
            log(*rows[-1])
        rows += _counts(store)[1]
        mark_changed(store, _random_ids(store))
        started = time.perf_counter()
        kpi.refresh(store)
        incremental = time.perf_counter() - started
        rows.append(("kpi.refresh of 1,000 changed tickets", f"{incremental:.2f} s"))
        log(*rows[-1])
        if full is not None:
            rows.append(("refresh / rebuild (target <= 0.01 at 1M)", f"{incremental / full:.4f}"))
        return rows + report_latency(store)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--base", type=int, default=100_000, help="tickets backfilled")
    parser.add_argument("--copies", type=int, default=10, help="copies in the large store")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: proves it runs")
    parser.add_argument("--database", help="build in this PostgreSQL database instead of a "
                        "SQLite file (a postgresql:// URL whose database name contains "
                        "'bench'; dropped and created again, kept afterwards for --reuse)")
    parser.add_argument("--drop", action="store_true", help="drop the --database at the end")
    parser.add_argument("--keep", type=Path, help="build the SQLite store in this folder and "
                        "keep it")
    parser.add_argument("--reuse", help="a store kept before (a path or a URL): only migrate, "
                        "refresh and time the report")
    parser.add_argument("--rebuild", action="store_true", help="with --reuse: time a full "
                        "kpi.rebuild first (the refresh / rebuild ratio)")
    args = parser.parse_args()
    if args.reuse:
        print(table(f"kept store {shown(args.reuse)}", reuse(args.reuse, args.rebuild)))
        return
    if args.database and not is_url(args.database):
        parser.error("--database takes a postgresql:// URL (a SQLite store: --keep FOLDER)")
    base, copies = (200, 3) if args.smoke else (args.base, args.copies)
    with tempfile.TemporaryDirectory() as scratch:
        target: Target = args.database or (args.keep or Path(scratch)) / "scale.db"
        if not args.database:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        store, timings = build(base, copies, target)
        try:
            rows = [("store", f"{store.backend} ({shown(target)})"),
                    *timings.items(), *figures(store)]
        finally:
            store.close()
            if args.database and args.drop:
                drop(target)
    print(table(f"{base * copies:,} tickets ({copies} copies of a simulated {base:,}-ticket "
                "account)", rows))


if __name__ == "__main__":
    main()
