"""`python -m bench.compare [--tickets N] [--base COMMIT] [--rounds R]`: local backfill
throughput of a baseline commit and of this working tree, in the same run, on the same bytes.

The simulator answers one backfill once; every response is kept in a small SQLite file. Each
side then runs in a fresh process of its own (the baseline: `git worktree add` of COMMIT into
a temporary folder, installed in its own venv), replays those responses through its own
`bench.common.backfill` (KPI facts and rollups included) and reports its rows per second and
its peak RSS. The sides alternate, `--rounds` times, so a change in the machine's load hits
both; the ratio is taken per round.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import precompute, table

ROOT = Path(__file__).resolve().parent.parent
BASE = "23890ff"  # this session's starting commit: the baseline of issue #18

# Run in the tree being measured (cwd), with that tree's own Python: only `bench.common`'s
# `open_store` and `backfill`, which the baseline has too, and httpx.
DRIVER = r'''
import json, resource, sqlite3, sys, time
from pathlib import Path
import httpx
sys.path.insert(0, ".")
from bench.common import backfill, open_store

class DiskReplay(httpx.BaseTransport):
    def __init__(self, path):
        self.db = sqlite3.connect(path)
        self.used = {}
    def handle_request(self, request):
        key = (request.url.path, request.url.query.decode())
        n = self.used.get(key, 0)
        self.used[key] = n + 1
        row = self.db.execute(
            "SELECT status, content, headers FROM responses WHERE path = ? AND query = ? "
            "ORDER BY seq <= ? DESC, seq DESC LIMIT 1", (*key, n)).fetchone()
        if row is None:
            raise KeyError(f"no recorded response for {key}")
        return httpx.Response(row[0], content=row[1], headers=json.loads(row[2]))

responses, database = sys.argv[1], Path(sys.argv[2])
store = open_store(database)
started = time.perf_counter()
backfill(store, DiskReplay(responses))
seconds = time.perf_counter() - started
counts = {name: store.conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
          for name in ("tickets", "events", "people", "ticket_facts")}
store.close()
# VmHWM: this process's own peak (Linux keeps ru_maxrss across exec: the parent's would show)
status = Path("/proc/self/status")
peak = next((int(line.split()[1]) for line in status.read_text().splitlines()
             if line.startswith("VmHWM:")), None) if status.exists() else None
print(json.dumps({"seconds": seconds, "stored": counts["tickets"] + counts["events"]
                  + counts["people"], "facts": counts["ticket_facts"],
                  "peak_mb": (peak or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024}))
'''


def record(tickets: int, folder: Path) -> Path:
    """One backfill against the simulator, every response kept in `responses.db`."""
    prepared = precompute(tickets, folder)
    path = folder / "responses.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE responses (path, query, seq, status, content, headers)")
        db.executemany("INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?)",
                       [(key[0], key[1], seq, status, content, json.dumps(headers))
                        for key, answers in prepared.recorded.items()
                        for seq, (status, content, headers) in enumerate(answers)])
        db.execute("CREATE INDEX responses_key ON responses (path, query, seq)")
    db.close()
    (folder / "precompute.db").unlink()
    return path


def install_base(commit: str, folder: Path) -> tuple[Path, Path]:
    """The baseline checked out beside this repository's history, in a venv of its own."""
    tree = folder / "base"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=ROOT,
                   check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "venv", str(tree / ".venv")], check=True)
    python = tree / ".venv" / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", "."], cwd=tree,
                   check=True, capture_output=True)
    return tree, python


def _python_of(tree: Path) -> Path:
    """The tree's own venv, else this interpreter (the tree is then importable from cwd)."""
    own = tree / ".venv" / "bin" / "python"
    return own if own.exists() else Path(sys.executable)


def measure(tree: Path, python: Path, responses: Path, database: Path) -> dict[str, float]:
    done = subprocess.run([str(python), "-c", DRIVER, str(responses), str(database)],
                          cwd=tree, capture_output=True, text=True, check=False,
                          env=os.environ | {"PYTHONPATH": str(tree)})
    if done.returncode != 0:
        raise RuntimeError(f"{tree}: the backfill failed\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(tickets: int, commit: str, rounds: int, folder: Path,
            base_tree: Path | None = None) -> str:
    """`base_tree`: a checkout of the baseline with its venv installed already (kept)."""
    responses = record(tickets, folder)
    tree, base_python = (base_tree, _python_of(base_tree)) if base_tree else \
        install_base(commit, folder)
    try:
        rows, ratios = [], []
        for round_ in range(1, rounds + 1):
            base = measure(tree, base_python, responses, folder / "base.db")
            head = measure(ROOT, Path(sys.executable), responses, folder / "head.db")
            rate_base, rate_head = (side["stored"] / side["seconds"] for side in (base, head))
            ratios.append(rate_head / rate_base)
            rows += [(f"round {round_}: {commit} (baseline)",
                      f"{base['stored']:,} rows in {base['seconds']:.1f} s = "
                      f"{rate_base:,.0f} rows/s, peak RSS {base['peak_mb']:.0f} MB"),
                     (f"round {round_}: working tree",
                      f"{head['stored']:,} rows in {head['seconds']:.1f} s = "
                      f"{rate_head:,.0f} rows/s, peak RSS {head['peak_mb']:.0f} MB"),
                     (f"round {round_}: ratio", f"{ratios[-1]:.2f}x")]
        rows.append(("ratio, worst round (target >= 3)", f"{min(ratios):.2f}x"))
    finally:
        if base_tree is None:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                           check=False, capture_output=True)
    return table(f"Local backfill throughput, {tickets:,} tickets, {commit} vs working tree "
                 "(same responses, alternating)", rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.compare")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--base", default=BASE, help="the baseline commit")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--base-tree", type=Path,
                        help="an installed checkout of the baseline (with .venv) to reuse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        print(compare(args.tickets, args.base, args.rounds, Path(scratch), args.base_tree))


if __name__ == "__main__":
    main()
