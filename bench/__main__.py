"""`python -m bench [--tickets N] [--memory SMALL,LARGE] [--database URL] [--smoke]`: print
deskpulse's figures (`python -m bench.daemons` alone: several daemon processes sharing one
database).

Every figure is measured in this run on this machine; nothing is a timed unit test.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from pathlib import Path

from bench import backends
from bench.budget import connections, freshdesk_plan, zendesk_streams
from bench.common import precompute
from bench.daemons import daemons_benchmark
from bench.efficiency import rate_limit_use, request_efficiency
from bench.local import throughput_and_kpis
from bench.memory import memory
from bench.vendors import efficiency
from bench.vendors import rate_limit_use as vendor_rate_limit_use


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--memory", default="20000,100000",
                        help="two account sizes for the memory figure")
    parser.add_argument("--vendor-tickets", type=int, default=20_000,
                        help="account size for the Freshdesk and Intercom request figures")
    parser.add_argument("--database", help="also backfill the same responses into this "
                        "PostgreSQL database (a postgresql:// URL whose name contains "
                        "'bench'; dropped and created again) and a SQLite file, rows/s each")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: proves it runs")
    args = parser.parse_args()
    tickets = 300 if args.smoke else args.tickets
    small, large = (100, 400) if args.smoke else map(int, args.memory.split(","))
    print(f"deskpulse benchmarks on {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}\n")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        print(request_efficiency(tickets, folder))
        # where real users wait: the vendors' request budgets, on a simulated clock
        print(freshdesk_plan(200 if args.smoke else args.vendor_tickets, folder))
        print(zendesk_streams(tickets, folder))
        print(connections(300 if args.smoke else 5000, folder))
        for kind in ("freshdesk", "intercom"):
            print(efficiency(kind, 200 if args.smoke else args.vendor_tickets, folder))
        if args.smoke:
            print(rate_limit_use(300, folder, limit=40, window=0.5, duration=1.0))
            for kind in ("freshdesk", "intercom"):
                print(vendor_rate_limit_use(kind, folder, limit=10_000, window=60.0,
                                            duration=0.5, tickets=10))
        else:
            print(rate_limit_use(2000, folder))
            # each vendor's real window: Freshdesk a minute (no reset header), Intercom 10 s
            print(vendor_rate_limit_use("freshdesk", folder, limit=60, window=60.0,
                                        duration=150))
            print(vendor_rate_limit_use("intercom", folder, limit=30, window=10.0,
                                        duration=40))
        prepared = precompute(tickets, folder)
        print(throughput_and_kpis(prepared, folder))
        if args.database:
            print(backends.compare(prepared, folder, args.database))
    print(memory((small, large)))
    print(daemons_benchmark(6, (1, 2), tickets=20, latency=0.0, timeout=120) if args.smoke
          else daemons_benchmark())


if __name__ == "__main__":
    main()
