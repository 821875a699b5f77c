"""A Freshdesk source's settings, as the config file gives them (checked as it is read)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from deskpulse.store.models import TicketStatus


class FreshdeskSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    domain: str | None = None
    api_key: SecretStr
    base_url: str | None = None
    # a share of the plan's limit (X-RateLimit-Total) for all requests: the rest is left to
    # the account's other integrations; None: the headers alone pace (up to the limit)
    rate_limit_share: float | None = Field(0.8, gt=0, le=1)
    requests_per_minute: float | None = None  # an explicit cap on all requests, below the share
    ticket_list_requests_per_minute: float | None = 20  # the ticket list's own plan limit
    concurrency: int = 4  # conversation requests in flight (all inside the budget)
    status_map: dict[str, TicketStatus] = {}  # custom status id → normalized status
    allow_insecure_base_url: bool = False

    @model_validator(mode="after")
    def _where(self) -> FreshdeskSettings:
        if not self.domain and not self.base_url:
            msg = "set domain (acme for https://acme.freshdesk.com) or base_url"
            raise ValueError(msg)
        return self

    def url(self) -> str:
        return (self.base_url or f"https://{self.domain}.freshdesk.com").rstrip("/")
