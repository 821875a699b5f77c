"""KPI figures for a date range, grouped by period or dimension (no formatting here).

Counts and means come from the additive `kpi_daily` rollups; percentiles come exactly from
every value of the range (never an average of daily medians): for the whole range, days,
weeks and channels from each day's sorted values (`kpi_values`, kpi.values), for the other
dimensions from `ticket_facts` over the indexed day range; percentiles of nothing are None,
not 0. Durations are seconds (`*_s`), rates are percentages (`*_pct`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from deskpulse.kpi.facts.rules import rules_for
from deskpulse.kpi.figures.shares import REPEAT_DAYS, Scope, repeat_contacts, tagged_escalations
from deskpulse.kpi.figures.stats import ratio, spread
from deskpulse.kpi.sla.figures import AT_RISK
from deskpulse.kpi.sla.figures import figures as sla_figures
from deskpulse.kpi.upkeep import values
from deskpulse.kpi.upkeep.refresh import report_zone
from deskpulse.kpi.upkeep.rollup import COUNTERS
from deskpulse.store import Store

PERIODS = {"day": "day", "week": "date(day, 'weekday 0', '-6 days')"}
DIMENSION_COLUMNS = {"channel": "channel", "group": "group_id", "agent": "assignee_id",
                     "priority": "priority", "type": "type"}
# (figure, fact column, anchor day, extra condition on the facts)
PERCENTILE_METRICS = (("frt", "frt_cal", "first_reply_day", ""),
                      ("first_resolution", "first_resolution_cal", "first_solved_day", ""),
                      ("full_resolution", "full_resolution_cal", "last_solved_day", ""),
                      # business time: no values (so None figures) without a schedule
                      ("frt_bus", "frt_bus", "first_reply_day", ""),
                      ("first_assignment", "first_assignment_cal", "first_assigned_day", ""),
                      ("full_resolution_bus", "full_resolution_bus", "last_solved_day", ""),
                      # time in new/open until the first solve (Zendesk's agent work time)
                      ("agent_work", "agent_work_cal", "first_solved_day", ""),
                      ("agent_work_bus", "agent_work_bus", "first_solved_day", ""),
                      # first reply on tickets that came in through social media
                      ("social_frt", "frt_cal", "first_reply_day", "channel = 'social'"),
                      # where agents log time (Freshdesk time entries): per solved ticket
                      ("handle_time", "handle_time_s", "first_solved_day", ""))


def _filters(source: str | None, since: date | None, until: date | None,
             day_column: str = "day", source_column: str = "source") -> tuple[str, list[Any]]:
    clauses, args = [], []
    if source:
        clauses.append(f"{source_column} = ?")
        args.append(source)
    if since:
        clauses.append(f"{day_column} >= ?")
        args.append(since.isoformat())
    if until:
        clauses.append(f"{day_column} <= ?")
        args.append(until.isoformat())
    return (" AND ".join(clauses) or "1 = 1"), args


def _key_of(by: str | None, day: str | None, value: str | None) -> str:
    if by == "day":
        return day or ""
    if by == "week":
        monday = date.fromisoformat(day or "1970-01-05")
        return (monday - timedelta(days=monday.weekday())).isoformat()
    if by in DIMENSION_COLUMNS:
        return value or ""
    return "all"


def summary(store: Store, *, source: str | None = None, since: date | None = None,
            until: date | None = None, by: str | None = None,
            repeat_days: int = REPEAT_DAYS, escalation_tags: tuple[str, ...] = (),
            now: datetime | None = None, sla_at_risk: timedelta = AT_RISK
            ) -> list[dict[str, Any]]:
    """One row per period (by=day|week), per dimension value (channel|group|agent|priority|type),
    or one row for the whole range (by=None). `now` is when the report is read: it decides
    which pending SLA instances have breached and which are at risk (kpi.sla_report)."""
    dimension = by if by in DIMENSION_COLUMNS else "all"
    totals = _counters(store, source, since, until, by, dimension)
    backlog = _backlog(store, source, since, until, by, dimension, list(totals))
    if by in SORTED_BY:
        spreads = _sorted_values(store, source, since, until, by)
    else:
        spreads = _percentiles(store, source, since, until, by)
        _reply_waits(store, source, since, until, by, spreads)
    scope = Scope(store, source, since, until, DIMENSION_COLUMNS.get(by or "", "channel"),
                  lambda day, value: _key_of(by, day, value))
    repeats = repeat_contacts(scope, repeat_days)
    tagged = tagged_escalations(scope, escalation_tags)
    sla = sla_figures(store, source=source, since=since, until=until, by=by, now=now,
                      at_risk=sla_at_risk, key=lambda day, value: _key_of(by, day, value))
    rows = []
    for key in sorted(totals):
        c = totals[key]
        row: dict[str, Any] = {} if by is None else {_key_name(by): key}
        row |= {"created": c["created"], "solved": c["solved"],
                "reopened": c["reopened_tickets"], "backlog": backlog.get(key)}
        for metric in [m for m, *_how in PERCENTILE_METRICS] + ["reply"]:
            row |= spread(metric, spreads.get(key, {}).get(metric, []))
        row |= {
            "requester_wait_mean_s": ratio(c["requester_wait_sum"], c["solved"]),
            "replies_per_solved": ratio(c["replies_sum"], c["solved"]),
            "one_touch_pct": ratio(c["one_touch"], c["solved"], 100),
            "fcr_pct": ratio(c["fcr"], c["solved"] - c["zero_touch"], 100),
            "reopen_pct": ratio(c["reopened_tickets"], c["solved"], 100),
            "csat_pct": ratio(c["csat_positive"], c["csat_rated"], 100),
            "csat_n": c["csat_rated"],
        }
        row |= {
            # no bot in the data: no figure (a desk without a bot is not 0% bot-resolved)
            "bot_only_pct": ratio(c["bot_only"], c["solved"], 100) if c["with_bots"] else None,
            "survey_response_pct": ratio(c["surveys_answered"], c["surveys_offered"], 100),
            "repeat_contact_pct": ratio(repeats.get(key, 0), c["solved"], 100),
            "escalation_pct": ratio(c["escalated"] + tagged.get(key, 0), c["created"], 100),
        }
        rows.append(row | sla[key])
    return rows


def _key_name(by: str) -> str:
    return "period" if by in PERIODS else by


def _counters(store: Store, source: str | None, since: date | None, until: date | None,
              by: str | None, dimension: str) -> dict[str, dict[str, int]]:
    """The day counters summed per row key. Surveys offered and answered count only from
    vendors that record unanswered surveys: elsewhere every known survey is an answer."""
    where, args = _filters(source, since, until)
    sums = ", ".join(f"SUM({name})" for name in COUNTERS)
    key = PERIODS.get(by or "", "value" if dimension != "all" else "'all'")
    kinds = dict(store.conn.execute("SELECT name, kind FROM sources"))
    totals: dict[str, dict[str, int]] = {}
    for row in store.conn.execute(
            f"SELECT {key} AS k, source, {sums} FROM kpi_daily WHERE dimension = ? AND {where} "
            "GROUP BY k, source", (dimension, *args)):
        sums_of = dict(zip(COUNTERS, row[2:], strict=True))
        if not rules_for(kinds.get(row[1])).surveys_offered:
            sums_of["surveys_offered"] = sums_of["surveys_answered"] = 0
        counters = totals.setdefault(row[0], dict.fromkeys(COUNTERS, 0))
        for name, amount in sums_of.items():
            counters[name] += amount
    return totals


def _backlog(store: Store, source: str | None, since: date | None, until: date | None,
             by: str | None, dimension: str, keys: list[str]) -> dict[str, int]:
    """Tickets unsolved at the end of each period (or of the range, per dimension value)."""
    where, args = _filters(source, None, until)
    deltas = store.conn.execute(
        f"SELECT day, value, SUM(backlog_delta) FROM kpi_daily WHERE dimension = ? AND {where} "
        "GROUP BY day, value ORDER BY day", (dimension, *args)).fetchall()
    if by in PERIODS:
        running, result = 0, {}
        for day, _value, delta in deltas:
            running += delta
            if since is None or day >= since.isoformat():
                result[_key_of(by, day, None)] = running
        return {key: result[key] for key in keys if key in result}
    totals: dict[str, int] = defaultdict(int)
    for _day, value, delta in deltas:
        totals[_key_of(by, None, value)] += delta
    return dict(totals)


# row keys the sorted day values can serve (kpi.values: per day and channel); the other
# dimensions read the facts' values
SORTED_BY = (None, "day", "week", "channel")


def _sorted_values(store: Store, source: str | None, since: date | None, until: date | None,
                   by: str | None) -> dict[str, dict[str, list[int]]]:
    """Every percentile figure's values per row key, sorted, from the day BLOBs: the same
    values as `_percentiles` and `_reply_waits` read from the facts."""
    found: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for metric in [m for m, *_how in PERCENTILE_METRICS] + ["reply"]:
        stored, channel = ("frt", "social") if metric == "social_frt" else (metric, None)
        parts: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
        for day, value, wide, data in values.read(store.conn, stored, source=source,
                                                  since=since, until=until, channel=channel):
            parts[_key_of(by, day, value)].append((wide, data))
        for key, blobs in parts.items():
            found[key][metric] = values.merged(blobs)
    return found


def _percentiles(store: Store, source: str | None, since: date | None, until: date | None,
                 by: str | None) -> dict[str, dict[str, list[int]]]:
    found: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for metric, column, anchor, condition in PERCENTILE_METRICS:
        where, args = _filters(source, since, until, anchor)
        where += f" AND {condition}" if condition else ""
        _collect(store, by, found, metric, anchor, column, "ticket_facts", f"{where} AND "
                 f"{column} IS NOT NULL AND {anchor} IS NOT NULL", args)
    return found


def _reply_waits(store: Store, source: str | None, since: date | None, until: date | None,
                 by: str | None, found: dict[str, dict[str, list[int]]]) -> None:
    """Next reply time: every reply cycle answered in the range, by the day of the answer
    (a ticket with three answered waits counts three times)."""
    where, args = _filters(source, since, until, "c.end_day", "c.source")
    # cycles exist only for tickets with facts (refresh replaces both together), so the
    # facts are joined only for the dimension a --by asks for
    tables = "reply_cycles c" if by is None else (
        "reply_cycles c JOIN ticket_facts f ON f.source = c.source AND "
        "f.ticket_id = c.ticket_id")
    _collect(store, by, found, "reply", "c.end_day", "c.secs_cal", tables,
             f"c.end_kind = 'reply' AND {where}", args, prefix="f.")


def _collect(store: Store, by: str | None, found: dict[str, dict[str, list[int]]],
             metric: str, anchor: str, column: str, tables: str, where: str,
             args: list[Any], prefix: str = "") -> None:
    """The values of one percentile figure, by row key. For the whole range (no --by) only
    the values are read: on a large account that is most of a report's time."""
    if by is None:
        found["all"][metric].extend(x for (x,) in store.conn.execute(
            f"SELECT {column} FROM {tables} WHERE {where}", args))
        return
    dim_column = prefix + DIMENSION_COLUMNS.get(by, "channel")
    for day, value, x in store.conn.execute(
            f"SELECT {anchor}, {dim_column}, {column} FROM {tables} WHERE {where}", args):
        found[_key_of(by, day, value)][metric].append(x)


