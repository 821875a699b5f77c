"""The Python API (deskpulse/app/api.py): the same figures as the CLI, a read-only open that leaves
the file's bytes alone, typed errors naming cause and fix, sync and backfill with progress,
and every example of docs/python-api.md run in order."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import deskpulse
from deskpulse.app.sync.lock import WriterLock
from tests import test_cli
from tests.simdesk import TOKEN, backfilled_store, write_config
from tests.test_cli import deskpulse as cli

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
simulator = test_cli.simulator  # a fixture: `deskpulse simulate` on 127.0.0.1, for this module


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A small simulated desk, backfilled in-process up to NOW."""
    path = tmp_path_factory.mktemp("api") / "deskpulse.db"
    backfilled_store(path, tickets=150, seed=5, now=NOW, days=90).close()
    return path


@pytest.fixture()
def db(built, tmp_path) -> Path:
    """A copy of the built desk each test may change."""
    path = tmp_path / "deskpulse.db"
    shutil.copy(built, path)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("by", [None, "week", "channel", "tag"])
def test_kpis_are_the_rows_of_kpi_format_json(built, by):
    # The data ends before today, so every pending SLA is breached whatever `now` is
    # (the CLI reads the clock; the API is told it).
    args = ["kpi", "--database", str(built), "--format", "json", "--since", "2026-01-05",
            "--until", "2026-02-20"] + (["--by", by] if by else [])
    shown = cli(*args)
    assert shown.returncode == 0, shown.stderr
    with deskpulse.open(built) as desk:
        got = desk.kpis(by=by, since="2026-01-05", until="2026-02-20",
                        now=datetime.now(UTC))
    assert got.rows and json.loads(json.dumps(got.rows)) == json.loads(shown.stdout)


def test_the_previous_period_is_the_same_days_just_before(built):
    with deskpulse.open(built) as desk:
        got = desk.kpis(since="2026-02-01", until="2026-02-14", now=NOW)
        before = desk.kpis(since="2026-01-18", until="2026-01-31", now=NOW)
        by_week = desk.kpis(by="week", since="2026-02-01", now=NOW)
    assert got.previous is not None and got.previous["created"] > 0
    assert got.previous["created"] == before[0]["created"]
    assert got.previous["solved"] == before[0]["solved"]
    assert by_week.previous is None


def test_opening_and_reading_leaves_the_files_bytes_alone(db):
    files = [p for p in (db, Path(f"{db}-wal")) if p.exists()]
    before = {p: digest(p) for p in files}
    with deskpulse.open(db) as desk:
        assert desk.kpis(by="day", now=NOW).rows
        desk.sla_at_risk(within="2d", now=NOW)
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only"):
            desk._store.conn.execute("DELETE FROM tickets")
    assert {p: digest(p) for p in files} == before


def test_sla_at_risk_lists_pending_instances_soonest_first(db):
    conn = sqlite3.connect(db)
    pending, first_due = conn.execute("SELECT COUNT(*), MIN(breach_at) FROM sla_instances "
                                      "WHERE outcome = 'pending'").fetchone()
    conn.close()
    before_first = datetime.fromisoformat(first_due) - timedelta(minutes=30)
    with deskpulse.open(db) as desk:
        late = desk.sla_at_risk(within="1h", now=NOW + timedelta(days=30))
        none_due = desk.sla_at_risk(within=timedelta(0), now=before_first)
        hour = desk.sla_at_risk(now=before_first)  # the default window: 1h
    assert pending and len(late) == pending  # a month on, every pending one is overdue
    assert {row["state"] for row in late} == {"overdue"}
    assert [row["seconds_left"] for row in late] == sorted(row["seconds_left"] for row in late)
    assert len(none_due) == 0
    assert hour.rows and {row["state"] for row in hour} == {"at risk"}
    assert hour[0]["seconds_left"] == 30 * 60


def test_the_config_gives_the_database_and_the_at_risk_window(db, tmp_path):
    config = tmp_path / "deskpulse.toml"
    config.write_text(f'database = "{db.name}"\n[kpi]\nsla_at_risk = "1000d"\n')
    with deskpulse.open(config=config) as desk:
        wide = desk.sla_at_risk(now=NOW - timedelta(days=200))
    with deskpulse.open(db) as desk:
        default = desk.sla_at_risk(now=NOW - timedelta(days=200))
    assert len(wide) > 0 and len(default) == 0


def test_a_missing_file_and_a_file_of_another_kind_are_named(tmp_path):
    with pytest.raises(deskpulse.DatabaseError, match="does not exist: run `deskpulse sync`"):
        deskpulse.open(tmp_path / "no.db")
    text = tmp_path / "notes.db"
    text.write_text("not sqlite at all, just words enough to fill a header " * 4)
    with pytest.raises(deskpulse.DatabaseError, match="is not a SQLite database"):
        deskpulse.open(text)
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(deskpulse.DatabaseError, match="holds no deskpulse data"):
        deskpulse.open(tmp_path / "other.db")
    assert not (tmp_path / "no.db").exists()


def test_an_older_file_is_refused_with_the_upgrade_step_and_left_alone(db):
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 3")
    conn.close()
    before = digest(db)
    with pytest.raises(deskpulse.DeskpulseError,
                       match="older deskpulse \\(schema 3.*run `deskpulse sync`"):
        deskpulse.open(db)
    assert digest(db) == before


