"""store/catalog describes the file exactly, and everything generated from it is current."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from deskpulse import kpi
from deskpulse.app.cli.main import app
from deskpulse.store import Store, describe
from deskpulse.store.catalog import tables
from deskpulse.store.schema import MIGRATIONS

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "run: python docs/datasette/build.py"


def fresh_objects(tmp_path: Path) -> dict[str, tuple[str, dict[str, bool]]]:
    """Every table and view of a freshly migrated file: type and column → may be NULL."""
    db = Store.open(tmp_path / "fresh.db")
    kpi.install_views(db)
    found = {}
    for name, kind in db.conn.execute("SELECT name, type FROM sqlite_master WHERE type IN "
                                      "('table', 'view') AND name NOT LIKE 'sqlite_%'"):
        found[name] = (kind, {row[1]: not (row[3] or row[5]) for row in
                              db.conn.execute(f"PRAGMA table_info('{name}')")})
    db.close()
    return found


def test_every_table_and_column_in_the_file_is_described_and_nothing_else(tmp_path):
    found, described = fresh_objects(tmp_path), tables()
    missing = [f"{name}.{column}" if name in described else name
               for name, (_kind, columns) in found.items()
               for column in ([None] if name not in described else columns)
               if name not in described or described[name].column(column) is None]
    assert not missing, f"add to store/catalog: {', '.join(missing)}"
    gone = [f"{table.name}.{column.name}" if table.name in found else table.name
            for table in described.values() for column in table.columns
            if table.name not in found or column.name not in found[table.name][1]]
    assert not gone, f"described in store/catalog but not in the file: {', '.join(gone)}"
    for name, (kind, columns) in found.items():
        table = described[name]
        assert table.view == (kind == "view"), f"{name} is a {kind}"
        assert [c.name for c in table.columns] == list(columns), f"{name}: column order"
        assert all(c.meaning for c in table.columns), f"{name}: a column has no meaning"


def test_a_nullable_column_says_what_null_means_and_a_not_null_one_does_not(tmp_path):
    for name, (kind, columns) in fresh_objects(tmp_path).items():
        if kind == "view":  # SQLite does not know which view columns can be NULL
            continue
        for column, nullable in columns.items():
            null = tables()[name].column(column).null
            assert bool(null) == nullable, (
                f"{name}.{column}: " + ("say what NULL means" if nullable
                                        else "is NOT NULL but the catalog gives a NULL meaning"))


def test_the_declared_foreign_keys_are_the_catalog_relations(tmp_path):
    db = Store.open(tmp_path / "keys.db")
    for table in (t for t in tables().values() if not t.view):
        keys: dict[int, tuple[str, list[str], list[str]]] = {}
        for id_, _seq, parent, column, to, *_ in db.conn.execute(
                f"PRAGMA foreign_key_list('{table.name}')"):
            keys.setdefault(id_, (parent, [], []))[1].append(column)
            keys[id_][2].append(to)
        declared = sorted((tuple(cols), parent, tuple(to)) for parent, cols, to in keys.values())
        catalog = sorted((r.columns, r.parent, r.parent_columns) for r in table.relations)
        assert declared == catalog, f"{table.name}: foreign keys differ from store/catalog"
        for relation in table.relations:  # SQLite needs the parent columns to be its key
            assert relation.parent_columns == tables()[relation.parent].key, relation
    db.close()


def test_the_generated_docs_are_current():
    assert (ROOT / "docs" / "schema.md").read_text(encoding="utf-8") == describe.markdown(), \
        REGENERATE
    shipped = json.loads((ROOT / "docs" / "datasette" / "metadata.json").read_text())
    assert shipped == describe.datasette(), REGENERATE


def test_datasette_gets_plain_text_and_each_column_its_own_meaning():
    described = describe.datasette()["databases"]["deskpulse"]["tables"]
    tickets = described["tickets"]["columns"]
    assert tickets["source"] != tickets["id"]
    assert "ticket id" in tickets["id"] and "source" in tickets["source"]
    text = json.dumps(described, ensure_ascii=False)
    assert "`" not in text and "](" not in text
    assert "NULL: unassigned" in tickets["assignee_id"]


def test_deskpulse_schema_prints_json_schema_and_the_markdown_doc():
    cli = CliRunner()
    result = cli.invoke(app, ["schema", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["user_version"] == len(MIGRATIONS)
    schemas = document["tables"]
    assert set(schemas) == set(tables())
    events = schemas["events"]
    assert events["properties"]["actor_id"]["type"] == ["string", "null"]
    assert events["properties"]["at"]["type"] == "string"
    assert "ticket_id" in events["required"] and "actor_id" not in events["required"]
    assert {"columns": ["source", "ticket_id"], "table": "tickets",
            "references": ["source", "id"]} in events["x-foreign-keys"]
    assert schemas["ticket_facts"]["properties"]["frt_cal"]["x-unit"] == "seconds"

    one = cli.invoke(app, ["schema", "--table", "ratings"])
    assert json.loads(one.stdout) == schemas["ratings"]
    markdown = cli.invoke(app, ["schema", "--format", "markdown"])
    assert markdown.stdout == describe.markdown()
    assert "### `sla_instances`" in markdown.stdout


def test_deskpulse_schema_refuses_an_unknown_format_or_table_with_exit_2():
    cli = CliRunner()
    bad = cli.invoke(app, ["schema", "--format", "xml"])
    assert bad.exit_code == 2 and "json or markdown" in bad.output
    unknown = cli.invoke(app, ["schema", "--table", "nope"])
    assert unknown.exit_code == 2 and "no table or view named 'nope'" in unknown.output
