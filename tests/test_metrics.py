"""The daemon's metrics and health: counts passed up from the HTTP engine through the
RunResult, the unhealthy transition on an injected clock, one registry per daemon."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from deskpulse import kpi
from deskpulse.app.config.file import config_from_dict
from deskpulse.app.demo.run import demo_source
from deskpulse.app.sync.health import Health
from deskpulse.app.sync.metrics import DaemonMetrics, for_config
from deskpulse.app.sync.metrics_http import MetricsAddressError, MetricsServer, parse_address
from deskpulse.app.sync.runner import Runner, RunResult
from deskpulse.simulator import Faults, ZendeskAPI, generate, with_faults
from deskpulse.simulator.faults import TRANSPORT
from deskpulse.store import Store
from tests.simdesk import free_port

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
TOKEN = "metrics-token-5e5e"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def sample(metrics: DaemonMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_a_run_passes_the_engines_429s_and_retries_up_to_the_metrics(tmp_path):
    desk = generate(seed=4, tickets=300, start=NOW - timedelta(days=20), end=NOW)
    api = ZendeskAPI(desk, email="demo@deskpulse.example", token=TOKEN)
    faults = Faults(rate=0.5, transport=TRANSPORT, seed=3, cycle=True, max_in_a_row=3)
    store = Store.open(tmp_path / "m.db")
    kpi.install_views(store)
    clock = Clock(NOW)
    metrics = DaemonMetrics(Health({"demo": timedelta(minutes=5)}, NOW), clock)
    meter = metrics.meter("demo")
    runner = Runner(store, demo_source(), clock=clock, sleep=lambda seconds: None,
                    transport=httpx.MockTransport(with_faults(api.handler, faults,
                                                              clock=clock)),
                    environ={"DESKPULSE_DEMO_TOKEN": TOKEN}, progress=meter.page)
    result = runner.sync()
    meter.finished(result, dead_letters=0)
    store.close()
    assert result.status == "ok", result.error
    throttled = sum(kind.startswith("429") for kind in faults.injected)
    assert throttled > 0 and result.throttled == throttled
    assert result.retries == len(faults.injected)  # every transport fault costs one retry
    assert sample(metrics, "deskpulse_rate_limited_total", source="demo") == throttled
    assert sample(metrics, "deskpulse_retries_total", source="demo") == len(faults.injected)
    for stream, records in result.streams.items():
        assert sample(metrics, "deskpulse_records_total", source="demo",
                      stream=stream) == records
        assert sample(metrics, "deskpulse_requests_total", source="demo",
                      stream=stream) == result.stream_requests[stream]
    assert sum(result.stream_requests.values()) == result.requests
    assert sample(metrics, "deskpulse_runs_total", source="demo", status="ok") == 1
    assert metrics.health.last_success("demo") == NOW


def test_a_source_turns_unhealthy_after_n_intervals_without_a_success_and_back():
    clock = Clock(NOW)
    health = Health({"acme": timedelta(minutes=5), "desk": timedelta(hours=1)}, NOW, after=3)
    metrics = DaemonMetrics(health, clock)
    server = MetricsServer(metrics, f"127.0.0.1:{free_port()}")
    url = f"http://127.0.0.1:{server.port}/healthz"
    try:
        clock.now = NOW + timedelta(minutes=14, seconds=59)
        assert httpx.get(url).status_code == 200
        assert sample(metrics, "deskpulse_source_healthy", source="acme") == 1

        clock.now = NOW + timedelta(minutes=15)  # 3 intervals of 5m, never synced
        answer = httpx.get(url)
        assert answer.status_code == 503
        body = answer.json()
        assert body["status"] == "unhealthy"
        assert [p["source"] for p in body["unhealthy"]] == ["acme"]  # desk has 3 h
        assert "since the daemon started" in body["unhealthy"][0]["reason"]
        assert sample(metrics, "deskpulse_source_healthy", source="acme") == 0
        assert sample(metrics, "deskpulse_source_lag_seconds", source="acme") is None

        metrics.meter("acme").finished(RunResult("acme", "sync", status="ok"), 2)
        assert httpx.get(url).status_code == 200
        assert sample(metrics, "deskpulse_source_lag_seconds", source="acme") == 0
        assert sample(metrics, "deskpulse_dead_letters", source="acme") == 2

        metrics.meter("acme").finished(RunResult("acme", "sync", status="failed"), 2)
        clock.now += timedelta(minutes=15)  # a failed run is no success
        body = httpx.get(url).json()
        assert body["unhealthy"][0]["last_success"] == "2026-06-01T12:15:00Z"
        assert sample(metrics, "deskpulse_source_lag_seconds", source="acme") == 900
        assert sample(metrics, "deskpulse_runs_total", source="acme", status="failed") == 1
    finally:
        server.close()


def test_two_daemons_in_one_process_keep_their_own_counts():
    first, second = (DaemonMetrics(Health({"acme": timedelta(minutes=5)}, NOW), Clock(NOW))
                     for _ in range(2))
    first.crashed("acme")
    assert sample(first, "deskpulse_runs_total", source="acme", status="failed") == 1
    assert sample(second, "deskpulse_runs_total", source="acme", status="failed") == 0


def test_a_restarted_daemon_remembers_the_last_success_in_the_file(tmp_path: Path):
    cfg = config_from_dict({"database": "d.db", "sources": {
        "acme": {"kind": "zendesk", "interval": "5m"},
        "new": {"kind": "zendesk", "interval": "5m"}}}, base_dir=tmp_path)
    store = Store.open(cfg.database)
    store.ensure_source("acme", "zendesk", None)
    store.finish_run(store.start_run("acme", "sync"), "ok")
    store.close()
    with sqlite3.connect(cfg.database) as db:
        finished = db.execute("SELECT finished_at FROM sync_runs").fetchone()[0]
    at = datetime.fromisoformat(finished)
    metrics = for_config(cfg, after=2, clock=Clock(at + timedelta(minutes=9)))
    assert metrics.health.last_success("acme") == at
    assert metrics.health.last_success("new") is None
    assert sample(metrics, "deskpulse_source_last_success_timestamp_seconds",
                  source="acme") == at.timestamp()
    assert [p.source for p in metrics.health.problems(at + timedelta(minutes=10))] == ["acme"]


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1:9108", ("127.0.0.1", 9108)), ("[::1]:9108", ("::1", 9108)),
    (":9108", ("0.0.0.0", 9108))])
def test_metrics_addresses(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["9108", "127.0.0.1:", "127.0.0.1:0", "host:99999", "a:b"])
def test_bad_metrics_addresses_say_what_is_expected(text):
    with pytest.raises(MetricsAddressError, match="HOST:PORT"):
        parse_address(text)


def test_unhealthy_after_must_be_at_least_one():
    with pytest.raises(ValueError, match="at least 1"):
        Health({"acme": timedelta(minutes=5)}, NOW, after=0)


def test_every_metric_is_documented_with_its_type_and_labels():
    doc = (Path(__file__).parent.parent / "docs" / "reliability.md").read_text(encoding="utf-8")
    metrics = DaemonMetrics(Health({"acme": timedelta(minutes=5)}, NOW), Clock(NOW))
    metrics.health.succeeded("acme", NOW)
    metrics.meter("acme").finished(RunResult("acme", "sync", status="ok"), 0)
    for per_stream in (metrics.records, metrics.requests):  # series appear with a stream
        per_stream.labels("acme", "tickets")
    families = list(metrics.registry.collect())
    assert len(families) == 10
    for family in families:
        name = family.name + ("_total" if family.type == "counter" else "")
        labels = sorted({label for s in family.samples for label in s.labels} - {"le"})
        row = f"| `{name}` | {family.type} | {', '.join(f'`{x}`' for x in labels)} |"
        assert row in doc, f"docs/reliability.md lacks the row for {name}: {row}"
