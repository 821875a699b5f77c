"""SLA figures for a report, from `sla_instances` (kpi-catalog §5.6). "Now" is a parameter:
an instance still pending whose breach moment has passed counts as breached, and at-risk
instances are the pending ones due within a window from now. No targets configured is said
as such ("no SLA targets configured"), never shown as 0%, and so are vendor policies that
deskpulse cannot apply (`kpi.sla.targets.policy_notes`).

Outcomes fall on `outcome_day`: the fulfilment day for achieved instances, the breach day
for breached ones (and for pending ones once their breach moment has passed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from deskpulse.kpi.figures.stats import ratio
from deskpulse.kpi.sla.policy import METRICS, load_targets
from deskpulse.kpi.sla.targets import policy_notes
from deskpulse.store import Store

NO_TARGETS = "no SLA targets configured"
AT_RISK = timedelta(hours=1)
DIMENSIONS = {"channel": "s.channel", "group": "s.group_id", "priority": "s.priority",
              "agent": "f.assignee_id"}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status(store: Store) -> tuple[list[str], str | None]:
    """The metrics with targets behind the stored instances, and a note for people when
    something is missing (no targets; business targets without a schedule)."""
    meta = dict(store.conn.execute(
        "SELECT key, value FROM kpi_meta WHERE key IN ('sla_targets', 'definitions')"))
    targets = load_targets(meta.get("sla_targets"))
    if not targets:
        return [], NO_TARGETS
    no_schedule = ":no-schedule" in (meta.get("definitions") or "")
    left_out = [t for t in targets if t.business and no_schedule]
    metrics = sorted({t.metric for t in targets if t not in left_out and t.priorities != ()},
                     key=METRICS.index)
    notes = policy_notes(store)
    if left_out:
        notes.insert(0, f"{len(left_out)} business-hours SLA target(s) left out: no schedule "
                        "is configured or synced ([[schedule]] in deskpulse.toml)")
    return metrics, "; ".join(notes) or None


def figures(store: Store, *, source: str | None, since: date | None, until: date | None,
            by: str | None, key: Callable[[str | None, str | None], str],
            now: datetime | None, at_risk: timedelta = AT_RISK) -> dict[str, dict[str, Any]]:
    """SLA figures per report key (see `empty` for the names). Without `now`, a pending
    instance stays pending and there is no at-risk count."""

    metrics, note = status(store)
    live = now is not None and by not in ("day", "week")  # at risk: now, not a period
    found: dict[str, dict[str, Any]] = defaultdict(lambda: empty(metrics, note, live))
    if not metrics:
        return found
    dimension = DIMENSIONS.get(by or "", "s.channel")
    clauses, args = ["s.outcome IN ('achieved', 'breached', 'pending')"], []
    for clause, value in (("s.source = ?", source),
                          ("s.outcome_day >= ?", since and since.isoformat()),
                          ("s.outcome_day <= ?", until and until.isoformat())):
        if value:
            clauses.append(clause)
            args.append(value)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    tickets: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for tid_source, tid, metric, outcome, breach_at, day, value in store.conn.execute(
            f"SELECT s.source, s.ticket_id, s.metric, s.outcome, s.breach_at, s.outcome_day, "
            f"{dimension} FROM sla_instances s LEFT JOIN ticket_facts f ON "
            "f.source = s.source AND f.ticket_id = s.ticket_id "
            f"WHERE s.outcome_day IS NOT NULL AND {' AND '.join(clauses)}", args):
        if outcome == "pending":
            if now is None or breach_at > _iso(now):
                continue
            outcome = "breached"
        k = key(day, value)
        counts[k][f"{metric}:{outcome}"] += 1
        tickets[k].add((tid_source, tid))
    breached = _breached_tickets(store, now)
    for k, tally in counts.items():
        row = found[k]
        for metric in metrics:
            ok, bad = tally[f"{metric}:achieved"], tally[f"{metric}:breached"]
            row |= {f"sla_{metric}_pct": ratio(ok, ok + bad, 100), f"sla_{metric}_n": ok + bad,
                    f"sla_{metric}_breaches": bad}
        ok = sum(v for name, v in tally.items() if name.endswith(":achieved"))
        bad = sum(v for name, v in tally.items() if name.endswith(":breached"))
        met = sum(1 for ticket in tickets[k] if ticket not in breached)
        row |= {"sla_pct": ratio(ok, ok + bad, 100), "sla_n": ok + bad, "sla_breaches": bad,
                "sla_all_met_pct": ratio(met, len(tickets[k]), 100),
                "sla_tickets_n": len(tickets[k])}
    if live and now is not None:
        for value, due in _due(store, source, now, at_risk, dimension):
            found[key(None, value)]["sla_at_risk" if due >= _iso(now) else "sla_overdue"] += 1
    return found


def empty(metrics: list[str], note: str | None, live: bool = True) -> dict[str, Any]:
    """The SLA columns of a report row before anything is counted: None (not 0) for
    metrics without targets, and everything None when there are no targets at all; the
    at-risk counts are None too unless `live` (a "now" is known and rows are not periods)."""
    configured = bool(metrics)
    row: dict[str, Any] = {}
    for metric in METRICS:
        has = metric in metrics
        row |= {f"sla_{metric}_pct": None, f"sla_{metric}_n": 0 if has else None,
                f"sla_{metric}_breaches": 0 if has else None}
    zero = 0 if configured else None
    now_zero = zero if live else None
    return row | {"sla_pct": None, "sla_n": zero, "sla_breaches": zero,
                  "sla_all_met_pct": None, "sla_tickets_n": zero, "sla_at_risk": now_zero,
                  "sla_overdue": now_zero, "sla_note": note}


def _breached_tickets(store: Store, now: datetime | None) -> set[tuple[str, str]]:
    overdue = "OR (outcome = 'pending' AND breach_at <= ?)" if now else ""
    return {(a, b) for a, b in store.conn.execute(
        f"SELECT DISTINCT source, ticket_id FROM sla_instances WHERE outcome = 'breached' "
        f"{overdue}", (_iso(now),) if now else ())}


def _due(store: Store, source: str | None, now: datetime, window: timedelta,
         dimension: str) -> list[tuple[str | None, str]]:
    """(dimension value, breach_at) of pending instances due before now + window."""
    where, args = "", [_iso(now + window)]
    if source:
        where, args = " AND s.source = ?", [*args, source]
    return store.conn.execute(
        f"SELECT {dimension}, s.breach_at FROM sla_instances s LEFT JOIN ticket_facts f ON "
        "f.source = s.source AND f.ticket_id = s.ticket_id WHERE s.outcome = 'pending' "
        f"AND s.breach_at < ?{where}", args).fetchall()


def at_risk(store: Store, *, now: datetime, window: timedelta = AT_RISK,
            source: str | None = None) -> list[dict[str, Any]]:
    """Pending instances due before now + window, soonest first: `overdue` when the breach
    moment has passed (the instance already counts as breached), else `at risk`."""
    where, args = "", [_iso(now + window)]
    if source:
        where, args = " AND s.source = ?", [*args, source]
    cursor = store.conn.execute(
        "SELECT s.source, s.ticket_id, s.metric, s.priority, s.target_s, s.business, "
        "s.breach_at, t.subject, t.status, t.assignee_id, s.group_id "
        "FROM sla_instances s JOIN tickets t ON t.source = s.source AND t.id = s.ticket_id "
        f"WHERE s.outcome = 'pending' AND s.breach_at < ?{where} "
        "ORDER BY s.breach_at, s.source, s.ticket_id, s.metric", args)
    names = [d[0] for d in cursor.description]
    found = []
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        due = datetime.fromisoformat(row["breach_at"])
        row["seconds_left"] = int((due - now).total_seconds())
        row["state"] = "overdue" if row["seconds_left"] < 0 else "at risk"
        row["business"] = bool(row["business"])
        found.append(row)
    return found
