"""The figures `deskpulse kpi` and `deskpulse sla` show, gathered for whoever shows them: the
command line (deskpulse/app/cli/main.py, sla.py) and the Python API (deskpulse/app/api.py). Nothing
here
prints; the notes are the lines a reader must see before the figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from deskpulse import kpi
from deskpulse.app.config.file import Config, KpiConfig
from deskpulse.app.report.business import business_rows, merged
from deskpulse.app.report.tables import with_names
from deskpulse.app.report.unmapped import figure_notes
from deskpulse.kpi.sla.policy import load_targets
from deskpulse.store import Store

BY_CHOICES = ("day", "week", "channel", "group", "agent", "priority", "type", "tag")


@dataclass
class KpiFigures:
    """`rows`: one per period or dimension value (one for the range without `by`);
    `previous`: the same number of days just before `since` (without `by`, with `since`);
    `business`: the imported-input figures; `notes`: what bends or empties them."""

    rows: list[dict[str, Any]]
    previous: dict[str, Any] | None = None
    business: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    no_previous: str | None = None  # why there is no previous period (the file lacks it)
    by: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # agent or group id -> name

    def merged(self) -> list[dict[str, Any]]:
        """The rows, with names beside agent or group ids and their business figures as
        extra keys: `deskpulse kpi --format json`."""
        rows = with_names(self.rows, self.by, self.names) if self.names and self.by \
            else self.rows
        return merged(rows, self.business)


def kpi_figures(store: Store, cfg: Config | None, *, by: str | None, since: date | None,
                until: date | None, source: str | None, now: datetime,
                options: dict[str, Any], business_per_row: bool = True) -> KpiFigures:
    """Everything `deskpulse kpi` shows. `cfg` None: no config was read (a bare database).
    `business_per_row` False gives one business row for the whole range (the table)."""
    notes = figure_notes(store, cfg, source)
    stale = unapplied_targets(store, cfg)
    rows = kpi.by_tag(store, source=source, since=since, until=until) if by == "tag" \
        else kpi.summary(store, source=source, since=since, until=until, by=by, now=now,
                         **options)
    if by is None and rows:  # the queue as it stands, whatever the range
        rows[0] |= kpi.unsolved_now(store, source)
    previous, no_previous = None, None
    if by is None and since is not None:  # the same number of days just before
        end = until or now.date()
        before = since - timedelta(days=1)
        start = before - (end - since)
        gap = kpi.uncovered_period(store, start, source)
        if gap:
            no_previous = f"{gap}, after the previous period's first day ({start})"
        else:
            previous = (kpi.summary(store, source=source, since=start, until=before, now=now,
                                    **options) or [{}])[0]
    business = business_rows(store, rows if business_per_row else [],
                             by if business_per_row else None, since, until)
    return KpiFigures(rows, previous, business, ([stale] if stale else []) + notes,
                      no_previous, by, kpi.display_names(store, by or "", source))


@dataclass
class SlaRisks:
    """`deskpulse sla`: `rows` soonest first; `metrics` the SLA metrics with targets (none:
    nothing to be at risk); `notes` what the reader must know first."""

    rows: list[dict[str, Any]]
    metrics: list[str]
    notes: list[str]


def at_risk_window(cfg: Config | None) -> timedelta:
    """`[kpi] sla_at_risk`, or its default without a config."""
    return (cfg.kpi if cfg else KpiConfig()).sla_at_risk


def sla_risks(store: Store, cfg: Config | None, *, window: timedelta, source: str | None,
              now: datetime) -> SlaRisks:
    """Pending SLA instances due before now + window (overdue ones included), soonest first."""
    metrics, note = kpi.sla_status(store)
    rows = kpi.sla_at_risk(store, now=now, window=window, source=source)
    rows = with_names(rows, "assignee_id", kpi.display_names(store, "agent", source),
                      "assignee_name")
    rows = with_names(rows, "group_id", kpi.display_names(store, "group", source), "group_name")
    changed = unapplied_targets(store, cfg)
    return SlaRisks(rows, metrics, [line for line in (note, changed) if line])


def unapplied_targets(store: Store, cfg: Config | None) -> str | None:
    """A warning when the SLA targets the config chooses ([[sla]] entries, or the synced
    vendor policies: [kpi] sla_targets) are not those the stored instances were computed
    with (edited since the last sync); None when they are, or without a config."""
    if cfg is None:
        return None
    targets = kpi.sla_targets_in_use(store, cfg.sla_targets(), cfg.kpi.sla_targets)
    row = store.conn.execute("SELECT value FROM kpi_meta WHERE key = 'sla_targets'").fetchone()
    if list(targets) == load_targets(row[0] if row else None):
        return None
    return ("the SLA targets in use (the config's [[sla]] entries, or the synced vendor "
            "policies) differ from those the stored SLA figures were computed with: they "
            "apply from the next sync or backfill")
