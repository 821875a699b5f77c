"""Connectors: vendor APIs in, pages of normalized records out.

A connector is registered under the entry-point group `deskpulse.connectors`
(`zendesk = "deskpulse.connectors.zendesk.streams:CONNECTOR"`); third-party connectors plug in the
same way
(connectors.registry finds them; docs/connectors.md is the contract). Connectors import only
`store.models` from the rest of deskpulse and never touch SQLite.
"""

from __future__ import annotations

from deskpulse.connectors.errors import (
    PageInvalid,
    SkippableError,
    SourceConfigError,
    SourceError,
    TransientError,
)
from deskpulse.connectors.registry import GROUP, ConnectorUnavailable, available, load
from deskpulse.connectors.source import Connector, OracleMetric, Page, Source, open_source

__all__ = [
    "GROUP",
    "Connector",
    "ConnectorUnavailable",
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

