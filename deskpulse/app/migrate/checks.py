"""Proving a copy: the same rows in every table, the same rows in every kpi_* view, and the
same `deskpulse kpi` summary over the whole range, compared value by value.

Values are compared as the reports show them, not as each engine happens to type them: an
integral 12.0 equals 12, a Decimal equals its float, floats agree to 6 decimals, a timestamp
read back as a datetime equals its ISO text. Views are compared as multisets (no ORDER BY
is assumed) through an order-free digest, so a million-row view needs no memory; only a view
that differs is read again to show a few rows found on one side only.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from deskpulse.app.report.figures import kpi_figures
from deskpulse.store import Store
from deskpulse.store import copy as catalogue

MASK = (1 << 64) - 1
EXAMPLES = 3  # rows shown per side of a view that differs
SHOWN_FIGURES = 8  # differing summary figures shown
# View columns that move with the clock between the two readings: never compared.
CLOCK_COLUMNS = {"kpi_sla_at_risk": {"seconds_left"}}


@dataclass
class Check:
    """One comparison: `what` ("events", "view kpi_days", "kpi summary"), the size on each
    side (rows, or figures), and up to a few differences described for a person."""

    kind: str  # table, view or summary
    what: str
    source: int
    target: int
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.source == self.target and not self.differences


def normal(value: Any) -> Any:
    """`value` as both engines' readings of one figure agree on it."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        number = round(float(value), 6)
        return int(number) if number.is_integer() else number
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    return value


def _row_hash(row: Sequence[Any]) -> int:
    text = repr(tuple(normal(value) for value in row)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def table_checks(target: Store, counted: Iterable[tuple[str, int]]) -> list[Check]:
    """Each table's row count in the source snapshot against the target's."""
    return [Check("table", name, rows, catalogue.row_count(target, name))
            for name, rows in counted]


def view_columns(store: Store, view: str) -> list[str]:
    cursor = store.conn.execute(f"SELECT * FROM {catalogue.quoted(view)} LIMIT 0")
    return [column[0] for column in cursor.description]


def view_check(source: Store, target: Store, view: str, *, reads_clock: bool = False) -> Check:
    """One view, both sides, as multisets of normalized rows. `reads_clock`: the view asks
    for the time (SQL 'now'), so a difference is read once more before it counts."""
    columns = [name for name in view_columns(source, view)
               if name not in CLOCK_COLUMNS.get(view, set())]
    select = (f"SELECT {', '.join(catalogue.quoted(name) for name in columns)} "
              f"FROM {catalogue.quoted(view)}")
    ours, theirs = _digest(source, select), _digest(target, select)
    if ours != theirs and reads_clock:
        # A pending SLA may have passed its breach moment between the two readings.
        ours, theirs = _digest(source, select), _digest(target, select)
    if ours == theirs:
        return Check("view", view, ours[0], theirs[0])
    return Check("view", view, ours[0], theirs[0], _examples(source, target, select, columns))


def _digest(store: Store, select: str) -> tuple[int, int]:
    """(rows, sum of row hashes): equal for equal multisets, whatever the order."""
    count, total = 0, 0
    cursor = store.conn.execute(select)
    while rows := cursor.fetchmany(5_000):
        for row in rows:
            total = (total + _row_hash(row)) & MASK
        count += len(rows)
    return count, total


def _examples(source: Store, target: Store, select: str, columns: list[str]) -> list[str]:
    """A few rows found on one side only (or more often on one side), named by column."""
    ours = Counter(_row_hash(row) for row in source.conn.execute(select))
    theirs = Counter(_row_hash(row) for row in target.conn.execute(select))
    found: list[str] = []
    for side, store, extra in (("source", source, ours - theirs),
                               ("target", target, theirs - ours)):
        wanted = set(list(extra)[:EXAMPLES])
        for row in store.conn.execute(select) if wanted else ():
            if (key := _row_hash(row)) in wanted:
                wanted.discard(key)
                shown = ", ".join(f"{name}={normal(value)!r}"
                                  for name, value in zip(columns, row, strict=True))
                found.append(f"only in the {side}: {shown}")
    return found or ["the rows differ (no single row could be named)"]


def summary_check(source: Store, target: Store, *, now: datetime,
                  options: dict[str, Any]) -> Check:
    """`deskpulse kpi`'s headline over the whole range (every source), figure by figure,
    with the same `now` and [kpi] choices on both sides."""
    ours = _summary(source, now, options)
    theirs = _summary(target, now, options)
    differences = [f"{key}: {normal(ours.get(key))!r} in the source, "
                   f"{normal(theirs.get(key))!r} in the target"
                   for key in sorted(set(ours) | set(theirs), key=str)
                   if normal(ours.get(key)) != normal(theirs.get(key))]
    if len(differences) > SHOWN_FIGURES:
        more = len(differences) - SHOWN_FIGURES
        differences = [*differences[:SHOWN_FIGURES], f"… and {more} more figures"]
    return Check("summary", "kpi summary", len(ours), len(theirs), differences)


def _summary(store: Store, now: datetime, options: dict[str, Any]) -> dict[str, Any]:
    rows = kpi_figures(store, None, by=None, since=None, until=None, source=None, now=now,
                       options=options).merged()
    return rows[0] if rows else {}


def kpi_options(source: Store) -> dict[str, Any]:
    """The [kpi] choices the source's last run recorded (deskpulse.kpi.install_views), as
    `kpi.summary` takes them; the defaults where it recorded none."""
    from datetime import timedelta

    from deskpulse.app.config.kpi import KpiConfig

    recorded = dict(source.conn.execute(
        "SELECT key, value FROM kpi_meta WHERE key IN ('repeat_contact_days', "
        "'escalation_tags', 'sla_at_risk_seconds')").fetchall())
    options = KpiConfig().summary_options()
    if "repeat_contact_days" in recorded:
        options["repeat_days"] = int(recorded["repeat_contact_days"])
    if "escalation_tags" in recorded:
        options["escalation_tags"] = tuple(json.loads(recorded["escalation_tags"]))
    if "sla_at_risk_seconds" in recorded:
        options["sla_at_risk"] = timedelta(seconds=int(recorded["sla_at_risk_seconds"]))
    return options
