"""The benchmarks are not tests; this only proves they still run (tiny sizes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.targets import drop

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_suite_runs_at_smoke_size():
    done = subprocess.run([sys.executable, "-m", "bench", "--smoke"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    for heading in ("Request efficiency", "Rate-limit use", "Local pipeline", "Memory",
                    "tickets (simulated clock)", "requests by stream", "Connections per",
                    "Daemons sharing one database"):
        assert heading in done.stdout


def test_the_million_ticket_store_benchmark_runs_at_smoke_size():
    done = subprocess.run([sys.executable, "-m", "bench.scale", "--smoke"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "600 tickets (3 copies" in done.stdout
    assert "tickets, events                                600," in done.stdout


def test_the_baseline_comparison_runs_at_smoke_size():
    """bench.compare against a tree given as already installed (this one: no git, no pip)."""
    done = subprocess.run([sys.executable, "-m", "bench.compare", "--tickets", "60",
                           "--rounds", "1", "--base-tree", str(ROOT)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "round 1: working tree" in done.stdout
    assert "rows/s, peak RSS" in done.stdout and "ratio, worst round" in done.stdout


PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


def _pg_smoke(module: str, *args: str) -> str:
    """Run a benchmark at smoke size against its own scratch PostgreSQL database."""
    url = f"{PG_SERVER}/deskpulse_bench_smoke_{os.getpid()}"
    try:
        done = subprocess.run([sys.executable, "-m", module, "--smoke", "--database", url,
                               *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        drop(url)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_backend_comparison_runs_at_smoke_size_on_postgresql():
    out = _pg_smoke("bench.backends")
    assert "round 1, sqlite" in out and "round 1, postgresql" in out
    assert "postgresql / sqlite rows/s, per round" in out


def test_the_million_ticket_store_benchmark_runs_at_smoke_size_on_postgresql():
    out = _pg_smoke("bench.scale", "--drop")
    assert "store                                          postgresql" in out
    assert "tickets, events                                600," in out
