"""Business KPIs: help-desk figures combined with imported inputs (`ext_*` tables, ratings).

Each figure is a number, None (its input is there but there is nothing to divide), or the
text "missing input: …" when what it needs was never imported or does not cover the period,
so no one reads a missing input as zero. They cover every source in the file: costs, revenue,
agent hours and accounts belong to the support organization, not to one help desk.
Definitions: docs/kpis.md, "Business KPIs".
"""

from __future__ import annotations

from datetime import date, timedelta

from deskpulse.kpi.figures.agent_hours import agent_productivity, missing
from deskpulse.kpi.figures.stats import ratio as _ratio
from deskpulse.store import Store

Figure = float | int | str | None
KEYS = ("currency", "support_cost", "cost_per_ticket", "cost_per_resolution", "revenue",
        "cost_to_revenue_pct", "nps", "nps_n", "ces_mean", "ces_easy_pct", "ces_n",
        "agent_hours_logged", "solved_per_agent_hour", "handled_per_agent_hour",
        "occupancy_pct", "utilization_pct", "accounts_at_start", "churn_pct",
        "churn_pct_with_tickets", "retention_pct_with_tickets", "churn_pct_without_tickets",
        "mrr_at_end")


def report_period(store: Store, since: date | None, until: date | None
                  ) -> tuple[date, date] | None:
    """The days the business KPIs cover: the given range, its open ends filled from the
    tickets (first creation, last creation or first solve). None: no range and no ticket."""
    if since is None or until is None:
        first, created, solved = store.conn.execute(
            "SELECT MIN(created_day), MAX(created_day), MAX(first_solved_day) "
            "FROM ticket_facts").fetchone()
        if first is None:
            return None
        last = max(created, solved or "")
        since = since or date.fromisoformat(first)
        until = until or date.fromisoformat(last)
    return since, until


def business_kpis(store: Store, *, since: date | None = None,
                  until: date | None = None) -> dict[str, Figure]:
    """Every business KPI for [since, until] (inclusive days; open ends: see report_period)."""
    period = report_period(store, since, until)
    if period is None:
        return {"business_since": None, "business_until": None} | dict.fromkeys(
            KEYS, "no period: the file has no tickets; give --since and --until")
    first, last = period
    figures: dict[str, Figure] = {"business_since": first.isoformat(),
                                  "business_until": last.isoformat()}
    figures |= money(store, first, last)
    figures |= surveys(store, first, last)
    figures |= agent_productivity(store, first, last)
    figures |= accounts(store, first, last)
    return figures


def prorated(store: Store, table: str, first: date, last: date
             ) -> tuple[float, str | None, int]:
    """(amount spread evenly over each row's days and summed over [first, last], currency,
    days of the range no row covers)."""
    total, currency, covered = 0.0, None, set()
    for start_text, end_text, amount, cur in store.conn.execute(
            f"SELECT period_start, period_end, amount, currency FROM {table} "
            "WHERE period_start <= ? AND period_end >= ?", (last.isoformat(),
                                                            first.isoformat())):
        start, end = date.fromisoformat(start_text), date.fromisoformat(end_text)
        lo, hi = max(start, first), min(end, last)
        total += amount * ((hi - lo).days + 1) / ((end - start).days + 1)
        currency = cur
        covered.update(lo + timedelta(days=n) for n in range((hi - lo).days + 1))
    return total, currency, (last - first).days + 1 - len(covered)


def _coverage(name: str, gap: int, first: date, last: date) -> str | None:
    days = (last - first).days + 1
    if gap == days:
        return missing(name)
    if gap:
        return missing(f"{name} for {gap} of the {days} days")
    return None


def money(store: Store, first: date, last: date) -> dict[str, Figure]:
    """Support cost, cost per ticket and per resolution, cost as a share of revenue."""
    cost, currency, cost_gap = prorated(store, "ext_costs", first, last)
    revenue, revenue_currency, revenue_gap = prorated(store, "ext_revenue", first, last)
    created, solved = store.conn.execute(  # the `created` and `solved` of kpi.summary
        "SELECT SUM(created), SUM(solved) FROM kpi_daily WHERE dimension = 'all' "
        "AND day BETWEEN ? AND ?", (first.isoformat(), last.isoformat())).fetchone()
    no_cost = _coverage("costs", cost_gap, first, last)
    no_revenue = _coverage("revenue", revenue_gap, first, last)
    figures: dict[str, Figure] = {
        "currency": currency or revenue_currency,
        "support_cost": no_cost or round(cost, 2),
        "cost_per_ticket": no_cost or _ratio(cost, created or 0),
        "cost_per_resolution": no_cost or _ratio(cost, solved or 0),
        "revenue": no_revenue or round(revenue, 2),
    }
    if no_cost or no_revenue:
        figures["cost_to_revenue_pct"] = no_cost or no_revenue
    elif currency != revenue_currency:
        figures["cost_to_revenue_pct"] = (f"not comparable: costs in {currency}, revenue in "
                                          f"{revenue_currency}")
    else:
        figures["cost_to_revenue_pct"] = _ratio(cost, revenue, 100)
    return figures


