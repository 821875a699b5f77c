"""Optional conformance: the vendors' own published responses through our connectors.

Replays /work/shared/real-responses (beside the repository: `<repo>/../shared/real-responses`,
see its SOURCES.md; never copied into the repository) through the Freshdesk and Intercom
connectors into a store and the KPI facts, and checks that nothing is quarantined as a dead
letter and that ids, people, times and statuses land where the vendor put them. Skipped
when the folder is absent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from deskpulse import kpi
from deskpulse.connectors import load, open_source
from deskpulse.connectors.freshdesk.streams import FreshdeskSettings
from deskpulse.connectors.intercom.streams import IntercomSettings
from deskpulse.store import Event, Person, Rejected, Store, Ticket, TimeEntry

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "real-responses"
FRESHDESK, INTERCOM = REAL / "freshdesk-python-freshdesk", REAL / "intercom-openapi-examples"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} is absent")
SINCE = datetime(2000, 1, 1, tzinfo=UTC)


def served(routes: dict[str, Any]) -> httpx.MockTransport:
    """Each path's recorded body; any other path an empty list (a stream with nothing)."""
    def handle(request: httpx.Request) -> httpx.Response:
        body = routes.get(request.url.path, [])
        return httpx.Response(200, json=body(request) if callable(body) else body)
    return httpx.MockTransport(handle)


