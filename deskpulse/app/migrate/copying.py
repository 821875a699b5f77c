"""Moving every row of every table from the source store to the target, in batches.

The caller holds one transaction on the target around all of it (deskpulse.app.migrate.run),
so the order of tables does not matter (no foreign key is enforced while writing, on either
engine) and ids are copied as they are; the engine's id counters are moved past the highest
id the source ever handed out afterwards, so the next sync run or dead letter gets a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deskpulse.store import Store
from deskpulse.store import copy as catalogue

BATCH = 5_000
# Settings rather than data: what the facts and views were computed with. The target's own
# (written as its schema was created) give way to the source's.
SETTINGS_TABLES = ("kpi_meta",)

# (table, rows copied so far, rows in the table); called after every batch.
Progress = Callable[[str, int, int], None]


@dataclass
class TablePlan:
    """One table to copy: its columns, how many rows the source holds, and its identity
    column with the highest id the source ever handed out."""

    name: str
    columns: list[str]
    rows: int
    identity: str | None = None
    last_id: int = 0


class CopyFailed(Exception):
    """The target refused a batch (a value its types cannot hold, a lost connection)."""

    def __init__(self, table: str, copied: int, cause: BaseException):
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        super().__init__(f"copying {table} failed after {copied:,} rows: "
                         f"{type(cause).__name__}: {first}")
        self.table, self.copied, self.cause = table, copied, cause


def plan(source: Store) -> list[TablePlan]:
    """Every table of the source, with its row count (read in the caller's snapshot)."""
    plans = []
    for name in source.names("table"):
        identity = catalogue.identity_column(source, name)
        plans.append(TablePlan(name, source.column_names(name),
                               catalogue.row_count(source, name), identity,
                               catalogue.last_id(source, name, identity) if identity else 0))
    return plans


def tables_with_rows(target: Store, plans: list[TablePlan]) -> list[str]:
    """The tables of the plan that already hold rows in the target (settings tables aside):
    a target in use, which a copy must not merge into."""
    return [item.name for item in plans if item.name not in SETTINGS_TABLES
            and catalogue.has_rows(target, item.name)]


def missing_in_target(target: Store, plans: list[TablePlan]) -> list[str]:
    """`table.column`s of the source the target lacks (another deskpulse version made it)."""
    missing = []
    for item in plans:
        there = set(target.column_names(item.name))
        if not there:
            missing.append(item.name)
            continue
        missing += [f"{item.name}.{column}" for column in item.columns if column not in there]
    return missing


def copy_tables(source: Store, target: Store, plans: list[TablePlan], *,
                progress: Progress | None = None, batch: int = BATCH) -> None:
    """Copy every planned table; the caller's transaction makes it all or nothing."""
    for item in plans:
        if item.name in SETTINGS_TABLES:
            target.conn.execute(f"DELETE FROM {catalogue.quoted(item.name)}")
        copy_table(source, target, item, progress=progress, batch=batch)
        if item.identity:
            catalogue.set_last_id(target, item.name, item.identity, item.last_id)


def copy_table(source: Store, target: Store, item: TablePlan, *,
               progress: Progress | None = None, batch: int = BATCH) -> int:
    """Copy one table in batches of `batch` rows; return how many were copied."""
    columns = ", ".join(catalogue.quoted(column) for column in item.columns)
    rows = source.conn.execute(f"SELECT {columns} FROM {catalogue.quoted(item.name)}")
    copied = 0
    if progress:
        progress(item.name, copied, item.rows)
    while chunk := rows.fetchmany(batch):
        try:
            catalogue.insert_rows(target, item.name, item.columns, [tuple(row) for row in chunk])
        except Exception as exc:
            raise CopyFailed(item.name, copied, exc) from exc
        copied += len(chunk)
        if progress:
            progress(item.name, copied, item.rows)
    return copied

