"""A Zendesk source's settings, as the config file gives them (checked as it is read)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator


class ZendeskSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subdomain: str | None = None
    email: str
    token: SecretStr
    base_url: str | None = None
    incremental_requests_per_minute: float | None = 10
    allow_insecure_base_url: bool = False
    # the Time Tracking app's "Total time spent (sec)" ticket field: handle time, if set
    time_spent_field: int | None = None
    # where answered ratings come from: "exports" joins the ticket export (id, score, comment)
    # with the ticket events' SatisfactionRating (time), and lists only offered surveys;
    # "list" reads every rating from /satisfaction_ratings, as deskpulse did before
    ratings: Literal["exports", "list"] = "exports"

    @model_validator(mode="after")
    def _where(self) -> ZendeskSettings:
        if not self.subdomain and not self.base_url:
            msg = "set subdomain (acme for https://acme.zendesk.com) or base_url"
            raise ValueError(msg)
        return self

    def url(self) -> str:
        return (self.base_url or f"https://{self.subdomain}.zendesk.com").rstrip("/")
