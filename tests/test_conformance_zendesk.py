"""Conformance: Zendesk's own recorded responses, replayed through deskpulse.

The recordings are zenpy's betamax cassettes (facetoe/zenpy, GPL-3.0: real exchanges with a
Zendesk sandbox, 2023–2024), kept outside the repository in `<repo>/../shared/real-responses`
and never copied in. Without that folder every test here skips. Each recorded ticket, user
and audit must map without a dead letter and without losing a record, and Zendesk's status
"deleted" must never reach the status values the KPIs read.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from deskpulse.connectors import load, open_source
from deskpulse.connectors.engine.validate import validated
from deskpulse.connectors.zendesk.mapping import audit_records, person_records, ticket_records
from deskpulse.connectors.zendesk.streams import ZendeskSettings
from deskpulse.store import Event, Person, Rejected, Store, Ticket

CASSETTES = (Path(__file__).resolve().parents[1].parent / "shared" / "real-responses"
             / "zendesk-zenpy-betamax")
pytestmark = pytest.mark.skipif(not CASSETTES.is_dir(),
                                reason=f"no recorded Zendesk responses at {CASSETTES}")
STATUSES = {"new", "open", "pending", "on_hold", "solved", "closed"}


def recorded(pattern: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(request path, decoded JSON body) of every recorded exchange in matching cassettes."""
    for path in sorted(CASSETTES.glob(pattern)):
        for exchange in json.loads(path.read_text(encoding="utf-8"))["http_interactions"]:
            body = exchange["response"]["body"]
            raw = (base64.b64decode(body["base64_string"]) if body.get("base64_string")
                   else body.get("string", "").encode())
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            yield httpx.URL(exchange["request"]["uri"]).path, json.loads(raw)


def first_page(stream: str, body: dict[str, Any]):
    """The connector's first page of `stream` when Zendesk answers with `body`."""
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)
    config = ZendeskSettings(subdomain="acme", email="ops@acme.example", token="zd-token")
    source = open_source(load("zendesk"), "acme", config,
                         transport=httpx.MockTransport(answer), sleep=lambda seconds: None)
    return next(iter(source.read(stream, None, since=datetime(2023, 1, 1, tzinfo=UTC))))


def test_every_recorded_cursor_export_page_maps_whole():
    seen = 0
    for path, body in recorded("*Incremental*.json"):
        if not path.endswith("/cursor.json"):
            continue
        stream, items, kind = (("tickets", "tickets", Ticket) if "/tickets/" in path
                               else ("users", "users", Person))
        page = first_page(stream, body)
        assert not [r for r in page.records if isinstance(r, Rejected)], path
        mapped = {r.id for r in page.records if isinstance(r, kind)}
        assert mapped == {str(item["id"]) for item in body[items]}, path
        assert page.cursor == {"after_cursor": body["after_cursor"]}
        assert page.done == body["end_of_stream"]
        seen += 1
    assert seen > 10


def test_recorded_tickets_and_users_of_the_time_based_exports_map_too():
    tickets = users = 0
    for path, body in recorded("*Incremental*.json"):
        if path.endswith("/cursor.json"):
            continue
        assert isinstance(body["end_time"], int) and "next_page" in body  # time-based envelope
        for raw in body.get("tickets", []):
            records = validated(lambda t: ticket_records(t, t.get("metric_set")), raw)
            [ticket] = [r for r in records if isinstance(r, Ticket)]
            assert ticket.status in STATUSES and ticket.deleted == (raw["status"] == "deleted")
            tickets += 1
        for raw in body.get("users", []):
            assert [type(r) for r in validated(person_records, raw)] == [Person]
            users += 1
    assert tickets > 100 and users > 100


def test_recorded_audits_keep_every_comment_creation_and_status_change(tmp_path):
    store = Store.open(tmp_path / "audits.db")
    store.ensure_source("zenpy", "zendesk", "zenpy")
    audits = {a["id"]: a for path, body in recorded("TestTicketAudits*.json")
              for a in body.get("audits", [])}
    records = [r for audit in audits.values() for r in validated(audit_records, audit)]
    assert not [r for r in records if isinstance(r, Rejected)]
    children = [c for a in audits.values() for c in a["events"]]
    comments = {str(c["id"]) for c in children if c["type"] == "Comment"}
    statuses = [c for c in children if c["type"] == "Change" and c["field_name"] == "status"]
    events = {e.id: e for e in records if isinstance(e, Event)}
    assert comments <= set(events) and len(comments) > 50
    created = [a for a in audits.values() if any(c["type"] == "Create" for c in a["events"])]
    assert {str(a["id"]) for a in created} <= set(events)
    kinds = [e.kind for e in records if isinstance(e, Event) and e.kind in ("status", "deleted")]
    assert len(kinds) == len(statuses) and "deleted" in kinds  # open → deleted → open
    store.commit_page("zenpy", "ticket_events", records, None)
    values = {v for (v,) in store.conn.execute(
        "SELECT new_value FROM events WHERE kind IN ('status', 'created') UNION "
        "SELECT old_value FROM events WHERE kind = 'status'") if v}
    (dead,) = store.conn.execute("SELECT count(*) FROM dead_letters").fetchone()
    store.close()
    assert values <= STATUSES and dead == 0
