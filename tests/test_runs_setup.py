"""The first hour of a new user, as real processes: a backfill killed (SIGKILL), stopped
(SIGTERM) or interrupted (Ctrl-C) says how to resume and resumes; `status` tells a dead run
from a live one; `check` proves each vendor's set-up; dead letters can be retried.

The CLI runs as the installed `deskpulse` entry against `deskpulse simulate`. The only
waiting is bounded polling of a subprocess's progress (short timeouts, nothing timed)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from deskpulse.app.config.file import SourceConfig
from deskpulse.app.demo.simulated import vendor
from deskpulse.app.sync.check import check_source
from deskpulse.app.sync.progress import SyncProgress
from deskpulse.app.sync.runner import Runner
from deskpulse.app.sync.runs import owner_gone, stoppable_sleep
from deskpulse.store import Store
from deskpulse.store.models import Rejected, Ticket
from tests.simdesk import TOKEN, start_simulator, stop, write_config

ENTRY = str(Path(sys.executable).parent / "deskpulse")


def deskpulse(*args: str, token: str = TOKEN) -> subprocess.Popen:
    return subprocess.Popen([ENTRY, *args], env=os.environ | {"SIM_TOKEN": token},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(*args: str, token: str = TOKEN) -> tuple[int, str, str]:
    process = deskpulse(*args, token=token)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def committed_pages(path: Path) -> int:
    try:
        with sqlite3.connect(path) as db:
            return int(db.execute("SELECT COALESCE(SUM(pages), 0) FROM sync_runs").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def wait_for_pages(process: subprocess.Popen, path: Path, pages: int) -> None:
    """Bounded polling of the subprocess's committed pages (no timed assertion)."""
    deadline = time.monotonic() + 60
    while committed_pages(path) < pages:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the backfill committed no pages"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def simulator():
    url, server = start_simulator(tickets=3000, seed=21)
    yield url
    stop(server)


def status_json(config: Path) -> list[dict]:
    code, out, err = run("status", "--json", "--config", str(config))
    assert code == 0, err
    return json.loads(out)


def test_a_killed_backfill_is_interrupted_in_status_with_a_resume_hint_and_resumes(
        tmp_path, simulator):
    config = write_config(tmp_path, simulator)
    backfill = deskpulse("backfill", "sim", "--since", "2020-01-01", "--config", str(config))
    wait_for_pages(backfill, tmp_path / "desk.db", 2)
    backfill.send_signal(signal.SIGKILL)
    backfill.communicate(timeout=30)

    [item] = status_json(config)
    assert item["health"] == "interrupted"
    assert item["last_run"]["status"] == "interrupted"
    assert "deskpulse backfill sim --since 2020-01-01" in item["last_run"]["resume"]
    code, out, _ = run("status", "--config", str(config))
    assert out.splitlines()[0].startswith("sim (zendesk): interrupted")
    assert "resume with `deskpulse backfill sim --since 2020-01-01`" in out

    code, out, err = run("backfill", "sim", "--since", "2020-01-01", "--config", str(config))
    assert code == 0, err
    assert out.splitlines()[0].startswith("sim backfill: ok")
    [item] = status_json(config)
    assert item["health"] == "ok" and item["last_run"]["mode"] == "backfill"
    with sqlite3.connect(tmp_path / "desk.db") as db:
        statuses = [row[0] for row in db.execute("SELECT status FROM sync_runs ORDER BY id")]
    assert statuses == ["interrupted", "ok"]  # the dead run was closed by the next one


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_finishes_the_page_and_prints_how_to_resume(tmp_path, simulator,
                                                                       signum):
    config = write_config(tmp_path, simulator)
    backfill = deskpulse("backfill", "sim", "--since", "2020-01-01", "--until", "2030-01-01",
                         "--config", str(config))
    wait_for_pages(backfill, tmp_path / "desk.db", 2)
    backfill.send_signal(signum)
    out, err = backfill.communicate(timeout=60)
    assert backfill.returncode == 1, err
    said = [line for line in err.splitlines() if " records, " not in line]  # not progress
    assert said[0].startswith(f"{signal.Signals(signum).name}: finishing the page")
    assert ("resume with `deskpulse backfill sim --since 2020-01-01 --until 2030-01-01`"
            in err)
    with sqlite3.connect(tmp_path / "desk.db") as db:
        status, pages = db.execute("SELECT status, pages FROM sync_runs").fetchone()
    assert status == "stopped" and pages >= 2
    code, out, err = run("backfill", "sim", "--since", "2020-01-01", "--until", "2030-01-01",
                         "--config", str(config))
    assert code == 0, err


