"""What one run did, counted as it goes: the runner fills a `RunResult`, the CLI, the
daemon's log and metrics, and the Python API read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from deskpulse.connectors import Page, Source


@dataclass
class RunResult:
    source: str
    mode: str
    status: str = "running"
    pages: int = 0
    records: int = 0
    requests: int = 0
    connections: int = 0  # TCP connections the run opened (kept alive across pacing gaps)
    changed_tickets: int = 0  # ticket keys the committed pages touched (with repeats)
    kpi_refreshed: int = 0  # tickets whose KPI facts were recomputed
    error: str | None = None
    streams: dict[str, int] = field(default_factory=dict)  # records read, per stream
    kinds: dict[str, int] = field(default_factory=dict)  # records stored, per record class
    stream_requests: dict[str, int] = field(default_factory=dict)  # requests per stream
    throttled: int = 0  # 429 answers from the vendor (each one retried)
    retries: int = 0  # attempts after the first, whatever the cause
    kpi_seconds: float = 0.0  # time spent refreshing KPI facts (by the runner's clock)

    def count_page(self, stream: str, page: Page, changed: int) -> None:
        """Add one committed page of `stream` (`changed`: the ticket keys it touched)."""
        self.pages += 1
        self.records += len(page.records)
        self.requests += page.requests
        self.changed_tickets += changed
        self.streams[stream] = self.streams.get(stream, 0) + len(page.records)
        self.stream_requests[stream] = self.stream_requests.get(stream, 0) + page.requests
        for record in page.records:
            kind = type(record).__name__
            self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def count_engine(self, source: Source) -> None:
        """The engine's connection, 429 and retry counts so far (0 for plug-ins that do not
        count them)."""
        self.connections = getattr(source, "connections", 0)
        self.throttled = getattr(source, "throttled", 0)
        self.retries = getattr(source, "retries", 0)
