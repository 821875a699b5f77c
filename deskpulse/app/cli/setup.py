"""`deskpulse check` and `deskpulse retry`: setting a source up, and trying again what it
could not store, next to the commands in deskpulse/app/cli/main.py."""

from __future__ import annotations

from typing import Annotated

import typer

from deskpulse.app.cli.common import (
    ConfigOption,
    app,
    console,
    err,
    fail,
    open_store,
    read_config,
    source_config,
    source_names,
    writer_lock,
)
from deskpulse.app.config.file import ConfigError
from deskpulse.app.sync.check import SourceCheck, check_source
from deskpulse.app.sync.leasing import SourceBusy, leased
from deskpulse.app.sync.retry import retry_dead_letters

MARKS = {"ok": "[green]will sync[/green]", "not on plan": "[yellow]skipped[/yellow]"}


@app.command()
def check(
    source: Annotated[str | None, typer.Argument(
        help="source name (default: all)", autocompletion=source_names)] = None,
    config: ConfigOption = None,
) -> None:
    """Validate the config, resolve secrets and make one cheap request per stream: what
    will and will not be synced. Exit 1 if a source cannot be synced."""
    cfg = read_config(config)
    names = [source] if source else list(cfg.sources)
    if not names:
        msg = f"no sources configured in {cfg.path}; add a [sources.NAME] table"
        raise fail(msg)
    checks = [check_source(source_config(cfg, name)) for name in names]
    for found in checks:
        _print_check(found)
    if not all(found.ok for found in checks):
        raise typer.Exit(1)


def _print_check(found: SourceCheck) -> None:
    verdict = "[green]ready[/green]" if found.ok else "[red]not ready[/red]"
    console.print(f"[bold]{found.source}[/bold] ({found.kind}): {verdict}")
    if found.problem:
        console.print(f"  {found.problem}", markup=False)
    for result in found.results:
        mark = MARKS.get(result.outcome, f"[red]{result.outcome}[/red]")
        console.print(f"  {result.stream:<22} {mark}" + (f"  {result.detail}" if result.detail
                                                          and result.outcome != "ok" else ""))
    if any(result.outcome == "unauthorized" for result in found.results):
        console.print("  the vendor refused the credentials: check the token (and email) "
                      "and that its ${VARIABLE} holds the current value", markup=False)


@app.command()
def retry(
    source: Annotated[str | None, typer.Argument(
        help="source name (default: all)", autocompletion=source_names)] = None,
    config: ConfigOption = None,
) -> None:
    """Map the dead letters again and store the records that now pass (every sync does
    this too). Exit 1 if any letter is still rejected, or a source's lease is held by a
    daemon syncing it (that sync retries them first)."""
    cfg = read_config(config)
    names = [source] if source else list(cfg.sources)
    left = busy = 0
    with writer_lock(cfg):
        store = open_store(cfg.database, cfg.kpi.summary_options())
        try:
            for name in names:
                source_cfg = source_config(cfg, name)
                try:
                    connector = source_cfg.connector()
                    settings = source_cfg.settings(connector)
                except ConfigError as exc:
                    raise fail(str(exc)) from None
                try:  # a daemon syncing the source retries its letters itself, first
                    with leased(store, name, "sync", cfg.daemon.lease_ttl):
                        done = retry_dead_letters(store, name, connector, settings)
                except SourceBusy as exc:
                    err.print(str(exc), markup=False)
                    busy += 1
                    continue
                console.print(f"{name}: {done.stored:,} dead letters stored, {done.still:,} "
                              f"still rejected, {done.waiting:,} waiting for the vendor to "
                              "send their record again")
                for reason in sorted(set(done.reasons))[:5]:
                    err.print(f"  still rejected: {reason}", markup=False)
                left += done.still
        finally:
            store.close()
    if left or busy:
        raise typer.Exit(1)
