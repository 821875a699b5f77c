"""The first hour of a new user (issue #16): every failure they can cause or meet ends in
`error: …` naming the cause (and a fix) with the documented exit code, never a traceback;
and the reading commands work on a file they may only read, without changing it.

Each case runs the installed `deskpulse` entry as a subprocess on real files. The read-only
cases run it as the unprivileged user 65534 (tests run as root, which ignores file modes)
through `setpriv` or `runuser`, and skip only when neither exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deskpulse.app.demo.run import DEMO_SOURCE
from deskpulse.connectors.errors import error_for_status
from deskpulse.store.schema import MIGRATIONS
from tests.holder import write_transaction_held
from tests.simdesk import backfilled_store, free_port, start_simulator, stop

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[1]
ENTRY = Path(sys.executable).with_name("deskpulse")
NOBODY = 65534


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synced file, closed (no -wal left), copied by each test that changes it."""
    path = tmp_path_factory.mktemp("first-hour") / "desk.db"
    backfilled_store(path, tickets=30, seed=5, now=NOW, days=20).close()
    return path


@pytest.fixture
def shared() -> Iterator[Path]:
    """A root-owned folder others may enter but not write (tmp_path is root-only)."""
    folder = Path(tempfile.mkdtemp(prefix="deskpulse-first-hour-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(ENTRY), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def first_error(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    return result.stderr.strip().splitlines()[0]


def run_summary(result: subprocess.CompletedProcess) -> str:
    """A failed run's own line (the first: the runner's log line about it is not printed)."""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    return next(line for line in lines if line.startswith("acme sync: failed"))


def edited_copy(demo_db: Path, folder: Path, sql: str) -> Path:
    """A copy of the synced file with one statement applied, as another tool might."""
    copy = folder / "edited.db"
    shutil.copy(demo_db, copy)
    with sqlite3.connect(copy) as db:
        db.execute(sql)
    return copy


def config(folder: Path, body: str, database: str = "desk.db") -> Path:
    path = folder / "deskpulse.toml"
    path.write_text(f'database = "{database}"\n{body}', encoding="utf-8")
    path.chmod(0o644)
    return path


SOURCE = """
[sources.acme]
kind = "zendesk"
subdomain = "acme"
email = "ops@acme.example"
token = "${ACME_TOKEN}"
"""


# -- files and folders ---------------------------------------------------------------------

def test_a_file_that_is_not_a_database(tmp_path):
    (tmp_path / "notes.db").write_text("shopping list\n", encoding="utf-8")
    result = run("kpi", "--database", str(tmp_path / "notes.db"))
    assert result.returncode == 2
    assert first_error(result).startswith("error: ") and "is not a SQLite database" in \
        first_error(result)


def test_a_database_in_a_folder_that_does_not_exist(tmp_path):
    cfg = config(tmp_path, SOURCE, database="missing/folder/desk.db")
    result = run("sync", "--config", str(cfg), env={"ACME_TOKEN": "tok-123"})
    assert result.returncode == 2
    assert "the folder of the database" in first_error(result)
    assert "does not exist" in first_error(result)


def test_report_into_a_folder_that_does_not_exist(demo_db, tmp_path):
    result = run("report", "--database", str(demo_db), "--out",
                 str(tmp_path / "nonexistent" / "dir" / "x.html"))
    assert result.returncode == 2
    assert "no such file or folder" in first_error(result)


def test_an_older_file_read_only_names_the_upgrade(demo_db, tmp_path):
    old = edited_copy(demo_db, tmp_path, f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    result = run("kpi", "--database", str(old))
    assert result.returncode == 2
    assert "written by an older deskpulse" in first_error(result)
    assert "deskpulse sync" in result.stderr


# -- the configuration ---------------------------------------------------------------------

@pytest.mark.parametrize(("body", "expected"), [
    (SOURCE + 'subdomian = "acme"\n', "unknown setting subdomian"),
    (SOURCE.replace('"zendesk"', '"zendesc"'), "no connector for kind 'zendesc'"),
    (SOURCE.replace('"${ACME_TOKEN}"', '"sk-live-123"'), "must be an environment reference"),
    (SOURCE + 'interval = "0s"\n', "must be longer than zero"),
    (SOURCE + "interval = 5\n", "has no unit"),
])
def test_status_refuses_a_config_it_cannot_use(demo_db, tmp_path, body, expected):
    shutil.copy(demo_db, tmp_path / "desk.db")
    result = run("status", "--config", str(config(tmp_path, body)))
    assert result.returncode == 2
    assert expected in first_error(result)
    assert "sk-live-123" not in result.stderr


# -- questions with nothing to answer ------------------------------------------------------

@pytest.mark.parametrize("command", [["kpi"], ["sla"], ["report", "--out", "r.html"]])
def test_an_unknown_source_is_refused_not_answered_empty(demo_db, tmp_path, command):
    result = run(*command, "--source", "nope", "--database", str(demo_db), cwd=tmp_path)
    assert result.returncode == 2
    assert "no source named 'nope'" in first_error(result)
    assert f"use one of: {DEMO_SOURCE}" in result.stderr


@pytest.mark.parametrize("command", ["kpi", "report"])
def test_a_range_that_ends_before_it_starts(demo_db, tmp_path, command):
    result = run(command, "--since", "2026-12-01", "--until", "2026-11-01", "--database",
                 str(demo_db), cwd=tmp_path)
    assert result.returncode == 2
    assert "--since 2026-12-01 is after --until 2026-11-01" in first_error(result)


def test_a_tag_that_looks_like_terminal_markup_is_printed_as_written(demo_db, tmp_path):
    copy = edited_copy(demo_db, tmp_path, """UPDATE tickets SET tags = '["[/red]oops"]'""")
    result = run("kpi", "--by", "tag", "--database", str(copy))
    assert result.returncode == 0, result.stderr
    assert "[/red]oops" in result.stdout


# -- a locked file, a wrong address, wrong credentials -------------------------------------

def test_a_write_transaction_held_elsewhere_fails_the_run_with_exit_1(demo_db, tmp_path):
    shutil.copy(demo_db, tmp_path / "desk.db")
    cfg = config(tmp_path, SOURCE + 'base_url = "http://127.0.0.1:9"\n')
    with write_transaction_held(tmp_path / "desk.db"):
        result = run("sync", "--config", str(cfg),
                     env={"ACME_TOKEN": "t", "DESKPULSE_BUSY_TIMEOUT_MS": "200"})
    assert result.returncode == 1
    assert "the database was locked" in first_error(result)


def test_a_refused_connection_fails_at_once_naming_the_host(demo_db, tmp_path):
    shutil.copy(demo_db, tmp_path / "desk.db")
    port = free_port()  # nothing listens there
    cfg = config(tmp_path, SOURCE + f'base_url = "http://127.0.0.1:{port}"\n')
    result = run("sync", "--config", str(cfg), env={"ACME_TOKEN": "tok-123"}, timeout=60)
    assert result.returncode == 1
    assert run_summary(result)
    assert "to 127.0.0.1: cannot connect" in result.stderr
    assert "retry" not in result.stderr


def test_404_on_every_request_says_the_account_url_is_wrong(demo_db, tmp_path):
    shutil.copy(demo_db, tmp_path / "desk.db")
    empty = tmp_path / "www"
    empty.mkdir()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-u", "-m", "http.server", str(port), "--bind",
                               "127.0.0.1", "--directory", str(empty)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert "Serving HTTP" in server.stdout.readline()
        cfg = config(tmp_path, SOURCE + f'base_url = "http://127.0.0.1:{port}"\n')
        result = run("sync", "--config", str(cfg), env={"ACME_TOKEN": "tok-123"})
    finally:
        stop(server)
    assert result.returncode == 1
    assert run_summary(result)
    assert "404 Not Found" in result.stderr and "account URL is likely wrong" in result.stderr
    assert "deleted" not in result.stderr


def test_a_dry_run_with_the_token_variable_unset(tmp_path):
    cfg = config(tmp_path, SOURCE)
    env = {k: v for k, v in os.environ.items() if k != "ACME_TOKEN"}
    result = subprocess.run([str(ENTRY), "backfill", "acme", "--since", "2026-01-01",
                             "--dry-run", "--config", str(cfg)], capture_output=True,
                            text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert "refers to ${ACME_TOKEN}, which is not set" in first_error(result)
    assert not (tmp_path / "desk.db").exists()  # a dry run writes nothing


def test_a_dry_run_with_a_wrong_email(tmp_path):
    base_url, server = start_simulator(tickets=10, seed=3, token="good")
    try:
        cfg = config(tmp_path, SOURCE.replace("ops@acme.example", "wrong@acme.example")
                     + f'base_url = "{base_url}"\n')
        result = run("backfill", "acme", "--since", "2026-01-01", "--dry-run", "--config",
                     str(cfg), env={"ACME_TOKEN": "good"})
    finally:
        stop(server)
    assert result.returncode == 2
    assert "401" in first_error(result) and "email" in first_error(result)
    assert len(result.stderr.strip().splitlines()) <= 2


def test_freshdesk_401_advice_names_the_api_key_and_no_email():
    import httpx

    request = httpx.Request("GET", "https://acme.freshdesk.com/api/v2/tickets")
    message = str(error_for_status("desk", "freshdesk", httpx.Response(401, request=request),
                                   None))
    assert "api_key" in message and "email it" not in message


def test_debug_shows_the_traceback(tmp_path):
    (tmp_path / "notes.db").write_text("not sqlite", encoding="utf-8")
    result = run("kpi", "--database", str(tmp_path / "notes.db"), "--debug")
    assert result.returncode == 2
    assert "Traceback" in result.stderr and "is not a SQLite database" in result.stderr


# -- reading never needs write access ------------------------------------------------------

def _unprivileged() -> list[str]:
    """A command prefix running as user 65534, and an interpreter that user may run."""
    if shutil.which("setpriv"):
        prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    elif shutil.which("runuser"):
        prefix = ["runuser", "-u", "nobody", "--"]
    else:
        pytest.skip("neither setpriv nor runuser is available to drop root")
    for python in (sys.executable, shutil.which(f"python{sys.version_info[0]}."
                                                f"{sys.version_info[1]}") or ""):
        if python and subprocess.run([*prefix, python, "-c", "pass"],
                                     capture_output=True).returncode == 0:
            return [*prefix, python]
    pytest.skip("no interpreter the unprivileged user may run")


def as_nobody(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`deskpulse ARGS` as user 65534 (the venv's entry script may sit in root's home, so
    the same `app.cli.main:main` is started with an interpreter that user may run)."""
    site = next(p for p in sys.path if p.endswith("site-packages"))
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": f"{REPO}:{site}",
           "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run([*_unprivileged(), "-m", "deskpulse", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=180)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def readonly_db(demo_db, shared) -> Path:
    """The synced file, 0444 and root's, in a folder the reader may not write."""
    path = shared / "desk.db"
    shutil.copy(demo_db, path)
    path.chmod(0o444)
    (shared / "costs.csv").write_text("period_start,period_end,amount,currency,category\n"
                                      "2026-10-01,2026-10-31,1000,USD,tools\n",
                                      encoding="utf-8")
    (shared / "costs.csv").chmod(0o444)
    return path


def test_reading_commands_work_on_a_file_the_user_may_only_read(readonly_db, shared):
    out = Path(tempfile.mkdtemp(prefix="deskpulse-out-"))
    os.chown(out, NOBODY, NOBODY)
    before = digest(readonly_db)
    db = str(readonly_db)
    try:
        for args in (["kpi", "--database", db], ["kpi", "--by", "week", "--database", db],
                     ["sla", "--database", db], ["status", "--database", db],
                     ["report", "--database", db, "--out", str(out / "r.html")],
                     ["verify", DEMO_SOURCE, "--database", db],
                     ["import", "costs", str(shared / "costs.csv"), "--dry-run",
                      "--database", db]):
            result = as_nobody(*args, cwd=out)
            assert "Traceback" not in result.stderr, (args, result.stderr)
            assert result.returncode in (0, 1) if args[0] == "verify" else \
                result.returncode == 0, (args, result.stderr)
        assert (out / "r.html").stat().st_size > 0
    finally:
        shutil.rmtree(out)
    assert digest(readonly_db) == before
    assert sorted(p.name for p in shared.iterdir()) == ["costs.csv", "desk.db"]


def test_a_writing_command_on_a_read_only_file_names_the_cause(readonly_db, shared):
    result = as_nobody("import", "costs", str(shared / "costs.csv"), "--database",
                       str(readonly_db), cwd=shared)
    assert result.returncode == 2
    assert "permission denied" in first_error(result)


def test_kpi_leaves_a_writable_file_byte_for_byte(demo_db, tmp_path):
    copy = tmp_path / "desk.db"
    shutil.copy(demo_db, copy)
    before = digest(copy)
    assert run("kpi", "--database", str(copy)).returncode == 0
    assert digest(copy) == before


def test_a_wal_with_changes_the_reader_cannot_open_is_named(demo_db, shared):
    path = shared / "desk.db"
    shutil.copy(demo_db, path)
    path.chmod(0o644)
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("UPDATE tickets SET subject = 'changed'")
        Path(f"{path}-shm").chmod(0o600)
        result = as_nobody("kpi", "--database", str(path), cwd=shared)
    finally:
        writer.close()
    assert result.returncode == 2
    assert "has changes in desk.db-wal" in first_error(result)


def test_the_writer_lock_needs_no_posix_only_module():
    source = (REPO / "deskpulse" / "app" / "sync" / "lock.py").read_text(encoding="utf-8")
    assert "import fcntl" not in source and "portalocker" in source


def test_a_lock_folder_the_user_may_not_write(demo_db, shared):
    shutil.copy(demo_db, shared / "desk.db")
    (shared / "desk.db").chmod(0o644)
    cfg = config(shared, SOURCE)
    result = as_nobody("sync", "--config", str(cfg), cwd=shared)
    assert result.returncode == 2
    assert "desk.db.sync.lock: permission denied" in first_error(result)

