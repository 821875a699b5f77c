"""`deskpulse schema`: what every table, view and column of the file means, as JSON Schema
(one per table, with units, NULL meanings and foreign keys) or as docs/schema.md's markdown.
Generated from store/catalog; needs no config or database. Registered in
deskpulse/app/cli/main.py."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from deskpulse.app.cli.common import fail
from deskpulse.store import describe

FORMATS = ("json", "markdown")


def schema_command(
    format: Annotated[str, typer.Option("--format", help="json|markdown")] = "json",  # noqa: A002
    table: Annotated[str | None, typer.Option(help="only this table or view")] = None,
    backend: Annotated[str, typer.Option(help="sqlite|postgresql: whose column types the "
                                         "JSON Schema names")] = "sqlite",
) -> None:
    """Describe the database: tables, views, columns, units, NULL meanings, relations."""
    if format not in FORMATS:
        message = f"--format must be json or markdown, not {format!r}"
        raise fail(message)
    if backend not in describe.BACKENDS:
        message = f"--backend must be sqlite or postgresql, not {backend!r}"
        raise fail(message)
    everything = describe.json_schemas(backend)
    schemas = everything["tables"]
    if table is not None and table not in schemas:
        message = f"no table or view named {table!r}; `deskpulse schema` lists them all"
        raise fail(message)
    if format == "markdown":
        text = describe.markdown() if table is None else describe.table_markdown(table)
    else:
        found = everything if table is None else schemas[table]
        text = json.dumps(found, indent=2, ensure_ascii=False) + "\n"
    sys.stdout.write(text)