def read(kind: str, settings: Any, routes: dict[str, Any], streams: tuple[str, ...]
         ) -> dict[str, list[Any]]:
    opened = open_source(load(kind), "real", settings, transport=served(routes),
                         sleep=lambda s: None, clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    return {stream: [r for page in opened.read(stream, None, since=SINCE)
                     for r in page.records] for stream in streams}


def stored(kind: str, account: str, read_records: dict[str, list[Any]], tmp: Path) -> Store:
    store = Store.open(tmp / f"{kind}.db")
    store.ensure_source("real", kind, account)
    for stream, records in read_records.items():
        store.commit_page("real", stream, records, None)
    kpi.refresh(store)
    return store


def of(records: dict[str, list[Any]], kind: type) -> list[Any]:
    return [r for rs in records.values() for r in rs if isinstance(r, kind)]


def fd(name: str) -> Any:
    return json.loads((FRESHDESK / name).read_text(encoding="utf-8"))


def test_freshdesk_samples_land_whole(tmp_path):
    ticket = fd("ticket_1.json")
    routes = {"/api/v2/tickets": [ticket],
              "/api/v2/tickets/1/conversations": fd("conversations.json"),
              "/api/v2/agents": fd("agents.json"), "/api/v2/contacts": [fd("contact.json")],
              "/api/v2/groups": fd("groups.json"), "/api/v2/time_entries": fd(
                  "time_entries.json")}
    records = read("freshdesk", FreshdeskSettings(domain="acme", api_key="k", concurrency=1),
                   routes, ("agents", "contacts", "groups", "tickets", "time_entries"))
    assert of(records, Rejected) == []
    (mapped,) = of(records, Ticket)
    assert (mapped.id, mapped.requester_id, mapped.assignee_id, mapped.status,
            mapped.priority, mapped.channel, mapped.tags) == \
        ("1", "6012691534", "6010396333", "open", "low", "web", ["foo", "bar"])
    events = {e.id: e for e in of(records, Event)}
    assert (events["1"].kind, events["1"].public) == ("note", False)
    assert (events["2"].kind, events["2"].actor_role) == ("message", "agent")
    people = {p.id: p for p in of(records, Person)}
    assert {p.id for p in people.values()} >= {str(a["id"]) for a in fd("agents.json")}
    entries = sorted(e.seconds for e in of(records, TimeEntry))
    assert entries == sorted(int(t["time_spent"][:2]) * 3600 + int(t["time_spent"][3:]) * 60
                             for t in fd("time_entries.json"))
    store = stored("freshdesk", "acme.freshdesk.com", records, tmp_path)
    assert store.conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 0
    frt = store.conn.execute("SELECT frt_cal FROM ticket_facts WHERE ticket_id = '1'")
    assert frt.fetchone()[0] == (datetime.fromisoformat("2016-05-19T05:36:14+00:00")
                                 - mapped.created_at).total_seconds()  # the reply, not the note


def test_freshdesk_single_objects_map_without_loss():
    from deskpulse.connectors.engine.validate import validated
    from deskpulse.connectors.freshdesk.mapping import (
        agent_records,
        conversation_records,
        ticket_records,
        time_entry_records,
    )

    for name, build in (("ticket_1_updated.json", lambda r: ticket_records(r, {})),
                        ("outbound_email_1.json", lambda r: ticket_records(r, {})),
                        ("note_1.json", conversation_records),
                        ("reply_1.json", conversation_records),
                        ("agent_1.json", agent_records),
                        ("time_entry_1.json", time_entry_records)):
        body = fd(name)
        for raw in body if isinstance(body, list) else [body]:  # some samples are lists
            records = validated(build, raw)
            assert records and not [r for r in records if isinstance(r, Rejected)], name
            assert str(raw["id"]) in {getattr(r, "id", None) for r in records}, name


def ic() -> dict[str, Any]:
    return json.loads((INTERCOM / "intercom-2.11-examples.json").read_text(encoding="utf-8"))


def test_intercom_examples_land_whole(tmp_path):
    responses = ic()["responses"]
    found = responses["GET /conversations/{conversation_id}"]["200 conversation found"]
    searched = responses["POST /conversations/search"]["200 successful"]
    routes = {"/conversations/search": searched,
              # the example found is another conversation: served as the one searched for
              "/conversations/378": found | {"id": "378"},
              "/admins": responses["GET /admins"]["200 Successful response"],
              "/teams": responses["GET /teams"]["200 successful"],
              "/contacts/search": responses["POST /contacts/search"]["200 successful"]}
    records = read("intercom", IntercomSettings(token="t", concurrency=1), routes,
                   ("admins", "teams", "contacts", "conversations"))
    assert of(records, Rejected) == []
    (mapped,) = of(records, Ticket)
    # numeric assignee ids become text; the admin-initiated opening is the agent's
    assert (mapped.id, mapped.assignee_id, mapped.group_id, mapped.status, mapped.priority,
            mapped.requester_id) == ("378", "991267715", "5017691", "solved", "normal",
                                     "667d60d88a68186f43bafde1")
    assert mapped.created_at == datetime.fromtimestamp(found["created_at"], UTC)
    (admin,) = of(records, Person)
    assert (admin.id, admin.role) == ("991267397", "agent")
    opening = {e.id: e for e in of(records, Event)}["378-source"]
    assert (opening.actor_id, opening.actor_role) == ("991267553", "agent")
    store = stored("intercom", "api.intercom.io", records, tmp_path)
    assert store.conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 0
    assert store.conn.execute("SELECT frt_cal FROM ticket_facts").fetchone() == (None,)


def test_intercom_property_examples_map():
    from deskpulse.connectors.intercom.mapping import (
        admin_records,
        part_events,
        rating_record,
        team_records,
    )
    from deskpulse.connectors.intercom.oracle import ORACLE

    examples = ic()["property_examples"]
    rating = rating_record("1", examples["conversation_rating"])
    assert (rating.score, rating.positive, rating.comment) == ("5", True, None)
    (part,) = part_events("1", examples["conversation_part"])
    assert (part.id, part.kind, part.at) == ("3", "message", datetime.fromtimestamp(
        examples["conversation_part"]["created_at"], UTC))
    assert admin_records(examples["admin"])[0].id == "1295"
    assert team_records(examples["team"])[0].id == "814865"
    statistics = examples["conversation_statistics"]
    assert {m.fact: m.read(statistics) for m in ORACLE}["frt_cal"] == 0.0
