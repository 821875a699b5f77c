"""The runner's guarantees with a fake connector: atomic pages, resume, slots, stop, scrubbing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel, SecretStr

from deskpulse import kpi
from deskpulse.app.config.file import SourceConfig
from deskpulse.app.sync.refresh_pace import RefreshPace
from deskpulse.app.sync.runner import Runner
from deskpulse.connectors import Connector, Page, SourceError
from deskpulse.store import Event, Store, Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOKEN = "fake-token-9f8e7d"


class FakeSettings(BaseModel):
    token: SecretStr


def make_pages() -> dict[str, list[list]]:
    tickets = [
        [Ticket(id=n, status="open", created_at=T0, updated_at=T0 + timedelta(minutes=n))
         for n in range(page * 3, page * 3 + 3)]
        for page in range(4)
    ]
    events = [[Event(id=f"e{n}", ticket_id=n, at=T0, kind="created", new_value="new")
               for n in range(12)]]
    return {"tickets": tickets, "events": events}


class FakeSource:
    def __init__(self, pages, log, fail_at=None, error=None):
        self.name, self.requests = "acme", 0
        self.pages, self.log, self.fail_at, self.error = pages, log, fail_at, error

    def read(self, stream, cursor, *, since, until=None):
        self.log.append((stream, cursor, since))
        start = cursor["next"] if cursor else 0
        pages = self.pages[stream]
        for index in range(start, len(pages)):
            if self.fail_at == (stream, index):
                raise self.error or ConnectionResetError("connection reset by peer")
            self.requests += 1
            yield Page(pages[index], {"next": index + 1}, requests=1,
                       done=index == len(pages) - 1)

    def close(self):
        pass


def fake_connector(log, **behaviour) -> Connector:
    def open_(name, settings, **kwargs):
        return FakeSource(make_pages(), log, **behaviour)

    return Connector(kind="fake", settings=FakeSettings, streams=("tickets", "events"),
                     open=open_, account=lambda settings: "acme.example")


def runner(store, log, **behaviour) -> Runner:
    source = SourceConfig(name="acme", kind="fake", options={"token": "${FAKE_TOKEN}"},
                          start_date="2026-01-01")
    return Runner(store, source, connector=fake_connector(log, **behaviour),
                  environ={"FAKE_TOKEN": TOKEN})


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "t.db")
    yield s
    s.close()


def rows(store: Store, table: str) -> list[tuple]:
    return sorted(store.conn.execute(f"SELECT * FROM {table}").fetchall())


def test_sync_commits_every_page_and_logs_the_run(store):
    log: list = []
    result = runner(store, log).sync()
    assert (result.status, result.pages, result.records, result.requests) == ("ok", 5, 24, 5)
    assert len(rows(store, "tickets")) == 12
    assert store.cursor("acme", "tickets") == {"next": 4}
    assert log[0] == ("tickets", None, datetime(2026, 1, 1, tzinfo=UTC))
    run = store.conn.execute("SELECT status, pages, records, requests FROM sync_runs").fetchone()
    assert run == ("ok", 5, 24, 5)
    assert store.dirty_tickets() == set(), "KPI refresh must consume every changed ticket"


def test_a_crash_mid_stream_resumes_from_the_last_committed_page(tmp_path, store):
    log: list = []
    with pytest.raises(ConnectionResetError):
        runner(store, log, fail_at=("tickets", 2)).sync()
    assert store.cursor("acme", "tickets") == {"next": 2}
    assert len(rows(store, "tickets")) == 6
    failed = store.conn.execute("SELECT status, error FROM sync_runs").fetchone()
    assert failed == ("failed", "ConnectionResetError: connection reset by peer")

    log.clear()
    assert runner(store, log).sync().status == "ok"
    assert log[0][:2] == ("tickets", {"next": 2})

    clean = Store.open(tmp_path / "clean.db")
    runner(clean, []).sync()
    for table in ("tickets", "events", "ticket_facts", "kpi_daily"):
        assert rows(store, table) == rows(clean, table), table
    clean.close()


def test_a_source_error_fails_the_run_with_a_message_free_of_the_token(store):
    error = SourceError(f"fake source 'acme': GET /x → 401 (sent token {TOKEN})")
    result = runner(store, [], fail_at=("tickets", 0), error=error).sync()
    assert result.status == "failed"
    assert TOKEN not in (result.error or "")
    stored = store.conn.execute("SELECT error FROM sync_runs").fetchone()[0]
    assert TOKEN not in stored and "401" in stored


def test_first_backfill_seeds_the_sync_cursor_and_drops_its_own_slot(store):
    log: list = []
    result = runner(store, log).backfill(datetime(2025, 6, 1, tzinfo=UTC))
    assert result.status == "ok"
    assert log[0] == ("tickets", None, datetime(2025, 6, 1, tzinfo=UTC))
    assert store.cursor("acme", "tickets") == {"next": 4}
    slots = [r[0] for r in store.conn.execute("SELECT stream FROM sync_state")]
    assert sorted(slots) == ["events", "tickets"]


def test_an_interrupted_backfill_resumes_in_its_own_slot(store):
    runner(store, []).sync()  # the sync cursor exists and must not move
    with pytest.raises(ConnectionResetError):
        runner(store, [], fail_at=("tickets", 1)).backfill(datetime(2025, 6, 1, tzinfo=UTC))
    assert store.cursor("acme", "tickets@backfill:2025-06-01") == {"next": 1}
    log: list = []
    runner(store, log).backfill(datetime(2025, 6, 1, tzinfo=UTC))
    assert log[0][:2] == ("tickets", {"next": 1})
    assert store.cursor("acme", "tickets@backfill:2025-06-01") is None
    assert store.cursor("acme", "tickets") == {"next": 4}


def test_a_stop_request_finishes_the_page_in_hand_and_stops(store):
    run = runner(store, [])
    seen = []

    def progress(stream, page, result):
        seen.append(stream)
        run.stop.set()

    run.progress = progress
    result = run.sync()
    assert result.status == "stopped"
    assert seen == ["tickets"]
    assert store.cursor("acme", "tickets") == {"next": 1}
    assert len(rows(store, "tickets")) == 3


def test_a_long_run_refreshes_kpis_on_the_way_not_only_at_the_end(store):
    ticks = iter(range(0, 10_000, 40))  # every look at the clock is 40 s later

    def clock():
        return T0 + timedelta(seconds=next(ticks))

    run = runner(store, [])
    run.clock = clock
    result = run.sync()
    assert result.status == "ok"
    assert result.kpi_refreshed > 12  # the 12 tickets, some of them more than once
    assert store.dirty_tickets() == set()


@pytest.mark.parametrize(("refresh_seconds", "refreshes"), [(0.001, 6), (100, 2)])
def test_a_refresh_runs_mid_run_only_when_cheap_next_to_the_reading(store, monkeypatch,
                                                                    refresh_seconds, refreshes):
    """Pages 31 s apart: quick refreshes run after every page (the 30 s rule); once one has
    cost seconds per ticket, the few dirty tickets would take longer than REFRESH_SHARE of
    the time, so only the refresh every run ends with is left."""
    now = [T0]
    calls = []
    real_refresh = kpi.refresh

    def timed_refresh(*args, **kwargs):
        calls.append(now[0])
        now[0] += timedelta(seconds=refresh_seconds)
        return real_refresh(*args, **kwargs)

    def progress(stream, page, result):
        now[0] += timedelta(seconds=31)

    monkeypatch.setattr(kpi, "refresh", timed_refresh)
    run = runner(store, [])
    run.clock, run.progress = (lambda: now[0]), progress
    result = run.sync()
    assert result.status == "ok"
    assert len(calls) == refreshes  # 5 pages, then the refresh every run ends with
    assert store.dirty_tickets() == set()


def test_refresh_pace_follows_how_fast_tickets_turn_dirty():
    """A rate-limited backfill (a page of 170 dirty tickets every 6 s, 1 ms a ticket to
    refresh) refreshes every 30 s; a local import dirtying 2,600 a second waits for the end."""
    for per_second, expect_refreshes in ((170 / 6, True), (2_600, False)):
        pace, dirty, refreshes = RefreshPace(T0, per_ticket=0.001), 0, 0
        for second in range(1, 600):
            now, dirty = T0 + timedelta(seconds=second), dirty + per_second
            if pace.worth_asking(now) and pace.due(now, int(dirty)):
                refreshes += 1
                pace.refreshed(now, now + timedelta(seconds=dirty * 0.001), int(dirty))
                dirty = 0
        assert refreshes in (range(15, 21) if expect_refreshes else (0,)), per_second


def test_a_missing_token_variable_is_a_failed_run_with_a_clear_message(store):
    run = runner(store, [])
    run.environ = {}
    result = run.sync()
    assert result.status == "failed"
    assert result.error == "source 'acme': token refers to ${FAKE_TOKEN}, which is not set"
    row = store.conn.execute("SELECT status, error FROM sync_runs").fetchone()
    assert row == ("failed", result.error)
