"""`deskpulse verify`: deskpulse's per-ticket facts against the vendor's own figures.

The connector says which vendor figure matches which fact and with what tolerance
(`Connector.oracle`); this module only lines them up, ticket by ticket. A figure whose fact
is NULL because no business schedule is configured is reported as not compared, never as a
disagreement or an agreement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from connectors import Connector
from store import Store


@dataclass
class MetricCheck:
    name: str
    compared: int = 0
    agreed: int = 0
    skipped: str | None = None
    disagreements: list[tuple[str, float | None, float | None, str]] = field(
        default_factory=list)


def verify(store: Store, source: str, connector: Connector,
           no_schedule: str = "no business schedule configured") -> list[MetricCheck]:
    """Every oracle metric of `connector`, checked; `no_schedule` says why business-hours
    figures are NULL when no schedule timed them (say, a synced one deskpulse cannot use)."""
    checks = {metric.name: MetricCheck(metric.name) for metric in connector.oracle}
    meta = store.conn.execute("SELECT value FROM kpi_meta WHERE key = 'definitions'").fetchone()
    business = meta is not None and "no-schedule" not in meta[0].split(":")
    rows = store.conn.execute(
        "SELECT v.ticket_id, v.metrics, f.* FROM vendor_metrics v "
        "JOIN ticket_facts f ON f.source = v.source AND f.ticket_id = v.ticket_id "
        "WHERE v.source = ? ORDER BY v.ticket_id", (source,))
    names = [d[0] for d in rows.description]
    for row in rows:
        facts = dict(zip(names, row, strict=True))
        theirs_all = json.loads(facts["metrics"])
        for metric in connector.oracle:
            check = checks[metric.name]
            if metric.fact.endswith("_bus") and not business:
                check.skipped = no_schedule
                continue
            _compare(check, facts["ticket_id"], facts.get(metric.fact),
                     metric.read(theirs_all), metric.tolerance)
    return list(checks.values())


def _compare(check: MetricCheck, ticket: str, ours: float | None, theirs: float | None,
             tolerance: float) -> None:
    check.compared += 1
    if ours is None and theirs is None:
        check.agreed += 1
    elif ours is None:
        check.disagreements.append((ticket, ours, theirs, "deskpulse has no value"))
    elif theirs is None:
        check.disagreements.append((ticket, ours, theirs, "the vendor has no value"))
    elif abs(ours - theirs) <= tolerance:
        check.agreed += 1
    else:
        check.disagreements.append((ticket, ours, theirs,
                                    f"differs by {abs(ours - theirs):,.0f}"))
