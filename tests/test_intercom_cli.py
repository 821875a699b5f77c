"""Intercom as a user runs it: `deskpulse simulate --vendor intercom` on 127.0.0.1, a
configured source, `deskpulse backfill`, `deskpulse sync` and `deskpulse status`."""

from __future__ import annotations

import sqlite3

from tests.simdesk import cli, start_simulator, stop


def test_simulate_intercom_then_backfill_sync_and_status(tmp_path):
    url, server = start_simulator(tickets=200, seed=5, vendor="intercom")
    try:
        config = tmp_path / "deskpulse.toml"
        config.write_text(f"""
database = "ic.db"
[sources.messenger]
kind = "intercom"
token = "${{SIM_TOKEN}}"
base_url = "{url}"
""", encoding="utf-8")
        for args in (("backfill", "messenger", "--since", "2000-01-01"), ("sync",)):
            done = cli(*args, "--config", str(config))
            out, err = done.communicate(timeout=300)
            assert done.returncode == 0, out + err
        db = sqlite3.connect(tmp_path / "ic.db")
        stored, distinct = db.execute("SELECT count(*), count(DISTINCT id) FROM tickets"
                                      ).fetchone()
        assert stored == distinct and stored > 190
        status = cli("status", "--config", str(config))
        shown, _ = status.communicate(timeout=60)
        assert status.returncode == 0 and "(intercom)" in shown
        assert "cursor conversations" in shown
    finally:
        stop(server)
