"""Which facts were computed under definitions that no longer hold, and rebuilding just those.

A source's facts depend on the facts code (FACTS_VERSION), the report time zone, the business
calendars and the SLA targets that apply to it (`[[sla]]` entries for it or for every source,
and its own synced vendor policies). Each source keeps its own fingerprint of those in
`kpi_meta` (`definitions:<source>`), so one source's policies appearing or changing rebuilds
that source alone: with one global fingerprint, every new source of an agency's database
rebuilt every other source's facts (quadratic in the number of sources).

Each source is rebuilt in its own transaction together with its fingerprint, which it
claims compare-and-set: a crash leaves the old one, and of several daemons on one database
only the first rebuilds (the others find the new fingerprint and skip). A report time zone
change moves every day column, and `refresh` reads the zone from `kpi_meta`, so it still
rebuilds everything in one transaction. The global `definitions` and `sla_targets` keys are
kept for the whole set (the reports read them), written once every source is current.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from deskpulse.kpi.hours.schedules import Calendars, as_calendars
from deskpulse.kpi.hours.seconds import Schedule
from deskpulse.kpi.sla.policy import Target, dump_targets
from deskpulse.kpi.sla.policy import fingerprint as sla_fingerprint
from deskpulse.kpi.upkeep.refresh import rebuild
from deskpulse.store import Store

# Bump when a fact's definition changes in code: files computed by an older deskpulse then
# rebuild their facts on the next run, as they do when the schedule changes.
# 2: reply cycles; 3: handle time; 4: first assignment, bots; 5: agent work; 6: priority raised;
# 7: SLA requester wait / agent work re-activated by a reopen, pausable update (one branch) and
# sorted day values (kpi_values), next-contact gaps, share and escalation counters (another);
# 8: both at once; 9: the ticket's own status without status events, no Intercom first
# resolution without a customer message
FACTS_VERSION = 9

KEY = "definitions"
Rebuilt = Callable[[str | None], None]  # told each source rebuilt (None: every source)


def fingerprint(calendars: Calendars | None, targets: Sequence[Target], report_tz: str) -> str:
    """`v<FACTS_VERSION>:<calendars>[:sla-<targets>][:days in <zone>]` (docs/schema.md)."""
    text = f"v{FACTS_VERSION}:" + (calendars.fingerprint() if calendars else "no-schedule")
    text += f":sla-{sla_fingerprint(targets)}" if targets else ""
    return text + ("" if report_tz == "UTC" else f":days in {report_tz}")


def own_targets(targets: Sequence[Target], source: str) -> tuple[Target, ...]:
    """The targets that can apply to the source's tickets, in their order (as `choose`
    sees them: `kpi.sla.instances` keeps those of the source or of no source)."""
    return tuple(t for t in targets if t.source in (None, source))


def ensure_definitions(store: Store, schedule: Schedule | Calendars | None,
                       targets: Sequence[Target] = (), *, report_tz: str = "UTC",
                       rebuilt: Rebuilt | None = None) -> bool:
    """Rebuild the facts of each source whose definitions changed since they were computed
    (a schedule or one of its SLA targets added, edited or removed; every source for another
    report time zone or a newer FACTS_VERSION); return True when this call rebuilt any.
    `rebuilt` is told which (tests count them)."""
    calendars = as_calendars(schedule)
    whole = fingerprint(calendars, targets, report_tz)
    meta = dict(store.conn.execute(
        "SELECT key, value FROM kpi_meta WHERE key IN (?, 'report_tz', 'sla_targets') "
        "OR key LIKE ?", (KEY, f"{KEY}:%")))
    sources = _sources(store)
    wanted = {s: fingerprint(calendars, own_targets(targets, s), report_tz) for s in sources}
    if meta.get("report_tz", "UTC") != report_tz:
        return _rebuild_all(store, schedule, meta, wanted, whole, targets, report_tz, rebuilt)
    adopt = meta.get(KEY) == whole  # a file of the previous version, computed as now
    done, adopted = False, []
    for source, want in wanted.items():
        held = meta.get(f"{KEY}:{source}")
        if held == want or (held is None and adopt):
            adopted += [(f"{KEY}:{source}", want)] if held is None else []
            continue
        with store.transaction():
            if not _claim(store, f"{KEY}:{source}", held, want):
                continue  # another process rebuilt it meanwhile
            if _has_facts(store, source):  # in the same transaction: a crash leaves the old
                rebuild(store, source=source, schedule=schedule, targets=targets)
                done = True
                if rebuilt is not None:
                    rebuilt(source)
    if adopted or meta.get(KEY) != whole or meta.get("sla_targets") != dump_targets(targets) \
            or "report_tz" not in meta:  # the whole set's, once every source is current
        with store.transaction():
            for key, value in ((KEY, whole), ("sla_targets", dump_targets(targets)),
                               ("report_tz", report_tz), *adopted):
                _upsert(store, key, value)
    return done


def _rebuild_all(store: Store, schedule: Schedule | Calendars | None, meta: dict[str, str],
                 wanted: dict[str, str], whole: str, targets: Sequence[Target],
                 report_tz: str, rebuilt: Rebuilt | None) -> bool:
    """Another report time zone: every day column moves, all in one transaction (`refresh`
    reads the zone from kpi_meta, so no source may refresh under the new one before its
    facts are rebuilt)."""
    with store.transaction():
        if not _claim(store, "report_tz", meta.get("report_tz"), report_tz):
            return False  # another process moved the zone meanwhile
        for key, value in ((KEY, whole), ("sla_targets", dump_targets(targets)),
                           *((f"{KEY}:{s}", w) for s, w in wanted.items())):
            _upsert(store, key, value)
        has_facts = store.conn.execute("SELECT 1 FROM ticket_facts LIMIT 1").fetchone()
        if has_facts is not None:
            rebuild(store, schedule=schedule, targets=targets)
            if rebuilt is not None:
                rebuilt(None)
    return has_facts is not None


def _sources(store: Store) -> list[str]:
    """Every source that has or will have facts: the registered ones, those with tickets
    waiting for a refresh, and those with facts (found one index seek per source, not by
    reading every fact)."""
    found = {name for (name,) in store.conn.execute(
        "SELECT name FROM sources UNION SELECT source FROM kpi_dirty")}
    after = ""
    while True:
        row = store.conn.execute("SELECT MIN(source) FROM ticket_facts WHERE source > ?",
                                 (after,)).fetchone()
        if row is None or row[0] is None:
            return sorted(found)
        found.add(row[0])
        after = row[0]


def _has_facts(store: Store, source: str) -> bool:
    return store.conn.execute("SELECT 1 FROM ticket_facts WHERE source = ? LIMIT 1",
                              (source,)).fetchone() is not None


def _claim(store: Store, key: str, held: str | None, want: str) -> bool:
    """Set `key` from `held` (None: absent) to `want` inside the caller's transaction;
    False when another process changed it first (PostgreSQL: the UPDATE waits for that
    process's row lock, then finds its value and matches nothing)."""
    if held is None:
        cur = store.conn.execute("INSERT INTO kpi_meta (key, value) VALUES (?, ?) "
                                 "ON CONFLICT (key) DO NOTHING", (key, want))
    else:
        cur = store.conn.execute("UPDATE kpi_meta SET value = ? WHERE key = ? AND value = ?",
                                 (want, key, held))
    return cur.rowcount == 1


def _upsert(store: Store, key: str, value: str) -> None:
    store.conn.execute("INSERT INTO kpi_meta (key, value) VALUES (?, ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
