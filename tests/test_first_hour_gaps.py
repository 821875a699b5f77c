"""The first hour of a new user (issue #16), the remaining gaps: each case runs
`python -m deskpulse` as a subprocess on real files (a real lock held by another process,
a real simulated desk) and checks the exit code and the first line a user reads.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from rich.console import Console

from deskpulse.app.sync.progress import SyncProgress
from deskpulse.app.sync.result import RunResult
from deskpulse.connectors import Page
from deskpulse.store import Store
from deskpulse.store.models import Rejected, Ticket, VendorMetrics
from tests.fakedesk import fixture
from tests.holder import write_transaction_held
from tests.simdesk import TOKEN, free_port, start_simulator, stop, write_config


def deskpulse(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
              timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deskpulse", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "SIM_TOKEN": TOKEN, **(env or {})})


def first_line(text: str) -> str:
    assert "Traceback" not in text
    return text.strip().splitlines()[0]


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


# -- 2. progress totals and ETA from the dry run's estimate ---------------------------------

def _tickets(first: int, count: int, at: datetime) -> list[Ticket]:
    return [Ticket(id=str(n), status="open", created_at=at, updated_at=at)
            for n in range(first, first + count)]


def test_progress_lines_count_tickets_against_the_estimate_with_an_eta():
    out, at = io.StringIO(), datetime(2026, 3, 1, tzinfo=UTC)
    now = iter([0.0, 4.0, 20.0, 29.0]).__next__  # seconds: start, page 1, page 2, page 3
    progress = SyncProgress(Console(file=out, width=200), enabled=False, lines=True,
                            clock=now, every=10.0)
    progress.expect({"tickets": 4_000})
    result = RunResult("acme", "backfill")
    metric = VendorMetrics(ticket_id="1", metrics={})
    with progress:  # each page: 100 tickets, and a metric set each that is not a ticket
        progress("tickets", Page(_tickets(0, 100, at) + [metric] * 100, {"n": 1}), result)
        progress("tickets", Page(_tickets(100, 100, at) + [metric] * 100, {"n": 2}), result)
        progress("tickets", Page(_tickets(200, 100, at), {"n": 3}), result)
    lines = out.getvalue().splitlines()
    # the first page already has a total and an ETA: 100 tickets in 4 s, 3,900 to go
    assert lines[0] == "tickets: 100 of ~4,000 tickets, 25/s, ~3 min left, 1 requests"
    # 10 s later (not before): 200 in 20 s → 3,800 at 10/s = ~6 min
    assert lines[1] == "tickets: 200 of ~4,000 tickets, 10/s, ~6 min left, 2 requests"
    assert len(lines) == 2  # the third page came 9 s after the second line: no line yet


def test_a_vendor_total_wins_over_the_estimate():
    out, at = io.StringIO(), datetime(2026, 3, 1, tzinfo=UTC)
    now = iter([0.0, 2.0]).__next__
    progress = SyncProgress(Console(file=out, width=200), enabled=False, lines=True, clock=now)
    progress.expect({"conversations": 9_999})
    with progress:
        progress("conversations", Page(_tickets(0, 10, at), {"n": 1}, total=50),
                 RunResult("ic", "backfill"))
    assert out.getvalue().splitlines()[0].startswith("conversations: 10 of 50 records, 5/s")


def test_a_backfill_shows_the_dry_run_estimate_as_its_total_from_the_first_page(tmp_path):
    base_url, server = start_simulator(tickets=1_500, seed=4)  # two pages of 1,000
    try:
        cfg = write_config(tmp_path, base_url)
        planned = deskpulse("backfill", "sim", "--since", "2026-01-01", "--dry-run",
                            "--config", str(cfg))
        result = deskpulse("backfill", "sim", "--since", "2026-01-01", "--config", str(cfg))
    finally:
        stop(server)
    assert planned.returncode == 0 and "~1,500 tickets" in planned.stdout
    assert result.returncode == 0, result.stderr
    ticket_line = next(line for line in result.stderr.splitlines()
                       if line.startswith("tickets: "))
    assert ticket_line.startswith("tickets: 1,000 of ~1,500 tickets, ")
    assert " min left, " in ticket_line


# -- 3. Freshdesk and Intercom dead letters can be mapped again ------------------------------

# A Freshdesk account (our own objects, after the API v2 shapes) whose ticket 2 carries a
# status deskpulse cannot read: a name where Freshdesk documents a number.
FRESHDESK_TICKETS = [
    {"id": 1, "subject": "Printer", "status": 2, "priority": 1, "source": 1,
     "requester_id": 501, "responder_id": None, "group_id": None, "tags": [],
     "created_at": "2026-02-02T09:00:00Z", "updated_at": "2026-02-02T09:00:00Z",
     "stats": {"resolved_at": None, "closed_at": None, "first_responded_at": None}},
    {"id": 2, "subject": "Refund", "status": "Awaiting customer", "priority": 2,
     "source": 2, "requester_id": 502, "responder_id": None, "group_id": None, "tags": [],
     "created_at": "2026-02-03T10:00:00Z", "updated_at": "2026-02-03T11:00:00Z",
     "stats": {"resolved_at": None, "closed_at": None, "first_responded_at": None}},
]


class FreshdeskHandler(BaseHTTPRequestHandler):
    """Every list answers in one page; the plain ticket list holds the two tickets."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        body = FRESHDESK_TICKETS if url.path == "/api/v2/tickets" and "filter" not in query \
            else []
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def test_a_freshdesk_ticket_rejected_then_mapped_by_a_config_fix_is_stored_by_retry(
        tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FreshdeskHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    source = f"""database = "desk.db"
[sources.help]
kind = "freshdesk"
base_url = "http://127.0.0.1:{server.server_address[1]}"
api_key = "${{FD_KEY}}"
start_date = "2026-01-01"
requests_per_minute = 100000
ticket_list_requests_per_minute = 100000
"""
    cfg = tmp_path / "deskpulse.toml"
    cfg.write_text(source, encoding="utf-8")
    env = {"FD_KEY": "fd-key-123"}
    try:
        synced = deskpulse("sync", "--config", str(cfg), env=env)
        still = deskpulse("retry", "help", "--config", str(cfg), env=env)
        # the fix `status` names: say what the custom status means
        cfg.write_text(source + 'status_map = { "Awaiting customer" = "pending" }\n',
                       encoding="utf-8")
        fixed = deskpulse("retry", "help", "--config", str(cfg), env=env)
    finally:
        server.shutdown()
        server.server_close()
    assert synced.returncode == 0, synced.stderr
    assert still.returncode == 1
    assert first_line(still.stdout) == ("help: 0 dead letters stored, 1 still rejected, "
                                        "0 waiting for the vendor to send their record again")
    assert "status must be a number" in still.stderr
    assert fixed.returncode == 0, fixed.stderr
    assert first_line(fixed.stdout).startswith("help: 1 dead letters stored, 0 still rejected")
    with sqlite3.connect(tmp_path / "desk.db") as db:
        assert db.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0] == 0
        assert db.execute("SELECT status, vendor_status FROM tickets WHERE id = '2'"
                          ).fetchone() == ("pending", "Awaiting customer")


