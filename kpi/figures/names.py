"""Names for the ids KPI rows are grouped by (agents, groups), so people read "Ana Lima",
not "1007". Ids stay the key: the same id may come from two sources, and a name may change."""

from __future__ import annotations

from deskpulse.store import Store

TABLES = {"agent": "people", "group": "groups"}


def display_names(store: Store, by: str, source: str | None = None) -> dict[str, str]:
    """id -> name of the agents or groups (`by`) in the file, of one source when given;
    {} for any other grouping. With several sources sharing an id, the first name wins."""
    table = TABLES.get(by)
    if table is None:
        return {}
    where, args = ("WHERE source = ? AND name IS NOT NULL", [source]) if source else \
        ("WHERE name IS NOT NULL", [])
    names: dict[str, str] = {}
    for ident, name in store.conn.execute(
            f"SELECT id, name FROM {table} {where} ORDER BY source, id", args):
        names.setdefault(ident, name)
    return names
