"""Write docs/schema.md and docs/datasette/metadata.json from store/catalog, the one place
tables and columns are described (tests/test_schema_catalog.py checks both are up to date).

Run: python docs/datasette/build.py
"""

from __future__ import annotations

import json
from pathlib import Path

from deskpulse.store import describe

HERE = Path(__file__).resolve().parent


def build() -> dict:
    """The Datasette metadata (descriptions as plain text)."""
    return describe.datasette()


if __name__ == "__main__":
    (HERE / "metadata.json").write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    (HERE.parent / "schema.md").write_text(describe.markdown(), encoding="utf-8")
