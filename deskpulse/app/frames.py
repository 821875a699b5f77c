"""Rows of figures for Python callers, and the same rows as a pandas or polars DataFrame.

Neither library is a dependency of deskpulse: each is an extra (`pip install
'deskpulse[pandas]'` or `'deskpulse[polars]'`), imported only when a DataFrame is asked for.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from deskpulse.app.errors import MissingExtra


@dataclass
class Rows:
    """`rows`: dicts with the keys of the matching `--format json`; `notes`: what the reader
    must know about them (unmapped vendor values, unusable schedules, stale SLA targets)."""

    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.rows[index]

    def to_pandas(self) -> Any:
        """A pandas DataFrame, one row per row (None as NaN or None, as pandas chooses)."""
        return _library("pandas").DataFrame.from_records(self.rows)

    def to_polars(self) -> Any:
        """A polars DataFrame; column types are inferred from every row, not the first few."""
        return _library("polars").DataFrame(self.rows, infer_schema_length=None)


def _library(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        msg = (f"a DataFrame needs {name}, which is not installed: "
               f"pip install 'deskpulse[{name}]' (or pip install {name})")
        raise MissingExtra(msg, name=name) from None