def test_a_resumed_backfill_does_not_read_finished_streams_again(tmp_path):
    """Stopped after its first streams, the next run reads only the ones left."""
    from datetime import UTC, datetime, timedelta

    from deskpulse.simulator import ZendeskAPI, generate

    now = datetime(2026, 3, 1, tzinfo=UTC)
    api = ZendeskAPI(generate(seed=3, tickets=200, start=now - timedelta(days=30), end=now),
                     email="demo@deskpulse.example", token="sim-secret-token")
    source = vendor("zendesk").source("sim", "http://127.0.0.1:9", "${T}")
    store = Store.open(tmp_path / "r.db")
    stop = threading.Event()

    def stop_after_groups(stream, page, result):
        if stream == "groups" and page.done:
            stop.set()

    runner = Runner(store, source, transport=httpx.MockTransport(api.handler),
                    environ={"T": "sim-secret-token"}, stop=stop, progress=stop_after_groups)
    assert runner.backfill(now - timedelta(days=40)).status == "stopped"
    read_before = len(api.requests)
    resumed = Runner(store, source, transport=httpx.MockTransport(api.handler),
                     environ={"T": "sim-secret-token"}).backfill(now - timedelta(days=40))
    assert resumed.status == "ok"
    paths = {path for _method, path, _query in api.requests[read_before:]}
    assert "/api/v2/groups" not in paths and "/api/v2/incremental/users/cursor.json" not in paths
    assert "/api/v2/incremental/tickets/cursor.json" in paths
    assert store.conn.execute("SELECT COUNT(*) FROM sync_state WHERE stream LIKE '%@%'"
                              ).fetchone()[0] == 0  # a finished backfill leaves no slot
    store.close()


