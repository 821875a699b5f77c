"""The SQLite file and the CLI are public APIs: their docs must name everything they expose."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from deskpulse import kpi
from deskpulse.app.cli.main import app
from deskpulse.store import Store

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DOC = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def documented_section(name: str) -> str:
    """The text under the `### name` heading of docs/schema.md."""
    match = re.search(rf"^### `{re.escape(name)}`\n(.*?)(?=^##)", SCHEMA_DOC + "\n##",
                      re.S | re.M)
    assert match, f"docs/schema.md has no section for {name}"
    return match.group(1)


def test_every_table_view_and_column_is_documented(tmp_path):
    store = Store.open(tmp_path / "doc.db")
    kpi.install_views(store)
    objects = store.conn.execute(
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    for name, _type in objects:
        section = documented_section(name)
        for column in [row[1] for row in store.conn.execute(f"PRAGMA table_info('{name}')")]:
            assert re.search(rf"\b{re.escape(column)}\b", section), (
                f"column {name}.{column} is not documented in docs/schema.md"
            )
    store.close()


def test_every_cli_command_is_in_the_readme():
    commands = [command.name or command.callback.__name__ for command in app.registered_commands]
    assert commands, "no commands registered"
    for command in commands:
        assert f"deskpulse {command}" in README, f"README does not describe `deskpulse {command}`"


def test_readme_gives_exactly_two_setup_commands_and_ci_runs_the_test_one():
    blocks = re.findall(r"```sh\n(.*?)```", README.split("## Configuration")[0], re.S)
    assert len(blocks) == 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert blocks[1].strip() in ci


def test_the_datasette_metadata_is_built_from_the_catalog_and_covers_every_table(tmp_path):
    import json
    import runpy

    build = runpy.run_path(str(ROOT / "docs" / "datasette" / "build.py"))["build"]
    shipped = json.loads((ROOT / "docs" / "datasette" / "metadata.json").read_text())
    assert shipped == build(), "run: python docs/datasette/build.py"
    store = Store.open(tmp_path / "meta.db")
    kpi.install_views(store)
    names = {row[0] for row in store.conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%'")}
    store.close()
    described = shipped["databases"]["deskpulse"]["tables"]
    assert names <= set(described)
    assert all(described[name]["description"] for name in names)


def test_every_sql_example_in_reading_the_data_runs_on_a_demo_database(tmp_path):
    import sqlite3

    from rich.console import Console

    from deskpulse.app.demo.run import run_demo

    with open(tmp_path / "out.txt", "w") as out:
        run_demo(tmp_path, Console(file=out), tickets=120, show_progress=False,
                 now=datetime(2026, 3, 11, 0, 1, tzinfo=UTC))
    guide = (ROOT / "docs" / "reading-the-data.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", guide, re.S)
    assert len(blocks) >= 6
    with sqlite3.connect(tmp_path / "demo.db") as db:
        for sql in blocks:
            # the examples read SQLite's 'now': pinned to the demo's present, as the demo is
            rows = db.execute(sql.replace("'now'", "'2026-03-11 00:01:00'")).fetchall()
            assert rows, f"no rows from:\n{sql}"


def test_the_readme_config_example_loads_as_written(tmp_path):
    from deskpulse.app.config.file import load_config

    [example] = re.findall(r"```toml\n(.*?)```", README, re.S)
    path = tmp_path / "deskpulse.toml"
    path.write_text(example, encoding="utf-8")
    config = load_config(path, environ={})
    acme = config.source("acme")
    assert (acme.kind, acme.options["subdomain"]) == ("zendesk", "acme")
    helpdesk = config.source("helpdesk")
    settings = helpdesk.settings(environ={"FRESHDESK_API_KEY": "k"})
    assert (helpdesk.kind, settings.url()) == ("freshdesk", "https://acme.freshdesk.com")
    messenger = config.source("messenger").settings(environ={"INTERCOM_TOKEN": "t"})
    assert messenger.url() == "https://api.intercom.io"
    calendars = config.business_calendars()
    assert calendars is not None
    (_start, schedule), = calendars.calendars[calendars.default].versions
    assert len(schedule.hours[4]) == 2 and len(schedule.holidays) == 4
    assert (config.daemon.lease_ttl.total_seconds(), config.daemon.poll.total_seconds(),
            config.daemon.workers) == (60, 5, 4)


def test_every_kpi_view_is_named_in_the_kpi_definitions(tmp_path):
    store = Store.open(tmp_path / "views.db")
    kpi.install_views(store)
    views = {name for (name,) in store.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'view' AND name LIKE 'kpi_%'")}
    store.close()
    text = (ROOT / "docs" / "kpis.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(kpi_[a-z0-9_]+)`", text)) - {"kpi_daily", "kpi_meta",
                                                            "kpi_dirty", "kpi_values"}
    assert views - named == set(), "views missing from docs/kpis.md"
    assert named - views == set(), "docs/kpis.md names views that do not exist"


def text_files() -> list[Path]:
    """The repo's own files (not the virtualenv, caches, build output or git's store)."""
    skip = {"__pycache__", "artifacts", "node_modules", "build", "dist"}
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if path.is_file() and not any(p.startswith(".") or p in skip or p.endswith(
                ".egg-info") for p in parts):
            found.append(path)
    return found


def test_no_file_holds_unresolved_merge_conflict_markers():
    marker = re.compile(rf"^({'<' * 7}|{'>' * 7})( |$)", re.M)  # built: not a marker here
    checked, conflicted = 0, []
    for path in text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # a binary file
        checked += 1
        if marker.search(text):
            conflicted.append(str(path.relative_to(ROOT)))
    assert checked > 50
    assert conflicted == [], f"unresolved merge conflict markers in {conflicted}"
