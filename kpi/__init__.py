"""Support KPIs from the normalized store: per-ticket facts, day rollups, kpi_* views.

`kpi` reads only the normalized tables (never vendor JSON) and does no HTTP.
"""

from kpi.calendar import Schedule
from kpi.calendars import Calendar, Calendars
from kpi.coverage import uncovered as uncovered_period
from kpi.external import business_kpis
from kpi.facts import TicketFacts, compute
from kpi.names import display_names
from kpi.refresh import ensure_definitions, install_views, rebuild, refresh
from kpi.report import agent_activity, backlog_by_age, summary, ticket_facts_for
from kpi.shares import unsolved_now
from kpi.sla_policy import METRICS as SLA_METRICS
from kpi.sla_policy import Target
from kpi.sla_report import at_risk as sla_at_risk
from kpi.sla_report import status as sla_status
from kpi.sla_targets import targets_in_use as sla_targets_in_use
from kpi.stats import percentile
from kpi.synced import synced_calendars, unusable_schedules
from kpi.tags import by_tag
from kpi.timeline import EventRow, RatingRow

__all__ = [
    "Calendar",
    "Calendars",
    "EventRow",
    "RatingRow",
    "SLA_METRICS",
    "Schedule",
    "Target",
    "TicketFacts",
    "agent_activity",
    "backlog_by_age",
    "by_tag",
    "business_kpis",
    "compute",
    "display_names",
    "ensure_definitions",
    "install_views",
    "percentile",
    "rebuild",
    "refresh",
    "sla_at_risk",
    "sla_status",
    "sla_targets_in_use",
    "summary",
    "synced_calendars",
    "unusable_schedules",
    "ticket_facts_for",
    "uncovered_period",
    "unsolved_now",
]
