"""One-off commands and leases (app/sync/leasing.py): `sync`/`backfill` never write a source
another live process holds, and take one held by a dead process on this host over at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskpulse.app.sync.leasing import SourceBusy, holder_gone, holder_name, leased
from deskpulse.app.sync.runs import this_host
from deskpulse.store import Store

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)


def clock() -> datetime:
    return NOW


@pytest.fixture
def store(tmp_path):
    db = Store.open(tmp_path / "o.db")
    yield db
    db.close()


def test_a_source_a_live_daemon_holds_is_refused_naming_the_holder(store):
    held = store.claim_lease("acme", "sync", f"{this_host()} pid 4242 #d", ttl=TTL,
                             clock=clock)
    assert held is not None
    with pytest.raises(SourceBusy, match=r"source acme: its sync is held by .* pid 4242 #d "
                                         r"until 2026-03-02T09:01:00Z"), \
            leased(store, "acme", "sync", TTL, clock=clock, alive=lambda pid: True):
        pass
    assert store.leases("acme")[0]["holder"].endswith("pid 4242 #d")


def test_a_lease_of_a_dead_process_on_this_host_is_taken_over_before_it_expires(store):
    store.claim_lease("acme", "backfill", f"{this_host()} pid 4242 #d", ttl=TTL, clock=clock,
                      due_only=False)
    with leased(store, "acme", "backfill", TTL, clock=clock,
                alive=lambda pid: pid != 4242) as lease:
        assert lease.previous.endswith("pid 4242 #d") and lease.generation == 2
        assert store.leases("acme")[0]["holder"] == lease.holder
    assert store.leases("acme")[0]["holder"] is None  # released on exit


def test_one_on_another_host_must_expire(store):
    store.claim_lease("acme", "sync", "elsewhere pid 4242 #d", ttl=TTL, clock=clock)
    assert not holder_gone("elsewhere pid 4242 #d", alive=lambda pid: False)
    with pytest.raises(SourceBusy), leased(store, "acme", "sync", TTL, clock=clock,
                                           alive=lambda pid: False):
        pass


def test_a_one_off_run_keeps_the_daemons_due_moment(store):
    store.add_leases(["acme"], "sync", NOW + timedelta(minutes=30))
    with leased(store, "acme", "sync", TTL, clock=clock):
        pass
    assert store.leases("acme")[0]["next_due_at"] == "2026-03-02T09:30:00Z"


def test_holder_names_are_host_pid_and_a_token():
    name = holder_name("abc")
    assert name.startswith(f"{this_host()} pid ") and name.endswith(" #abc")
    assert not holder_gone("not a holder") and not holder_gone(None)


class MovableClock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def test_a_sync_that_stalls_past_its_lease_stops_at_its_next_page_with_lease_lost(tmp_path):
    import httpx

    from deskpulse import kpi
    from deskpulse.app.demo.run import demo_source
    from deskpulse.app.sync.runner import Runner
    from deskpulse.simulator import ZendeskAPI, generate

    desk = generate(seed=3, tickets=60, start=NOW - timedelta(days=30), end=NOW)
    api = ZendeskAPI(desk, email="demo@deskpulse.example", token="t")
    store = Store.open(tmp_path / "f.db")
    kpi.install_views(store)
    moment = MovableClock()
    source = demo_source()
    lease = store.claim_lease(source.name, "sync", "stalled", ttl=TTL, clock=moment)
    other = Store.open(tmp_path / "f.db")
    taken = []

    def handler(request: httpx.Request) -> httpx.Response:
        if "ticket_events" in request.url.path and not taken:  # the holder stalls here…
            moment.now += timedelta(minutes=2)  # …past its lease, and another takes over
            taken.append(other.claim_lease(source.name, "sync", "next", ttl=TTL,
                                           clock=moment))
        return api.handler(request)

    result = Runner(store, source, transport=httpx.MockTransport(handler),
                    environ={"DESKPULSE_DEMO_TOKEN": "t"}, lease=lease).sync()
    assert taken and taken[0] is not None
    assert result.status == "interrupted" and result.error.startswith("lease lost"), result
    assert store.cursor(source.name, "tickets") is not None  # pages before the stall landed
    assert store.cursor(source.name, "ticket_events") is None  # the fenced page did not
    assert store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    assert store.conn.execute("SELECT status, error FROM sync_runs").fetchone()[0] == \
        "interrupted"
    other.close()
    store.close()


def test_status_shows_who_holds_each_source_until_when_and_when_it_is_due(tmp_path):
    import json

    from typer.testing import CliRunner

    from deskpulse.app.cli.main import app

    path = tmp_path / "s.db"
    store = Store.open(path)
    store.ensure_source("acme", "zendesk", "acme")
    past = datetime(2001, 1, 1, tzinfo=UTC)  # status reads the real clock: long before it
    store.add_leases(["acme"], "sync", past)
    store.claim_lease("acme", "sync", "box1 pid 7 #ab", ttl=TTL, clock=lambda: past)
    store.close()
    runner = CliRunner()
    shown = runner.invoke(app, ["status", "--database", str(path), "--json"])
    (item,) = json.loads(shown.output)
    assert [(lease["job"], lease["holder"], lease["expires_at"], lease["expired"])
            for lease in item["leases"]] == [
        ("sync", "box1 pid 7 #ab", "2001-01-01T00:01:00Z", True)]
    text = runner.invoke(app, ["status", "--database", str(path)]).output
    assert "sync held by box1 pid 7 #ab until 2001-01-01T00:01:00Z (expired" in text
    assert "next due 2001-01-01T00:00:00Z" in text


def test_deskpulse_sync_skips_a_source_a_daemon_holds_and_logs_no_run(tmp_path):
    from deskpulse.app.config.file import config_from_dict
    from deskpulse.app.sync.jobs import sync_sources

    cfg = config_from_dict({"database": "j.db", "sources": {"acme": {
        "kind": "zendesk", "subdomain": "acme", "email": "a@example.com",
        "token": "${T}", "base_url": "http://127.0.0.1:9"}}}, base_dir=tmp_path)
    db = Store.open(cfg.database)
    far = datetime.now(UTC) + timedelta(days=1)  # sync_sources reads the real clock
    db.claim_lease("acme", "sync", "box2 pid 9 #dd", ttl=TTL, clock=lambda: far)
    db.close()
    [result] = sync_sources(cfg, ["acme"])
    assert result.status == "skipped"
    assert "its sync is held by box2 pid 9 #dd" in result.error
    db = Store.open(cfg.database)
    assert db.conn.execute("SELECT COUNT(*) FROM sync_runs").fetchone()[0] == 0
    assert db.leases("acme")[0]["holder"] == "box2 pid 9 #dd"
    db.close()
