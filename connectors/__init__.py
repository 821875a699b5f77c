"""Connectors: vendor APIs in, pages of normalized records out.

A connector is registered under the entry-point group `deskpulse.connectors`
(`zendesk = "connectors.zendesk:CONNECTOR"`); third-party connectors plug in the same way.
Connectors import only `store.models` from the rest of deskpulse and never touch SQLite.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from connectors.errors import (
    PageInvalid,
    SkippableError,
    SourceConfigError,
    SourceError,
    TransientError,
)
from connectors.source import Connector, OracleMetric, Page, Source, open_source

GROUP = "deskpulse.connectors"

__all__ = [
    "Connector",
    "OracleMetric",
    "Page",
    "PageInvalid",
    "SkippableError",
    "Source",
    "SourceConfigError",
    "SourceError",
    "TransientError",
    "available",
    "load",
    "open_source",
]


def available() -> list[str]:
    """Kinds of source this installation can sync."""
    return sorted(point.name for point in entry_points(group=GROUP))


def load(kind: str) -> Connector:
    """The connector registered for `kind` (zendesk, freshdesk, intercom, or a plug-in's)."""
    for point in entry_points(group=GROUP):
        if point.name == kind:
            connector = point.load()
            if not isinstance(connector, Connector):
                msg = f"entry point {point.value} is not a deskpulse Connector"
                raise LookupError(msg)
            return connector
    msg = f"no connector for kind '{kind}' (installed: {', '.join(available()) or 'none'})"
    raise LookupError(msg)