def agent_activity(store: Store, *, source: str | None = None, since: date | None = None,
                   until: date | None = None) -> dict[str, dict[str, int]]:
    """Per agent, from events in the range: `handled` = distinct tickets the agent touched
    (any update: reply, note, field change), `replies` = public replies (messages or notes).
    Roles as in the facts: the event's own, else the person's (admins count as agents)."""
    clauses, args = ["t.deleted = 0"], []
    if source:
        clauses.append("e.source = ?")
        args.append(source)
    if since:
        clauses.append("e.at >= ?")
        args.append(since.isoformat())
    if until:
        clauses.append("e.at < ?")
        args.append((until + timedelta(days=1)).isoformat())
    rows = store.conn.execute(
        "SELECT e.actor_id, COUNT(DISTINCT e.ticket_id), "
        "SUM(CASE WHEN e.public = 1 AND e.kind IN ('message', 'note') THEN 1 ELSE 0 END) "
        "FROM events e JOIN tickets t ON t.source = e.source AND t.id = e.ticket_id "
        "LEFT JOIN people p ON p.source = e.source AND p.id = e.actor_id "
        "WHERE COALESCE(e.actor_role, CASE p.role WHEN 'admin' THEN 'agent' ELSE p.role END)"
        f" = 'agent' AND {' AND '.join(clauses)} GROUP BY e.actor_id", args)
    return {actor: {"handled": handled, "replies": replies} for actor, handled, replies in rows}


