"""What a failed attempt means and how long to wait before the next: the engine's retry
policy, apart from the client that sends the requests (`connectors.engine.http`).

A host that refuses or does not resolve before anything answered is a configuration error,
said at once; other transport faults, 429s, 5xx and truncated bodies are transient and are
retried, waiting exactly what `Retry-After` asks (within bounds) or full-jitter exponential
backoff. Every retry is logged with what is retried.
"""

from __future__ import annotations

import logging
import random
import socket

import httpx
from tenacity import RetryCallState

from deskpulse.connectors.errors import SourceConfigError, SourceError, TransientError, describe

MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 60.0
# A Retry-After date far ahead usually means our clock and the vendor's disagree; waiting
# days for it would look like a hang, so no single wait exceeds this.
MAX_RETRY_AFTER_SECONDS = 900.0
# A reset time already reached (whole-second headers, clocks a little apart) must not turn
# the retries into a burst that spends every attempt in one window.
MIN_RETRY_AFTER_SECONDS = 1.0
_UNREACHABLE_TEXT = ("refused", "name or service not known", "nodename nor servname",
                     "getaddrinfo failed", "no address associated", "name resolution")
log = logging.getLogger(__name__)


class BadBody(TransientError):
    """A truncated or non-JSON body: retried like any transient fault, then PageInvalid."""


def retry_wait(state: RetryCallState, rng: random.Random) -> float:
    """Retry-After when the vendor gives it, else full-jitter exponential backoff."""
    exc = state.outcome.exception() if state.outcome else None
    asked = getattr(exc, "retry_after", None)
    if asked is not None:
        return min(max(float(asked), MIN_RETRY_AFTER_SECONDS), MAX_RETRY_AFTER_SECONDS)
    ceiling = min(MAX_BACKOFF_SECONDS, 2.0 ** state.attempt_number)
    return rng.uniform(0, ceiling)


def transport_error(source: str, vendor: str, request: httpx.Request, exc: Exception, *,
                    answered: bool) -> SourceError:
    """No response at all. Refused or unresolvable before anything answered: a wrong
    host, said at once (retrying for minutes would not fix it); else worth retrying."""
    reason = str(exc).strip() or type(exc).__name__
    where = f"{describe(source, vendor, request)} to {request.url.host}"
    if not answered and _unreachable(exc):
        message = (f"{where}: cannot connect ({reason}); check the account's subdomain / "
                   "domain / region or base_url, and the network")
        return SourceConfigError(message)
    return TransientError(f"{where} failed: {type(exc).__name__} ({reason})")


def _unreachable(exc: BaseException) -> bool:
    """A connection refused or a host name that does not resolve (not a reset or timeout)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError | socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__
    text = str(exc).lower()
    return isinstance(exc, httpx.ConnectError) and any(t in text for t in _UNREACHABLE_TEXT)


def log_retry(state: RetryCallState) -> None:
    """Say what is retried and when, so a slow source is never a silent one."""
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning("%s — retry %d of %d in %.1f s", exc, state.attempt_number, MAX_ATTEMPTS - 1,
                wait)
