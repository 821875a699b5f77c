"""Peak RSS of a real `deskpulse backfill` process against `deskpulse simulate` on 127.0.0.1,
at two account sizes. The simulator runs in its own process, so only deskpulse is measured."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import table

TOKEN = "bench-memory-token"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(tickets: int) -> dict[str, float]:
    """In a fresh process: serve the account, run one backfill, read the child's peak RSS."""
    port = _port()
    server = subprocess.Popen(
        [sys.executable, "-m", "deskpulse", "simulate", "--port", str(port), "--tickets",
         str(tickets), "--token", TOKEN], stdout=subprocess.PIPE, text=True)
    try:
        server.stdout.readline()
        with tempfile.TemporaryDirectory() as scratch:
            config = Path(scratch) / "deskpulse.toml"
            config.write_text(
                f'database = "m.db"\n[sources.sim]\nkind = "zendesk"\nsubdomain = "sim"\n'
                f'email = "demo@deskpulse.example"\ntoken = "${{SIM_TOKEN}}"\n'
                f'base_url = "http://127.0.0.1:{port}"\n'
                "incremental_requests_per_minute = 1000000\n", encoding="utf-8")
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "deskpulse", "backfill", "sim", "--since",
                            "2000-01-01", "--config", str(config)], check=True,
                           capture_output=True, env=os.environ | {"SIM_TOKEN": TOKEN})
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the backfill only
            size = (Path(scratch) / "m.db").stat().st_size
    finally:
        server.terminate()
        server.wait()
    return {"tickets": tickets, "peak_mb": peak / 1024, "seconds": seconds,
            "file_mb": size / 1e6}


def memory(sizes: tuple[int, int]) -> str:
    results = []
    for size in sizes:
        out = subprocess.run([sys.executable, "-m", "bench.memory", str(size)],
                             capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout))
    rows = [(f"{r['tickets']:,} tickets", f"peak RSS {r['peak_mb']:,.0f} MB; backfill over "
             f"loopback {r['seconds']:.0f} s; file {r['file_mb']:,.0f} MB") for r in results]
    small, large = results
    rows.append(("larger / smaller peak (target <= 1.3)",
                 f"{large['peak_mb'] / small['peak_mb']:.2f} for "
                 f"{large['tickets'] / small['tickets']:.0f}x the tickets"))
    return table("Memory of a backfill process (simulator in its own process)", rows)


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]))))
