"""What deskpulse could not map, told to whoever reads its figures.

`deskpulse status` lists every vendor value a connector could not map (the `unmapped`
table: how many records, one of them, where, what deskpulse did instead, what to do) and
every synced schedule it cannot use; `kpi`, `report` and `verify` name the figures those
leave empty or different. Apart from status.py so each stays one job.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from deskpulse import kpi
from deskpulse.app.config.file import Config
from deskpulse.connectors.zones import ZONE_FIX
from deskpulse.store import Store
from deskpulse.store.rating_join import pending_ratings
from deskpulse.store.unmapped import unmapped_values

SHOWN = 5  # notes `kpi` and `report` print before pointing at `deskpulse status`


def unmapped_by_source(store: Store, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each source's unmapped values, most records first."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for row in unmapped_values(store.conn, names):
        found[row.pop("source")].append(row)
    return found


def add_unmapped(store: Store, report: list[dict[str, Any]], *, configured: bool) -> None:
    """`deskpulse status`: each source's `unmapped` values and `schedule_problems`."""
    found = unmapped_by_source(store, [item["source"] for item in report])
    problems = schedule_problems(store, configured)
    for item in report:
        item["unmapped"] = found[item["source"]]
        item["schedule_problems"] = [line for source, line in problems
                                     if source == item["source"]]


def schedule_problems(store: Store, configured: bool) -> list[tuple[str, str]]:
    """Why synced business hours are missing or partly replaced: (source, line) per schedule that
    cannot be used, saying what deskpulse does instead and what to do. None when the config
    gives `[[schedule]]` (synced schedules are then not used) or the file holds several
    sources (the config must give them then)."""
    if configured or store.conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0] != 1:
        return []
    lines = []
    for item in kpi.unusable_schedules(store):
        what = f"schedule {item['name']!r} ({item['id']}) of {item['source']}"
        if item["default"]:
            effect = "every business-hours figure (*_bus, business SLA targets) is empty"
        else:
            effect = "tickets of the groups that follow it are timed by the default schedule"
        fix = ZONE_FIX if "time zone" in item["problem"] else \
            "configure [[schedule]] in deskpulse.toml (docs/kpis.md \"Business time\")"
        lines.append((item["source"], f"{what}: {item['problem']}, so {effect}. Fix: {fix}"))
    return lines


def unmapped_notes(store: Store, source: str | None) -> list[str]:
    """Short lines for `kpi` and `report`: which figures unmapped values bend or empty."""
    rows = [row for row in unmapped_values(store.conn, None if source is None else [source])
            if row["kind"] != "time_zone"]  # said by schedule_problems, with its consequence
    lines = [f"{row['source']}: {_records(row['records'])} with {row['kind']} {row['value']!r} "
             f"({row['field']}, e.g. {row['example']}): {row['effect']}" for row in rows[:SHOWN]]
    if rows:
        more = f"{len(rows) - SHOWN} more; " if len(rows) > SHOWN else ""
        lines.append(f"vendor values deskpulse could not map ({more}`deskpulse status` lists "
                     "each with what to do)")
    return lines


def figure_notes(store: Store, cfg: Config | None, source: str | None) -> list[str]:
    """Everything `kpi` and `report` must say before their figures: unusable schedules
    (`cfg` None: no config read, so any synced schedule may be the one in use) and the
    unmapped values of `source` (all sources when None)."""
    problems = [line for name, line in schedule_problems(store, bool(cfg and cfg.schedule))
                if source is None or name == source]
    return problems + rating_notes(store, source) + unmapped_notes(store, source)


def rating_notes(store: Store, source: str | None) -> list[str]:
    """Answered ratings not in CSAT yet: their time has not been read (store.rating_join)."""
    return [f"{row['source']}: {row['ratings']:,} answered ratings are not in CSAT yet: the "
            f"ticket export gave them (e.g. ticket {row['example_ticket']}), their time comes "
            "with the next sync of ticket events (`deskpulse status`)"
            for row in pending_ratings(store.conn, source)]


def print_unmapped(item: dict[str, Any], console: Console) -> None:
    """The status text of one source's unmapped values and unusable schedules."""
    for line in item.get("schedule_problems", []):
        console.print(f"  [red]error:[/red] {escape(line)}")
    rows = item.get("unmapped", [])
    if rows:
        console.print(f"  unmapped vendor values ({len(rows)}):")
    for row in rows:
        console.print(f"    {row['kind']} {escape(repr(row['value']))}: "
                      f"{_records(row['records'])}, e.g. {escape(row['example'])} "
                      f"({escape(row['field'])}), last seen {row['last_seen']}; "
                      f"{escape(row['effect'])}")
        if row["fix"]:
            console.print(f"      fix: {escape(row['fix'])}", style="dim")


def _records(count: int) -> str:
    return f"{count:,} record" + ("s" if count != 1 else "")