def test_an_intercom_conversation_letter_is_mapped_again_by_retry(tmp_path):
    """A conversation (fetched with its parts) that an older deskpulse could not map: after
    the upgrade, `retry` maps it from the letter, parts and all, and drops the letter."""
    conversation = fixture("intercom/conversation_501").json()
    assert "conversation_parts" in conversation
    store = Store.open(tmp_path / "desk.db")
    store.ensure_source("ic", "intercom", "api.intercom.io")
    store.add_dead_letter("ic", "conversations", Rejected(
        error="ValueError: an older deskpulse's reason", payload=conversation,
        record_id=str(conversation["id"])))
    store.close()
    cfg = tmp_path / "deskpulse.toml"
    cfg.write_text('database = "desk.db"\n[sources.ic]\nkind = "intercom"\n'
                   'token = "${IC_TOKEN}"\n', encoding="utf-8")
    result = deskpulse("retry", "--config", str(cfg), env={"IC_TOKEN": "ic-123"})
    assert result.returncode == 0, result.stderr
    assert first_line(result.stdout).startswith("ic: 1 dead letters stored, 0 still rejected")
    with sqlite3.connect(tmp_path / "desk.db") as db:
        assert db.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM tickets WHERE id = ?",
                          (str(conversation["id"]),)).fetchone()[0] == 1
        parts = db.execute("SELECT COUNT(*) FROM events WHERE ticket_id = ?",
                           (str(conversation["id"]),)).fetchone()[0]
    assert parts > 2  # the opening message and the parts, not the conversation alone


