"""`deskpulse daemon --metrics` as a real process against `deskpulse simulate`: scraped once
it has committed records and again after its first run, its numbers checked against what
the file holds."""

from __future__ import annotations

import socket
import sqlite3
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.simdesk import cli, free_port, start_simulator, stop, write_config

POLL_SECONDS, POLL_LIMIT = 0.1, 1200  # bounded polling: at most ~2 minutes, never a timing


def scrape(base: str) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics by (name, sorted labels)."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def poll(base: str, done) -> dict[tuple[str, tuple], float]:
    """Scrape until `done(samples)`; the daemon may not be listening yet at first."""
    for _ in range(POLL_LIMIT):
        try:
            samples = scrape(base)
        except httpx.TransportError:
            samples = {}
        if samples and done(samples):
            return samples
        time.sleep(POLL_SECONDS)
    raise AssertionError("the daemon's metrics never reached the expected state")


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def simulator():
    url, server = start_simulator(tickets=600, seed=21)
    yield url
    stop(server)


def test_a_daemon_serves_the_records_requests_and_health_of_its_runs(tmp_path, simulator):
    config = write_config(tmp_path, simulator)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    daemon = cli("daemon", "--config", str(config), "--metrics", f"127.0.0.1:{port}")
    try:
        during = poll(base, lambda s: value(s, "deskpulse_records_total", source="sim",
                                            stream="users") > 0)
        after = poll(base, lambda s: value(s, "deskpulse_runs_total", source="sim",
                                           status="ok") == 1)
        health = httpx.get(f"{base}/healthz", timeout=10)
    finally:
        daemon.terminate()
        _, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, err
    assert value(during, "deskpulse_source_healthy", source="sim") == 1

    with sqlite3.connect(tmp_path / "desk.db") as db:
        runs = db.execute("SELECT records, requests FROM sync_runs WHERE status = 'ok'").fetchall()
        people = db.execute("SELECT COUNT(*) FROM people").fetchone()[0]
        groups = db.execute("SELECT COUNT(*) FROM groups").fetchone()[0]
    assert len(runs) == 1
    records = {dict(labels)["stream"]: v for (name, labels), v in after.items()
               if name == "deskpulse_records_total"}
    requests = {dict(labels)["stream"]: v for (name, labels), v in after.items()
                if name == "deskpulse_requests_total"}
    assert sum(records.values()) == runs[0][0]  # every record the run committed, by stream
    assert (records["users"], records["groups"]) == (people, groups)
    assert records["tickets"] > 0 and all(n > 0 for n in requests.values())
    assert sum(requests.values()) == runs[0][1]
    assert value(after, "deskpulse_source_last_success_timestamp_seconds", source="sim") > 0
    assert value(after, "deskpulse_runs_total", source="sim", status="failed") == 0
    assert value(after, "deskpulse_kpi_refresh_duration_seconds_count", source="sim") == 1
    assert ("deskpulse_dead_letters", (("source", "sim"),)) in after
    assert health.status_code == 200 and health.json() == {"status": "ok", "unhealthy": []}


def test_a_metrics_port_in_use_is_a_one_line_error_with_exit_2(tmp_path, simulator):
    config = write_config(tmp_path, simulator)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        daemon = cli("daemon", "--config", str(config), "--metrics", f"127.0.0.1:{port}")
        out, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 2
    cause, fix = err.splitlines()
    assert cause.startswith("error:") and f"127.0.0.1:{port}" in cause and "in use" in cause
    assert fix.strip().startswith("fix:") and "free port" in fix


# 192.0.2.1 is TEST-NET-1: never an address of this machine, so binding fails at once
@pytest.mark.parametrize("address", ["9108", "127.0.0.1:http", "127.0.0.1:70000",
                                     "192.0.2.1:9108"])
def test_a_bad_metrics_address_is_a_one_line_error_with_exit_2(tmp_path, address):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    daemon = cli("daemon", "--config", str(config), "--metrics", address)
    _, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 2, err
    cause, fix = err.splitlines()
    assert cause.startswith("error: --metrics") and fix.strip().startswith("fix:")
