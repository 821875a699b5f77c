"""`deskpulse import KIND FILE`: external inputs (costs, revenue, surveys, agent hours,
accounts) from CSV into the store, all rows or none. Registered in deskpulse/app/cli/main.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from deskpulse import kpi
from deskpulse.app.cli.common import ConfigOption, console, err, fail, read_config
from deskpulse.app.config.file import Config
from deskpulse.app.imports.importer import KINDS, Parsed, kind_name, parse, write
from deskpulse.app.sync.lock import LockedError, WriterLock
from deskpulse.store import ImportConflict, Store
from deskpulse.store.backends import target

SHOWN = 200  # problems printed at most; the count says how many there were


def import_command(
    kind: Annotated[str, typer.Argument(help="costs|revenue|surveys|agent-hours|accounts")],
    file: Annotated[Path, typer.Argument(help="the CSV file (formats: docs/imports.md)")],
    feed: Annotated[str, typer.Option(help="name of the ledger the rows come from; feeds "
                                      "add up (costs, revenue, agent hours, accounts)")
                    ] = "csv",
    source: Annotated[str | None, typer.Option(help="surveys: the help-desk source the "
                                               "answers belong to (default: the only one)")
                      ] = None,
    config: ConfigOption = None,
    database: Annotated[str | None, typer.Option(help="write this SQLite file or "
                                                 "postgresql:// URL instead of the "
                                                 "config's database")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check the file and say what "
                                          "would be imported; open and write no database")
                       ] = False,
) -> None:
    """Import costs, revenue, surveys, agent hours or accounts from CSV: every row is checked
    first; a file with any bad row imports nothing. Importing again updates, never doubles."""
    name = kind_name(kind)
    if name is None:
        msg = f"unknown kind {kind!r}: use {', '.join(k.replace('_', '-') for k in KINDS)}"
        raise fail(msg)
    if not file.is_file():
        msg = f"{file} is not a file"
        raise fail(msg)
    parsed = parse(name, file)
    if parsed.ignored:
        console.print("ignored columns: " + escape(", ".join(parsed.ignored)))
    if parsed.problems:
        _print_problems(file, parsed)
        raise typer.Exit(1)
    if dry_run:
        console.print(f"{len(parsed.rows)} {name.replace('_', ' ')} rows in "
                      f"{escape(file.name)} would be imported (dry run, nothing written)")
        return
    cfg = None if database is not None and config is None else read_config(config)
    path = target(database) if database else cfg.database  # type: ignore[union-attr]
    try:
        with WriterLock(path, "import"):
            store = Store.open(path)
            try:
                _write(store, parsed, file, feed, source, cfg)
            finally:
                store.close()
    except LockedError as exc:
        raise fail(str(exc)) from None


def _print_problems(file: Path, parsed: Parsed) -> None:
    count = len(parsed.problems)
    err.print(f"[red]{escape(file.name)}: {count} problem{'s' * (count != 1)}; nothing was "
              "imported.[/red] Fix the file and run the import again.")
    for problem in parsed.problems[:SHOWN]:
        err.print("  " + escape(str(problem)), soft_wrap=True)
    if count > SHOWN:
        err.print(f"  … and {count - SHOWN} more")


def _write(store: Store, parsed: Parsed, file: Path, feed: str, source: str | None,
           cfg: Config | None) -> None:
    if parsed.kind == "surveys":
        source = _survey_source(store, source)
    try:
        result = write(store, parsed, file_name=file.name, feed=feed, source=source)
    except ImportConflict as exc:
        msg = f"{file.name}: {exc}; nothing was imported"
        raise fail(msg, 1) from None
    what = parsed.kind.replace("_", " ")
    console.print(f"imported {result.rows} {what} rows from {escape(file.name)} "
                  f"({result.replaced} stored rows updated or replaced)")
    if parsed.kind == "surveys":
        _refresh_ratings(store, source, cfg)
    for note in _notes(store, parsed.kind, result.import_id, source):
        console.print(escape(note))


def _refresh_ratings(store: Store, source: str | None, cfg: Config | None) -> None:
    """Recompute the facts of the tickets the answers name, under the config's definitions
    (business hours, SLA targets, report zone), as a sync would. Without a config those are
    unknown: the tickets stay marked and the next sync recomputes them."""
    if cfg is None:
        console.print("the CSAT of the tickets named is recomputed by the next sync "
                      "(no config given, so its KPI definitions are unknown here)")
        return
    calendars = cfg.business_calendars() or kpi.synced_calendars(store)
    targets = kpi.sla_targets_in_use(store, cfg.sla_targets(), cfg.kpi.sla_targets)
    kpi.ensure_definitions(store, calendars, targets, report_tz=cfg.kpi.report_tz)
    kpi.refresh(store, source=source, schedule=calendars, targets=targets)


def _survey_source(store: Store, source: str | None) -> str:
    names = [row[0] for row in store.conn.execute("SELECT name FROM sources ORDER BY name")]
    if source is None and len(names) == 1:
        return names[0]
    if source is not None and source in names:
        return source
    known = ", ".join(names) or "none synced yet"
    msg = (f"survey answers belong to a help-desk source: name it with --source "
           f"(sources in the database: {known})")
    raise fail(msg)


def _notes(store: Store, kind: str, import_id: int, source: str | None) -> list[str]:
    """What imported fine but will not count where one might expect it to."""
    if kind == "agent_hours":
        unknown = store.conn.execute(
            "SELECT COUNT(DISTINCT lower(agent_email)) FROM ext_agent_hours WHERE import_id = ? "
            "AND lower(agent_email) NOT IN (SELECT lower(email) FROM people WHERE email IS NOT "
            "NULL AND role IN ('agent', 'admin'))", (import_id,)).fetchone()[0]
        if unknown:
            return [f"{unknown} agent email(s) match no agent in the help desk: their hours "
                    "count for utilization only, not in tickets per agent hour"]
    if kind == "surveys":
        unknown = store.conn.execute(
            "SELECT COUNT(*) FROM ratings r WHERE r.source = ? AND r.id LIKE 'import:%' AND "
            "r.ticket_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM tickets t WHERE "
            "t.source = r.source AND t.id = r.ticket_id)", (source,)).fetchone()[0]
        if unknown:
            return [f"{unknown} answer(s) name a ticket not (yet) in {source}: a CSAT among "
                    "them counts once that ticket is synced"]
    return []