def test_a_stop_during_a_retry_wait_is_stopped_not_failed(tmp_path):
    stop = threading.Event()
    asked = []

    def unavailable(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        stop.set()  # the daemon's SIGTERM arrives while the vendor is down
        return httpx.Response(503, json={"error": "down"})

    store = Store.open(tmp_path / "s.db")
    source = vendor("zendesk").source("sim", "http://127.0.0.1:9", "${T}")
    result = Runner(store, source, transport=httpx.MockTransport(unavailable),
                    environ={"T": "sim-secret-token"}, stop=stop,
                    sleep=stoppable_sleep(stop)).sync()
    assert result.status == "stopped" and result.error is None
    assert len(asked) == 1  # the wait ended at once; no retry after the stop
    assert store.conn.execute("SELECT status FROM sync_runs").fetchone()[0] == "stopped"
    store.close()


def test_a_run_is_interrupted_only_when_its_process_is_gone():
    run_ = {"pid": 4242, "host": "here"}
    assert owner_gone(run_, host="here", alive=lambda pid: False)
    assert not owner_gone(run_, host="here", alive=lambda pid: True)
    assert not owner_gone(run_, host="elsewhere", alive=lambda pid: False)  # cannot tell
    assert owner_gone({"pid": None, "host": None}, host="here", alive=lambda pid: True)


def write_vendor_config(folder: Path, kind: str, url: str) -> Path:
    options = vendor(kind).options(url, "${SIM_TOKEN}")
    lines = "\n".join(f"{key} = {json.dumps(value)}" for key, value in options.items()
                      if value is not None)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "deskpulse.toml"
    config.write_text(f'database = "desk.db"\n[sources.desk]\nkind = "{kind}"\n{lines}\n',
                      encoding="utf-8")
    return config


FEATURES = {"zendesk": ("/api/v2/slas/policies", "sla_policies"),
            "freshdesk": ("/api/v2/sla_policies", "sla_policies")}


@pytest.mark.parametrize("kind", ["zendesk", "freshdesk", "intercom"])
def test_check_proves_each_vendor_and_names_a_bad_token(tmp_path, kind):
    url, server = start_simulator(tickets=20, seed=5, vendor=kind)
    try:
        config = write_vendor_config(tmp_path, kind, url)
        code, out, err = run("check", "--config", str(config))
        assert code == 0, out + err
        assert out.splitlines()[0] == f"desk ({kind}): ready"
        assert out.count("will sync") == len(vendor(kind).source("x", url, "t")
                                             .connector().probes)
        code, out, err = run("check", "desk", "--config", str(config), token="wrong")
        assert code == 1
        assert out.splitlines()[0] == f"desk ({kind}): not ready"
        assert "unauthorized" in out and "check the token" in out and "wrong" not in out
    finally:
        stop(server)


@pytest.mark.parametrize("kind", ["zendesk", "freshdesk"])
def test_check_skips_a_stream_the_plan_lacks(tmp_path, kind):
    path, stream = FEATURES[kind]
    url, server = _simulate_forbidding(kind, path)
    try:
        code, out, err = run("check", "--config", str(write_vendor_config(tmp_path, kind, url)))
        assert code == 0, out + err
        assert out.splitlines()[0] == f"desk ({kind}): ready"
        line = next(line for line in out.splitlines() if line.strip().startswith(stream))
        assert "skipped" in line and "not available" in line
    finally:
        stop(server)


def _simulate_forbidding(kind: str, path: str) -> tuple[str, subprocess.Popen]:
    from tests.simdesk import free_port

    port = free_port()
    server = subprocess.Popen([ENTRY, "simulate", "--port", str(port), "--tickets", "20",
                               "--token", TOKEN, "--vendor", kind, "--forbid", path],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert "Simulated" in server.stdout.readline()
    return f"http://127.0.0.1:{port}", server


def test_check_names_a_missing_secret_without_asking_the_vendor():
    source = SourceConfig(name="desk", kind="zendesk", options={
        "subdomain": "x", "email": "a@b.example", "token": "${NOT_SET_ANYWHERE}"})
    found = check_source(source, transport=httpx.MockTransport(
        lambda request: pytest.fail("no request expected")), environ={})
    assert not found.ok and "NOT_SET_ANYWHERE" in found.problem


def test_dead_letters_are_retried_and_go_once_their_record_is_stored(tmp_path, simulator):
    config = write_config(tmp_path, simulator)
    store = Store.open(tmp_path / "desk.db")
    store.ensure_source("sim", "zendesk", "sim")
    good = {"id": 901, "status": "open", "created_at": "2026-01-02T03:04:05Z",
            "updated_at": "2026-01-02T03:04:05Z", "subject": "fixed by an upgrade"}
    store.commit_page("sim", "tickets@backfill:2020-01-01", [
        Rejected(error="status: unknown", payload=good, record_id="901"),
        Rejected(error="id: missing", payload={"status": "open"}),
        Rejected(error="created_at: bad", payload={"id": 902, "created_at": "yesterday"},
                 record_id="902")], None)
    store.close()

    code, out, err = run("retry", "sim", "--config", str(config))
    assert code == 1  # two are still rejected
    assert out.splitlines()[0] == ("sim: 1 dead letters stored, 2 still rejected, "
                                   "0 waiting for the vendor to send their record again")
    assert "still rejected:" in err
    store = Store.open(tmp_path / "desk.db")
    assert store.conn.execute("SELECT subject FROM tickets WHERE id = '901'").fetchone() == (
        "fixed by an upgrade",)
    assert store.conn.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0] == 2
    # the vendor sends ticket 902 again, valid now: its letter goes with the page
    store.commit_page("sim", "tickets", [Ticket(id="902", status="open",
                                                created_at="2026-01-02T03:04:05Z",
                                                updated_at="2026-01-03T03:04:05Z")], None)
    left = store.conn.execute("SELECT record_id FROM dead_letters").fetchall()
    store.close()
    assert left == [(None,)]


def test_progress_prints_a_line_every_few_seconds_when_not_a_terminal():
    from deskpulse.connectors import Page

    console = Console(file=__import__("io").StringIO(), width=200)
    now = [0.0]
    progress = SyncProgress(console, enabled=False, lines=True, every=5,
                            clock=lambda: now[0])
    records = [Ticket(id=str(n), status="open", created_at="2026-01-01T00:00:00Z",
                      updated_at="2026-01-01T00:00:00Z") for n in range(100)]
    with progress:
        for _ in range(4):
            now[0] += 2
            progress("tickets", Page(records, {"c": 1}, total=1000), None)
        progress.phase("refreshing KPIs of 400 tickets")
    lines = console.file.getvalue().splitlines()
    # a line after the stream's first page, then one when 5 s have passed since
    assert lines[0].startswith("tickets: 100 of 1,000 records, 50/s, ~0 min left")
    assert lines[1].startswith("tickets: 400 of 1,000 records, 50/s, ~0 min left")
    assert lines[2] == "refreshing KPIs of 400 tickets ..."


def test_version_and_first_line_of_help():
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("deskpulse ")
    code, out, _ = run("backfill", "--help")
    assert code == 0 and "<bool>" not in out and "[default:" not in out.split("--dry-run")[0]
