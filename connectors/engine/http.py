"""The one HTTP engine every connector uses: client, retries, pacing, request counting.

A connector says *what* to fetch; `Http.get_json` decides *when* (pacing from the vendor's
rate-limit headers and an optional client-side cap), *how often* (tenacity: retry transient
failures with jittered exponential backoff, or exactly as long as `Retry-After` asks) and
turns every failure into a classified `SourceError` with a secret-free message.
`sleep`, `clock` and the jitter's `rng` are parameters so tests never really wait.
It also counts what a monitor wants to see (requests, 429 answers, retries); the runner
passes those counts up in its `RunResult`, and only the app layer exports them.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from deskpulse.connectors.engine.pacing import (
    LOW_WATER,
    MinInterval,
    ShareCap,
    WindowWatch,
    budget_delay,
    plan_limit,
    remaining_budget,
    retry_after,
    seconds_to_reset,
)
from deskpulse.connectors.errors import (
    PageInvalid,
    SourceConfigError,
    SourceError,
    TransientError,
    describe,
    error_for_status,
)
from deskpulse.connectors.source import Clock, Sleep

USER_AGENT = "deskpulse/0.1 (+https://pypi.org/project/deskpulse/)"
MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 60.0
# A Retry-After date far ahead usually means our clock and the vendor's disagree; waiting
# days for it would look like a hang, so no single wait exceeds this.
MAX_RETRY_AFTER_SECONDS = 900.0
# A reset time already reached (whole-second headers, clocks a little apart) must not turn
# the retries into a burst that spends every attempt in one window.
MIN_RETRY_AFTER_SECONDS = 1.0
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# httpx closes an idle connection after 5 s, but paced requests are often further apart
# (Zendesk's export cap: one every 6 s; Freshdesk waits out whole minutes): every request
# would then pay a new TCP and TLS handshake. Two minutes outlives any pacing gap; a
# connection the server closed meanwhile is noticed and replaced by httpcore.
KEEPALIVE_SECONDS = 120.0
LIMITS = httpx.Limits(max_connections=16, max_keepalive_connections=16,
                      keepalive_expiry=KEEPALIVE_SECONDS)
ALL_REQUESTS = "*"  # the cap name that applies to every request of a source
log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


def real_clock() -> datetime:
    return datetime.now(UTC)


def check_base_url(source: str, url: str, *, allow_insecure: bool) -> None:
    """Plain http only to loopback (tests, the simulator) unless explicitly allowed."""
    parsed = httpx.URL(url)
    if parsed.scheme == "https" or allow_insecure:
        return
    host = parsed.host
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parsed.scheme != "http" or not loopback:
        msg = (f"source '{source}': base_url {parsed.scheme}://{host} is not https; only "
               "loopback addresses may use http unless allow_insecure_base_url = true")
        raise SourceConfigError(msg)


class Http:
    """An authenticated client for one source, with the retry and pacing policy built in."""

    def __init__(
        self,
        *,
        source: str,
        vendor: str,
        base_url: str,
        auth: httpx.Auth | tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        caps: Mapping[str, float | None] | None = None,
        allow_insecure: bool = False,
        concurrency: int = 1,
        low_water: float = LOW_WATER,
        limit_share: float | None = None,
    ):
        check_base_url(source, base_url, allow_insecure=allow_insecure)
        self.source, self.vendor = source, vendor
        self.sleep: Sleep = sleep or time.sleep
        self.clock: Clock = clock or real_clock
        self.rng = rng or random.Random()
        self.requests = 0
        self.connections = 0  # TCP connections opened (not counted by in-process transports)
        self.throttled = 0  # 429 answers (retried like other transient faults: see `retries`)
        self.retries = 0  # attempts after the first of a logical request, whatever the cause
        self.concurrency = max(1, concurrency)
        self.low_water = low_water
        self._caps = {name: MinInterval(limit) for name, limit in (caps or {}).items()}
        # a share of the plan's limit, learned from the headers, caps every request
        self._share = None if limit_share is None else ShareCap(
            (caps or {}).get(ALL_REQUESTS), share=limit_share,
            ceiling=(caps or {}).get(ALL_REQUESTS))
        if self._share is not None:
            self._caps[ALL_REQUESTS] = self._share
        # when the budget lets the next request go (a clock time: the work done between a
        # response and the next request counts toward the wait instead of adding to it)
        self._not_before = 0.0
        self._window = WindowWatch()
        # One request at a time passes the pacing gate (a waiting request holds it), so
        # concurrent workers share one budget instead of each spending it.
        self._gate = threading.Lock()
        self._counter = threading.Lock()
        self._in_flight = 0
        self._answered = False  # whether any request to this host has succeeded yet
        self.client = httpx.Client(
            base_url=base_url, auth=auth, timeout=TIMEOUT, transport=transport, limits=LIMITS,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            event_hooks={"request": [self._count]},
        )

    def close(self) -> None:
        self.client.close()

    @property
    def plan_per_minute(self) -> float | None:
        """The plan's per-minute limit as the vendor's headers last stated it (share mode)."""
        return None if self._share is None else self._share.plan

    @property
    def paced_per_minute(self) -> float | None:
        """The client-side cap on all requests now in force (None: the headers alone)."""
        cap = self._caps.get(ALL_REQUESTS)
        return None if cap is None else cap.per_minute

    def _trace(self, event: str, info: Mapping[str, Any]) -> None:
        """httpcore's trace hook: counts each new TCP connection (a kept-alive one is not)."""
        if event == "connection.connect_tcp.complete":
            with self._counter:
                self.connections += 1

    def _count(self, request: httpx.Request) -> None:
        with self._counter:
            self.requests += 1

    def map(self, fetch: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`fetch` over `items` with up to `concurrency` requests in flight, results in order.
        Every request still passes the one pacing gate, so the budget is shared."""
        items = list(items)
        if self.concurrency == 1 or len(items) < 2:
            return [fetch(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items))) as pool:
            return list(pool.map(fetch, items))

    def _now(self) -> float:
        return self.clock().timestamp()

    def request_json(
        self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
        json_body: Any = None, cap: str | None = None,
    ) -> tuple[Any, httpx.Response]:
        """Send one logical request (retried as needed) and return its parsed JSON body."""
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            wait=self._wait, stop=stop_after_attempt(MAX_ATTEMPTS),
            sleep=self.sleep, reraise=True, before_sleep=_log_retry,
        )
        try:
            return retrying(self._attempt, method, url, params, json_body, cap)
        except _BadBody as exc:
            raise PageInvalid(str(exc)) from None

    def get_json(self, url: str, params: Mapping[str, Any] | None = None,
                 *, cap: str | None = None) -> tuple[Any, httpx.Response]:
        return self.request_json("GET", url, params=params, cap=cap)

    def _attempt(self, method: str, url: str, params: Mapping[str, Any] | None,
                 json_body: Any, cap: str | None) -> tuple[Any, httpx.Response]:
        self._pace(cap)
        request = self.client.build_request(method, url, params=params, json=json_body,
                                            extensions={"trace": self._trace})
        try:
            response = self.client.send(request)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise self._transport_error(request, exc) from None
        finally:
            with self._counter:
                self._in_flight -= 1
                others = self._in_flight
        now = self._now()
        asked = retry_after(response.headers, now)
        if asked is None and response.status_code == 429:  # Intercom: wait for the reset
            asked = seconds_to_reset(response.headers, now)
        # A Retry-After already says how long to wait, so the budget adds no wait of its own;
        # otherwise the largest wait any response asked for holds until a request spends it.
        if self._share is not None:
            with self._counter:
                self._share.learn(plan_limit(response.headers))
        if asked is None:
            with self._counter:
                self._window.see(remaining_budget(response.headers), now)
                wait = budget_delay(response.headers, now, self.low_water, others,
                                    self._window.reset_in(now))
                self._not_before = max(self._not_before, now + wait)
        if response.status_code == 429:
            with self._counter:
                self.throttled += 1
        if not response.is_success:
            raise error_for_status(self.source, self.vendor, response, asked,
                                   first=not self._answered)
        self._answered = True
        try:
            return json.loads(response.content), response
        except ValueError:
            message = (f"{describe(self.source, self.vendor, request)} → "
                       f"{response.status_code}: the body is not complete JSON")
            raise _BadBody(message) from None

    def _transport_error(self, request: httpx.Request, exc: Exception) -> SourceError:
        """No response at all. Refused or unresolvable before anything answered: a wrong
        host, said at once (retrying for minutes would not fix it); else worth retrying."""
        reason = str(exc).strip() or type(exc).__name__
        where = f"{describe(self.source, self.vendor, request)} to {request.url.host}"
        if not self._answered and _unreachable(exc):
            message = (f"{where}: cannot connect ({reason}); check the account's subdomain / "
                       "domain / region or base_url, and the network")
            return SourceConfigError(message)
        return TransientError(f"{where} failed: {type(exc).__name__} ({reason})")

    def _pace(self, cap: str | None) -> None:
        with self._gate:
            target = self._not_before
            wait = max(0.0, target - self._now())
            limiters = [self._caps[name] for name in (ALL_REQUESTS, cap)
                        if name is not None and name in self._caps]
            now = self._now()
            for limiter in limiters:
                wait = max(wait, limiter.delay(now))
            if wait > 0:
                self.sleep(wait)
            if self._not_before == target:  # spent (unless a response asked for more meanwhile)
                self._not_before = 0.0
            for limiter in limiters:
                limiter.mark(self._now())
            with self._counter:  # from here on this request spends budget
                self._in_flight += 1

    def _wait(self, state: RetryCallState) -> float:
        """Retry-After when the vendor gives it, else full-jitter exponential backoff."""
        with self._counter:  # tenacity asks for a wait only before another attempt
            self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        asked = getattr(exc, "retry_after", None)
        if asked is not None:
            return min(max(float(asked), MIN_RETRY_AFTER_SECONDS), MAX_RETRY_AFTER_SECONDS)
        ceiling = min(MAX_BACKOFF_SECONDS, 2.0 ** state.attempt_number)
        return self.rng.uniform(0, ceiling)


_UNREACHABLE_TEXT = ("refused", "name or service not known", "nodename nor servname",
                     "getaddrinfo failed", "no address associated", "name resolution")


def _unreachable(exc: BaseException) -> bool:
    """A connection refused or a host name that does not resolve (not a reset or timeout)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError | socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__
    text = str(exc).lower()
    return isinstance(exc, httpx.ConnectError) and any(t in text for t in _UNREACHABLE_TEXT)


def _log_retry(state: RetryCallState) -> None:
    """Say what is retried and when, so a slow source is never a silent one."""
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning("%s — retry %d of %d in %.1f s", exc, state.attempt_number, MAX_ATTEMPTS - 1,
                wait)


class _BadBody(TransientError):
    """A truncated or non-JSON body: retried like any transient fault, then PageInvalid."""


class HttpSource:
    """What every HTTP connector's open source shares: its name, its engine, its counter."""

    name: str
    http: Http

    @property
    def requests(self) -> int:
        return self.http.requests

    @property
    def connections(self) -> int:
        return self.http.connections

    @property
    def throttled(self) -> int:
        return self.http.throttled

    @property
    def retries(self) -> int:
        return self.http.retries

    def close(self) -> None:
        self.http.close()


def opener(source_class: Callable[..., Any]) -> Callable[..., Any]:
    """The `Connector.open` for a source class: engine parameters left as None (no test
    override) fall back to the engine's defaults."""
    def open_source(name: str, settings: Any, *, transport: httpx.BaseTransport | None = None,
                    **engine: Any) -> Any:
        return source_class(name, settings, transport=transport,
                            **{k: v for k, v in engine.items() if v is not None})
    return open_source