# A CES answer mapped linearly onto 1-7 (higher = easier); the scale is stored as 'low-high'.
# DOUBLE PRECISION, not REAL: REAL is a 4-byte float on PostgreSQL; NULL for a scale whose
# bounds are equal (SQLite's x / 0.0, a division error on PostgreSQL)
_LOW = "CAST(substr(scale, 1, instr(scale, '-') - 1) AS DOUBLE PRECISION)"
_HIGH = "CAST(substr(scale, instr(scale, '-') + 1) AS DOUBLE PRECISION)"
CES_ON_SEVEN = (f"(1 + (CAST(score AS DOUBLE PRECISION) - {_LOW}) * 6 "
                f"/ NULLIF({_HIGH} - {_LOW}, 0))")


def surveys(store: Store, first: date, last: date) -> dict[str, Figure]:
    """NPS and CES from survey answers (ratings of kind nps / ces) given in the period."""
    kinds = {kind for kind in ("nps", "ces") if store.conn.execute(
        "SELECT EXISTS (SELECT 1 FROM ratings WHERE kind = ?)", (kind,)).fetchone()[0]}
    span = (first.isoformat(), last.isoformat())  # `at` is ISO text: compare, don't cut
    in_period = "at >= ? AND at < date(?, '+1 day')"
    n, promoters, detractors = store.conn.execute(
        "SELECT COUNT(*), SUM(CASE WHEN CAST(score AS INTEGER) >= 9 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN CAST(score AS INTEGER) <= 6 THEN 1 ELSE 0 END) "
        f"FROM ratings WHERE kind = 'nps' AND {in_period}", span).fetchone()
    ces_n, ces_sum, easy = store.conn.execute(  # easy: NULL where the CES is (SQLite's SUM)
        f"SELECT COUNT(*), SUM({CES_ON_SEVEN}), SUM(CASE WHEN {CES_ON_SEVEN} >= 5 THEN 1 "
        f"WHEN {CES_ON_SEVEN} < 5 THEN 0 END) FROM ratings "
        f"WHERE kind = 'ces' AND {in_period}", span).fetchone()
    no_nps, no_ces = missing("surveys (nps)"), missing("surveys (ces)")
    return {
        "nps": _ratio((promoters or 0) - (detractors or 0), n, 100, 1) if "nps" in kinds
        else no_nps,
        "nps_n": n if "nps" in kinds else no_nps,
        "ces_mean": _ratio(ces_sum or 0, ces_n) if "ces" in kinds else no_ces,
        "ces_easy_pct": _ratio(easy or 0, ces_n, 100) if "ces" in kinds else no_ces,
        "ces_n": ces_n if "ces" in kinds else no_ces,
    }


def accounts(store: Store, first: date, last: date) -> dict[str, Figure]:
    """Churn and retention of the accounts active when the period starts, for all of them
    and split by whether they had a ticket by the period's end; MRR at the end."""
    rows = store.conn.execute(
        "SELECT domain_or_org_id, mrr, start_date, churn_date FROM ext_accounts").fetchall()
    if not rows:
        return dict.fromkeys(("accounts_at_start", "churn_pct", "churn_pct_with_tickets",
                              "retention_pct_with_tickets", "churn_pct_without_tickets",
                              "mrr_at_end"), missing("accounts"))
    start, end = first.isoformat(), last.isoformat()
    with_tickets = _ticket_keys(store, end)
    counts = {"all": [0, 0], True: [0, 0], False: [0, 0]}  # [at start, lost]
    mrr = 0.0
    for key, account_mrr, began, churned in rows:
        if began <= end and (churned is None or churned > end):
            mrr += account_mrr
        if began > start or (churned is not None and churned < start):
            continue
        lost = int(churned is not None and churned <= end)
        for group in ("all", key.lower() in with_tickets):
            counts[group][0] += 1
            counts[group][1] += lost
    churn_with = _ratio(counts[True][1], counts[True][0], 100)
    return {
        "accounts_at_start": counts["all"][0],
        "churn_pct": _ratio(counts["all"][1], counts["all"][0], 100),
        "churn_pct_with_tickets": churn_with,
        "retention_pct_with_tickets": None if churn_with is None else round(100 - churn_with, 2),
        "churn_pct_without_tickets": _ratio(counts[False][1], counts[False][0], 100),
        "mrr_at_end": round(mrr, 2),
    }


def _ticket_keys(store: Store, end: str) -> set[str]:
    """Organization ids and requester email domains (lowercase) of the tickets created by
    `end`: what an account's `domain_or_org_id` is matched against."""
    return {row[0].lower() for row in store.conn.execute(
        "SELECT DISTINCT t.organization_id FROM tickets t WHERE t.deleted = 0 "
        "AND t.organization_id IS NOT NULL AND date(t.created_at) <= ? UNION "
        "SELECT DISTINCT substr(p.email, instr(p.email, '@') + 1) FROM tickets t "
        "JOIN people p ON p.source = t.source AND p.id = t.requester_id "
        "WHERE t.deleted = 0 AND p.email LIKE '%@%' AND date(t.created_at) <= ?",
        (end, end))}
