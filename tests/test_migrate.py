"""`deskpulse migrate`: a SQLite file copied into another SQLite file or into PostgreSQL holds
the same rows, gives the same KPI figures, keeps its cursors (a sync carries on where the
file stopped), and a copy that crashes, is refused or differs leaves nothing behind."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from deskpulse import kpi
from deskpulse.app.cli.main import app
from deskpulse.app.cli.migrate import ProgressLine
from deskpulse.app.demo.run import demo_source
from deskpulse.app.migrate import MigrateError, copying, migrate
from deskpulse.app.migrate.checks import normal
from deskpulse.app.migrate.targets import redact, scrub
from deskpulse.app.sync import failed_runs
from deskpulse.app.sync.runner import Runner
from deskpulse.simulator import ZendeskAPI, generate, make_server
from deskpulse.store import Rejected, Store
from deskpulse.store import copy as catalogue

NOW = datetime(2026, 3, 11, 0, 1, tzinfo=UTC)
TOKEN = "migrate-token-9d2e"
ENV = {"DESKPULSE_DEMO_TOKEN": TOKEN}
# Compared row by row after a sync on each side (bookkeeping with times of its own aside).
DATA_TABLES = ("tickets", "events", "people", "groups", "ratings", "vendor_metrics",
               "time_entries", "schedules", "sla_policies", "sla_policy_targets",
               "ticket_facts", "unsolved_spans", "reply_cycles", "sla_instances", "kpi_daily",
               "kpi_values", "kpi_dirty", "kpi_set_aside", "unmapped", "dead_letters")


def desk_and_api(tickets: int = 150, seed: int = 21):
    desk = generate(seed=seed, tickets=tickets, start=NOW - timedelta(days=30),
                    end=NOW - timedelta(days=1))
    return desk, ZendeskAPI(desk, email="demo@deskpulse.example", token=TOKEN)


def backfill(path: Path, api: ZendeskAPI) -> None:
    store = Store.open(path)
    kpi.install_views(store)
    result = Runner(store, demo_source(), transport=httpx.MockTransport(api.handler),
                    environ=ENV).backfill(NOW - timedelta(days=31))
    assert result.status == "ok", result.error
    store.add_dead_letter("demo", "tickets", Rejected(error="kept", payload={"id": 1}))
    store.add_dead_letter("demo", "tickets", Rejected(error="retried", payload={"id": 2}))
    last = store.conn.execute("SELECT MAX(id) FROM dead_letters").fetchone()[0]
    store.conn.execute("DELETE FROM dead_letters WHERE id = ?", (last,))  # its id stays used
    store.close()


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A backfilled file (read only by every test: migrate never changes its source)."""
    path = tmp_path_factory.mktemp("source") / "desk.db"
    backfill(path, desk_and_api()[1])
    return path


@pytest.fixture
def target(db_target) -> str:
    """Where to migrate: a new SQLite file, or a fresh PostgreSQL schema (tests.backends)."""
    return str(db_target)


def rows(store: Store, table: str) -> list[tuple]:
    columns = store.column_names(table)
    select = ", ".join(catalogue.quoted(column) for column in columns)
    found = store.conn.execute(f"SELECT {select} FROM {catalogue.quoted(table)}").fetchall()
    return sorted((tuple(normal(value) for value in row) for row in found), key=repr)


def open_both(source: Path, target: str) -> tuple[Store, Store]:
    return Store.open_readonly(source), Store.open(target)


# -- the copy -------------------------------------------------------------------------------


def test_a_copy_holds_every_row_of_every_table_and_the_same_figures(source, target):
    result = migrate(source, target, now=NOW)
    assert result.ok, [(c.what, c.differences) for c in result.failed]
    kinds = {check.kind for check in result.checks}
    assert kinds == {"table", "view", "summary"}
    views = [check for check in result.checks if check.kind == "view"]
    assert len(views) >= 10 and any(check.source > 0 for check in views)
    summary = next(check for check in result.checks if check.kind == "summary")
    assert summary.source > 20  # the headline's figures, each compared
    old, new = open_both(source, target)
    try:
        for table in old.names("table"):
            assert rows(new, table) == rows(old, table), table
        assert new.cursor("demo", "tickets") == old.cursor("demo", "tickets") is not None
    finally:
        old.close()
        new.close()


