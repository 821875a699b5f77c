"""Support KPIs from the normalized store: per-ticket facts, day rollups, kpi_* views.

`kpi` reads only the normalized tables (never vendor JSON) and does no HTTP.
"""

from kpi.facts import EventRow, RatingRow, TicketFacts, compute
from kpi.refresh import install_views, rebuild, refresh
from kpi.report import percentile, summary, ticket_facts_for

__all__ = [
    "EventRow",
    "RatingRow",
    "TicketFacts",
    "compute",
    "install_views",
    "percentile",
    "rebuild",
    "refresh",
    "summary",
    "ticket_facts_for",
]
