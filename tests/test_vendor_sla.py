"""Vendor SLA policies: the connectors' mapping from recorded responses, the store's whole-set
replacement, first-match-by-position evaluation, and what happens to a policy deskpulse
cannot evaluate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from deskpulse import kpi
from deskpulse.connectors import load, open_source
from deskpulse.connectors.freshdesk.streams import FreshdeskSettings
from deskpulse.connectors.zendesk.streams import ZendeskSettings
from deskpulse.kpi.sla.policy import (
    Condition,
    Conditions,
    Target,
    choose,
    dump_targets,
    fingerprint,
    load_targets,
)
from deskpulse.kpi.sla.targets import targets_in_use, vendor_targets
from deskpulse.store import Event, Person, Store, Ticket
from deskpulse.store.models import (
    SlaCondition,
    SlaConditions,
    SlaDeadlines,
    SlaPolicies,
    SlaPolicy,
    SlaPolicyTarget,
)
from tests.fakedesk import FakeDesk, fixture

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk():
    fake = FakeDesk()
    yield fake
    fake.assert_consumed()


def zendesk_pages(desk: FakeDesk):
    config = ZendeskSettings(subdomain="acme", email="ops@acme.example", token="zd-t")
    src = open_source(load("zendesk"), "acme", config, transport=desk.transport(),
                      sleep=lambda seconds: None)
    return list(src.read("sla_policies", None, since=SINCE))


def freshdesk_source(desk: FakeDesk):
    config = FreshdeskSettings(domain="acme", api_key="fd-k", concurrency=1)
    return open_source(load("freshdesk"), "acme", config, transport=desk.transport(),
                       sleep=lambda seconds: None)


def the_set(pages) -> SlaPolicies:
    [page] = pages
    [found] = page.records
    assert isinstance(found, SlaPolicies) and page.done and page.requests == 1
    return found


def test_zendesk_policies_map_filters_and_metrics_into_deskpulse_terms(desk):
    desk.add("GET", "/api/v2/slas/policies", fixture("zendesk/sla_policies/only_page"))
    vip, brand, rest = the_set(zendesk_pages(desk)).policies
    assert (vip.id, vip.title, vip.position) == ("360001", "VIP billing", 1)
    assert vip.conditions.all == [SlaCondition(field="group_id", op="is", values=["302"]),
                                  SlaCondition(field="tags", op="includes",
                                               values=["vip", "enterprise"])]
    targets = {(t.metric, t.priority): (t.seconds, t.business) for t in vip.targets}
    assert targets == {("first_reply", "urgent"): (900, False),
                       ("first_reply", "high"): (3600, False),
                       ("requester_wait", "urgent"): (14400, False),
                       ("pausable_update", "urgent"): (7200, False)}
    # brand is not kept on tickets: the condition stays the vendor's, so it can be reported
    assert brand.conditions.all == [SlaCondition(field="zendesk:brand_id", op="is",
                                                 values=["9001"])]
    # via 4 (email) and 29 (chat) are channels of their own; ticket type 2 is "incident"
    assert [(c.field, c.values) for c in rest.conditions.any] == [
        ("channel", ["email"]), ("channel", ["chat"]), ("type", ["incident"])]
    assert {(t.metric, t.priority) for t in rest.targets} >= {
        ("next_reply", "normal"), ("periodic_update", "normal"), ("agent_work", "normal")}
    assert desk.log[0].url.path == "/api/v2/slas/policies"


def test_freshdesk_policies_rank_the_default_last_and_keep_unknowable_sources(desk):
    desk.add("GET", "/api/v2/sla_policies", fixture("freshdesk/sla_policies"))
    found = the_set(list(freshdesk_source(desk).read("sla_policies", None, since=SINCE)))
    by_id = {p.id: p for p in found.policies}
    default, billing, portal, old = (by_id[i] for i in ("47001", "47002", "47003", "47004"))
    assert default.position > max(p.position for p in (billing, portal, old))
    assert default.conditions == SlaConditions() and not old.active
    assert billing.conditions.all == [
        SlaCondition(field="group_id", op="is", values=["45001"]),
        SlaCondition(field="type", op="is", values=["Question", "Incident"])]
    urgent = {t.metric: t.seconds for t in billing.targets if t.priority == "urgent"}
    assert urgent == {"first_reply": 900, "next_reply": 1800, "requester_wait": 7200}
    assert {t.priority for t in billing.targets} == {"low", "normal", "high", "urgent"}
    assert all(t.business for t in billing.targets)
    # portal (2) shares the `web` channel with other sources; products are not kept
    assert {c.field for c in portal.conditions.all} == {"freshdesk:sources",
                                                        "freshdesk:product_ids"}


def test_freshdesk_tickets_carry_their_due_moments(desk):
    desk.add("GET", "/api/v2/tickets", fixture("freshdesk/tickets_page2"))
    src = freshdesk_source(desk)
    for ticket in (104, 105):
        desk.add("GET", f"/api/v2/tickets/{ticket}/conversations",
                 httpx.Response(200, json=[]))
    pages = list(src.read("tickets", None, since=SINCE))
    found = {d.ticket_id: d for p in pages for d in p.records if isinstance(d, SlaDeadlines)}
    raw = fixture("freshdesk/tickets_page2").json()
    for ticket in raw:
        expected = {m for key, m in (("fr_due_by", "first_reply"), ("due_by", "requester_wait"),
                                     ("nr_due_by", "next_reply")) if ticket.get(key)}
        assert {d.metric for d in found[str(ticket["id"])].deadlines} == expected


@pytest.mark.parametrize("status", [403, 404])
def test_policies_the_token_may_not_read_leave_the_sync_going(desk, status):
    desk.add("GET", "/api/v2/slas/policies", httpx.Response(status, json={"error": "no"}))
    [page] = zendesk_pages(desk)
    assert page.records == [] and page.done


def test_an_unauthorized_token_still_fails_the_stream(desk):
    desk.add("GET", "/api/v2/slas/policies", fixture("zendesk/errors/unauthorized"))
    with pytest.raises(Exception, match="401"):
        zendesk_pages(desk)


def policy(pid: str, position: int, targets, all_=(), any_=()) -> SlaPolicy:
    return SlaPolicy(id=pid, title=f"P{pid}", position=position,
                     conditions=SlaConditions(all=list(all_), any=list(any_)),
                     targets=[SlaPolicyTarget(metric=m, priority=p, seconds=s)
                              for m, p, s in targets])


def cond(field, op, *values) -> SlaCondition:
    return SlaCondition(field=field, op=op, values=list(values))


def test_the_store_replaces_the_whole_set_each_time(tmp_path):
    store = Store.open(tmp_path / "s.db")
    first = SlaPolicies(policies=[policy("1", 1, [("first_reply", "high", 60)]),
                                  policy("2", 2, [("first_reply", "low", 120)])])
    store.commit_page("zd", "sla_policies", [first], None)
    store.commit_page("zd", "sla_policies", [SlaPolicies(policies=[
        policy("2", 1, [("first_reply", "low", 300)])])], None)
    assert store.conn.execute("SELECT id, position FROM sla_policies").fetchall() == [("2", 1)]
    assert store.conn.execute("SELECT policy_id, target_s FROM sla_policy_targets"
                              ).fetchall() == [("2", 300)]
    store.commit_page("zd", "sla_policies", [SlaPolicies()], None)
    assert store.conn.execute("SELECT COUNT(*) FROM sla_policies").fetchone()[0] == 0
    store.close()


def test_conditions_all_any_and_undecidable():
    vip_billing = Conditions(all=(Condition("group_id", "is", ("g1",)),
                                  Condition("tags", "includes", ("vip", "gold"))))
    assert vip_billing.match({"group_id": "g1", "tags": ["gold"]}) is True
    assert vip_billing.match({"group_id": "g2", "tags": ["gold"]}) is False
    assert vip_billing.match({"group_id": "g1", "tags": []}) is False
    either = Conditions(any=(Condition("channel", "is", ("email",)),
                             Condition("priority", "greater_than", ("normal",))))
    assert either.match({"channel": "chat", "priority": "urgent"}) is True
    assert either.match({"channel": "chat", "priority": "normal"}) is False
    assert Conditions().match({}) is True  # no condition: every ticket
    brand = Conditions(all=(Condition("zendesk:brand_id", "is", ("9",)),
                            Condition("group_id", "is", ("g1",))))
    assert brand.match({"group_id": "g2"}) is False  # decided without the brand
    assert brand.match({"group_id": "g1"}) is None
    assert brand.problems() == ["a condition on zendesk:brand_id, which deskpulse does not keep"]
    assert Conditions(all=(Condition("tags", "not_includes", ("spam",)),)).match(
        {"tags": ["spam", "x"]}) is False


def targets_of(*policies_: SlaPolicy) -> list[Target]:
    out = []
    for p in sorted(policies_, key=lambda p: p.position):
        conditions = Conditions.load(p.conditions.model_dump())
        out.extend(Target(t.metric, t.seconds, priorities=(t.priority,), source="zd",
                          policy=p.id, title=p.title, position=p.position,
                          conditions=conditions) for t in p.targets)
    return out


def test_first_matching_policy_by_position_decides_even_without_a_target():
    targets = targets_of(
        policy("a", 1, [("first_reply", "urgent", 600)], all_=[cond("tags", "includes", "vip")]),
        policy("b", 2, [("first_reply", "low", 7200), ("first_reply", "urgent", 1800)]))
    vip, plain = {"tags": ["vip"]}, {"tags": []}
    assert choose(targets, "first_reply", "urgent", vip).seconds == 600
    assert choose(targets, "first_reply", "urgent", plain).seconds == 1800
    # policy a applies to a low-priority VIP ticket and has no target for it: none, not b's
    assert choose(targets, "first_reply", "low", vip) is None
    assert choose(targets, "first_reply", "low", plain).seconds == 7200


def test_a_policy_that_might_match_but_cannot_be_evaluated_gives_no_target():
    targets = targets_of(
        policy("a", 1, [("first_reply", "low", 600)],
               all_=[cond("zendesk:brand_id", "is", "9"), cond("group_id", "is", "g1")]),
        policy("b", 2, [("first_reply", "low", 7200)]))
    assert choose(targets, "first_reply", "low", {"group_id": "g1"}) is None
    assert choose(targets, "first_reply", "low", {"group_id": "g2"}).seconds == 7200


def test_targets_round_trip_through_kpi_meta_and_conditions_are_in_the_fingerprint():
    one = targets_of(policy("a", 1, [("first_reply", "low", 600)],
                            all_=[cond("group_id", "is", "g1")]))
    assert load_targets(dump_targets(one)) == one
    other = targets_of(policy("a", 1, [("first_reply", "low", 600)],
                              all_=[cond("group_id", "is", "g2")]))
    assert fingerprint(one) != fingerprint(other)


def seeded(tmp_path, policies_: list[SlaPolicy]) -> Store:
    """Two tickets of source zd (one VIP in group g1), each answered after 50 minutes."""
    store = Store.open(tmp_path / "p.db")
    store.ensure_source("zd", "zendesk", None)
    records = [Person(id="a", role="agent"), Person(id="c", role="customer")]
    for tid, tags, group in (("1", ["vip"], "g1"), ("2", [], "g2")):
        records += [Ticket(id=tid, status="open", priority="low", created_at=T0,
                           updated_at=T0, tags=tags, group_id=group, channel="email"),
                    Event(id=f"{tid}c", ticket_id=tid, at=T0, kind="created", actor_id="c",
                          new_value="new"),
                    Event(id=f"{tid}m", ticket_id=tid, at=T0, kind="message", actor_id="c",
                          public=True),
                    Event(id=f"{tid}r", ticket_id=tid, at=T0 + timedelta(minutes=50),
                          kind="message", actor_id="a", public=True)]
    store.commit_page("zd", "tickets", records, None)
    store.commit_page("zd", "sla_policies", [SlaPolicies(policies=policies_)], None)
    return store


def first_reply(store: Store) -> dict[str, tuple[int, str]]:
    return {tid: (target, outcome) for tid, target, outcome in store.conn.execute(
        "SELECT ticket_id, target_s, outcome FROM sla_instances WHERE metric = 'first_reply'")}


def test_vendor_targets_apply_per_ticket_and_a_policy_edit_rebuilds(tmp_path):
    vip = policy("1", 1, [("first_reply", "low", 1800), ("pausable_update", "low", 600),
                          ("zendesk:total_resolution_time", "low", 600)],
                 all_=[cond("tags", "includes", "vip"), cond("group_id", "is", "g1")])
    rest = policy("2", 2, [("first_reply", "low", 3600)])
    store = seeded(tmp_path, [vip, rest])
    targets = targets_in_use(store, ())
    kpi.ensure_definitions(store, None, targets)
    kpi.refresh(store, targets=targets)
    assert first_reply(store) == {"1": (1800, "breached"), "2": (3600, "achieved")}
    metrics, note = kpi.sla_status(store)
    assert metrics == ["first_reply", "pausable_update"]
    # a vendor metric deskpulse does not measure is said, not dropped
    assert "P1" in note and "zendesk:total_resolution_time" in note and "does not measure" in note
    assert "pausable_update," not in note
    # the vendor edits the VIP policy: the definitions change, and the facts rebuild
    edited = policy("1", 1, [("first_reply", "low", 3600)], all_=vip.conditions.all)
    store.commit_page("zd", "sla_policies", [SlaPolicies(policies=[edited, rest])], None)
    targets = targets_in_use(store, ())
    assert kpi.ensure_definitions(store, None, targets) is True
    assert first_reply(store) == {"1": (3600, "achieved"), "2": (3600, "achieved")}
    assert kpi.ensure_definitions(store, None, targets) is False
    store.close()


def _with_a_brand_policy(tmp_path) -> Store:
    """A store whose first policy has a condition deskpulse cannot evaluate, refreshed."""
    brand = policy("9", 1, [("first_reply", "low", 60)],
                   all_=[cond("zendesk:brand_id", "is", "4")])
    store = seeded(tmp_path, [brand, policy("2", 2, [("first_reply", "low", 3600)])])
    targets = targets_in_use(store, ())
    kpi.ensure_definitions(store, None, targets)
    kpi.refresh(store, targets=targets)
    return store


def test_an_unusable_policy_is_named_with_its_field(tmp_path):
    store = _with_a_brand_policy(tmp_path)
    assert first_reply(store) == {}  # every ticket might be a brand-4 ticket
    _metrics, note = kpi.sla_status(store)
    assert "'P9' (id 9) is unusable" in note and "zendesk:brand_id" in note
    store.close()


def test_config_wins_unless_told_otherwise(tmp_path):
    store = seeded(tmp_path, [policy("2", 1, [("first_reply", "low", 3600)])])
    mine = (Target("first_reply", 600),)
    assert targets_in_use(store, mine) == mine  # an [[sla]] for every source
    assert targets_in_use(store, (Target("first_reply", 600, source="other"),))[0].policy == "2"
    assert targets_in_use(store, mine, "config") == mine
    assert targets_in_use(store, mine, "vendor") == (*vendor_targets(store, "zd"), *mine)
    targets = targets_in_use(store, mine, "vendor")
    kpi.ensure_definitions(store, None, targets)
    kpi.refresh(store, targets=targets)
    # the source has policies: the sourceless [[sla]] entry does not apply to it
    assert first_reply(store) == {"1": (3600, "achieved"), "2": (3600, "achieved")}
    with pytest.raises(ValueError, match="sla_targets"):
        targets_in_use(store, mine, "both")
    store.close()


def test_freshdesk_end_to_end_vendor_targets_agree_with_its_due_moments(tmp_path):
    """The simulated Freshdesk serves two policies and fills fr_due_by/due_by from them (its
    own code, deskpulse/simulator/sla.py): deskpulse's SLA clock under the synced policies
    reaches the same due moments, and `deskpulse verify` says so."""
    from deskpulse.app.demo.simulated import vendor
    from deskpulse.app.sync.runner import Runner
    from deskpulse.app.verify.sla import verify_deadlines
    from deskpulse.simulator import FreshdeskAPI, generate

    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    desk = generate(seed=5, tickets=150, start=now - timedelta(days=30), end=now)
    api = FreshdeskAPI(desk, api_key="fd-sim")
    store = Store.open(tmp_path / "fd.db")
    config = vendor("freshdesk").source("fd", "https://acme.freshdesk.com", "${FD_KEY}")
    result = Runner(store, config, transport=httpx.MockTransport(api.handler),
                    environ={"FD_KEY": "fd-sim"}, sleep=lambda s: None,
                    clock=lambda: now).backfill(now - timedelta(days=31))
    assert result.status == "ok", result.error
    policy_requests = [r for r in api.requests if r[1] == "/api/v2/sla_policies"]
    assert len(policy_requests) == 1
    assert store.conn.execute("SELECT COUNT(*) FROM vendor_sla").fetchone()[0] > 100
    targets = dict(store.conn.execute("SELECT metric, COUNT(*) FROM sla_instances "
                                      "GROUP BY metric"))
    assert set(targets) == {"first_reply", "requester_wait"}
    checks = {c.name: c for c in verify_deadlines(store, "fd")}
    first = checks["sla first_reply due (fr_due_by)"]
    assert first.compared > 50 and first.disagreements == []
    wait = checks["sla requester_wait due (due_by)"]
    # pending stretches Freshdesk lists no history of push its due_by back: said, not hidden
    assert wait.compared > 20 and wait.disagreements == [] and "pending" in wait.skipped
    # a due moment moved by the vendor is caught
    store.conn.execute("UPDATE vendor_sla SET due_at = '2000-01-01T00:00:00Z' WHERE "
                       "ticket_id = (SELECT ticket_id FROM sla_instances WHERE metric = "
                       "'first_reply' LIMIT 1) AND metric = 'first_reply'")
    again = {c.name: c for c in verify_deadlines(store, "fd")}
    assert len(again["sla first_reply due (fr_due_by)"].disagreements) == 1
    store.close()


def test_a_policy_edited_at_the_vendor_rebuilds_at_the_next_sync(tmp_path, monkeypatch):
    """Backfill the simulated Zendesk, change a target in its policies, sync: the sync's own
    policies request brings the edit, the facts rebuild by themselves, and the result is
    what a full rebuild under the new policies gives."""
    import dataclasses

    from deskpulse.app.demo.run import demo_source
    from deskpulse.app.sync.runner import Runner
    from deskpulse.simulator import ZendeskAPI, generate
    from deskpulse.simulator import sla as simulated_sla

    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    desk = generate(seed=9, tickets=120, start=now - timedelta(days=20), end=now)
    api = ZendeskAPI(desk, email="demo@deskpulse.example", token="t")
    store = Store.open(tmp_path / "zd.db")

    def runner() -> Runner:
        return Runner(store, demo_source(), transport=httpx.MockTransport(api.handler),
                      environ={"DESKPULSE_DEMO_TOKEN": "t"}, clock=lambda: now)

    assert runner().backfill(now - timedelta(days=21)).status == "ok"
    before = dict(store.conn.execute(
        "SELECT ticket_id || metric || seq, target_s FROM sla_instances"))
    vip = [t for (t,) in store.conn.execute("SELECT id FROM tickets WHERE tags LIKE '%vip%'")]
    assert vip and before
    edited = dataclasses.replace(simulated_sla.POLICIES[0], first_reply={
        p: 5 for p in ("low", "normal", "high", "urgent")})
    monkeypatch.setattr(simulated_sla, "POLICIES", (edited, *simulated_sla.POLICIES[1:]))
    sync = runner().sync()
    assert sync.status == "ok" and sync.changed_tickets < len(vip)  # not a ticket change
    after = {tid: target for tid, target in store.conn.execute(
        "SELECT ticket_id, target_s FROM sla_instances WHERE metric = 'first_reply'")}
    assert {after[t] for t in vip if t in after} == {300}
    incremental = sorted(store.conn.execute("SELECT * FROM sla_instances").fetchall())
    targets = kpi.sla_targets_in_use(store, ())
    kpi.rebuild(store, schedule=kpi.synced_calendars(store), targets=targets)
    assert sorted(store.conn.execute("SELECT * FROM sla_instances").fetchall()) == incremental
    store.close()


def test_config_targets_keep_the_fingerprint_files_were_written_with():
    """Files computed before vendor policies existed must not rebuild on upgrade: an
    `[[sla]]` target's text (and so the definitions fingerprint) is what it was."""
    targets = [Target("first_reply", 60, priorities=("high",)),
               Target("next_reply", 600, True, channel="email")]
    assert fingerprint(targets) == "40ed3ec3936e1c35"
    assert "policy" not in dump_targets(targets)


def test_deskpulse_sla_and_kpi_name_the_unusable_policy_and_its_field(tmp_path):
    import json

    from tests.test_cli import deskpulse

    _with_a_brand_policy(tmp_path).close()
    database = str(tmp_path / "p.db")
    listed = deskpulse("sla", "--database", database)
    assert listed.returncode == 0, listed.stderr
    said = " ".join(listed.stderr.split())
    assert "'P9' (id 9) is unusable" in said and "zendesk:brand_id" in said
    [row] = json.loads(deskpulse("kpi", "--format", "json", "--database", database).stdout)
    assert "zendesk:brand_id" in row["sla_note"]