def test_bad_arguments_raise_invalid_argument_naming_them(built):
    with deskpulse.open(built) as desk:
        with pytest.raises(deskpulse.InvalidArgument, match="by='month': use one of day"):
            desk.kpis(by="month")
        with pytest.raises(ValueError, match="since='2026-13-01' is not a date"):
            desk.kpis(since="2026-13-01")
        with pytest.raises(deskpulse.InvalidArgument, match="within='soon'"):
            desk.sla_at_risk(within="soon")
    with pytest.raises(deskpulse.ConfigError, match="no-such.toml"):
        deskpulse.open(config=built.parent / "no-such.toml")


@pytest.mark.parametrize("extra", ["pandas", "polars"])
def test_a_missing_dataframe_library_names_its_extra(built, monkeypatch, extra):
    monkeypatch.setitem(sys.modules, extra, None)  # as if not installed
    with deskpulse.open(built) as desk:
        rows = desk.kpis(by="week", now=NOW)
    with pytest.raises(ImportError, match=rf"pip install 'deskpulse\[{extra}\]'") as info:
        getattr(rows, f"to_{extra}")()
    assert isinstance(info.value, deskpulse.MissingExtra)


@pytest.mark.parametrize("extra", ["pandas", "polars"])
def test_dataframes_hold_the_same_rows(built, extra):
    pytest.importorskip(extra)
    with deskpulse.open(built) as desk:
        rows = desk.kpis(by="week", now=NOW)
    frame = getattr(rows, f"to_{extra}")()
    assert list(frame.columns) == list(rows[0])
    assert len(frame) == len(rows) > 5
    assert list(frame["created"]) == [row["created"] for row in rows]


def test_backfill_and_sync_tell_progress_per_committed_page(simulator, tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_TOKEN", TOKEN)
    config = write_config(tmp_path, simulator)
    told: list[deskpulse.SyncProgress] = []
    result = deskpulse.run_backfill("sim", since="2000-01-01", config=config, progress=told.append)
    assert result.status == "ok" and result.records > 0
    assert {p.mode for p in told} == {"backfill"} and {p.source for p in told} == {"sim"}
    assert sum(p.page_records for p in told) == result.records == told[-1].records
    assert [p.pages for p in told] == list(range(1, result.pages + 1))
    assert {p.stream for p in told if p.stream_done} == {p.stream for p in told}
    told.clear()
    [synced] = deskpulse.run_sync(config=config, progress=told.append)
    assert synced.mode == "sync" and synced.status == "ok"
    assert {p.mode for p in told} == {"sync"}
    with deskpulse.open(config=config) as desk:
        assert desk.kpis(now=NOW)[0]["created"] > 0


def test_a_failed_run_raises_run_failed_without_the_token(simulator, tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_TOKEN", "wrong-secret-token")
    config = write_config(tmp_path, simulator)
    with pytest.raises(deskpulse.RunFailed, match="sim sync: failed") as info:
        deskpulse.run_sync(["sim"], config=config)
    assert [r.status for r in info.value.results] == ["failed"]
    assert "wrong-secret-token" not in str(info.value)
    with pytest.raises(deskpulse.ConfigError, match="no source named 'other'"):
        deskpulse.run_backfill("other", since="2026-01-01", config=config)


def test_a_second_writer_raises_locked_error(simulator, tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_TOKEN", TOKEN)
    config = write_config(tmp_path, simulator)
    with WriterLock(tmp_path / "desk.db", "sync"), \
            pytest.raises(deskpulse.LockedError, match="already running the sync job"):
        deskpulse.run_sync(config=config)


def test_every_exported_name_resolves_even_beside_the_modules_of_the_package():
    import deskpulse.app.sync.runner  # noqa: F401 - a module beside an export must not hide it

    assert deskpulse.__version__
    for name in deskpulse.__all__:
        assert getattr(deskpulse, name) is not None, name
    assert callable(deskpulse.run_sync) and callable(deskpulse.run_backfill)
    assert issubclass(deskpulse.ConfigError, deskpulse.DeskpulseError)
    assert issubclass(deskpulse.LockedError, deskpulse.DeskpulseError)


def test_every_example_in_the_python_api_doc_and_the_readme_runs_in_order(
        built, simulator, tmp_path, monkeypatch, capsys):
    shutil.copy(built, tmp_path / "deskpulse.db")
    (tmp_path / "deskpulse.toml").write_text(f"""database = "deskpulse.db"
[sources.acme]
kind = "zendesk"
subdomain = "acme"
email = "demo@deskpulse.example"
token = "${{ACME_TOKEN}}"
base_url = "{simulator}"
incremental_requests_per_minute = 100000
""")
    monkeypatch.setenv("ACME_TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)
    doc = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
    assert len(blocks) >= 6
    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("## From Python")[1]
    blocks.insert(-1, re.findall(r"```python\n(.*?)```", readme, re.S)[0])  # the README's too
    scope: dict = {}
    out = ""
    for block in blocks:
        needs = re.search(r"needs deskpulse\[(\w+)\]", block)
        missing = needs and _missing(needs.group(1))
        if missing:
            with pytest.raises(deskpulse.MissingExtra, match=rf"deskpulse\[{needs.group(1)}\]"):
                exec(compile(block, "docs/python-api.md", "exec"), scope)
        else:
            exec(compile(block, "docs/python-api.md", "exec"), scope)
            out = capsys.readouterr().out
            assert out.strip(), f"the example printed nothing:\n{block}"
    assert scope["result"].status == "ok" and scope["result"].records > 0
    assert [run.status for run in scope["runs"]] == ["ok"]
    assert out.startswith("DatabaseError the database no-such.db does not exist")


def _missing(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return True
    return False
