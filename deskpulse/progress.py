"""A Rich progress display for backfills and syncs: records, requests and pages per stream."""

from __future__ import annotations

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

    def __init__(self, console: Console, *, enabled: bool = True):
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
