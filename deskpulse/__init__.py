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
    from deskpulse.app.api import Desk, KpiRows, SyncProgress, open, run_backfill, run_sync
    from deskpulse.app.config.file import ConfigError
    from deskpulse.app.errors import (
        DatabaseError,
        DeskpulseError,
        InvalidArgument,
        MissingExtra,
        RunFailed,
    )
    from deskpulse.app.frames import Rows
    from deskpulse.app.sync.lock import LockedError
    from deskpulse.app.sync.result import RunResult

__version__ = "0.1.0"

_EXPORTS = {
    "open": "deskpulse.app.api", "run_sync": "deskpulse.app.api",
    "run_backfill": "deskpulse.app.api", "Desk": "deskpulse.app.api",
    "KpiRows": "deskpulse.app.api", "SyncProgress": "deskpulse.app.api",
    "Rows": "deskpulse.app.frames", "RunResult": "deskpulse.app.sync.runner",
    "DeskpulseError": "deskpulse.app.errors", "DatabaseError": "deskpulse.app.errors",
    "InvalidArgument": "deskpulse.app.errors", "MissingExtra": "deskpulse.app.errors",
    "RunFailed": "deskpulse.app.errors", "ConfigError": "deskpulse.app.config.file",
    "LockedError": "deskpulse.app.sync.lock",
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
