"""The contract between a connector and the sync runner.

A connector turns a vendor API into pages of normalized records. The runner
(deskpulse.app.sync.runner) drives it stream by stream and commits each `Page` with its cursor
in one transaction, so the
cursor a page carries must be exactly the state from which reading resumes *after* that page.
A connector never sleeps, retries or writes on its own account: the shared engine in
`connectors.engine.http` does requests, retries and pacing; the store does the writing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx
from pydantic import BaseModel

from deskpulse.store.models import NormalizedRecord

Sleep = Callable[[float], None]
Clock = Callable[[], datetime]
# What the store already holds, asked for by ticket ids: the vendor's history count saved
# with each ticket when its events were last read (`Ticket.events_seen`). Connectors never
# touch SQLite; the runner hands them this lookup.
Stored = Callable[[list[str]], dict[str, int]]


@dataclass(frozen=True)
class Page:
    """One committed unit: the records of one response (or a few) and where to resume after it."""

    records: list[NormalizedRecord]
    cursor: dict[str, Any] | None
    requests: int = 1  # HTTP requests spent on this page, retries included
    total: int | None = None  # items the vendor says the stream holds, when it says (for ETAs)
    done: bool = False  # True on the last page of a pass (end_of_stream)


class Source(Protocol):
    """An open, authenticated connection to one configured account."""

    name: str
    requests: int  # every HTTP request made so far, retries included
    # Optional (older plug-ins lack them; the runner reads 0): 429 answers and retried
    # attempts so far, for monitoring (`deskpulse daemon --metrics`).
    # throttled: int
    # retries: int

    def read(
        self, stream: str, cursor: dict[str, Any] | None, *, since: datetime,
        until: datetime | None = None, stored: Stored | None = None,
    ) -> Iterator[Page]:
        """Yield pages of `stream` from `cursor` (or from `since` when there is no cursor),
        ending with a `done` page at the end of the stream or once a page reaches `until`.
        `stored` lets a connector skip re-reading what has not changed."""
        ...

    def estimate(self, since: datetime) -> dict[str, int | None]:
        """Cheap size hints per stream (e.g. a count endpoint) for `backfill --dry-run`."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class OracleMetric:
    """One of the vendor's own figures and the deskpulse fact it should equal.

    `read` takes the stored vendor-metrics object and returns seconds (or a count), or None
    when the vendor has no value; `tolerance` is in the same unit (Zendesk rounds to minutes).
    """

    name: str
    fact: str
    read: Callable[[dict[str, Any]], float | None]
    tolerance: float = 0
    # the vendor's null means "not measured" (Zendesk's wait times on a ticket never put on
    # pending): counted apart by `deskpulse verify`, never a disagreement with deskpulse's 0
    null_is_unmeasured: bool = False


@dataclass(frozen=True)
class Probe:
    """A cheap request that proves `stream` can be read: `path` with `params` (one item).
    `feature` names a plan feature the stream needs, declared only where the stream's
    reader skips a 403/404 (`paging.whole_or_kept`): the check then says it is skipped."""

    stream: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    feature: str | None = None
    method: str = "GET"
    body: dict[str, Any] | None = None  # a POST's JSON (Intercom's search)


@dataclass(frozen=True)
class Connector:
    """A vendor, declared: its settings model, its streams in dependency order, how to open it.

    `streams` lists stream names in the order a sync must read them (people and groups before
    the tickets and events that refer to them). `open` builds the authenticated httpx client;
    tests pass `transport=httpx.MockTransport(...)` and a recording `sleep`.
    """

    kind: str
    settings: type[BaseModel]
    streams: tuple[str, ...]
    open: Callable[..., Source] = field(repr=False)
    account: Callable[[Any], str | None] = field(default=lambda settings: None, repr=False)
    oracle: tuple[OracleMetric, ...] = ()  # what `deskpulse verify` compares
    # A dead letter's vendor object of `stream`, mapped again (after an upgrade or a config
    # fix): `deskpulse retry` and every sync use it. None: letters wait for the vendor.
    remap: Callable[[str, Any, Any], list[NormalizedRecord]] | None = field(
        default=None, repr=False)
    # One cheap request per stream that proves credentials, permissions and plan features
    # (`deskpulse check`); the engine runs them, the connector only declares them.
    probes: tuple[Probe, ...] = ()


def open_source(
    connector: Connector,
    name: str,
    settings: BaseModel,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Sleep | None = None,
    clock: Clock | None = None,
) -> Source:
    """Open `connector` for the source called `name` (the name appears in every message)."""
    return connector.open(name, settings, transport=transport, sleep=sleep, clock=clock)
