"""`deskpulse migrate` on the command line (exit codes, one-line errors, passwords never shown,
progress), and a sync carrying on from the copied cursors as it would from the file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskpulse.app.cli.main import app
from deskpulse.app.cli.migrate import ProgressLine
from deskpulse.app.migrate import copying
from deskpulse.app.migrate.targets import redact, scrub
from deskpulse.simulator import ZendeskAPI, make_server
from deskpulse.store import Store
from tests.migrate.shared import (
    DATA_TABLES,
    NOW,
    TOKEN,
    desk_and_api,
    empty,
    rows,
)
from tests.simdesk import write_config

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
    """The folder holding a deskpulse.toml with one simulated Zendesk source."""
    write_config(folder, base_url, database)
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