def test_ids_continue_after_the_highest_the_source_ever_handed_out(source, target):
    assert migrate(source, target, now=NOW).ok
    old, new = open_both(source, target)
    try:
        used = catalogue.last_id(old, "dead_letters", "id")
        assert used > old.conn.execute("SELECT MAX(id) FROM dead_letters").fetchone()[0]
        new.add_dead_letter("demo", "tickets", Rejected(error="new", payload=None))
        assert new.conn.execute("SELECT MAX(id) FROM dead_letters").fetchone()[0] == used + 1
        runs = old.conn.execute("SELECT MAX(id) FROM sync_runs").fetchone()[0]
        assert new.start_run("demo", "sync") == runs + 1
    finally:
        old.close()
        new.close()


def test_runs_kept_beside_the_locked_file_become_runs_of_the_target(source, target,
                                                                    tmp_path):
    locked = tmp_path / "locked.db"
    locked.write_bytes(source.read_bytes())
    run = {"source": "demo", "mode": "sync", "status": "failed", "error": "locked (test)",
           "started_at": "2026-03-10T23:00:00Z", "finished_at": "2026-03-10T23:00:30Z",
           "pid": 4242, "host": "old-box", "since": None, "until": None, "fix": "wait"}
    kept = failed_runs.append(locked, [run])
    result = migrate(locked, target, now=NOW)
    assert result.ok, [(c.what, c.differences) for c in result.failed]
    runs = next(check for check in result.checks if check.what == "sync_runs")
    new = Store.open(target)
    try:
        found = new.conn.execute("SELECT id, status, error, host FROM sync_runs ORDER BY id"
                                 ).fetchall()
        assert runs.source == runs.target == len(found) >= 2
        assert tuple(found[-1])[1:] == ("failed", "locked (test)", "old-box")
    finally:
        new.close()
    assert kept.exists(), "the file and its sidecar are left as they are"


def test_a_sync_writing_the_file_meanwhile_does_not_tear_the_copy(source, target, tmp_path):
    """The file is read in one snapshot: what a writer commits mid-copy is not copied, and
    the cursors copied still match the rows copied."""
    busy = tmp_path / "busy.db"
    busy.write_bytes(source.read_bytes())
    before = Store.open_readonly(busy)
    cursors, tickets = rows(before, "sync_state"), rows(before, "tickets")
    before.close()
    writes = []

    def meanwhile(table: str, copied: int, total: int) -> None:
        if table == "events" and copied and not writes:  # tickets are copied by now
            writer = sqlite3.connect(busy)
            writer.execute("UPDATE sync_state SET cursor = '{\"later\": 1}'")
            writer.execute("DELETE FROM tickets WHERE id = (SELECT MIN(id) FROM tickets)")
            writer.commit()
            writer.close()
            writes.append(table)

    result = migrate(busy, target, now=NOW, progress=meanwhile, batch=500)
    assert writes and result.ok, [(c.what, c.differences) for c in result.failed]
    new = Store.open(target)
    try:
        assert rows(new, "sync_state") == cursors and rows(new, "tickets") == tickets
    finally:
        new.close()


def test_a_target_holding_rows_is_refused_and_left_as_it_was(source, target):
    assert migrate(source, target, now=NOW).ok
    with pytest.raises(MigrateError) as refused:
        migrate(source, target, now=NOW)
    assert refused.value.code == 2
    assert "already holds deskpulse rows" in refused.value.message
    old, new = open_both(source, target)
    try:
        assert rows(new, "tickets") == rows(old, "tickets")
    finally:
        old.close()
        new.close()


