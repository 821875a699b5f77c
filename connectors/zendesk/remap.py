"""Zendesk dead letters, mapped again (`Connector.remap`, run by `deskpulse retry` and every
sync): after a deskpulse upgrade or a config fix, the stored vendor object may now map.
Business hours and SLA policies (read whole every sync) wait for the vendor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deskpulse.connectors.engine.validate import validated
from deskpulse.connectors.zendesk.mapping import (
    audit_records,
    group_records,
    person_records,
    rating_records,
    ticket_records,
)
from deskpulse.connectors.zendesk.settings import ZendeskSettings
from deskpulse.store.models import NormalizedRecord


def remap(stream: str, raw: Any, settings: ZendeskSettings) -> list[NormalizedRecord]:
    """A dead letter's object of `stream`, mapped again (a ticket without the metric set
    that was side-loaded with it: its vendor metrics come back with its next change)."""
    builders: dict[str, Callable[[dict[str, Any]], list[NormalizedRecord]]] = {
        "users": person_records, "groups": group_records, "ticket_events": audit_records,
        "satisfaction_ratings": rating_records,
        "tickets": lambda t: ticket_records(t, None, settings.time_spent_field,
                                            settings.ratings == "exports"),
    }
    if stream not in builders:
        raise LookupError(stream)
    return validated(builders[stream], raw)
