"""What every table, view and column of the deskpulse file means: the one source of truth.

docs/schema.md, docs/datasette/metadata.json and `deskpulse schema` are all generated from
these declarations (store/describe.py), and tests/test_schema_catalog.py checks them against a
freshly migrated file: a table or column added by a migration without a description here (or
described here but gone from the file) fails with its name. Types and NOT NULL come from the
file itself; this adds meaning, unit, what NULL means and the relations between tables.
Text is markdown (backticks, links); the Datasette metadata gets it as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass

TITLE = "The deskpulse SQLite file"
PREAMBLE = """\
This is the public contract for anyone reading a deskpulse database from another tool
(sqlite3, Datasette, pandas, DuckDB, Metabase, Grafana). It is generated from
`store/catalog/` (`python docs/datasette/build.py` rewrites it and the Datasette metadata;
`deskpulse schema --format json` gives the same as JSON Schema), and `tests/test_schema_catalog.py`
fails when a table or column exists in the file but is not described, or the other way round.

Conventions:
- Every help-desk row carries `source`: the source's name from `deskpulse.toml` (e.g. `acme`).
- Ids are text, as the vendor gives them (`"123"` for Zendesk, `"215469"` for Intercom).
- Timestamps are ISO-8601 UTC text, `2026-11-22T10:15:00Z`; they sort as text.
- Booleans are integers 0/1. JSON values (tags, raw objects) are JSON text; read them with
  SQLite's `json_each`/`->>`.
- The schema version is `PRAGMA user_version`; migrations only move forward. The file is in WAL
  mode: readers never block the writer and never see a half-written page.
- Each column says what NULL means in it; a column without is never NULL.
- On PostgreSQL (`database = "postgresql://…"`) the same tables and views hold the same
  values in PostgreSQL types: timestamps `timestamptz`, days `date`, JSON `jsonb`, integers
  `bigint`; the version is in `deskpulse_schema`, and foreign keys are not declared.
  [postgresql.md](postgresql.md) has the rules; `deskpulse schema --backend postgresql`
  each column's type.

Relations: the links between tables (an event's ticket, a ticket's requester, a fact's
ticket, …) are declared as SQLite FOREIGN KEYs, listed under each table and shown by
`PRAGMA foreign_key_list(events)`, sqlite-utils, DBeaver and other schema browsers. They are
declared, not enforced: deskpulse keeps `PRAGMA foreign_keys` off, because a page of events
can arrive before the page holding their ticket, and the row is kept meanwhile
(`PRAGMA foreign_key_check` lists such rows). Most keys are compound, `(source, ticket_id)` →
`tickets (source, id)`; Datasette links only single-column keys (`source` → `sources`,
`import_id` → `ext_imports`). The migration that declared them (the first run of a newer
deskpulse on an older file) rebuilds those tables once: on a file of 100,000 tickets and
1.25 million events (550 MB) it took 38 s on a busy 2-core machine, and the file grew to
690 MB because the old and new copies coexist within the migration's transaction (the
space is reused by later writes; `VACUUM` gives it back). Have that much free disk.
"""

# Units: how to read a value. Empty when the meaning says it (a name, an id, a label).
TS = "ISO-8601 UTC"  # 2026-11-22T10:15:00Z, sorts as text
DAY = "YYYY-MM-DD"
SECONDS = "seconds"
HOURS = "hours"
BOOL = "0/1"
JSON = "JSON text"
COUNT = "count"
RATE = "0..1"


@dataclass(frozen=True)
class Column:
    """One column. `null` says what NULL means; empty for a column that is never NULL."""

    name: str
    meaning: str
    unit: str = ""
    null: str = ""


@dataclass(frozen=True)
class Relation:
    """A declared FOREIGN KEY: `columns` of this table name the row `parent` keys by
    `parent_columns`. Declared for readers, never enforced (store/relations_schema.py)."""

    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table or (view=True) a view, in the order docs/schema.md lists them."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    relations: tuple[Relation, ...] = ()
    notes: str = ""
    view: bool = False

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)


@dataclass(frozen=True)
class Area:
    """A group of tables with the prose that introduces them."""

    title: str
    intro: str
    tables: tuple[Table, ...]


def C(name: str, meaning: str, unit: str = "", null: str = "") -> Column:  # noqa: N802
    """Short constructor: the declarations below read as a table."""
    return Column(name, meaning, unit, null)


def R(columns: tuple[str, ...], parent: str,  # noqa: N802
      parent_columns: tuple[str, ...] = ("source", "id")) -> Relation:
    return Relation(columns, parent, parent_columns)


TO_SOURCE = R(("source",), "sources", ("name",))


def source(what: str = "") -> Column:
    """The `source` column every help-desk row carries."""
    return C("source", "the source's name from the config (`sources.name`)" + what)


def all_areas() -> tuple[Area, ...]:
    """Every area in document order (imported here, after the types they use)."""
    from deskpulse.store.catalog.bookkeeping import BOOKKEEPING, EXTERNAL
    from deskpulse.store.catalog.help_desk import HELP_DESK
    from deskpulse.store.catalog.kpi_rollups import KPI_DAILY, KPI_VALUES, SLA_INSTANCES
    from deskpulse.store.catalog.kpi_tables import KPI_TABLES
    from deskpulse.store.catalog.kpi_views import KPI_VIEWS

    kpis = KPI_TABLES.tables + (SLA_INSTANCES, KPI_DAILY, KPI_VALUES) + KPI_VIEWS
    return HELP_DESK, EXTERNAL, BOOKKEEPING, Area(KPI_TABLES.title, KPI_TABLES.intro, kpis)


def tables() -> dict[str, Table]:
    """Every described table and view by name."""
    return {table.name: table for area in all_areas() for table in area.tables}