def empty(target: str) -> bool:
    """No row in any deskpulse table but the settings (PostgreSQL's own `deskpulse_schema`
    holds the schema version: not a deskpulse table of the file)."""
    store = Store.open(target)
    try:
        tables = [table for table in store.names("table") if table != "deskpulse_schema"]
        assert "tickets" in tables
        return not any(catalogue.has_rows(store, table) for table in tables
                       if table not in copying.SETTINGS_TABLES)
    finally:
        store.close()


CRASH = """
import os, signal, sys
from datetime import datetime, UTC
from deskpulse.app.migrate import migrate

def crash(table, copied, total):
    if table == "events" and copied >= 200:  # some tables and two batches in: SIGKILL
        os.kill(os.getpid(), signal.SIGKILL)

migrate(sys.argv[1], sys.argv[2], now=datetime(2026, 3, 11, tzinfo=UTC), progress=crash,
        batch=100)
"""


def test_a_crash_mid_copy_leaves_the_target_empty_and_running_again_completes(source, target):
    crashed = subprocess.run([sys.executable, "-c", CRASH, str(source), target],
                             capture_output=True, text=True, timeout=120, check=False)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert empty(target)
    assert migrate(source, target, now=NOW).ok


def test_a_refused_batch_rolls_back_and_names_the_table(source, target, monkeypatch):
    real = copying.copy_table

    def refusing(source_store, target_store, item, **options):
        if item.name == "ticket_facts":
            raise copying.CopyFailed(item.name, 0, ValueError("value out of range"))
        return real(source_store, target_store, item, **options)

    monkeypatch.setattr(copying, "copy_table", refusing)
    with pytest.raises(MigrateError) as failed:
        migrate(source, target, now=NOW)
    assert failed.value.code == 1
    assert "copying ticket_facts failed" in failed.value.message
    assert "nothing was kept" in failed.value.message
    assert empty(target)


def test_a_figure_that_differs_is_named_and_the_copy_rolled_back(source, target, monkeypatch):
    real = copying.copy_table

    def tampering(source_store, target_store, item, **options):
        copied = real(source_store, target_store, item, **options)
        if item.name == "ticket_facts":  # one ticket's first reply an hour later
            target_store.conn.execute(
                "UPDATE ticket_facts SET frt_cal = frt_cal + 3600 WHERE ticket_id = "
                "(SELECT MIN(ticket_id) FROM ticket_facts WHERE frt_cal IS NOT NULL)")
        return copied

    monkeypatch.setattr(copying, "copy_table", tampering)
    result = migrate(source, target, now=NOW)
    assert not result.ok
    assert all(check.kind != "table" for check in result.failed)  # counts agree
    named = [line for check in result.failed for line in check.differences]
    assert any("frt" in line for line in named), named
    assert empty(target)


def test_awkward_values_survive_the_copy(source, target, tmp_path):
    """Tabs, newlines, backslashes, NUL (PostgreSQL: U+FFFD, as every write there), bytes."""
    awkward = tmp_path / "awkward.db"
    awkward.write_bytes(source.read_bytes())
    subject = "tab\there\nnew line \\N back\\slash\r\x00nul \\x00"
    store = Store.open(awkward)
    store.conn.execute("UPDATE tickets SET subject = ? WHERE id = (SELECT MIN(id) FROM tickets)",
                       (subject,))
    store.close()
    assert migrate(awkward, target, now=NOW).ok
    old, new = open_both(awkward, target)
    try:
        got = new.conn.execute("SELECT subject FROM tickets WHERE id = "
                               "(SELECT MIN(id) FROM tickets)").fetchone()[0]
        assert got == (subject if new.backend == "sqlite" else subject.replace("\x00", "\ufffd"))
        blobs = "SELECT data FROM kpi_values WHERE data IS NOT NULL"
        theirs = sorted(bytes(row[0]) for row in new.conn.execute(blobs))
        assert theirs and theirs == sorted(bytes(row[0]) for row in old.conn.execute(blobs))
    finally:
        old.close()
        new.close()


# -- the command line -----------------------------------------------------------------------


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_the_command_prints_the_checks_and_exits_0(source, tmp_path):
    code, output = cli("migrate", "--from", str(source), "--to", str(tmp_path / "new.db"))
    assert code == 0, output
    assert "kpi summary" in output and "kpi_* views" in output and "DIFFERS" not in output
    assert "rows/s" in output


