"""The business section of `deskpulse kpi` and the report: KPIs that need imported inputs.

They are computed for the whole range (no `--by`) or per day or week, never per channel,
group, agent or priority (costs and revenue are not split that way). In JSON and CSV they are
extra keys of the same rows; in the table they are a separate table, so nobody reads them as
help-desk figures. A missing input prints as "missing input: …" everywhere.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table

from deskpulse.app.report.tables import format_value
from deskpulse.kpi import business_kpis
from deskpulse.kpi.figures.business import KEYS
from deskpulse.store import Store

PERIOD_BY = ("day", "week")
BUSINESS: tuple[tuple[str, str, str], ...] = (  # label, key, unit
    ("Support cost", "support_cost", "money"),
    ("Cost per ticket (created)", "cost_per_ticket", "money"),
    ("Cost per resolution (first solves)", "cost_per_resolution", "money"),
    ("Revenue", "revenue", "money"),
    ("Support cost / revenue", "cost_to_revenue_pct", "%1"),
    ("NPS", "nps", ""),
    ("NPS answers", "nps_n", ""),
    ("CES mean (1-7)", "ces_mean", ""),
    ("CES easy (5+ of 7)", "ces_easy_pct", "%"),
    ("Tickets solved per agent hour", "solved_per_agent_hour", ""),
    ("Tickets handled per agent hour", "handled_per_agent_hour", ""),
    ("Agent hours (logged in, matched)", "agent_hours_logged", ""),
    ("Occupancy (handle / logged-in time)", "occupancy_pct", "%"),
    ("Utilization (productive / scheduled)", "utilization_pct", "%"),
    ("Accounts at period start", "accounts_at_start", ""),
    ("Account churn", "churn_pct", "%"),
    ("Churn of accounts with tickets", "churn_pct_with_tickets", "%"),
    ("Retention of accounts with tickets", "retention_pct_with_tickets", "%"),
    ("Churn of accounts without tickets", "churn_pct_without_tickets", "%"),
    ("MRR at period end", "mrr_at_end", "amount"),  # accounts carry no currency
)


NUMERIC = frozenset(KEYS) - {"currency"}


def business_rows(store: Store, rows: list[dict[str, Any]], by: str | None,
                  since: date | None, until: date | None) -> list[dict[str, Any]]:
    """Business figures for each summary row (the range, or each day or week of it);
    [] for a dimension. With no summary row at all, one row for the whole range."""
    if by is None:
        return [business_kpis(store, since=since, until=until)]
    if by not in PERIOD_BY:
        return []
    result = []
    for row in rows:
        first = date.fromisoformat(row["period"])
        last = first + timedelta(days=6 if by == "week" else 0)
        result.append(business_kpis(store, since=max(first, since or first),
                                    until=min(last, until or last)))
    return result


def merged(rows: list[dict[str, Any]], business: list[dict[str, Any]]
           ) -> list[dict[str, Any]]:
    """Summary rows with their business figures as extra keys (for JSON and CSV); a
    missing figure is None there, its reason in `<key>_missing`."""
    business = [split_missing(figures) for figures in business]
    if not rows:
        return business
    return [row | extra for row, extra in zip(rows, business, strict=False)] + rows[len(business):]


def split_missing(figures: dict[str, Any]) -> dict[str, Any]:
    """A figure given as its reason ("missing input: costs") becomes None, the reason moving
    to `<key>_missing`: a numeric column of a CSV or JSON file then holds only numbers."""
    out: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, str) and key in NUMERIC:
            out[key], out[f"{key}_missing"] = None, value
        else:
            out[key] = value
    return out


def show(value: Any, unit: str, currency: Any = None) -> str:
    if isinstance(value, str):
        return value
    if unit == "money" and value is not None:
        return f"{value:,.2f} {currency or ''}".strip()
    if unit == "amount" and value is not None:
        return f"{value:,.2f}"
    if unit == "%1" and value is not None:
        return f"{value:.1f}%"
    return format_value(value, unit)


def render_business(business: list[dict[str, Any]], console: Console,
                    keys: list[str] | None = None) -> None:
    """One column per period (or one for the range), one line per KPI."""
    if not business:
        return
    table = Table(title="Business KPIs (imported inputs, all sources)", title_justify="left",
                  header_style="bold")
    table.add_column("KPI")
    for index, figures in enumerate(business):
        head = keys[index] if keys else f"{figures['business_since']} .. " \
                                        f"{figures['business_until']}"
        table.add_column(str(head), justify="right")
    for label, key, unit in BUSINESS:
        table.add_row(label, *(show(f.get(key), unit, f.get("currency")) for f in business))
    console.print(table)
    console.print("[dim]'missing input: …' = import it with `deskpulse import` "
                  "(docs/imports.md); '–' = nothing to divide.[/dim]")
