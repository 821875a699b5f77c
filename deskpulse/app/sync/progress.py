"""A Rich progress display for backfills and syncs: records, requests and pages per stream.

On a terminal: a bar per stream, then a spinner for the KPI refresh that follows the last
page (it can take half a minute). Elsewhere (a log, CI, `nohup`): a plain line after a
stream's first page, then one every `every` seconds at most, with records, rate and, when
a total is known, an ETA. The total is the vendor's, when a page carries one; else, for the
ticket stream of a backfill, the estimate `backfill --dry-run` prints (`expect`), counted
in tickets and marked `~` (the account's count: the range only narrows it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from deskpulse.app.config.file import ConfigError
from deskpulse.app.sync.runner import Runner, RunResult
from deskpulse.connectors import Page, SourceError
from deskpulse.store.models import Ticket

# The stream whose records the dry run's ticket estimate counts, per connector.
TICKET_STREAMS = ("tickets", "conversations")


def planned_totals(runner: Runner, since: datetime, until: datetime | None,
                   note: Callable[[str], None]) -> dict[str, int]:
    """The dry run's estimate (`Runner.plan`, one request) as the ticket stream's starting
    total; a vendor that gives none, or a failed estimate, is said, never fatal."""
    try:
        plan = runner.plan(since, until)
    except ConfigError:  # the run itself fails on it and says so
        return {}
    except SourceError as exc:
        note(f"no estimate for the progress total: {exc}")
        return {}
    tickets = plan["estimate"].get("tickets")
    stream = next((name for name in plan["streams"] if name in TICKET_STREAMS), None)
    if tickets is None or stream is None:
        note("the vendor gave no ticket count: progress shows no total or ETA until it does")
        return {}
    return {stream: tickets}


class SyncProgress:
    """Use as `progress=` of a Runner, inside `with SyncProgress(console):`."""

    def __init__(self, console: Console, *, enabled: bool = True, lines: bool = False,
                 every: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 log: Console | None = None):
        """`log`: where the plain lines go (stderr in the CLI, so stdout keeps the result)."""
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[stream]:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("records · {task.fields[requests]} requests"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._requests: dict[str, int] = {}
        self._console, self._terminal, self._lines = log or console, enabled, lines and not enabled
        self._every, self._clock = every, clock
        self._last = self._previous = clock()
        self._began: dict[str, float] = {}  # when each stream's first page was asked for
        self._phase: TaskID | None = None
        self._planned: dict[str, int] = {}  # estimated starting totals, in tickets
        self._counts_tickets: set[str] = set()  # streams counted against such a total

    def expect(self, totals: dict[str, int]) -> None:
        """Starting totals (tickets per stream) for streams whose pages carry none."""
        self._planned = dict(totals)

    def phase(self, text: str) -> None:
        """The run moved on from reading pages (to refreshing KPIs): say so."""
        if self._terminal:
            self._phase = self._progress.add_task("", stream=text, requests=0, total=None)
        elif self._lines:
            self._console.print(text + " ...")

    def __enter__(self) -> SyncProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.__exit__(exc_type, exc, tb)

    def __call__(self, stream: str, page: Page, result: RunResult) -> None:
        first = stream not in self._tasks
        if first:
            total: float | None = page.total
            if total is None and stream in self._planned:
                total = self._planned[stream]
                self._counts_tickets.add(stream)
            self._tasks[stream] = self._progress.add_task(
                "", stream=stream, requests=0, total=total
            )
            self._began[stream] = self._previous
        task = self._tasks[stream]
        self._requests[stream] = self._requests.get(stream, 0) + page.requests
        counted = sum(isinstance(r, Ticket) for r in page.records) \
            if stream in self._counts_tickets else len(page.records)
        # The vendor's total (when it tells one) makes the ETA honest; else the estimate.
        self._progress.update(
            task, advance=counted, requests=self._requests[stream],
            total=page.total if page.total is not None and stream not in self._counts_tickets
            else None,
        )
        state = self._progress.tasks[task]
        if page.done or (state.total is not None and state.completed > state.total):
            self._progress.update(task, total=state.completed)  # tickets made meanwhile
        now = self._previous = self._clock()
        if self._lines and (first or page.done or now - self._last >= self._every):
            self._last = now
            self._console.print(self._line(stream, page.done, now))

    def _line(self, stream: str, done: bool, now: float) -> str:
        """`tickets: 12,000 of 40,000 records, 410/s, ~1 min left, 37 requests` (`of ~40,000
        tickets` against the dry run's estimate)."""
        state = self._progress.tasks[self._tasks[stream]]
        count, total = int(state.completed), state.total
        elapsed = max(now - self._began[stream], 1e-9)
        rate = count / elapsed
        estimated = stream in self._counts_tickets
        line = f"{stream}: {count:,}" + (
            f" of {'~' if estimated else ''}{int(total):,}" if total and not done else "")
        line += f" {'tickets' if estimated else 'records'}, {rate:,.0f}/s"
        if total and not done and rate > 0:
            line += f", ~{max(total - count, 0) / rate / 60:,.0f} min left"
        return line + f", {self._requests[stream]:,} requests" + (" — done" if done else "")


# What each record class is called where counts are printed ("2,000 tickets", not the
# 4,010 records the tickets stream also carries: each ticket's metric set comes with it).
KIND_NAMES = {"Ticket": "tickets", "Event": "events", "Person": "people", "Group": "groups",
              "Rating": "ratings", "VendorMetrics": "vendor metric sets",
              "TimeEntry": "time entries", "Rejected": "dead letters"}


def stored_counts(result: RunResult) -> str:
    """`2,000 tickets, 31,200 events, …`: what a run stored, by what it is."""
    return ", ".join(f"{count:,} {KIND_NAMES[kind]}" for kind, count in result.kinds.items()
                     if kind in KIND_NAMES)
