"""Everything said about the file, generated from store/catalog: docs/schema.md (markdown),
the Datasette metadata and JSON Schema per table (`deskpulse schema`).

Meanings, units and relations come from the catalog; SQL types and NOT NULL from a freshly
migrated in-memory file, so neither can drift from the migrations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from deskpulse.store.catalog import PREAMBLE, TITLE, Area, Table, all_areas, tables
from deskpulse.store.schema import MIGRATIONS

JSON_TYPES = {"TEXT": "string", "INTEGER": "integer", "REAL": "number", "BLOB": "string"}
# PostgreSQL column type → (JSON type, JSON Schema format); jsonb/json columns hold any JSON
PG_JSON_TYPES: dict[str, tuple[str | None, str | None]] = {
    "text": ("string", None), "bigint": ("integer", None), "double precision": ("number", None),
    "bytea": ("string", None), "timestamptz": ("string", "date-time"),
    "date": ("string", "date"), "jsonb": (None, None), "json": (None, None)}
BACKENDS = ("sqlite", "postgresql")
DATASETTE_NAMES = ("deskpulse", "demo")  # Datasette names a database after its file


def declared_columns(backend: str = "sqlite") -> dict[str, dict[str, tuple[str, bool]]]:
    """Per table of a fresh database: column → (SQL type, may be NULL); on "postgresql" the
    types store.backends.pg_schema gives the columns there."""
    from deskpulse.store.backends import pg_schema

    conn = pg_schema.snapshot()
    try:
        return {name: {column.name: (column.declared if backend == "sqlite" else
                                     pg_schema.pg_type(name, column.name, column.declared)[0],
                                     not (column.not_null or column.pk))
                       for column in pg_schema.columns(conn, name)}
                for name in pg_schema.tables(conn)}
    finally:
        conn.close()


def plain(text: str) -> str:
    """Markdown as plain text, for Datasette (it shows descriptions as they are)."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return " ".join(text.replace("`", "").split())


def key_text(table: Table) -> str:
    return f"({', '.join(table.key)})" if len(table.key) > 1 else table.key[0]


def relation_text(table: Table) -> list[str]:
    return [f"({', '.join(r.columns)}) → `{r.parent}` ({', '.join(r.parent_columns)})"
            for r in table.relations]


def markdown() -> str:
    """docs/schema.md."""
    out = [f"# {TITLE}\n", PREAMBLE]
    for area in all_areas():
        out.append(_area_markdown(area))
    return "\n".join(out).rstrip("\n") + "\n"


def table_markdown(name: str) -> str:
    """One table's section of docs/schema.md."""
    return _tables_markdown([tables()[name]])


def _area_markdown(area: Area) -> str:
    out = [f"## {area.title}\n"]
    if area.intro:
        out.append(area.intro + "\n")
    return "\n".join(out) + _tables_markdown(area.tables)


def _tables_markdown(items: Sequence[Table]) -> str:
    out = []
    for table in items:
        out.append(f"### `{table.name}`")
        lines = [table.description]
        if table.key:
            lines.append(f"Key: {key_text(table)}.")
        if table.relations:
            lines.append("Relations: " + "; ".join(relation_text(table)) + ".")
        out.append(" ".join(lines) + "\n")
        out.append("| column | meaning | unit | NULL means |\n|---|---|---|---|")
        for column in table.columns:
            out.append(f"| {column.name} | {column.meaning} | {column.unit} | {column.null} |")
        out.append("")
        if table.notes:
            out.append(table.notes + "\n")
    return "\n".join(out)


def datasette() -> dict[str, Any]:
    """docs/datasette/metadata.json: every table's and column's description, as plain text."""
    described = {}
    for area in all_areas():
        for table in area.tables:
            text = plain(" ".join(filter(None, (table.description, table.notes))))
            columns = {c.name: plain("; ".join(filter(None, (
                c.meaning, c.unit and f"unit: {c.unit}", c.null and f"NULL: {c.null}"))))
                for c in table.columns}
            described[table.name] = {"description": text, "columns": columns}
    return {
        "title": "deskpulse",
        "description": "A local copy of a help desk with support KPIs. Tables and views are "
                       "documented in docs/schema.md; KPI definitions in docs/kpis.md.",
        "databases": {name: {"tables": described} for name in DATASETTE_NAMES},
    }


def json_schemas(backend: str = "sqlite") -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) per table and view: a row as an object, with each
    column's type in the `backend`'s database (`x-sql-type`)."""
    types = declared_columns(backend)
    return {"title": TITLE, "user_version": len(MIGRATIONS), "backend": backend, "tables": {
        table.name: _json_schema(table, types.get(table.name, {}), backend)
        for area in all_areas() for table in area.tables}}


def _json_schema(table: Table, types: dict[str, tuple[str, bool]],
                 backend: str = "sqlite") -> dict[str, Any]:
    properties = {}
    for column in table.columns:
        sql_type, nullable = types.get(column.name, ("", True))
        spec: dict[str, Any] = {"description": plain(column.meaning)}
        kind, form = (JSON_TYPES.get(sql_type), None) if backend == "sqlite" else \
            PG_JSON_TYPES.get(sql_type, (None, None))
        if kind:
            spec["type"] = [kind, "null"] if nullable else kind
        if form:
            spec["format"] = form
        if sql_type:
            spec["x-sql-type"] = sql_type
        if sql_type in ("BLOB", "bytea"):
            spec["contentEncoding"] = "base64"
        if column.unit:
            spec["x-unit"] = column.unit
        if column.null:
            spec["x-null-means"] = plain(column.null)
        properties[column.name] = spec
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": table.name,
        "description": plain(" ".join(filter(None, (table.description, table.notes)))),
        "type": "object",
        "properties": properties,
        "x-kind": "view" if table.view else "table",
    }
    required = [name for name, (_type, nullable) in types.items() if not nullable]
    if required:
        schema["required"] = required
    if table.key:
        schema["x-primary-key"] = list(table.key)
    if table.relations:
        schema["x-foreign-keys"] = [{"columns": list(r.columns), "table": r.parent,
                                     "references": list(r.parent_columns)}
                                    for r in table.relations]
    return schema
