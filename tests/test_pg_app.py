"""The app on a PostgreSQL database: chosen by URL (config, $DESKPULSE_DATABASE,
--database), named without its password, no lock files, read-only reading commands, and
`deskpulse sync` against the simulator into it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from deskpulse import kpi
from deskpulse.app.config.file import DATABASE_ENV, load_config
from deskpulse.app.sync.lock import WriterLock
from deskpulse.store import Store, Ticket
from deskpulse.store.backends import DatabaseUrl, redact, target
from tests.simdesk import TOKEN, start_simulator, stop, write_config

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def deskpulse(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deskpulse", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SIM_TOKEN": TOKEN, **(env or {})})


def test_a_url_names_itself_without_its_password():
    assert redact("postgresql://app:s3cret@db.example:5433/desk?sslmode=require") == \
        "postgresql://app:***@db.example:5433/desk?sslmode=require"
    assert redact("postgresql://app@db/desk?password=s3cret&x=1") == \
        "postgresql://app@db/desk?password=***&x=1"
    url = DatabaseUrl("postgresql://app:s3cret@db/desk")
    assert "s3cret" not in f"{url} {url!r}" and url.url.endswith(":s3cret@db/desk")
    assert target("postgresql://a@b/c") == DatabaseUrl("postgresql://a@b/c")
    assert target("desk.db") == Path("desk.db")


def test_the_config_and_the_environment_choose_a_url(tmp_path):
    config = tmp_path / "deskpulse.toml"
    config.write_text('database = "postgresql://app:s3cret@db/desk"\n', encoding="utf-8")
    chosen = load_config(config, environ={}).database
    assert isinstance(chosen, DatabaseUrl) and str(chosen) == "postgresql://app:***@db/desk"
    config.write_text('database = "desk.db"\n', encoding="utf-8")
    assert load_config(config, environ={}).database == tmp_path / "desk.db"
    overridden = load_config(config, environ={DATABASE_ENV: "postgresql://other@db/x"})
    assert overridden.database == DatabaseUrl("postgresql://other@db/x")


def test_no_lock_file_for_a_server_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with WriterLock(DatabaseUrl("postgresql://app@db/desk"), "sync"), \
            WriterLock(DatabaseUrl("postgresql://app@db/desk"), "sync"):
        pass  # a second holder is not refused: the server coordinates writers
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_server_is_one_error_without_the_password(tmp_path):
    result = deskpulse("status", "--database", "postgresql://app:s3cret@127.0.0.1:1/desk")
    assert result.returncode == 2
    assert "s3cret" not in result.stderr + result.stdout and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: cannot connect to the database "
                               "postgresql://app:***@127.0.0.1:1/desk")
    assert lines[1].startswith("  fix: check that the PostgreSQL server runs")


def test_reading_opens_a_read_only_session(pg_target):
    writer = Store.open(pg_target)
    writer.commit_page("acme", "tickets", [Ticket(id=1, status="open", channel="email",
                                                  created_at=T0, updated_at=T0)], {"n": 1})
    writer.close()
    reader = Store.open_readonly(pg_target)
    assert reader.conn.execute("SELECT created_at, id FROM tickets").fetchone() == \
        ("2026-03-02T09:00:00Z", "1")
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        reader.conn.execute("DELETE FROM tickets")
    reader.close()


def test_a_reader_refuses_a_database_without_deskpulse_data(pg_target):
    from deskpulse.store import StoreUnusable

    with pytest.raises(StoreUnusable, match="holds no deskpulse data"):
        Store.open_readonly(pg_target)


def test_a_search_path_without_a_schema_is_one_error(pg_target):
    from deskpulse.store import StoreUnusable

    missing = pg_target.replace("search_path%3Dpgcore_", "search_path%3Dnowhere_")
    with pytest.raises(StoreUnusable, match="has no schema to use") as raised:
        Store.open(missing)
    assert "CREATE SCHEMA" in raised.value.fix


def test_status_reads_a_postgres_database(pg_target):
    store = Store.open(pg_target)
    store.ensure_source("acme", "zendesk", "acme")
    run = store.start_run("acme", "sync")
    store.commit_page("acme", "tickets", [Ticket(id=1, status="open", channel="email",
                                                  created_at=T0, updated_at=T0)],
                      {"n": 1}, run_id=run, requests=1)
    store.finish_run(run, "ok")
    store.close()
    result = deskpulse("status", "--json", "--database", pg_target)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [item["source"] for item in report] == ["acme"]
    assert report[0]["health"] == "ok"


def test_sync_against_the_simulator_into_postgres(tmp_path, pg_target):
    base_url, server = start_simulator(tickets=30, seed=5)
    try:
        folder = tmp_path / "cfg"
        write_config(folder, base_url)
        env = {DATABASE_ENV: pg_target}
        result = deskpulse("sync", cwd=folder, env=env)
        assert result.returncode == 0, result.stderr
        assert not list(folder.glob("*.lock")) and not list(folder.glob("*.db"))
        status = deskpulse("status", "--json", cwd=folder, env=env)
        assert json.loads(status.stdout)[0]["health"] == "ok", status.stdout
    finally:
        stop(server)
    store = Store.open_readonly(pg_target)
    try:
        assert store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] > 0
        assert store.conn.execute("SELECT COUNT(*) FROM kpi_dirty").fetchone()[0] == 0
    finally:
        store.close()


def test_the_servers_failures_are_one_error_with_a_fix(pg_target):
    from deskpulse.app.cli.failures import RUN_FAILED, USAGE, explain

    Store.open(pg_target).close()
    reader = Store.open_readonly(pg_target)
    try:
        with pytest.raises(psycopg.Error) as refused:
            reader.conn.execute("DELETE FROM tickets")
        failure = explain(refused.value)
        assert failure is not None and failure.code == USAGE
        assert failure.lines()[0].startswith("error: the database refused: cannot execute")
    finally:
        reader.close()
    with pytest.raises(psycopg.OperationalError) as gone:
        reader.conn.execute("SELECT 1")  # the connection is closed
    failure = explain(gone.value)
    assert failure is not None and failure.code == RUN_FAILED
    assert failure.fix.startswith("check that the PostgreSQL server is up")


def test_the_python_api_opens_a_url_read_only(pg_target):
    import deskpulse

    with pytest.raises(deskpulse.DatabaseError, match="holds no deskpulse data"):
        deskpulse.open(pg_target)
    Store.open(pg_target).close()
    desk = deskpulse.open(pg_target)
    try:
        store = desk._store  # the API keeps no other handle on it
        assert store.backend == "postgresql" and store.schema_version() > 0
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            store.conn.execute("DELETE FROM kpi_meta")
    finally:
        desk.close()


def test_the_python_api_reads_the_same_kpis_from_postgres(tmp_path, pg_target):
    import deskpulse

    found = []
    for where in (tmp_path / "desk.db", pg_target):
        store = Store.open(where)
        store.commit_page("acme", "tickets", [Ticket(id=1, status="open", channel="email",
                                                     created_at=T0, updated_at=T0)], None)
        kpi.refresh(store)
        store.close()
        with deskpulse.open(where) as desk:
            found.append((list(desk.kpis(by="week")), list(desk.kpis(by="channel"))))
    assert found[0][0] and found[1] == found[0]


def test_a_dry_run_plans_from_a_new_postgres_database(tmp_path, pg_target):
    base_url, server = start_simulator(tickets=10, seed=3)
    try:
        folder = tmp_path / "cfg"
        write_config(folder, base_url)
        result = deskpulse("backfill", "sim", "--dry-run", cwd=folder,
                           env={DATABASE_ENV: pg_target})
    finally:
        stop(server)
    assert result.returncode == 0, result.stderr
    assert "tickets" in result.stdout and not list(folder.glob("*.db"))
