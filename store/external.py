"""Writing imported external inputs: one file = one transaction, logged in `ext_imports`.

A re-import never doubles anything. Costs and revenue are money over periods: a new file
replaces, per feed (and per cost category), every stored period it overlaps, so a corrected
file that splits January into two halves replaces the whole-January row instead of adding
to it. Agent days and accounts are upserted on their key. Survey answers become `ratings`
rows of a help-desk source, keyed by a digest of what identifies the answer, and their
tickets are marked for a KPI refresh like any synced rating. The log keeps the file's base
name and counts only, never its content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from deskpulse.store.db import Store
from deskpulse.store.models import Rating, iso
from deskpulse.store.pages import select_in, upsert


class ImportConflict(Exception):
    """The file is valid on its own but cannot join what the store already holds."""


@dataclass(frozen=True)
class ExtTable:
    name: str
    key: tuple[str, ...]  # besides `feed`
    periods: bool = False  # rows cover [period_start, period_end]; overlaps are replaced
    currency: bool = False  # every row of the table must share one currency

    @property
    def primary_key(self) -> tuple[str, ...]:
        return ("feed", *self.key, *(("period_start",) if self.periods else ()))


TABLES = {
    "costs": ExtTable("ext_costs", ("category",), periods=True, currency=True),
    "revenue": ExtTable("ext_revenue", (), periods=True, currency=True),
    "agent_hours": ExtTable("ext_agent_hours", ("agent_email", "day")),
    "accounts": ExtTable("ext_accounts", ("account_id",)),
}


@dataclass(frozen=True)
class ImportResult:
    import_id: int
    rows: int  # rows written
    replaced: int  # stored rows (or periods) the file replaced


def import_rows(store: Store, kind: str, feed: str, file_name: str,
                rows: Sequence[dict[str, Any]]) -> ImportResult:
    """Write validated rows of `kind` (costs, revenue, agent_hours, accounts) atomically."""
    table = TABLES[kind]
    with store.transaction():
        import_id = _log(store, kind, feed, file_name, len(rows))
        replaced = 0
        for row in rows:
            values = {"feed": feed, **row, "import_id": import_id}
            replaced += _replace_overlaps(store, table, values) if table.periods else \
                _exists(store, table, values)
            columns = list(values)  # every column: the update replaces the whole row
            key = table.primary_key
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
            store.conn.execute(
                f"INSERT INTO {table.name} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))}) "
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}",
                [values[c] for c in columns])
        if table.currency:
            _one_currency(store, table, kind)
        store.conn.execute("UPDATE ext_imports SET replaced = ? WHERE id = ?",
                           (replaced, import_id))
    return ImportResult(import_id, len(rows), replaced)


def import_ratings(store: Store, source: str, file_name: str,
                   ratings: Sequence[Rating]) -> ImportResult:
    """Write survey answers as ratings of `source`; their tickets' facts become stale."""
    with store.transaction():
        import_id = _log(store, "surveys", source, file_name, len(ratings))
        ids = [r.id for r in ratings]
        replaced = sum(1 for _ in select_in(
            store.conn, "SELECT id FROM ratings WHERE source = ? AND id IN ({})", source, ids))
        upsert(store.conn, source, Rating, list(ratings))
        store.conn.executemany(
            "INSERT INTO kpi_dirty (source, ticket_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(source, r.ticket_id) for r in ratings if r.ticket_id is not None])
        store.conn.execute("UPDATE ext_imports SET replaced = ? WHERE id = ?",
                           (replaced, import_id))
    return ImportResult(import_id, len(ratings), replaced)


def stored_currency(store: Store, kind: str) -> str | None:
    """The one currency of the stored costs or revenue (None when there are none)."""
    row = store.conn.execute(f"SELECT MIN(currency) FROM {TABLES[kind].name}").fetchone()
    return row[0]


def _log(store: Store, kind: str, feed: str, file_name: str, rows: int) -> int:
    # RETURNING, not lastrowid: PostgreSQL's cursors have none (SQLite has it since 3.35)
    return int(store.conn.execute(
        "INSERT INTO ext_imports (kind, feed, file_name, rows, replaced, imported_at) "
        "VALUES (?, ?, ?, ?, 0, ?) RETURNING id",
        (kind, feed, file_name, rows, iso(datetime.now(UTC)))).fetchall()[0][0])


def _replace_overlaps(store: Store, table: ExtTable, values: dict[str, Any]) -> int:
    keys = " AND ".join(f"{column} = ?" for column in ("feed", *table.key))
    cursor = store.conn.execute(
        f"DELETE FROM {table.name} WHERE {keys} AND period_start <= ? AND period_end >= ?",
        [values[c] for c in ("feed", *table.key)] + [values["period_end"],
                                                      values["period_start"]])
    return cursor.rowcount


def _exists(store: Store, table: ExtTable, values: dict[str, Any]) -> int:
    keys = " AND ".join(f"{column} = ?" for column in ("feed", *table.key))
    found = store.conn.execute(f"SELECT 1 FROM {table.name} WHERE {keys}",
                               [values[c] for c in ("feed", *table.key)]).fetchone()
    return int(found is not None)


def _one_currency(store: Store, table: ExtTable, kind: str) -> None:
    found = [row[0] for row in store.conn.execute(
        f"SELECT currency, MIN(period_start) FROM {table.name} GROUP BY currency")]
    if len(found) > 1:
        msg = (f"{kind} would then be in {' and '.join(found)}: amounts in different "
               "currencies cannot be summed. Convert the file to the currency already "
               f"imported, or re-import every {kind} period in one currency")
        raise ImportConflict(msg)
