"""`deskpulse migrate`: a SQLite file copied into another SQLite file or into PostgreSQL holds
the same rows and gives the same KPI figures, and a copy that crashes, is refused or differs
leaves nothing behind (the command line and syncing on from the copy:
tests/migrate/test_cli.py)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys

import pytest

from deskpulse.app.migrate import MigrateError, copying, migrate
from deskpulse.app.sync import failed_runs
from deskpulse.store import Rejected, Store
from deskpulse.store import copy as catalogue
from tests.migrate.shared import (
    NOW,
    empty,
    open_both,
    rows,
)

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
