"""`[daemon]` in deskpulse.toml: how the daemons that share one database share its sources.

Every daemon claims due sources through leases held in the database (store.leases): a
lease lives `lease_ttl` past the holder's last page or heartbeat, so a daemon that dies
loses its sources within `lease_ttl`; `poll` is how often an idle daemon looks for due
sources (a finished sync looks at once); `workers` is how many sources one daemon syncs at
the same time. The machines' clocks must agree to well within `lease_ttl` (NTP does).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from deskpulse.app.config.durations import positive_duration


class DaemonConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lease_ttl: timedelta = timedelta(seconds=60)
    poll: timedelta = timedelta(seconds=5)
    workers: int = Field(default=4, ge=1, le=64)

    @field_validator("lease_ttl", "poll", mode="before")
    @classmethod
    def _duration(cls, value: Any, info: ValidationInfo) -> Any:
        return positive_duration(value, str(info.field_name), "'60s' or '2m'")
