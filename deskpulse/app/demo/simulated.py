"""Each vendor's simulated API paired with the source configuration that reads it.

`deskpulse demo`, `deskpulse simulate` and the tests all need the same two halves for a
vendor: the simulator's handler for a desk, and the `[[sources]]` options a real user would
write to read it. They live here, once, so the halves cannot drift apart. The simulator
itself knows nothing of sources or connectors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from deskpulse.app.config.file import SourceConfig
from deskpulse.simulator import Desk, FreshdeskAPI, IntercomAPI, ZendeskAPI

SIM_EMAIL = "demo@deskpulse.example"  # the Zendesk agent the simulated token belongs to


class SimulatedAPI(Protocol):
    requests: list[tuple[str, str, str]]

    def handler(self, request: httpx.Request) -> httpx.Response: ...

    def prepare(self) -> None: ...


@dataclass(frozen=True)
class SimulatedVendor:
    """`api(desk, secret, per_minute)` serves a desk; `options(base_url, secret_ref)` are the
    connector settings that read it (`secret_ref` is a `${VARIABLE}` reference)."""

    kind: str
    api: Callable[[Desk, str, int | None], SimulatedAPI]
    options: Callable[[str, str], dict[str, Any]]
    secret_option: str

    def source(self, name: str, base_url: str, secret_ref: str, **extra: Any) -> SourceConfig:
        return SourceConfig(name=name, kind=self.kind,
                            options={**self.options(base_url, secret_ref), **extra})


def _zendesk_api(desk: Desk, secret: str, per_minute: int | None) -> SimulatedAPI:
    return ZendeskAPI(desk, email=SIM_EMAIL, token=secret,
                      rate_limit=(per_minute, 60.0) if per_minute else None)


def _freshdesk_api(desk: Desk, secret: str, per_minute: int | None) -> SimulatedAPI:
    return FreshdeskAPI(desk, api_key=secret, **({"per_minute": per_minute}
                                                 if per_minute else {}))


def _intercom_api(desk: Desk, secret: str, per_minute: int | None) -> SimulatedAPI:
    """`per_minute` becomes Intercom's 10-second windows (1000 a minute: 166 a window)."""
    return IntercomAPI(desk, token=secret, **({"per_window": max(1, per_minute // 6)}
                                              if per_minute else {}))


VENDORS: dict[str, SimulatedVendor] = {
    "zendesk": SimulatedVendor(
        "zendesk", _zendesk_api, secret_option="token",
        options=lambda url, ref: {"subdomain": "demo", "email": SIM_EMAIL, "token": ref,
                                  "base_url": url, "incremental_requests_per_minute": None}),
    "freshdesk": SimulatedVendor(
        "freshdesk", _freshdesk_api, secret_option="api_key",
        options=lambda url, ref: {"domain": "demo", "api_key": ref, "base_url": url,
                                  "requests_per_minute": None,
                                  "ticket_list_requests_per_minute": None}),
    "intercom": SimulatedVendor(
        "intercom", _intercom_api, secret_option="token",
        options=lambda url, ref: {"token": ref, "base_url": url}),
}


def vendor(kind: str) -> SimulatedVendor:
    if kind not in VENDORS:
        msg = f"the simulator speaks {', '.join(VENDORS)}, not {kind!r}"
        raise LookupError(msg)
    return VENDORS[kind]
