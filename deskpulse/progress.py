"""A Rich progress display for backfills and syncs: records, requests and pages per stream.

On a terminal: a bar per stream, then a spinner for the KPI refresh that follows the last
page (it can take half a minute). Elsewhere (a log, CI, `nohup`): one plain line every
`every` seconds at most, with records, rate and, when the vendor gave a total, an ETA.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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

from connectors import Page
from deskpulse.sync import RunResult


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
        if stream not in self._tasks:
            self._tasks[stream] = self._progress.add_task(
                "", stream=stream, requests=0, total=page.total
            )
            self._began[stream] = self._previous
        task = self._tasks[stream]
        self._requests[stream] = self._requests.get(stream, 0) + page.requests
        # The vendor's total (when it tells one) makes the ETA honest; otherwise no ETA.
        self._progress.update(
            task, advance=len(page.records), requests=self._requests[stream],
            total=page.total if page.total is not None else None,
        )
        if page.done:
            done = self._progress.tasks[self._tasks[stream]].completed
            self._progress.update(task, total=done)
        now = self._previous = self._clock()
        if self._lines and (page.done or now - self._last >= self._every):
            self._last = now
            self._console.print(self._line(stream, page.done, now))

    def _line(self, stream: str, done: bool, now: float) -> str:
        """`tickets: 12,000 of 40,000 records, 410/s, ~1 min left, 37 requests`."""
        state = self._progress.tasks[self._tasks[stream]]
        count, total = int(state.completed), state.total
        elapsed = max(now - self._began[stream], 1e-9)
        rate = count / elapsed
        line = f"{stream}: {count:,}" + (f" of {int(total):,}" if total and not done else "")
        line += f" records, {rate:,.0f}/s"
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
