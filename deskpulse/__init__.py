"""deskpulse: the application around the store, connectors and KPIs — config, the sync runner,
the command line, the built-in simulated help desk, and the Python API (docs/python-api.md):

    import deskpulse
    with deskpulse.open("deskpulse.db") as desk:     # read-only
        weeks = desk.kpis(by="week", since="2026-01-01").to_pandas()

The API's names are loaded on first use, so `import deskpulse.simulator` (or the CLI) does not
pay for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deskpulse.api import Desk, KpiRows, SyncProgress, open, run_backfill, run_sync
    from deskpulse.config import ConfigError
    from deskpulse.errors import (
        DatabaseError,
        DeskpulseError,
        InvalidArgument,
        MissingExtra,
        RunFailed,
    )
    from deskpulse.frames import Rows
    from deskpulse.lock import LockedError
    from deskpulse.sync import RunResult

__version__ = "0.1.0"

_EXPORTS = {
    "open": "deskpulse.api", "run_sync": "deskpulse.api", "run_backfill": "deskpulse.api",
    "Desk": "deskpulse.api", "KpiRows": "deskpulse.api", "SyncProgress": "deskpulse.api",
    "Rows": "deskpulse.frames", "RunResult": "deskpulse.sync",
    "DeskpulseError": "deskpulse.errors", "DatabaseError": "deskpulse.errors",
    "InvalidArgument": "deskpulse.errors", "MissingExtra": "deskpulse.errors",
    "RunFailed": "deskpulse.errors", "ConfigError": "deskpulse.config",
    "LockedError": "deskpulse.lock",
}
__all__ = [  # the Python API: docs/python-api.md
    "__version__", "open", "run_sync", "run_backfill", "Desk", "KpiRows", "SyncProgress", "Rows",
    "RunResult", "DeskpulseError", "DatabaseError", "InvalidArgument", "MissingExtra",
    "RunFailed", "ConfigError", "LockedError",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        msg = f"module 'deskpulse' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
