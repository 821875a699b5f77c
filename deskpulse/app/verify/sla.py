"""`deskpulse verify`, SLA part: deskpulse's SLA clock against the vendor's own due moments
(`vendor_sla`: Freshdesk's `fr_due_by` for first_reply, `due_by` for requester_wait).

Compared only where both measure the same thing: the source's targets come from the
vendor's synced policies (with `[[sla]]` targets the vendor's due moments measure other
targets), and the ticket's instance of that metric exists. The latest instance counts (a
priority change replaces the target, and Freshdesk recomputes its due moment from the
same start). A breached or pending instance's breach moment must be the vendor's due moment
within `TOLERANCE` (whole minutes); an achieved one must be fulfilled by then. Left out of
requester_wait, and counted in the check's note: tickets that spent time on hold
(Freshdesk's resolution clock stops on hold as well as in pending, deskpulse's requester
wait only in pending), and breach moments earlier than the vendor's due moment (Freshdesk
lists no status history, only the current pending stretch, so earlier pending stretches
push its due moment back unseen); a vendor due moment earlier than deskpulse's breach is a
disagreement.
"""

from __future__ import annotations

from datetime import datetime

from deskpulse.app.verify.facts import MetricCheck
from deskpulse.kpi.sla.policy import load_targets
from deskpulse.store import Store

TOLERANCE = 60  # seconds: vendors keep due moments to the minute in their UI
COMPARED = {"first_reply": "sla first_reply due (fr_due_by)",
            "requester_wait": "sla requester_wait due (due_by)"}


def verify_deadlines(store: Store, source: str) -> list[MetricCheck]:
    """One check per metric the vendor gives due moments for; none when it gives none."""
    has = {m for (m,) in store.conn.execute(
        "SELECT DISTINCT metric FROM vendor_sla WHERE source = ?", (source,))}
    checks = [MetricCheck(name) for metric, name in COMPARED.items() if metric in has]
    if not checks:
        return []
    row = store.conn.execute("SELECT value FROM kpi_meta WHERE key = 'sla_targets'").fetchone()
    vendor = any(t.source == source and t.policy is not None
                 for t in load_targets(row[0] if row else None))
    if not vendor:
        for check in checks:
            check.skipped = ("the source's SLA targets come from the config, not from the "
                             "vendor's policies the due moments follow")
        return checks
    by_name = {c.name: c for c in checks}
    for metric, name in COMPARED.items():
        if name in by_name:
            _check(store, source, metric, by_name[name])
    return checks


def _check(store: Store, source: str, metric: str, check: MetricCheck) -> None:
    on_hold = unseen = 0
    for ticket, due, created, breach, fulfilled, outcome, held in store.conn.execute(
            "SELECT v.ticket_id, v.due_at, f.created_at, s.breach_at, s.fulfilled_at, "
            "s.outcome, f.on_hold_cal FROM vendor_sla v "
            "JOIN ticket_facts f ON f.source = v.source AND f.ticket_id = v.ticket_id "
            "JOIN sla_instances s ON s.source = v.source AND s.ticket_id = v.ticket_id "
            "AND s.metric = v.metric AND s.seq = (SELECT MAX(seq) FROM sla_instances m WHERE "
            "m.source = s.source AND m.ticket_id = s.ticket_id AND m.metric = s.metric) "
            "WHERE v.source = ? AND v.metric = ? ORDER BY v.ticket_id", (source, metric)):
        if metric == "requester_wait" and held:
            on_hold += 1
            continue
        start = _time(created)
        theirs = (_time(due) - start).total_seconds()
        if breach is None and outcome != "achieved":
            continue  # pending with the clock paused short of the target: nothing to compare
        check.compared += 1
        if breach is not None:
            ours = (_time(breach) - start).total_seconds()
            if metric == "requester_wait" and theirs > ours + TOLERANCE:
                check.compared -= 1
                unseen += 1
                continue
            if abs(ours - theirs) <= TOLERANCE:
                check.agreed += 1
            else:
                check.disagreements.append((ticket, ours, theirs, "the breach moment "
                                            f"differs by {abs(ours - theirs):,.0f} s"))
        else:
            ours = (_time(fulfilled) - start).total_seconds() if fulfilled else None
            if ours is not None and ours <= theirs + TOLERANCE:
                check.agreed += 1
            else:
                check.disagreements.append((ticket, ours, theirs, "met by deskpulse after "
                                            "the vendor's due moment"))
    reasons = []
    if on_hold:
        reasons.append(f"{on_hold:,} ticket(s) with on-hold time left out: Freshdesk's "
                       "resolution clock stops on hold too")
    if unseen:
        reasons.append(f"{unseen:,} ticket(s) whose vendor due moment is later than "
                       "deskpulse's left out: pending stretches Freshdesk lists no history "
                       "of (only the current one) push it back")
    check.skipped = "; ".join(reasons) or None


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)
