"""Build metadata.json (Datasette) from docs/schema.md, so the two can never disagree.

Run: python docs/datasette/build.py   (tests/test_docs.py checks the file is up to date)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCHEMA = HERE.parent / "schema.md"
DATABASE_NAMES = ("deskpulse", "demo")  # Datasette names a database after its file


def sections(text: str) -> dict[str, str]:
    found = re.findall(r"^### `([^`]+)`\n(.*?)(?=^##|\Z)", text, re.S | re.M)
    return {name: body for name, body in found}


def describe(body: str) -> tuple[str, dict[str, str]]:
    prose = " ".join(line.strip() for line in body.split("\n|")[0].splitlines()
                     if line.strip() and not line.startswith("|"))
    columns: dict[str, str] = {}
    for row in re.findall(r"^\| ([^|]+?) \| (.+?) \|$", body, re.M):
        names, meaning = row
        if names.strip() in ("column", "---"):
            continue
        for name in names.split(","):
            columns[name.strip().strip("`")] = meaning.strip()
    return prose, columns


def build() -> dict:
    tables = {}
    for name, body in sections(SCHEMA.read_text(encoding="utf-8")).items():
        prose, columns = describe(body)
        tables[name] = {"description": prose, **({"columns": columns} if columns else {})}
    return {
        "title": "deskpulse",
        "description": "A local copy of a help desk with support KPIs. Tables and views are "
                       "documented in docs/schema.md; KPI definitions in docs/kpis.md.",
        "databases": {name: {"tables": tables} for name in DATABASE_NAMES},
    }


if __name__ == "__main__":
    (HERE / "metadata.json").write_text(json.dumps(build(), indent=2) + "\n", encoding="utf-8")
