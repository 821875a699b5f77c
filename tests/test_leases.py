"""Source leases (store/leases.py): claim, renew, release, and the fence inside commit_page,
on SQLite and PostgreSQL (the `store` and `db_target` fixtures: tests/backends.py).

Every test runs on a clock it moves by hand; races use several connections to one database.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from deskpulse.store import Event, LeaseLost, Store, next_slot

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def event(n: int) -> Event:
    return Event(id=f"e{n}", ticket_id="t1", at=T0, kind="message", public=True)


def test_a_due_free_source_is_claimed_once_and_not_again_while_held(store):
    clock = Clock()
    store.add_leases(["acme", "beta"], "sync", T0)
    assert store.due_sources("sync", T0) == ["acme", "beta"]
    lease = store.claim_lease("acme", "sync", "a", ttl=TTL, clock=clock)
    assert lease is not None and (lease.generation, lease.due, lease.previous) == (1, T0, None)
    assert store.claim_lease("acme", "sync", "b", ttl=TTL, clock=clock) is None
    assert store.due_sources("sync", T0) == ["beta"]
    [row] = store.leases("acme")
    assert (row["holder"], row["expires_at"]) == ("a", "2026-03-02T09:00:30Z")


def test_a_source_not_yet_due_is_not_claimed_unless_forced(store):
    clock = Clock()
    store.add_leases(["acme"], "sync", T0 + timedelta(minutes=5))
    assert store.claim_lease("acme", "sync", "a", ttl=TTL, clock=clock) is None
    forced = store.claim_lease("acme", "sync", "a", ttl=TTL, clock=clock, due_only=False)
    assert forced is not None and forced.generation == 1


def test_release_sets_the_next_due_moment_and_frees_it(store):
    clock = Clock()
    lease = store.claim_lease("acme", "sync", "a", ttl=TTL, clock=clock)
    assert lease is not None
    assert store.release_lease(lease, T0 + timedelta(hours=1))
    [row] = store.leases("acme")
    assert (row["holder"], row["expires_at"], row["next_due_at"]) == \
        (None, None, "2026-03-02T10:00:00Z")
    assert store.due_sources("sync", T0 + timedelta(minutes=59)) == []
    assert store.due_sources("sync", T0 + timedelta(hours=1)) == ["acme"]


def test_a_release_without_next_due_leaves_the_source_due_for_the_next_taker(store):
    clock = Clock()
    lease = store.claim_lease("acme", "sync", "a", ttl=TTL, clock=clock)
    assert lease is not None and store.release_lease(lease)
    assert store.claim_lease("acme", "sync", "b", ttl=TTL, clock=clock) is not None


def test_an_expired_lease_is_taken_over_and_the_old_holder_is_fenced_out(store):
    clock = Clock()
    old = store.claim_lease("acme", "sync", "a", ttl=TTL, clock=clock)
    assert old is not None
    store.commit_page("acme", "ticket_events", [event(1)], {"c": 1}, lease=old)
    clock.advance(29)
    assert store.claim_lease("acme", "sync", "b", ttl=TTL, clock=clock) is None
    clock.advance(1)  # expired now
    new = store.claim_lease("acme", "sync", "b", ttl=TTL, clock=clock)
    assert new is not None and (new.generation, new.previous) == (2, "a")
    with pytest.raises(LeaseLost, match=r"lease lost: .*\(now held by b until"):
        store.commit_page("acme", "ticket_events", [event(2)], {"c": 2}, lease=old)
    # nothing of the fenced page landed: not its record, not its cursor
    assert store.cursor("acme", "ticket_events") == {"c": 1}
    assert store.conn.execute("SELECT id FROM events").fetchall() == [("e1",)]
    assert not store.renew_lease(old)
    assert not store.release_lease(old, T0 + timedelta(hours=1))
    assert store.leases("acme")[0]["holder"] == "b"
    store.commit_page("acme", "ticket_events", [event(2)], {"c": 2}, lease=new)
    assert store.cursor("acme", "ticket_events") == {"c": 2}


def test_every_page_renews_the_lease_so_a_busy_holder_keeps_it(store):
    clock = Clock()
    lease = store.claim_lease("acme", "sync", "a", ttl=TTL, clock=clock)
    assert lease is not None
    for page in range(5):
        clock.advance(20)  # each page comes before the lease runs out
        store.commit_page("acme", "ticket_events", [event(page)], {"c": page}, lease=lease)
        assert store.claim_lease("acme", "sync", "b", ttl=TTL, clock=clock) is None
    assert store.leases("acme")[0]["expires_at"] == "2026-03-02T09:02:10Z"
    clock.advance(20)
    assert store.renew_lease(lease)
    assert store.leases("acme")[0]["expires_at"] == "2026-03-02T09:02:30Z"


def test_an_expired_lease_nobody_took_is_still_the_holders_to_renew(store):
    clock = Clock()
    lease = store.claim_lease("acme", "sync", "a", ttl=TTL, clock=clock)
    assert lease is not None
    clock.advance(300)
    store.commit_page("acme", "ticket_events", [event(1)], {"c": 1}, lease=lease)
    assert store.claim_lease("acme", "sync", "b", ttl=TTL, clock=clock) is None


def test_sync_and_backfill_leases_of_one_source_are_separate(store):
    clock = Clock()
    assert store.claim_lease("acme", "sync", "daemon", ttl=TTL, clock=clock) is not None
    assert store.claim_lease("acme", "backfill", "cli", ttl=TTL, clock=clock,
                             due_only=False) is not None
    assert store.claim_lease("acme", "backfill", "cli2", ttl=TTL, clock=clock,
                             due_only=False) is None
    assert [row["job"] for row in store.leases("acme")] == ["backfill", "sync"]


def test_eight_connections_racing_for_one_source_exactly_one_wins(db_target):
    Store.open(db_target).close()
    stores = [Store.open(db_target) for _ in range(8)]
    try:
        for round_ in range(10):
            source = f"s{round_}"
            stores[0].add_leases([source], "sync", T0)
            start, won = threading.Barrier(len(stores)), []

            def claim(db: Store, name: str, source: str = source,
                      start: threading.Barrier = start, won: list = won) -> None:
                start.wait()
                if db.claim_lease(source, "sync", name, ttl=TTL, clock=Clock()) is not None:
                    won.append(name)

            threads = [threading.Thread(target=claim, args=(db, f"h{i}"))
                       for i, db in enumerate(stores)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert len(won) == 1, won
            assert stores[1].leases(source)[0]["holder"] == won[0]
    finally:
        for db in stores:
            db.close()


def test_next_slot_keeps_the_grid_and_collapses_missed_slots():
    hour = timedelta(hours=1)
    assert next_slot(T0, hour, T0 + timedelta(minutes=3)) == T0 + hour
    assert next_slot(T0, hour, T0 + hour) == T0 + 2 * hour
    assert next_slot(T0, hour, T0 + timedelta(hours=5, minutes=1)) == T0 + 6 * hour
    assert next_slot(T0, hour, T0 - timedelta(minutes=1)) == T0
