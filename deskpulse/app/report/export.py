"""KPI and SLA rows for scripts and spreadsheets (JSON, CSV): the same rows as the tables,
with numbers a person can paste (two decimals, three significant digits below 1, never
195473.20000000007), booleans as true/false, missing figures empty with their reason in a
`<key>_missing` field, and CSV cells a spreadsheet would run as a formula neutralized."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any

DECIMALS = 2
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what Excel/Sheets/Calc evaluate


def clean(value: Any) -> Any:
    """A value as JSON gives it: floats to two decimals, or three significant digits below
    1 (0.131 tickets per hour stays 0.131), NaN/inf as null; the rest unchanged."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        rounded = round(value, DECIMALS) if abs(value) >= 1 else float(f"{value:.3g}")
        return 0.0 if rounded == 0 else rounded  # no -0.0
    return value


def clean_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: clean(value) for key, value in row.items()} for row in rows]


def render_json(rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps(clean_rows(rows), indent=2, default=str)


def csv_cell(value: Any) -> str:
    """One CSV cell: '' for missing, true/false, a rounded number, or text with a leading
    quote when it would start a spreadsheet formula (`=HYPERLINK(...)` in a subject)."""
    value = clean(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def render_csv(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    fields = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    writer.writerows([csv_cell(row.get(key)) for key in fields] for row in rows)
    return out.getvalue()
