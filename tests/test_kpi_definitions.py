"""Definitions fingerprints per source (kpi.upkeep.definitions): one source's SLA policies
appearing or changing rebuild that source's facts only, and a file of the previous version
(one global `definitions` key) adopts them without a rebuild when nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deskpulse import kpi
from deskpulse.kpi.sla.policy import dump_targets
from deskpulse.kpi.sla.policy import fingerprint as sla_fingerprint
from deskpulse.kpi.sla.targets import targets_in_use
from deskpulse.kpi.upkeep import definitions
from deskpulse.store import Event, Person, Store, Ticket
from deskpulse.store.models import SlaPolicies, SlaPolicy, SlaPolicyTarget

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TABLES = ("ticket_facts", "unsolved_spans", "reply_cycles", "kpi_daily", "sla_instances",
          "kpi_values")


def policy(pid: str, seconds: int) -> SlaPolicy:
    return SlaPolicy(id=pid, title=f"P{pid}", position=1, targets=[
        SlaPolicyTarget(metric="first_reply", priority="low", seconds=seconds)])


def seed(store: Store, source: str, minutes: tuple[int, ...]) -> None:
    """One low-priority ticket per entry, answered that many minutes after it came in."""
    store.ensure_source(source, "zendesk", None)
    records: list = [Person(id="a", role="agent"), Person(id="c", role="customer")]
    for n, late in enumerate(minutes):
        tid = f"{source}{n}"
        records += [Ticket(id=tid, status="open", priority="low", created_at=T0,
                           updated_at=T0, channel="email"),
                    Event(id=f"{tid}c", ticket_id=tid, at=T0, kind="created", actor_id="c",
                          new_value="new"),
                    Event(id=f"{tid}m", ticket_id=tid, at=T0, kind="message", actor_id="c",
                          public=True),
                    Event(id=f"{tid}r", ticket_id=tid, at=T0 + timedelta(minutes=late),
                          kind="message", actor_id="a", public=True)]
    store.commit_page(source, "tickets", records, None)


def two_sources(store: Store) -> tuple:
    """Sources a (with a policy) and b (none yet), their facts computed; the targets."""
    seed(store, "a", (30, 90))
    seed(store, "b", (20, 50, 200))
    store.commit_page("a", "sla_policies", [SlaPolicies(policies=[policy("1", 3600)])], None)
    targets = targets_in_use(store, ())
    assert not kpi.ensure_definitions(store, None, targets)  # no facts yet: nothing rebuilt
    kpi.refresh(store, targets=targets)
    return targets


def facts_of(store: Store, source: str) -> list[tuple]:
    return sorted(store.conn.execute(
        "SELECT ticket_id, requester_id FROM ticket_facts WHERE source = ?", (source,)))


def mark(store: Store, source: str) -> None:
    """A value no computation writes: it stays only while the rows are not rewritten."""
    with store.transaction():
        store.conn.execute("UPDATE ticket_facts SET requester_id = 'untouched' WHERE source = ?",
                           (source,))


def meta(store: Store, key: str) -> str | None:
    row = store.conn.execute("SELECT value FROM kpi_meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def snapshot(store: Store) -> dict[str, list[tuple]]:
    return {t: sorted(store.conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in TABLES}


def test_a_sources_new_or_edited_policies_rebuild_only_that_source(kpi_store):
    store = kpi_store
    targets = two_sources(store)
    a_key = meta(store, "definitions:a")
    assert a_key is not None and meta(store, "definitions:b") == f"v{definitions.FACTS_VERSION}" \
        ":no-schedule"
    mark(store, "a")
    for seconds in (1800, 3000):  # b's policies appear, then the vendor edits them
        store.commit_page("b", "sla_policies", [SlaPolicies(policies=[policy("7", seconds)])],
                          None)
        targets = targets_in_use(store, ())
        rebuilt: list[str | None] = []
        assert kpi.ensure_definitions(store, None, targets, rebuilt=rebuilt.append)
        assert rebuilt == ["b"]
        assert {r for _, r in facts_of(store, "a")} == {"untouched"}  # a's rows not rewritten
        assert meta(store, "definitions:a") == a_key
        assert dict(store.conn.execute(
            "SELECT ticket_id, target_s FROM sla_instances WHERE source = 'b'")) == {
            "b0": seconds, "b1": seconds, "b2": seconds}
        # the whole set, for the reports
        assert meta(store, "sla_targets") == dump_targets(targets)
        assert not kpi.ensure_definitions(store, None, targets, rebuilt=rebuilt.append)
        assert rebuilt == ["b"]
    assert kpi.sla_status(store)[0] == ["first_reply"]
    # incremental == rebuild for both: a's facts refreshed, a later change to b, then all
    with store.transaction():
        store.conn.execute("INSERT INTO kpi_dirty (source, ticket_id) SELECT source, id "
                           "FROM tickets WHERE source = 'a'")
    store.commit_page("b", "tickets", [Event(id="b0s", ticket_id="b0", at=T0 + timedelta(
        hours=5), kind="status", actor_id="a", old_value="open", new_value="solved")], None)
    kpi.refresh(store, targets=targets)
    incremental = snapshot(store)
    assert {r for _, r in facts_of(store, "a")} != {"untouched"}
    kpi.rebuild(store, targets=targets)
    assert snapshot(store) == incremental


def test_a_report_zone_or_facts_version_change_still_rebuilds_every_source(kpi_store,
                                                                          monkeypatch):
    store = kpi_store
    targets = two_sources(store)
    rebuilt: list[str | None] = []
    assert kpi.ensure_definitions(store, None, targets, report_tz="Asia/Tokyo",
                                  rebuilt=rebuilt.append)
    assert rebuilt == [None]  # one transaction for all: refresh reads the zone from kpi_meta
    assert meta(store, "definitions:a").endswith(":days in Asia/Tokyo")
    monkeypatch.setattr(definitions, "FACTS_VERSION", definitions.FACTS_VERSION + 1)
    assert kpi.ensure_definitions(store, None, targets, report_tz="Asia/Tokyo",
                                  rebuilt=rebuilt.append)
    assert rebuilt == [None, "a", "b"]


def previous_version(store: Store) -> None:
    """What the previous deskpulse left: the global keys only."""
    with store.transaction():
        store.conn.execute("DELETE FROM kpi_meta WHERE key LIKE 'definitions:%'")


def test_a_file_with_the_old_global_key_adopts_per_source_keys_without_a_rebuild(kpi_store):
    store = kpi_store
    targets = two_sources(store)
    previous_version(store)
    # the old key, as the previous version spelled it
    assert meta(store, "definitions") == (f"v{definitions.FACTS_VERSION}:no-schedule:sla-"
                                          f"{sla_fingerprint(targets)}")
    mark(store, "a")
    mark(store, "b")
    rebuilt: list[str | None] = []
    assert not kpi.ensure_definitions(store, None, targets, rebuilt=rebuilt.append)
    assert rebuilt == []
    assert {r for _, r in facts_of(store, "a") + facts_of(store, "b")} == {"untouched"}
    assert meta(store, "definitions:a") and meta(store, "definitions:b")


def test_a_file_with_an_old_global_key_that_differs_rebuilds_as_before(kpi_store):
    store = kpi_store
    targets = two_sources(store)
    previous_version(store)
    store.commit_page("b", "sla_policies", [SlaPolicies(policies=[policy("7", 60)])], None)
    targets = targets_in_use(store, ())  # changed since the old version computed the facts
    rebuilt: list[str | None] = []
    assert kpi.ensure_definitions(store, None, targets, rebuilt=rebuilt.append)
    assert rebuilt == ["a", "b"]  # which source's facts are current is unknown: all


def test_a_process_that_finds_the_fingerprint_already_moved_does_not_rebuild(kpi_store):
    """Two daemons saw the same change: the second finds the first's fingerprint."""
    store = kpi_store
    two_sources(store)
    held = meta(store, "definitions:a")
    with store.transaction():
        assert definitions._claim(store, "definitions:a", held, "new")
        assert not definitions._claim(store, "definitions:a", held, "new")
        assert not definitions._claim(store, "definitions:b", None, "new")  # already there
