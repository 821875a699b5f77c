"""Leases as the commands hold them: who a process is, and a one-off run's hold on a source.

`deskpulse sync` and `deskpulse backfill` claim the source's lease (job `sync` or `backfill`)
before they write, whether or not it is due, so they never sync a source a daemon holds, and
a daemon never takes up a source they hold. Between pages (a long rate-limit wait) a
heartbeat on its own connection keeps the lease alive; the page commits renew it too.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from deskpulse.app.sync.clock import Clock, utcnow
from deskpulse.app.sync.lock import LockedError
from deskpulse.app.sync.runs import Alive, pid_alive, this_host
from deskpulse.store import Lease, Store
from deskpulse.store.backends import Target


def holder_name(token: str | None = None) -> str:
    """`host pid N #token`: readable in `status`, unique even when a pid is reused."""
    return f"{this_host()} pid {os.getpid()} #{token or secrets.token_hex(3)}"


def holder_gone(holder: str | None, alive: Alive = pid_alive) -> bool:
    """Whether `holder` (`host pid N #token`) is a process on this host that no longer
    exists; one on another host cannot be probed: its lease must expire."""
    parts = (holder or "").split()
    if len(parts) != 4 or parts[1] != "pid" or not parts[2].isdigit():
        return False
    return parts[0] == this_host() and not alive(int(parts[2]))


class SourceBusy(LockedError):
    """Another process (a daemon, or another command) holds the source's lease."""


def busy_message(source: str, job: str, rows: list[dict[str, Any]]) -> str:
    row = next((row for row in rows if row["job"] == job), {})
    return (f"source {source}: its {job} is held by {row.get('holder') or 'another process'} "
            f"until {row.get('expires_at') or 'it finishes'}; wait for it to finish (a "
            "daemon releases it after each run), `deskpulse status` shows who holds it")


@contextmanager
def leased(store: Store, source: str, job: str, ttl: timedelta, *,
           clock: Clock = utcnow, alive: Alive = pid_alive) -> Iterator[Lease]:
    """Hold (source, job) for a one-off run, whether due or not; SourceBusy if another
    live process holds it (one whose pid is gone on this host is taken over at once, as
    the lock files were). Released with its due moment unchanged: the daemons' grid goes
    on."""
    name = holder_name()
    lease = store.claim_lease(source, job, name, ttl=ttl, clock=clock, due_only=False)
    if lease is None:
        rows = store.leases(source)
        gone = next((row["holder"] for row in rows if row["job"] == job
                     and holder_gone(row["holder"], alive)), None)
        if gone is not None:  # a killed command or daemon on this machine: resume at once
            lease = store.claim_lease(source, job, name, ttl=ttl, clock=clock,
                                      due_only=False, dead=gone)
        if lease is None:
            raise SourceBusy(busy_message(source, job, rows))
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(store.target, lease, stop),
                            name=f"deskpulse-lease-{source}", daemon=True)
    beat.start()
    try:
        yield lease
    finally:
        stop.set()
        beat.join()
        store.release_lease(lease)


def _heartbeat(database: Target, lease: Lease, stop: threading.Event) -> None:
    """Renew `lease` every third of its ttl on a connection of its own, until `stop`."""
    period = lease.ttl.total_seconds() / 3
    if stop.wait(period):
        return
    store = Store.open(database)
    try:
        while store.renew_lease(lease) and not stop.wait(period):
            pass
    finally:
        store.close()
