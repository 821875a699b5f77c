"""The throughput work (issue #18) must never change what is stored: a backfill through the
fast paths (orjson decoding, ...) leaves exactly the rows the plain paths leave."""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deskpulse.connectors.engine import body, http
from tests.simdesk import backfilled_store

NOW = datetime(2026, 3, 11, 0, 1, tzinfo=UTC)
# columns written from the wall clock as the run goes, not from what the vendor sent
WALL_CLOCK = {"sources": {"added_at"}, "sync_state": {"updated_at"},
              "sync_runs": {"started_at", "finished_at", "pid", "host"},
              "unmapped": {"seen_at"}, "dead_letters": {"at"}}


def tables(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, without the wall-clock columns."""
    found = {}
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                "AND name NOT LIKE 'sqlite_%' ORDER BY name"):
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info('{name}')")
                   if row[1] not in WALL_CLOCK.get(name, set())]
        found[name] = sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {name}"),
                             key=repr)
    return found


def backfill(path: Path) -> dict[str, list[tuple]]:
    store = backfilled_store(path, tickets=300, seed=7, now=NOW, days=60)
    try:
        return tables(store.conn)
    finally:
        store.close()


def test_the_fast_paths_store_exactly_what_the_plain_paths_store(tmp_path, monkeypatch):
    fast = backfill(tmp_path / "fast.db")
    monkeypatch.setattr(http, "loads", json.loads)  # the standard library's decoder
    plain = backfill(tmp_path / "plain.db")
    assert sum(len(rows) for rows in fast.values()) > 1000  # a real account, not an empty one
    assert fast["ticket_facts"] and fast["kpi_daily"] and fast["events"]
    assert fast.keys() == plain.keys()
    for name in fast:
        assert fast[name] == plain[name], name


def test_bodies_decode_as_the_standard_library_decodes_them():
    text = b'{"id": 12345678901234567890123, "score": NaN, "big": 1e400, "t": "\\u00e9"}'
    decoded = body.loads(text)  # beyond orjson: the standard library's answer
    assert decoded["id"] == 12345678901234567890123 and decoded["t"] == "\u00e9"
    assert math.isnan(decoded["score"]) and math.isinf(decoded["big"])
    page = b'{"tickets": [{"id": 1, "tags": ["a"], "x": 1.5, "n": null}], "end": true}'
    assert body.loads(page) == json.loads(page)


def test_a_truncated_body_still_raises_value_error():
    with pytest.raises(ValueError):
        body.loads(b'{"tickets": [{"id": 1}')
