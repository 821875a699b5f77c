"""The `[kpi]` section and the `[[sla]]` targets of deskpulse.toml: how figures are defined
(report zone, escalation tags, repeat-contact window, SLA targets and where they come from)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from deskpulse.app.config.durations import parse_interval, parse_target
from deskpulse.kpi.sla.policy import Target
from deskpulse.store.models import Channel, Priority


class SlaConfig(BaseModel):
    """One `[[sla]]` target. `priority` is one priority or a list (omitted: any); the first
    entry that matches a ticket wins, as in the vendors' ordered SLA policies."""

    model_config = ConfigDict(extra="forbid")
    metric: Literal["first_reply", "next_reply", "requester_wait", "agent_work",
                    "periodic_update", "pausable_update"]
    priority: list[Priority] | None = None
    channel: Channel | None = None
    source: str | None = None
    target: str
    business: bool = False

    @field_validator("priority", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("target", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            msg = f"target {value} has no unit: write it as '{value}m', or e.g. '4h', '2d'"
            raise ValueError(msg)
        if isinstance(value, str):
            parse_target(value)
        return value

    @model_validator(mode="after")
    def _business_days(self) -> SlaConfig:
        if self.business and "d" in self.target:
            msg = (f"target {self.target!r} with business = true: a business day is not "
                   "24 business hours, so give business targets in hours or minutes ('8h')")
            raise ValueError(msg)
        return self

    def as_target(self) -> Target:
        return Target(self.metric, parse_target(self.target), self.business,
                      None if self.priority is None else tuple(self.priority), self.channel,
                      self.source)


class KpiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report_tz: str = "UTC"  # the zone whose days every figure is counted in
    escalation_tags: list[str] = []  # a ticket with one of these tags counts as escalated
    repeat_contact_days: int = 7  # the window of the repeat contact rate
    sla_at_risk: timedelta = timedelta(hours=1)  # pending SLAs due within this are at risk
    # where SLA targets come from (kpi.sla_targets): auto = a source's synced vendor policies
    # unless an [[sla]] entry applies to it; config = [[sla]] only; vendor = policies first
    sla_targets: Literal["auto", "config", "vendor"] = "auto"

    @field_validator("sla_at_risk", mode="before")
    @classmethod
    def _window(cls, value: Any) -> Any:
        if not isinstance(value, str):
            msg = f"sla_at_risk {value!r} has no unit: write it like '30m' or '1h'"
            raise ValueError(msg)  # noqa: TRY004 (pydantic turns it into the field's error)
        return parse_interval(value)

    @field_validator("report_tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"report_tz {value!r} is not a known time zone (e.g. 'Europe/Berlin')"
            raise ValueError(msg) from None
        return value

    def summary_options(self) -> dict[str, Any]:
        """What `kpi.summary` needs from this section."""
        return {"repeat_days": self.repeat_contact_days,
                "escalation_tags": tuple(self.escalation_tags),
                "sla_at_risk": self.sla_at_risk}
