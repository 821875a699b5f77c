"""`deskpulse record` scrubs a real account's responses; `simulate --replay` serves them back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from deskpulse.app.demo.record import Scrubber
from tests.simdesk import TOKEN, cli, free_port, start_simulator, stop, write_config


def replay_server(folder: Path) -> tuple[str, subprocess.Popen]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "deskpulse", "simulate", "--port", str(port), "--replay",
         str(folder)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert "Replaying" in server.stdout.readline()
    return f"http://127.0.0.1:{port}", server


def record(config: Path, out: Path) -> None:
    run = cli("record", "sim", "--out", str(out), "--pages", "2", "--config", str(config))
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
    assert "responses recorded" in stdout


def test_recorded_fixtures_are_scrubbed_and_replay_serves_the_same_exchange(tmp_path):
    url, server = start_simulator(tickets=1500, seed=5)
    try:
        record(write_config(tmp_path / "a", url), tmp_path / "rec")
    finally:
        stop(server)
    files = sorted((tmp_path / "rec").glob("*.json"))
    assert len(files) >= 6
    text = "\n".join(path.read_text(encoding="utf-8") for path in files)
    assert TOKEN not in text and "authorization" not in text.lower()
    assert "@deskpulse.example" not in text and "@example.test" not in text
    assert "@desk.test" not in text and "Customer 1" not in text  # simulator names/emails
    assert "please help" not in text and "characters removed" in text
    first = json.loads(files[0].read_text(encoding="utf-8"))
    assert set(first) == {"request", "status", "headers", "body"}

    url, server = replay_server(tmp_path / "rec")
    try:
        record(write_config(tmp_path / "b", url), tmp_path / "again")
    finally:
        stop(server)
    again = sorted((tmp_path / "again").glob("*.json"))

    def exchange(path: Path) -> tuple:
        doc = json.loads(path.read_text(encoding="utf-8"))
        ids = [item.get("id") for key in ("tickets", "ticket_events", "users", "groups")
               for item in doc["body"].get(key, [])]
        return doc["request"]["path"], doc["request"]["query"], doc["status"], ids

    assert [exchange(p) for p in again] == [exchange(p) for p in files]


def test_scrubber_is_consistent_and_keeps_structure():
    scrub = Scrubber(["s3cret"])
    doc = {"name": "Ana Agent", "email": "ana@acme.example", "link": "token s3cret here",
           "body": "customer text", "ids": [1, 2], "nested": {"name": "Ana Agent"},
           "cc": ["ana@acme.example", "bo@acme.example"]}
    clean = scrub.value(doc)
    assert clean["name"] == clean["nested"]["name"] == "Person 1"
    assert clean["email"] == clean["cc"][0] == "person1@example.invalid"
    assert clean["cc"][1] == "person2@example.invalid"
    assert clean["link"] == "token *** here"
    assert clean["body"] == "[13 characters removed]"
    assert clean["ids"] == [1, 2]


def test_ip_addresses_locations_and_user_agents_are_scrubbed():
    scrub = Scrubber([])
    audit = {"metadata": {"system": {  # Zendesk audit metadata, as the API documents it
        "client": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/120.0",
        "ip_address": "81.2.69.160", "location": "Copenhagen, 84, Denmark",
        "latitude": 55.6761, "longitude": 12.5683}},
        "created_at": "2026-01-01T10:15:00Z", "via": {"channel": "web"}}
    contact = {"type": "contact", "browser": "chrome", "browser_version": "120.0",
               "os": "OS X 10.15", "location": {"type": "location", "country": "Denmark",
                                                "region": "Capital", "city": "Copenhagen"}}
    text = json.dumps([scrub.value(audit), scrub.value(contact)])
    for leaked in ("81.2.69.160", "Copenhagen", "Denmark", "Capital", "Mozilla", "chrome",
                   "OS X", "55.6761", "12.5683"):
        assert leaked not in text, leaked
    clean = scrub.value(audit)
    assert clean["metadata"]["system"]["ip_address"] == "192.0.2.2"
    assert clean["created_at"] == "2026-01-01T10:15:00Z"  # a time is not an address
    assert clean["via"] == {"channel": "web"}
    assert scrub.value(contact)["location"]["type"] == "location"  # the shape stays
    forwarded = scrub.text("for 81.2.69.160, 2a00:1450:4001:81c::200e at 10:15:00")
    assert forwarded == "for 192.0.2.2, 2001:db8::2 at 10:15:00"


def test_recordings_are_owner_only_like_the_database(tmp_path):
    import stat

    import httpx

    from deskpulse.app.demo.record import RecordingTransport

    def vendor(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"users": [{"id": 1, "last_ip": "81.2.69.160"}]})

    folder = tmp_path / "rec"
    transport = RecordingTransport(httpx.MockTransport(vendor), folder, Scrubber([]))
    with httpx.Client(transport=transport, base_url="https://acme.example") as client:
        client.get("/api/v2/users.json")
    [saved] = folder.glob("*.json")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert "81.2.69.160" not in saved.read_text(encoding="utf-8")