def test_ctrl_c_mid_copy_exits_1_and_leaves_the_target_empty(source, tmp_path, monkeypatch):
    real = copying.copy_table

    def interrupted(source_store, target_store, item, **options):
        if item.name == "events":
            raise KeyboardInterrupt
        return real(source_store, target_store, item, **options)

    monkeypatch.setattr(copying, "copy_table", interrupted)
    target = str(tmp_path / "new.db")
    code, output = cli("migrate", "--from", str(source), "--to", target)
    assert code == 1
    assert "error: interrupted; the copy was rolled back" in output
    assert empty(target)


def test_a_difference_exits_1_with_the_cause(source, tmp_path, monkeypatch):
    real = copying.copy_table

    def losing(source_store, target_store, item, **options):
        copied = real(source_store, target_store, item, **options)
        if item.name == "events":
            target_store.conn.execute("DELETE FROM events WHERE rowid IN "
                                      "(SELECT rowid FROM events LIMIT 1)")
        return copied

    monkeypatch.setattr(copying, "copy_table", losing)
    code, output = cli("migrate", "--from", str(source), "--to", str(tmp_path / "new.db"))
    assert code == 1
    assert "DIFFERS" in output and "error: the copy differs from the source" in output
    assert "holds none of it" in output


@pytest.mark.parametrize(("make", "expected"), [
    (lambda folder: folder / "missing.db", "does not exist"),
    (lambda folder: _write(folder / "notes.txt", b"not a database at all" * 100),
     "not a SQLite database"),
    (lambda folder: _sqlite(folder / "other.db", 0), "holds no deskpulse data"),
    (lambda folder: _sqlite(folder / "newer.db", 999), "newer than this deskpulse"),
    (lambda folder: _sqlite(folder / "older.db", 5), "older deskpulse"),
])
def test_a_source_that_is_not_a_current_deskpulse_file_exits_2(tmp_path, make, expected):
    code, output = cli("migrate", "--from", str(make(tmp_path)), "--to",
                       str(tmp_path / "new.db"))
    assert code == 2
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[0].startswith("error:") and expected in lines[0]
    assert len(lines) == 2 and lines[1].startswith("  fix:")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _sqlite(path: Path, version: int) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x)")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
    return path


def test_a_target_of_a_newer_deskpulse_exits_2(source, tmp_path):
    code, output = cli("migrate", "--from", str(source), "--to",
                       str(_sqlite(tmp_path / "newer.db", 999)))
    assert code == 2 and "newer than this deskpulse" in output


def test_copying_a_file_onto_itself_is_refused(source):
    code, output = cli("migrate", "--from", str(source), "--to", str(source))
    assert code == 2 and "both name" in output


def test_an_unreachable_server_is_one_line_without_the_password(source):
    secret = "s3cr3t-pw"
    code, output = cli("migrate", "--from", str(source), "--to",
                       f"postgresql://deskpulse:{secret}@127.0.0.1:9/deskpulse")
    assert code == 2, output
    assert "error: cannot connect to the database postgresql://deskpulse:***@127.0.0.1:9/" \
           "deskpulse" in output
    assert secret not in output
    assert len([line for line in output.splitlines() if line.strip()]) == 2


def test_a_password_in_the_url_is_never_printed(source, pg_target):
    """The server trusts local users, so a made-up password connects, and must not show."""
    with_password = pg_target.replace("postgres@", "postgres:hunter2-pw@", 1)
    assert with_password != pg_target
    moved = subprocess.run([sys.executable, "-m", "deskpulse", "migrate", "--from",
                            str(source), "--to", with_password],
                           capture_output=True, text=True, timeout=300, check=False)
    assert moved.returncode == 0, moved.stderr
    assert "postgres:***@" in moved.stdout + moved.stderr
    assert "hunter2" not in moved.stdout + moved.stderr


