"""`python -m bench.daemons [--sources 100] [--smoke]`: several daemon processes, one database.

100 simulated sources (one `deskpulse simulate` process answering each request `--latency`
late, like a vendor across the internet), all due at once, drained by 1, 2 and 3 `deskpulse
daemon` processes of 4 workers each. Per daemon count: throughput (sources synced per minute,
from the first run's start to the last one's end), how evenly the sources are served (each
source's wait past its due moment: median, 90th percentile, max, and max-min) and how the
daemons split the work (sources per daemon). Every source must end with exactly one `ok`
run: the figures are refused otherwise.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

TOKEN = "bench-daemons-token"
SIM_NOW = "2026-03-11T00:01:00Z"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(folder: Path, url: str, sources: int, sla_targets: str = "auto") -> Path:
    body = "".join(f"""
[sources.s{n:03}]
kind = "zendesk"
subdomain = "s{n:03}"
email = "demo@deskpulse.example"
token = "${{BENCH_TOKEN}}"
base_url = "{url}"
incremental_requests_per_minute = 100000
interval = "1h"
""" for n in range(sources))
    path = folder / "deskpulse.toml"
    path.write_text(f"""database = "desk.db"
[daemon]
lease_ttl = "30s"
poll = "1s"
workers = 4
[kpi]
sla_targets = "{sla_targets}"
{body}""", encoding="utf-8")
    return path


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _runs(database: Path) -> list[tuple]:
    try:
        with sqlite3.connect(database) as db:
            return db.execute("SELECT source, status, pid, started_at, finished_at "
                              "FROM sync_runs").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


def drain(folder: Path, url: str, sources: int, daemons: int, timeout: float,
          sla_targets: str = "auto") -> dict:
    """Start `daemons` processes on a fresh database of `sources` due sources; wait until
    every one has synced once; return the figures."""
    folder.mkdir(parents=True)
    config = _config(folder, url, sources, sla_targets)
    env = os.environ | {"BENCH_TOKEN": TOKEN}
    from deskpulse.store import Store  # the file created once, before the daemons race

    Store.open(folder / "desk.db").close()
    procs = [subprocess.Popen([sys.executable, "-m", "deskpulse", "daemon", "--config",
                               str(config)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(daemons)]
    deadline = time.monotonic() + timeout
    try:
        while True:
            found = _runs(folder / "desk.db")
            if sum(1 for run in found if run[1] == "ok") >= sources:
                break
            if time.monotonic() > deadline:
                msg = f"{daemons} daemons: not every source synced within {timeout:.0f} s"
                raise RuntimeError(msg)
            time.sleep(0.2)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
    found = _runs(folder / "desk.db")
    ok = [run for run in found if run[1] == "ok"]
    per_source = {run[0] for run in ok}
    if len(ok) != sources or len(per_source) != sources:
        msg = f"{daemons} daemons: {len(ok)} ok runs for {len(per_source)} sources"
        raise RuntimeError(msg)
    with sqlite3.connect(folder / "desk.db") as db:
        # every source was due when the first daemon added its lease row
        due = min(_moment(row[0]) for row in db.execute("SELECT acquired_at FROM "
                                                        "source_leases WHERE job = 'sync'"))
    first = min(_moment(run[3]) for run in ok)
    last = max(_moment(run[4]) for run in ok)
    waits = sorted((_moment(run[3]) - due).total_seconds() for run in ok)
    shares = sorted((sum(1 for run in ok if run[2] == pid) for pid in {r[2] for r in ok}),
                    reverse=True)
    elapsed = max((last - first).total_seconds(), 1.0)
    return {"daemons": daemons, "seconds": elapsed, "per_minute": sources * 60 / elapsed,
            "wait_p50": statistics.median(waits), "wait_p90": waits[int(0.9 * len(waits))],
            "wait_max": waits[-1], "wait_spread": waits[-1] - waits[0], "shares": shares}


def daemons_benchmark(sources: int = 100, counts: tuple[int, ...] = (1, 2, 3),
                      tickets: int = 60, latency: float = 0.05,
                      timeout: float = 600.0, sla_targets: str = "auto") -> str:
    port = _port()
    server = subprocess.Popen(
        [sys.executable, "-m", "deskpulse", "simulate", "--port", str(port), "--tickets",
         str(tickets), "--token", TOKEN, "--now", SIM_NOW, "--latency", str(latency)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout is not None and "Simulated" in server.stdout.readline()
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as scratch:
            figures = [drain(Path(scratch) / f"d{count}", url, sources, count, timeout,
                             sla_targets) for count in counts]
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout:
            server.stdout.close()
    base = figures[0]["per_minute"]
    lines = [f"Daemons sharing one database: {sources} sources of {tickets} tickets, all due "
             f"at once, simulator latency {latency * 1000:.0f} ms per request, 4 workers per "
             f"daemon (SQLite), [kpi] sla_targets = {sla_targets!r}",
             f"  {'daemons':>7} {'seconds':>8} {'sources/min':>12} {'x':>5}   wait past due "
             "p50 / p90 / max, spread (s)   sources per daemon"]
    for row in figures:
        lines.append(
            f"  {row['daemons']:>7} {row['seconds']:>8.1f} {row['per_minute']:>12.1f} "
            f"{row['per_minute'] / base:>5.2f}   {row['wait_p50']:>6.1f} / {row['wait_p90']:.1f}"
            f" / {row['wait_max']:.1f}, {row['wait_spread']:.1f}"
            f"{'':>12}{' + '.join(str(share) for share in row['shares'])}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.daemons")
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--tickets", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--sla-targets", default="auto", choices=("auto", "config", "vendor"),
                        help="[kpi] sla_targets (auto: each source's synced policies)")
    parser.add_argument("--daemons", default="1,2,3", help="daemon counts, comma-separated")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: proves it runs")
    args = parser.parse_args()
    if args.smoke:
        print(daemons_benchmark(6, (1, 2), tickets=20, latency=0.0, timeout=120,
                                sla_targets=args.sla_targets))
    else:
        counts = tuple(int(n) for n in args.daemons.split(","))
        print(daemons_benchmark(args.sources, counts, tickets=args.tickets,
                                latency=args.latency, sla_targets=args.sla_targets))


if __name__ == "__main__":
    main()
