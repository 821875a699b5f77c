"""Secrets never leave memory; hostile text round-trips; TLS stays on; files are private."""

from __future__ import annotations

import os
import ssl
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deskpulse.connectors.engine.http import Http
from deskpulse.store import Event, Group, Person, Rating, Store, Ticket
from tests.simdesk import TOKEN as SERVED_TOKEN
from tests.simdesk import start_simulator, stop, write_config

FAKE_TOKEN = "dp-FAKE-TOKEN-7f3a9c1e5b"  # recognisable, so a grep finds any leak


def run(*args: str, token: str, cwd: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"SIM_TOKEN": token, "DESKPULSE_LOG_LEVEL": "DEBUG"}
    return subprocess.run([sys.executable, "-m", "deskpulse", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_the_token_appears_in_no_output_log_error_row_or_file(tmp_path):
    url, server = start_simulator(tickets=300, seed=2)
    try:
        config = write_config(tmp_path, url)
        outputs = []
        # a failing run first (the server expects another token), then a working one
        outputs.append(run("sync", "--config", str(config), token=FAKE_TOKEN, cwd=tmp_path))
        assert outputs[-1].returncode == 1
    finally:
        stop(server)
    url, server = start_simulator(tickets=300, seed=2)
    try:
        config = write_config(tmp_path, url)
        good = run("backfill", "sim", "--since", "2000-01-01", "--config", str(config),
                   token=SERVED_TOKEN, cwd=tmp_path)
        assert good.returncode == 0, good.stderr
        outputs.append(good)
        for args in (("status", "--json"), ("kpi", "--format", "json")):
            outputs.append(run(*args, "--config", str(config), token=FAKE_TOKEN, cwd=tmp_path))
    finally:
        stop(server)
    assert "401" in outputs[0].stdout + outputs[0].stderr
    assert "DEBUG" in good.stderr  # the most talkative logs were on
    for out in outputs:
        for secret in (FAKE_TOKEN, SERVED_TOKEN):
            assert secret not in out.stdout + out.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            for secret in (FAKE_TOKEN, SERVED_TOKEN):
                assert secret.encode() not in path.read_bytes(), path


def test_tls_verification_is_on_for_real_hosts():
    http = Http(source="acme", vendor="zendesk", base_url="https://acme.zendesk.com")
    context = http.client._transport._pool._ssl_context  # the context httpx will use
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    http.close()


def test_the_database_and_its_lock_are_owner_only(tmp_path):
    from deskpulse.app.sync.lock import WriterLock

    Store.open(tmp_path / "p.db").close()
    with WriterLock(tmp_path / "p.db"):
        pass
    for name in ("p.db", "p.db.sync.lock"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


HOSTILE = ["Robert'); DROP TABLE tickets;--", 'quote " and \' and `', "nul\x00byte",
           "\u202eRTL override\u202c", "emoji 🧨 and combining e\u0301", "x" * 1_000_000,
           "line\nbreak\r\n\ttab", "%s %d {0} ?"]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_in_every_text_field_round_trips(tmp_path, text):
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    store = Store.open(tmp_path / "h.db")
    records = [
        Ticket(id=text, subject=text, status="open", type=text, tags=[text], created_at=at,
               updated_at=at, raw={"k": text}),
        Event(id=text, ticket_id=text, at=at, kind="message", body=text, channel=text,
              old_value=text, new_value=text),
        Person(id=text, role="customer", name=text, email=text, time_zone=text),
        Group(id=text, name=text),
        Rating(id=text, ticket_id=text, at=at, score=text, scale=text, comment=text),
    ]
    store.commit_page("acme", text, records, {"cursor": text})
    assert store.conn.execute("SELECT subject, type FROM tickets").fetchone() == (text, text)
    assert store.conn.execute("SELECT body, old_value FROM events").fetchone() == (text, text)
    assert store.conn.execute("SELECT name, email FROM people").fetchone() == (text, text)
    assert store.conn.execute("SELECT name FROM groups").fetchone() == (text,)
    assert store.conn.execute("SELECT score, comment FROM ratings").fetchone() == (text, text)
    assert store.cursor("acme", text) == {"cursor": text}
    store.close()


@pytest.mark.parametrize("kind", ["freshdesk", "intercom"])
def test_other_vendors_keep_their_keys_out_of_output_and_files(tmp_path, kind):
    """Freshdesk's key travels as Basic auth (base64 of `key:X`), Intercom's as a Bearer."""
    import base64

    from deskpulse.app.demo.simulated import vendor

    def configured(url: str) -> Path:
        options = vendor(kind).options(url, "${SIM_TOKEN}")
        lines = [f'database = "{kind}.db"', "[sources.sim]", f'kind = "{kind}"']
        lines += [f"{key} = {value!r}".replace("'", '"') if value is not None
                  else f"{key} = 100000"  # no client-side cap: the simulator is local
                  for key, value in options.items()]
        (tmp_path / "deskpulse.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return tmp_path / "deskpulse.toml"

    url, server = start_simulator(tickets=80, seed=3, vendor=kind)
    try:
        config = configured(url)
        outputs = [run("sync", "--config", str(config), token=FAKE_TOKEN, cwd=tmp_path),
                   run("backfill", "sim", "--since", "2000-01-01", "--config", str(config),
                       token=SERVED_TOKEN, cwd=tmp_path)]
    finally:
        stop(server)
    assert outputs[0].returncode == 1 and "401" in outputs[0].stdout + outputs[0].stderr
    assert outputs[1].returncode == 0, outputs[1].stderr
    secrets = [s for token in (FAKE_TOKEN, SERVED_TOKEN)
               for s in (token, base64.b64encode(f"{token}:X".encode()).decode())]
    for out in outputs:
        assert not [s for s in secrets if s in out.stdout + out.stderr]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert not [s for s in secrets if s.encode() in path.read_bytes()], path
