"""`deskpulse verify`: deskpulse's per-ticket facts against the vendor's own figures.

The connector says which vendor figure matches which fact and with what tolerance
(`Connector.oracle`); this module only lines them up, ticket by ticket. A figure whose fact
is NULL because no business schedule is configured is reported as not compared, never as a
disagreement or an agreement. A figure the vendor gave on no ticket at all (no vendor metrics
stored, or the figure absent or null everywhere) is "nothing to compare", never 100 %; a null
the vendor uses for "not measured" (`OracleMetric.null_is_unmeasured`) is counted apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from deskpulse.connectors import Connector
from deskpulse.store import Store


@dataclass
class MetricCheck:
    name: str
    compared: int = 0
    agreed: int = 0
    skipped: str | None = None
    disagreements: list[tuple[str, float | None, float | None, str]] = field(
        default_factory=list)
    unmeasured: int = 0  # tickets the vendor did not measure (a null meaning "not measured")
    nothing: str | None = None  # why there was nothing to compare, when there was nothing


def verify(store: Store, source: str, connector: Connector,
           no_schedule: str = "no business schedule configured") -> list[MetricCheck]:
    """Every oracle metric of `connector`, checked; `no_schedule` says why business-hours
    figures are NULL when no schedule timed them (say, a synced one deskpulse cannot use)."""
    checks = {metric.name: MetricCheck(metric.name) for metric in connector.oracle}
    meta = dict(store.conn.execute(  # the source's own; a file not synced since: the global
        "SELECT key, value FROM kpi_meta WHERE key IN ('definitions', ?)",
        (f"definitions:{source}",)))
    held = meta.get(f"definitions:{source}", meta.get("definitions"))
    business = held is not None and "no-schedule" not in held.split(":")
    rows = store.conn.execute(
        "SELECT v.ticket_id, v.metrics, f.* FROM vendor_metrics v "
        "JOIN ticket_facts f ON f.source = v.source AND f.ticket_id = v.ticket_id "
        "WHERE v.source = ? ORDER BY v.ticket_id", (source,))
    names = [d[0] for d in rows.description]
    tickets = 0
    given = dict.fromkeys(checks, 0)  # tickets on which the vendor gave the figure
    ours_only = dict.fromkeys(checks, 0)
    for row in rows:
        tickets += 1
        facts = dict(zip(names, row, strict=True))
        theirs_all = json.loads(facts["metrics"])
        for metric in connector.oracle:
            check = checks[metric.name]
            if metric.fact.endswith("_bus") and not business:
                check.skipped = no_schedule
                continue
            theirs, ours = metric.read(theirs_all), facts.get(metric.fact)
            if theirs is None and metric.null_is_unmeasured:
                check.unmeasured += 1
                continue
            given[metric.name] += theirs is not None
            ours_only[metric.name] += theirs is None and ours is not None
            _compare(check, facts["ticket_id"], ours, theirs, metric.tolerance)
    for name, check in checks.items():
        if not check.skipped and not given[name]:
            _nothing(store, source, check, tickets, ours_only[name])
    return list(checks.values())


def _nothing(store: Store, source: str, check: MetricCheck, tickets: int, ours: int) -> None:
    """The vendor gave the figure on no ticket: say why, and compare nothing."""
    check.compared = check.agreed = 0
    check.disagreements.clear()
    if tickets == 0:
        (stored,) = store.conn.execute("SELECT count(*) FROM vendor_metrics WHERE source = ?",
                                       (source,)).fetchone()
        check.nothing = (f"none of the {stored:,} tickets with vendor metrics has KPI facts"
                         if stored else "no vendor metrics stored for this source")
    elif check.unmeasured == tickets:
        check.nothing = f"the vendor measured it on none of {tickets:,} tickets (null)"
    else:
        check.nothing = (f"the vendor's figure is absent or null on all {tickets:,} tickets "
                         "with vendor metrics"
                         + (f" (deskpulse has a value on {ours:,})" if ours else ""))


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


def summary(check: MetricCheck) -> str:
    """One line per check, as `deskpulse verify` prints it: zero pairs is never 100 %."""
    if not check.compared:
        reason = check.skipped or check.nothing or "no ticket had a figure on both sides"
        verb = "not compared" if check.skipped and not check.nothing else "nothing to compare"
        return f"{check.name}: {verb} ({reason})"
    share = 100 * check.agreed / check.compared
    line = f"{check.name}: {check.agreed:,}/{check.compared:,} agree ({share:.1f}%)"
    if check.unmeasured:
        line += f"; {check.unmeasured:,} not measured by the vendor (null)"
    if check.skipped:
        line += f"; {check.skipped}"
    return line
