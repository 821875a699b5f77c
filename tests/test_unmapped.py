"""Nothing the vendors send is silently defaulted or dropped: zone names as Zendesk and
Freshdesk write them, and every value a connector cannot map counted in the store and shown
by `deskpulse status`, `kpi`, `report` and `verify`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from typer.testing import CliRunner

from deskpulse import kpi
from deskpulse.app.cli.main import app
from deskpulse.app.config.file import ConfigError, load_config
from deskpulse.app.demo.run import demo_source
from deskpulse.app.sync.runner import Runner
from deskpulse.connectors.freshdesk.mapping import conversation_records
from deskpulse.connectors.freshdesk.mapping import ticket_records as freshdesk_ticket
from deskpulse.connectors.intercom.mapping import conversation_records as intercom_conversation
from deskpulse.connectors.zones import RAILS, resolve
from deskpulse.simulator import ZendeskAPI, generate
from deskpulse.store import Store, Unmapped

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
cli = CliRunner()


@pytest.mark.parametrize(("label", "zone"), [
    ("Magadan", "Asia/Magadan"), ("New Caledonia", "Pacific/Noumea"),
    ("Mid-Atlantic", "Atlantic/South_Georgia"), ("Eastern Time (US & Canada)", "America/New_York"),
    ("International Date Line West", "Etc/GMT+12"), ("Indiana (East)",
                                                     "America/Indiana/Indianapolis"),
    ("Nuku'alofa", "Pacific/Tongatapu"), ("Cape Verde Is.", "Atlantic/Cape_Verde"),
    ("St. Petersburg", "Europe/Moscow"), ("Sri Jayawardenepura", "Asia/Colombo"),
    ("Chatham Is.", "Pacific/Chatham"), ("Bern", "Europe/Zurich"), ("Astana", "Asia/Dhaka"),
])
def test_activesupport_names_map_to_their_iana_zone(label, zone):
    assert resolve(label) == zone


def test_every_activesupport_name_maps_to_a_zone_zoneinfo_knows():
    assert len(RAILS) >= 150
    for label, zone in RAILS.items():
        assert resolve(label) == zone, label
        assert ZoneInfo(zone).key == zone


def test_iana_names_are_taken_as_they_are_and_anything_else_is_unknown():
    assert resolve("Europe/Berlin") == "Europe/Berlin"
    assert resolve("America/Argentina/Cordoba") == "America/Argentina/Cordoba"
    for unknown in ("Atlantis Standard Time", "", None, "../../etc/passwd", "GMT+25"):
        assert resolve(unknown) is None


def _config(tmp_path: Path, tz: str) -> Path:
    path = tmp_path / "deskpulse.toml"
    path.write_text(f'database = "x.db"\n[[schedule]]\ntz = "{tz}"\n'
                    '[schedule.hours]\nmon = ["09:00-17:00"]\n', encoding="utf-8")
    return path


def test_a_configured_schedule_takes_a_vendor_zone_name_and_names_an_unknown_one(tmp_path):
    calendars = load_config(_config(tmp_path, "Magadan")).business_calendars()
    assert calendars is not None
    assert calendars.calendars[calendars.default].versions[0][1].tz == "Asia/Magadan"
    with pytest.raises(ConfigError, match="tz 'Magadan Time' is not a known time zone"):
        load_config(_config(tmp_path, "Magadan Time")).business_calendars()


# -- an unknown zone in a synced Zendesk schedule -------------------------------------------

def _schedules_unknown_zone() -> dict:
    path = ROOT / "fixtures" / "zendesk" / "business_hours" / "schedules_unknown_zone.json"
    return json.loads(path.read_text(encoding="utf-8"))["body"]


@pytest.fixture(scope="module")
def zendesk_db(tmp_path_factory) -> Path:
    """A simulated Zendesk account whose default schedule names a zone nobody knows."""
    desk = generate(seed=3, tickets=40, start=NOW - timedelta(days=20), end=NOW)
    api = ZendeskAPI(desk, email="demo@deskpulse.example", token="t")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/business_hours/schedules":
            return httpx.Response(200, json=_schedules_unknown_zone())
        if request.url.path == "/api/v2/business_hours/schedules/2/holidays":
            return httpx.Response(200, json={"holidays": []})
        return api.handler(request)

    path = tmp_path_factory.mktemp("zones") / "zendesk.db"
    store = Store.open(path)
    kpi.install_views(store)
    result = Runner(store, demo_source(), transport=httpx.MockTransport(handler),
                    environ={"DESKPULSE_DEMO_TOKEN": "t"}).backfill(NOW - timedelta(days=21))
    assert result.status == "ok", result.error  # the unknown zone blocks nothing
    store.close()
    return path


def test_the_unknown_zone_is_stored_and_counted_and_the_sync_goes_on(zendesk_db):
    store = Store.open(zendesk_db)
    try:
        zones = dict(store.conn.execute("SELECT id, time_zone FROM schedules"))
        tickets = store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        noted = store.conn.execute(
            "SELECT kind, value, records, example FROM unmapped_values").fetchall()
        business = store.conn.execute(
            "SELECT COUNT(*) FROM ticket_facts WHERE frt_bus IS NOT NULL").fetchone()[0]
    finally:
        store.close()
    assert zones == {"1": "Atlantis Standard Time", "2": "Pacific/Noumea"}
    assert tickets == 40
    assert ("time_zone", "Atlantis Standard Time", 1, "schedule 1") in noted
    assert business == 0  # why is what the commands below must say


def test_status_names_the_zone_the_schedule_and_the_fix(zendesk_db):
    result = cli.invoke(app, ["status", "--database", str(zendesk_db)])
    text = " ".join(result.stdout.split())
    assert "error: schedule 'Support hours' (1) of demo" in text
    assert "'Atlantis Standard Time' is not one deskpulse knows" in text
    assert "business-hours figure" in text and "[[schedule]]" in text
    (item,) = json.loads(cli.invoke(app, ["status", "--json", "--database",
                                          str(zendesk_db)]).stdout)
    zone = next(row for row in item["unmapped"] if row["kind"] == "time_zone")
    assert (zone["value"], zone["records"], zone["example"], zone["field"]) == (
        "Atlantis Standard Time", 1, "schedule 1", "schedule.time_zone")
    assert "Atlantis Standard Time" in item["schedule_problems"][0]


def test_kpi_and_report_say_why_business_hours_figures_are_empty(zendesk_db, tmp_path):
    result = cli.invoke(app, ["kpi", "--database", str(zendesk_db), "--format", "json"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "schedule 'Support hours' (1) of demo" in said and "Atlantis Standard Time" in said
    assert "every business-hours figure" in said
    report = cli.invoke(app, ["report", "--database", str(zendesk_db), "--out",
                              str(tmp_path / "r.html")])
    assert report.exit_code == 0, report.output
    assert "Atlantis Standard Time" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_verify_says_the_business_figures_were_not_compared_and_why(zendesk_db):
    result = cli.invoke(app, ["verify", "demo", "--database", str(zendesk_db)])
    text = " ".join(result.stdout.split())
    assert "error: schedule 'Support hours' (1) of demo" in text
    assert "not compared (schedule 'Support hours' (1) of demo: its time zone " \
           "'Atlantis Standard Time'" in text


# -- unmapped values of the other connectors, counted once per record -------------------------

FD_TICKET = {"id": 901, "status": 9, "priority": 2, "source": 42, "subject": "Refund",
             "requester_id": 5, "created_at": "2026-03-01T09:00:00Z",
             "updated_at": "2026-03-01T10:00:00Z"}
FD_REPLY = {"id": 77, "ticket_id": 901, "source": 99, "incoming": False, "private": False,
            "user_id": 3, "created_at": "2026-03-01T09:30:00Z", "body_text": "hi"}
IC_CONVERSATION = {
    "id": "5001", "state": "open", "created_at": 1772355600, "updated_at": 1772359200,
    "source": {"type": "conversation", "id": "s1", "author": {"type": "user", "id": "u1"},
               "body": "help"},
    "conversation_parts": {"conversation_parts": [
        {"id": "p1", "part_type": "comment", "created_at": 1772356000,
         "author": {"type": "admin", "id": "a1"}, "body": "on it"},
        {"id": "p2", "part_type": "ticket_escalated_to_space", "created_at": 1772357000,
         "author": {"type": "admin", "id": "a1"}}], "total_count": 2}}


def _store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "unmapped.db")
    store.ensure_source("helpdesk", "freshdesk", "acme")
    store.ensure_source("messenger", "intercom", None)
    return store


def _page(store: Store) -> None:
    store.commit_page("helpdesk", "tickets", freshdesk_ticket(FD_TICKET, {}) +
                      conversation_records(FD_REPLY), {"page": 2})
    store.commit_page("messenger", "conversations",
                      intercom_conversation(IC_CONVERSATION, with_parts=True), {"after": 1})


def test_unknown_freshdesk_and_intercom_values_are_counted_and_shown(tmp_path):
    store = _store(tmp_path)
    _page(store)
    store.close()
    result = cli.invoke(app, ["status", "--database", str(tmp_path / "unmapped.db")])
    text = " ".join(result.stdout.split())
    assert "status '9': 1 record, e.g. ticket 901 (ticket.status)" in text
    assert "a custom status, counted as on_hold" in text and 'status_map = { "9"' in text
    assert "channel '42': 1 record, e.g. ticket 901 (ticket.source)" in text
    assert "conversation_source '99': 1 record, e.g. event 77" in text
    assert "part_type 'ticket_escalated_to_space': 1 record, e.g. part p2" in text
    report = json.loads(cli.invoke(app, ["status", "--json", "--database",
                                         str(tmp_path / "unmapped.db")]).stdout)
    kinds = {item["source"]: {(r["kind"], r["value"], r["records"]) for r in item["unmapped"]}
             for item in report}
    assert kinds == {
        "helpdesk": {("status", "9", 1), ("channel", "42", 1), ("conversation_source", "99", 1)},
        "messenger": {("part_type", "ticket_escalated_to_space", 1)}}


def test_kpi_names_the_values_that_bend_its_figures(tmp_path):
    store = _store(tmp_path)
    _page(store)
    store.close()
    result = cli.invoke(app, ["kpi", "--database", str(tmp_path / "unmapped.db"),
                              "--source", "helpdesk"])
    said = " ".join(result.stderr.split())
    assert "helpdesk: 1 record with channel '42' (ticket.source, e.g. ticket 901): counted as " \
           "channel other" in said
    assert "part_type" not in said  # another source's


def test_a_page_read_again_after_a_crash_counts_each_record_once(tmp_path):
    store = _store(tmp_path)
    _page(store)
    _page(store)  # the same pages again: a resume, or an overlapping export
    second = dict(FD_TICKET, id=902)
    store.commit_page("helpdesk", "tickets", freshdesk_ticket(second, {}), {"page": 3})
    counts = dict(((kind, value), n) for kind, value, n in store.conn.execute(
        "SELECT kind, value, records FROM unmapped_values WHERE source = 'helpdesk'"))
    store.close()
    assert counts == {("status", "9"): 2, ("channel", "42"): 2, ("conversation_source", "99"): 1}


def test_a_value_mapped_since_stops_counting_when_its_record_is_read_again(tmp_path):
    store = _store(tmp_path)
    _page(store)
    store.commit_page("helpdesk", "tickets", freshdesk_ticket(FD_TICKET, {"9": "pending"}),
                      {"page": 2})
    kinds = {row[0] for row in store.conn.execute(
        "SELECT kind FROM unmapped WHERE source = 'helpdesk' AND record_type = 'ticket'")}
    store.close()
    assert kinds == {"channel"}


def test_an_unknown_freshdesk_business_hours_zone_is_noted_with_the_schedule():
    from deskpulse.connectors.freshdesk.mapping import business_hours_records

    raw = {"id": 31, "name": "APAC", "time_zone": "Mars/Olympus", "is_default": True,
           "business_hours": {"monday": {"start_time": "9:00 am", "end_time": "5:00 pm"}}}
    schedule, note = business_hours_records(raw)
    assert schedule.time_zone == "Mars/Olympus"
    assert isinstance(note, Unmapped)
    assert (note.kind, note.value, note.record_type, note.record_id) == (
        "time_zone", "Mars/Olympus", "schedule", "31")
    magadan = business_hours_records(dict(raw, time_zone="Magadan"))
    assert [r.time_zone for r in magadan] == ["Asia/Magadan"]  # type: ignore[union-attr]
