"""The first hour of a new user (issue #16), the remaining gaps: each case runs
`python -m deskpulse` as a subprocess on real files (a real lock held by another process,
a real simulated desk) and checks the exit code and the first line a user reads.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.simdesk import TOKEN, start_simulator, stop, write_config


def deskpulse(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
              timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deskpulse", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "SIM_TOKEN": TOKEN, **(env or {})})


def first_line(text: str) -> str:
    assert "Traceback" not in text
    return text.strip().splitlines()[0]


@contextmanager
def write_transaction_held(database: Path) -> Iterator[None]:
    """Another program (a sqlite3 shell, say) holding a write transaction on the file."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys\n"
         f"db = sqlite3.connect({str(database)!r}, isolation_level=None)\n"
         "db.execute('BEGIN IMMEDIATE'); print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()
        holder.wait(timeout=10)
        holder.stdout.close()


# -- 1. a run that fails on a locked file is recorded beside it ------------------------------

def test_a_run_failed_on_a_locked_file_is_shown_by_status_then_folded_in(tmp_path):
    base_url, server = start_simulator(tickets=12, seed=4)
    try:
        cfg = write_config(tmp_path, base_url)
        assert deskpulse("sync", "--config", str(cfg)).returncode == 0
        database = tmp_path / "desk.db"
        sidecar = tmp_path / "desk.db.failed-runs.jsonl"
        with write_transaction_held(database):
            failed = deskpulse("sync", "--config", str(cfg),
                               env={"DESKPULSE_BUSY_TIMEOUT_MS": "200"})
            # status reads without the lock: the failure is there, with its fix
            shown = deskpulse("status", "--config", str(cfg))
            as_json = json.loads(deskpulse("status", "--json", "--config",
                                           str(cfg)).stdout)
        assert failed.returncode == 1
        assert first_line(failed.stderr).startswith("error: the database was locked")
        assert "desk.db.failed-runs.jsonl" in first_line(failed.stderr)
        assert failed.stderr.strip().splitlines()[1].startswith("  fix: another program")
        assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600
        assert TOKEN not in sidecar.read_text(encoding="utf-8")

        assert shown.returncode == 1, shown.stdout + shown.stderr
        assert first_line(shown.stdout).startswith("sim (zendesk): failing")
        assert "error: the database was locked" in shown.stdout
        assert "fix: another program holds a write transaction" in shown.stdout
        (item,) = as_json
        assert item["health"] == "failing" and item["unrecorded_failed_runs"] == 1

        again = deskpulse("sync", "--config", str(cfg))  # the next writer folds it in
        assert again.returncode == 0, again.stderr
        assert not sidecar.exists()
        with sqlite3.connect(database) as db:
            runs = db.execute("SELECT status, error FROM sync_runs ORDER BY id").fetchall()
        assert [status for status, _ in runs] == ["ok", "failed", "ok"]
        assert "database was locked" in runs[1][1]
        assert deskpulse("status", "--config", str(cfg)).returncode == 0
    finally:
        stop(server)
