"""One pydantic model per CSV kind of `deskpulse import`: what a valid row is.

Values arrive as text (an empty cell is None). Each validator raises a message that names the
value and says what was expected, since it is printed to the person who fixes the file:
`line 4, column amount: -120 is negative`. Formats are documented in docs/imports.md.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from deskpulse.store import utc

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SCALE = re.compile(r"^(\d+)\s*(?:-|–|\.\.)\s*(\d+)$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _day(value: Any) -> Any:
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if _DAY.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    msg = f"{text!r} is not a date like 2026-01-31"
    raise ValueError(msg)


def _moment(value: Any) -> Any:
    """A date (taken as 00:00 UTC) or an ISO-8601 time with its zone (Z or +hh:mm)."""
    text = str(value).strip()
    if _DAY.match(text):
        return datetime.combine(_day(text), time(), tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        msg = f"{text!r} is not a date (2026-01-31) or a time (2026-01-31T14:05:00Z)"
        raise ValueError(msg) from None
    if moment.tzinfo is None:
        msg = f"{text!r} has no time zone: add Z (UTC) or an offset like +01:00"
        raise ValueError(msg)
    return utc(moment)


def _number(value: Any) -> Any:
    text = str(value).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        msg = f"{text!r} is not a number like 1234.50 (no thousands separators)"
        raise ValueError(msg) from None
    if not number.is_finite():
        msg = f"{text!r} is not a finite number"
        raise ValueError(msg)
    if number < 0:
        msg = f"{text} is negative"
        raise ValueError(msg)
    return float(number)


def _hours(value: Any) -> Any:
    hours = _number(value)
    if hours > 24:
        msg = f"{value} hours is more than a day"
        raise ValueError(msg)
    return hours


def _currency(value: Any) -> Any:
    text = str(value).strip().upper()
    if not _CURRENCY.match(text):
        msg = f"{value!r} is not a three-letter currency code like EUR or USD"
        raise ValueError(msg)
    return text


def _email(value: Any) -> Any:
    text = str(value).strip().lower()
    if not _EMAIL.match(text):
        msg = f"{value!r} is not an email address"
        raise ValueError(msg)
    return text


def _text(value: Any) -> Any:
    return str(value).strip()


def _kind(value: Any) -> Any:
    text = str(value).strip().lower()
    if text not in ("nps", "ces", "csat"):
        msg = f"unknown kind {value!r}: use nps, ces or csat"
        raise ValueError(msg)
    return text


def _scale(value: Any) -> Any:
    match = _SCALE.match(str(value).strip())
    if not match or int(match.group(1)) >= int(match.group(2)):
        msg = f"{value!r} is not a scale like 0-10 or 1-7 (lowest-highest)"
        raise ValueError(msg)
    return (int(match.group(1)), int(match.group(2)))


def _score(value: Any) -> Any:
    text = str(value).strip()
    if not re.fullmatch(r"\d+", text):
        msg = f"{text!r} is not a whole number"
        raise ValueError(msg)
    return int(text)


Day = Annotated[date, BeforeValidator(_day)]
Moment = Annotated[datetime, BeforeValidator(_moment)]
Amount = Annotated[float, BeforeValidator(_number)]
Hours = Annotated[float, BeforeValidator(_hours)]
Currency = Annotated[str, BeforeValidator(_currency)]
Email = Annotated[str, BeforeValidator(_email)]
Text = Annotated[str, BeforeValidator(_text), Field(min_length=1)]


class RowError(ValueError):
    """A cross-field problem, pinned to the column the reader should look at."""

    def __init__(self, message: str, *, column: str):
        super().__init__(message)
        self.column = column


class Row(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class _Period(Row):
    period_start: Day
    period_end: Day
    amount: Amount
    currency: Currency

    @model_validator(mode="after")
    def _ordered(self) -> _Period:
        if self.period_end < self.period_start:
            msg = f"{self.period_end} is before period_start {self.period_start}"
            raise RowError(msg, column="period_end")
        return self


class CostRow(_Period):
    category: Text


class RevenueRow(_Period):
    pass


class SurveyRow(Row):
    responded_at: Moment
    kind: Annotated[Literal["nps", "ces", "csat"], BeforeValidator(_kind)]
    score: Annotated[int, BeforeValidator(_score)]
    scale: Annotated[tuple[int, int], BeforeValidator(_scale)]
    requester_email: Email | None = None
    ticket_id: Annotated[str | None, BeforeValidator(_text)] = None
    comment: str | None = None

    @model_validator(mode="after")
    def _in_scale(self) -> SurveyRow:
        low, high = self.scale
        if self.kind == "nps" and self.scale != (0, 10):
            msg = f"NPS is asked on 0-10, not {low}-{high}"
            raise RowError(msg, column="scale")
        if not low <= self.score <= high:
            msg = f"{self.score} is outside its scale {low}-{high}"
            raise RowError(msg, column="score")
        if self.requester_email is None and self.ticket_id is None:
            msg = "empty, and so is ticket_id: one is needed to tell answers apart"
            raise RowError(msg, column="requester_email")
        return self


class AgentHoursRow(Row):
    agent_email: Email
    day: Day = Field(alias="date")
    scheduled_h: Hours
    logged_in_h: Hours
    productive_h: Hours


class AccountRow(Row):
    account_id: Text
    domain_or_org_id: Text
    plan: str | None = None
    mrr: Amount
    start_date: Day
    churn_date: Day | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AccountRow:
        if self.churn_date is not None and self.churn_date < self.start_date:
            msg = f"{self.churn_date} is before start_date {self.start_date}"
            raise RowError(msg, column="churn_date")
        return self


MODELS: dict[str, type[Row]] = {"costs": CostRow, "revenue": RevenueRow, "surveys": SurveyRow,
                                "agent_hours": AgentHoursRow, "accounts": AccountRow}


def columns(kind: str) -> tuple[list[str], list[str]]:
    """(required, optional) CSV column names of a kind, as the file spells them."""
    required, optional = [], []
    for name, field in MODELS[kind].model_fields.items():
        (required if field.is_required() else optional).append(field.alias or name)
    return required, optional


def positive(row: SurveyRow) -> bool:
    """Whether an answer is good news on its scale: an NPS promoter (9-10), an "easy" CES
    (5 or more once mapped onto 1-7), a CSAT in the top 40% of its scale (4-5 of 1-5,
    3 of 1-3, 2 of 1-2: the catalog's mappings)."""
    low, high = row.scale
    if row.kind == "nps":
        return row.score >= 9
    if row.kind == "ces":
        return ces_on_seven(row.score, low, high) >= 5
    return row.score >= low + 0.6 * (high - low)


def ces_on_seven(score: int, low: int, high: int) -> float:
    """A CES answer mapped linearly onto 1-7 (higher = easier), so scales can be compared."""
    return 1 + (score - low) * 6 / (high - low)
