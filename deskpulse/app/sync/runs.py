"""Runs whose process is gone: a run logged as running stays so forever if its process was
SIGKILLed or the machine lost power, so its owner (pid + host, saved by `start_run`) is
probed. A run on this host whose pid no longer exists is `interrupted`; one on another host
cannot be probed and is shown as running there. Also: the command that resumes a run."""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Alive = Callable[[int], bool]

# The cursor a backfill slot keeps once its stream is read to the end, until the whole
# backfill is: resuming skips the streams already finished instead of reading them again.
FINISHED = {"finished": True}


class StopRequested(Exception):  # noqa: N818 - a request, not an error
    """Raised by a stoppable sleep when a stop comes during a retry or pacing wait."""


def stoppable_sleep(stop: threading.Event) -> Callable[[float], None]:
    """Backoff and pacing waits that end at once when a stop is requested."""

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise StopRequested

    return sleep




def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (signal 0 probes without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def owner_gone(run: dict[str, Any], *, host: str | None = None,
               alive: Alive = pid_alive) -> bool:
    """A running run whose process is known to be dead (same host, pid gone, or no owner
    recorded at all: a run logged before owners were)."""
    if run.get("pid") is None:
        return True
    if run.get("host") != (host or this_host()):
        return False
    return not alive(int(run["pid"]))


def resume_hint(source: str, run: dict[str, Any]) -> str:
    """What to type to carry on from the last committed page of `run`."""
    if run.get("mode") == "backfill" and run.get("since"):
        until = f" --until {run['until']}" if run.get("until") else ""
        return (f"resume with `deskpulse backfill {source} --since {run['since']}{until}` "
                "(it continues from the last committed page)")
    return f"resume with `deskpulse sync {source}` (it continues from the last committed page)"


@contextmanager
def stop_on_signals(stop: threading.Event, notify: Callable[[str], None]) -> Iterator[None]:
    """SIGTERM and a first Ctrl-C ask the run to stop after the page in hand (committed, so
    nothing is read twice); a second Ctrl-C interrupts at once. Handlers are restored after."""
    def on_signal(signum: int, _frame: Any) -> None:
        if signum == signal.SIGINT and stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        notify(f"{signal.Signals(signum).name}: finishing the page in hand, then stopping "
               "(Ctrl-C again to stop at once)")

    previous = {signum: signal.signal(signum, on_signal)
                for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
