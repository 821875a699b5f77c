"""Intercom dead letters, mapped again (`Connector.remap`, run by `deskpulse retry` and
every sync): after a deskpulse upgrade the stored vendor object may now map.

A conversation letter holds the object as it came: with its parts when they had been
fetched (`GET /conversations/{id}`), else the search result. The latter is stored with no
part count, so the next sync fetches its parts. A letter of a conversation deleted
between the search and the fetch waits for the vendor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deskpulse.connectors.engine.validate import validated
from deskpulse.connectors.intercom.mapping import (
    admin_records,
    contact_records,
    conversation_records,
    team_records,
)
from deskpulse.store.models import NormalizedRecord


def _conversation(raw: dict[str, Any]) -> list[NormalizedRecord]:
    return conversation_records(raw, with_parts="conversation_parts" in raw)


def remap(stream: str, raw: Any, settings: Any) -> list[NormalizedRecord]:
    """A dead letter's object of `stream`, mapped again."""
    builders: dict[str, Callable[[dict[str, Any]], list[NormalizedRecord]]] = {
        "admins": admin_records, "teams": team_records, "contacts": contact_records,
        "conversations": _conversation,
    }
    if stream not in builders or (isinstance(raw, dict) and set(raw) == {"id"}):
        raise LookupError(stream)
    return validated(builders[stream], raw)
