"""The same backfill into SQLite and into PostgreSQL, in one run: rows stored per second on
each engine, each against its own bare executemany ceiling.

`python -m bench.backends --database postgresql://…/deskpulse_bench [--tickets 100000]
[--rounds 1] [--smoke]`. One backfill's responses are recorded once (`bench.common.precompute`)
and replayed into a fresh SQLite file and a fresh PostgreSQL database, alternating engines
round by round so a change in the shared machine's load falls on both. The ceiling inserts
the same tickets, events and people into a fresh store of the same engine (bench.local).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.common import Prepared, Replay, backfill, open_store, precompute, table
from bench.local import ceiling_rate
from bench.targets import Target, drop, is_url, shown, sibling
from deskpulse.store import sizes

STORED = ("tickets", "events", "people")


def one_backfill(prepared: Prepared, target: Target) -> dict[str, float | str]:
    """Backfill `target` from the recorded responses (KPI facts and rollups included, as
    in §3), then time the ceiling on the same rows; the store is dropped afterwards."""
    store = open_store(target)
    try:
        started = time.perf_counter()
        result = backfill(store, Replay(prepared.recorded))
        seconds = time.perf_counter() - started
        stored = sum(store.conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
                     for name in STORED)
        size = sizes.total_bytes(store)
        ceiling = ceiling_rate(store, sibling(target, "ceiling"))
        backend = store.backend
    finally:
        store.close()
        drop(target)
    return {"backend": backend, "records": result.records, "stored": stored,
            "seconds": seconds, "ceiling": ceiling, "bytes": size}


def compare(prepared: Prepared, folder: Path, url: str, rounds: int = 1) -> str:
    """Alternate SQLite and PostgreSQL backfills of the same responses; one table."""
    rows: list[tuple[str, str]] = []
    rates: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
    for number in range(1, rounds + 1):
        for target in (folder / "backends.db", url):
            got = one_backfill(prepared, target)
            rate = float(got["stored"]) / float(got["seconds"])
            rates[str(got["backend"])].append(rate)
            rows += [(f"round {number}, {got['backend']} ({shown(target)})",
                      f"{got['records']:,} records in {got['seconds']:.1f} s; tickets + "
                      f"events + people {got['stored']:,} = {rate:,.0f} rows/s"),
                     ("  bare executemany ceiling, same engine and rows",
                      f"{got['ceiling']:,.0f} rows/s (deskpulse / ceiling "
                      f"{rate / float(got['ceiling']):.3f})"),
                     ("  store size", f"{float(got['bytes']) / 1e6:,.1f} MB")]
    if rates["postgresql"] != [] and len(rates["sqlite"]) == len(rates["postgresql"]):
        ratios = [pg / lite for pg, lite in zip(rates["postgresql"], rates["sqlite"],
                                                 strict=True)]
        rows.append(("postgresql / sqlite rows/s, per round",
                     ", ".join(f"{ratio:.2f}" for ratio in ratios)))
    else:
        rows.append(("postgresql / sqlite rows/s", "not known: the PostgreSQL store opened "
                     "as SQLite (this deskpulse has no PostgreSQL backend)"))
    return table(f"Backfill, SQLite vs PostgreSQL, {len(prepared.account.tickets):,} tickets "
                 f"(responses recorded once; simulator: {prepared.seconds:.1f} s live)", rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.backends")
    parser.add_argument("--database", required=True, help="a postgresql:// URL whose "
                        "database name contains 'bench' (dropped and created again)")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: proves it runs")
    args = parser.parse_args()
    if not is_url(args.database):
        parser.error("--database takes a postgresql:// URL")
    with tempfile.TemporaryDirectory() as scratch:
        prepared = precompute(200 if args.smoke else args.tickets, Path(scratch))
        print(compare(prepared, Path(scratch), args.database, args.rounds))


if __name__ == "__main__":
    main()