# -- 4. usage errors and failed runs end in at most two plain lines --------------------------

@pytest.mark.parametrize(("args", "expected"), [
    (["kpi", "--nope"], "error: No such option: --nope"),
    (["kpi", "--by"], "error: Option '--by' requires an argument."),
    (["kpi", "--database"], "error: Option '--database' requires an argument."),
    (["frobnicate"], "error: No such command 'frobnicate'."),
    (["demo", "--tickets", "3"], "error: Invalid value for '--tickets'"),
])
def test_a_usage_error_is_two_plain_lines_with_exit_2(tmp_path, args, expected):
    result = deskpulse(*args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(expected)
    assert lines[1].startswith("  fix: see `") and lines[1].endswith(" --help`")
    assert len(lines) == 2 and result.stdout == ""
    assert not any(mark in result.stderr for mark in ("╭", "│", "Usage:"))


def test_a_failed_sync_prints_two_lines_at_most(tmp_path):
    port = free_port()  # nothing listens there
    cfg = write_config(tmp_path, f"http://127.0.0.1:{port}")
    result = deskpulse("sync", "--config", str(cfg))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert first_line(result.stderr).startswith("sim sync: failed, 0 records")
    assert len(lines) == 2 and "127.0.0.1: cannot connect" in lines[1]


# -- 5. shell completion ---------------------------------------------------------------------

ENTRY = Path(sys.executable).with_name("deskpulse")  # completion is keyed by the program name
COMPLETION_CONFIG = """database = "desk.db"
[sources.acme]
kind = "zendesk"
subdomain = "acme"
email = "ops@acme.example"
token = "${ACME_TOKEN}"
[sources.alpha]
kind = "intercom"
token = "${ALPHA_TOKEN}"
[sources.helpdesk]
kind = "freshdesk"
domain = "help"
api_key = "${FD_KEY}"
"""


def complete(words: str, cwd: Path) -> list[str]:
    """What bash completion offers for the last of `words` (Typer's env-var protocol)."""
    env = {**os.environ, "_DESKPULSE_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split(" ")) - 1)}
    env.pop("DESKPULSE_CONFIG", None)
    result = subprocess.run([str(ENTRY)], cwd=cwd, capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_bash_completes_command_names_and_source_names_from_the_config(tmp_path):
    (tmp_path / "deskpulse.toml").write_text(COMPLETION_CONFIG, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert complete("deskpulse sy", tmp_path) == ["sync"]
    assert complete("deskpulse s", tmp_path) == ["sync", "sla", "schema", "status",
                                                   "simulate"]
    assert complete("deskpulse sync a", tmp_path) == ["acme", "alpha"]
    assert complete("deskpulse backfill h", tmp_path) == ["helpdesk"]
    config = str(tmp_path / "deskpulse.toml")
    assert complete(f"deskpulse retry --config {config} al", elsewhere) == ["alpha"]
    assert complete("deskpulse sync a", elsewhere) == []  # no config: no names, no error


def test_show_completion_prints_the_bash_script():
    result = subprocess.run([str(ENTRY), "--show-completion", "bash"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "_DESKPULSE_COMPLETE=complete_bash" in result.stdout
    assert "complete -o default -F" in result.stdout and "deskpulse" in result.stdout
