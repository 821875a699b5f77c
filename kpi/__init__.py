"""Support KPIs from the normalized store: per-ticket facts, day rollups, kpi_* views.

`kpi` reads only the normalized tables (never vendor JSON) and does no HTTP.
"""

from kpi.calendar import Schedule
from kpi.external import business_kpis
from kpi.facts import EventRow, RatingRow, TicketFacts, compute
from kpi.refresh import ensure_definitions, install_views, rebuild, refresh
from kpi.report import agent_activity, backlog_by_age, percentile, summary, ticket_facts_for
from kpi.synced import synced_schedule

__all__ = [
    "EventRow",
    "RatingRow",
    "Schedule",
    "TicketFacts",
    "agent_activity",
    "backlog_by_age",
    "business_kpis",
    "compute",
    "ensure_definitions",
    "install_views",
    "percentile",
    "rebuild",
    "refresh",
    "summary",
    "synced_schedule",
    "ticket_facts_for",
]