def test_passwords_are_never_shown():
    assert redact("postgresql://ann:pa%40ss@db.example:5432/desk") == \
        "postgresql://ann:***@db.example:5432/desk"
    assert redact("postgresql://db.example/desk?sslmode=require&password=hunter2") == \
        "postgresql://db.example/desk?sslmode=require&password=***"
    assert redact("postgresql://ann@db.example/desk") == "postgresql://ann@db.example/desk"
    assert redact("desk.db") == "desk.db"
    assert scrub("auth failed for pa@ss and pa%40ss", "postgresql://ann:pa%40ss@h/d") == \
        "auth failed for *** and ***"


def test_progress_shows_rows_per_second_at_most_every_two_seconds():
    lines: list[str] = []

    class Out:
        def print(self, text: str, **_: object) -> None:
            lines.append(text)

    ticks = iter([7.0, 8.0, 9.5, 10.0, 12.0])  # 7 s to open the target: not copying
    progress = ProgressLine(Out(), clock=lambda: next(ticks))  # type: ignore[arg-type]
    progress("tickets", 0, 10_000)       # the copy starts: 7.0 s
    progress("tickets", 5_000, 10_000)   # 1.0 s in: too soon
    progress("tickets", 10_000, 10_000)  # 2.5 s: shown
    progress("events", 5_000, 20_000)    # 3.0 s: too soon after the last line
    progress("events", 10_000, 20_000)   # 5.0 s: 20,000 rows in 5 s
    assert lines == ["copying tickets: 10,000 of 10,000 rows; 10,000 rows in all, 4,000 rows/s",
                     "copying events: 10,000 of 20,000 rows; 20,000 rows in all, 4,000 rows/s"]


# -- syncing on from the copied cursors ------------------------------------------------------


@pytest.fixture
def served_desk() -> Iterator[tuple[object, ZendeskAPI, str]]:
    """The simulated Zendesk on a local port, in this process, so the test can move it on."""
    desk, api = desk_and_api(tickets=120, seed=33)
    server = make_server(api.handler, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield desk, api, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def deskpulse(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deskpulse", *args, "--config",
                           str(folder / "deskpulse.toml")], capture_output=True, text=True,
                          timeout=300, check=False,
                          env={**os.environ, "SIM_TOKEN": TOKEN})


def config(folder: Path, base_url: str, database: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deskpulse.toml").write_text(f"""
database = "{database}"
[sources.sim]
kind = "zendesk"
subdomain = "sim"
email = "demo@deskpulse.example"
token = "${{SIM_TOKEN}}"
base_url = "{base_url}"
incremental_requests_per_minute = 100000
""", encoding="utf-8")
    return folder


def test_sync_carries_on_from_the_copied_cursors_as_the_file_would(served_desk, target,
                                                                   tmp_path):
    desk, api, url = served_desk
    lite = config(tmp_path / "lite", url, "desk.db")
    assert deskpulse(lite, "backfill", "sim", "--since", "2026-02-01").returncode == 0
    moved = subprocess.run([sys.executable, "-m", "deskpulse", "migrate", "--from",
                            str(lite / "desk.db"), "--to", target],
                           capture_output=True, text=True, timeout=300, check=False)
    assert moved.returncode == 0, moved.stderr
    assert desk.advance(NOW, seed=5), "the desk moved on"

    there = config(tmp_path / "there", url, target)
    before = len(api.requests)
    synced = deskpulse(there, "sync")
    assert synced.returncode == 0, synced.stderr
    requests = len(api.requests) - before
    assert requests <= 12, "read only what changed: no second backfill"
    before = len(api.requests)
    assert deskpulse(lite, "sync").returncode == 0
    assert len(api.requests) - before == requests, "the file's own sync asks the same"

    old, new = Store.open_readonly(lite / "desk.db"), Store.open(target)
    try:
        for table in DATA_TABLES:
            assert rows(new, table) == rows(old, table), table
        cursors = "SELECT source, stream, cursor FROM sync_state"
        assert sorted(new.conn.execute(cursors).fetchall()) == \
            sorted(old.conn.execute(cursors).fetchall())
    finally:
        old.close()
        new.close()
