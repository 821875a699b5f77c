"""Freshdesk dead letters, mapped again (`Connector.remap`, run by `deskpulse retry` and
every sync): after a deskpulse upgrade or a config fix (a `status_map` entry for a custom
status), the stored vendor object may now map.

The tickets streams carry two kinds of objects, told apart by their keys: tickets and
their conversations. A ticket stored this way has no conversations yet (they are read only
for tickets that mapped): they come with its next change. Ratings (their scale comes from
`/surveys`), business hours and SLA policies (read whole every sync) wait for the vendor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deskpulse.connectors.engine.validate import validated
from deskpulse.connectors.freshdesk.mapping import (
    agent_records,
    contact_records,
    conversation_records,
    group_records,
    ticket_records,
    time_entry_records,
)
from deskpulse.connectors.freshdesk.sla_mapping import deadline_records
from deskpulse.store.models import NormalizedRecord

TICKET_STREAMS = ("tickets", "deleted_tickets", "spam_tickets")


def ticket_with_deadlines(raw: dict[str, Any], status_map: dict[str, str]
                          ) -> list[NormalizedRecord]:
    """A listed ticket's records, with its SLA deadlines when it is not deleted."""
    records = ticket_records(raw, status_map)
    if not records[0].deleted:  # type: ignore[union-attr]
        records += deadline_records(raw)
    return records


def remap(stream: str, raw: Any, settings: Any) -> list[NormalizedRecord]:
    """A dead letter's object of `stream`, mapped again with the current settings."""
    builders: dict[str, Callable[[dict[str, Any]], list[NormalizedRecord]]] = {
        "agents": agent_records, "contacts": contact_records, "groups": group_records,
        "time_entries": time_entry_records,
    }
    if stream in TICKET_STREAMS and isinstance(raw, dict):
        if set(raw) == {"ticket_id"}:  # a ticket deleted before its conversations were read
            raise LookupError(stream)
        if "ticket_id" in raw and "status" not in raw:
            return validated(conversation_records, raw)
        return validated(lambda t: ticket_with_deadlines(t, settings.status_map), raw)
    if stream not in builders:
        raise LookupError(stream)
    return validated(builders[stream], raw)