AGE_BANDS = (("0-1d", 1), ("1-3d", 3), ("3-7d", 7), (">7d", None))


def backlog_by_age(store: Store, *, source: str | None = None, since: date,
                   until: date) -> list[dict[str, Any]]:
    """Tickets unsolved at the end of each day, split by how long they had been unsolved.

    The same convention as the backlog count: a span [start, end) is in the backlog at the
    end of day D when it started before midnight after D (in the report's zone) and had not
    ended by then.
    """
    zone = ZoneInfo(report_zone(store))
    where, args = _filters(source, None, None)
    spans = store.conn.execute(
        f"SELECT start_at, end_at FROM unsolved_spans WHERE {where} AND start_day <= ? "
        "AND (end_day IS NULL OR end_day > ?)", (*args, until.isoformat(), since.isoformat()))
    starts_ends = [(_moment(a), _moment(b) if b else None) for a, b in spans]
    rows = []
    day = since
    while day <= until:
        midnight = datetime.combine(day + timedelta(days=1), time(0), zone)
        counts = dict.fromkeys((name for name, _limit in AGE_BANDS), 0)
        for start, end in starts_ends:
            if start < midnight and (end is None or end >= midnight):
                age_days = (midnight - start).total_seconds() / 86400
                band = next(name for name, limit in AGE_BANDS
                            if limit is None or age_days <= limit)
                counts[band] += 1
        rows.append({"day": day.isoformat(), **counts})
        day += timedelta(days=1)
    return rows


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def ticket_facts_for(store: Store, source: str, ticket_id: str) -> dict[str, Any] | None:
    """One ticket's fact row as a dict (None when it has none, e.g. deleted)."""
    cursor = store.conn.execute(
        "SELECT * FROM ticket_facts WHERE source = ? AND ticket_id = ?", (source, ticket_id))
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))
