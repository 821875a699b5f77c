"""Support KPIs from the normalized store: per-ticket facts, day rollups, kpi_* views.

`kpi` reads only the normalized tables (never vendor JSON) and does no HTTP.
"""

from deskpulse.kpi.facts.compute import TicketFacts, compute
from deskpulse.kpi.facts.timeline import EventRow, RatingRow
from deskpulse.kpi.figures.business import business_kpis
from deskpulse.kpi.figures.coverage import uncovered as uncovered_period
from deskpulse.kpi.figures.names import display_names
from deskpulse.kpi.figures.shares import unsolved_now
from deskpulse.kpi.figures.stats import percentile
from deskpulse.kpi.figures.summary import agent_activity, backlog_by_age, summary, ticket_facts_for
from deskpulse.kpi.figures.tags import by_tag
from deskpulse.kpi.hours.schedules import Calendar, Calendars
from deskpulse.kpi.hours.seconds import Schedule
from deskpulse.kpi.hours.synced import synced_calendars, unusable_schedules
from deskpulse.kpi.sla.figures import at_risk as sla_at_risk
from deskpulse.kpi.sla.figures import status as sla_status
from deskpulse.kpi.sla.policy import METRICS as SLA_METRICS
from deskpulse.kpi.sla.policy import Target
from deskpulse.kpi.sla.targets import targets_in_use as sla_targets_in_use
from deskpulse.kpi.upkeep.definitions import ensure_definitions
from deskpulse.kpi.upkeep.refresh import install_views, rebuild, refresh

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
