"""Each day's values of a percentile figure, kept sorted per channel (`kpi_values`).

An exact p50/p90 over 90 days of a large account needs every value of the range in order:
read as one row per ticket, that was ~1 µs a value in Python and most of a report's time.
Here each (figure, day, source, channel) holds its values as one BLOB of packed integers,
sorted, so a range is ~90 BLOBs per channel joined and merged in C (`sorted` on sorted runs).

`Values` keeps the BLOBs in step with the facts inside `kpi.upkeep.refresh`'s transaction: a small
refresh removes each changed ticket's old values and inserts its new ones; a large one (more
than `MAX_EDITS` edits twice over: a backfill, a rebuild) rewrites the touched days from the
facts instead, one indexed query per anchor day, so its cost stays that of one pass over them.
Both give the same rows (the incremental == rebuild test covers both).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, insort
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date

from deskpulse.kpi.upkeep.inputs import marks
from deskpulse.store.backends import Connection

# figure -> (anchor day column, value column) in ticket_facts; "reply" is every answered reply
# cycle by the day of the answer; "next_contact" is the seconds from a solved ticket's last
# solve to its requester's next ticket (repeat contact, kpi.contacts)
FACT_METRICS = {"frt": ("first_reply_day", "frt_cal"),
                "frt_bus": ("first_reply_day", "frt_bus"),
                "first_resolution": ("first_solved_day", "first_resolution_cal"),
                "full_resolution": ("last_solved_day", "full_resolution_cal"),
                "full_resolution_bus": ("last_solved_day", "full_resolution_bus"),
                "first_assignment": ("first_assigned_day", "first_assignment_cal"),
                "agent_work": ("first_solved_day", "agent_work_cal"),
                "agent_work_bus": ("first_solved_day", "agent_work_bus"),
                "handle_time": ("first_solved_day", "handle_time_s"),
                "next_contact": ("first_solved_day", "next_contact_s")}
REPLY = "reply"
METRICS = (*FACT_METRICS, REPLY)
_FACT_SELECT = ", ".join(dict.fromkeys(
    ["channel", *(a for a, _c in FACT_METRICS.values()), *(c for _a, c in FACT_METRICS.values())]))
_COLUMNS = _FACT_SELECT.split(", ")

Key = tuple[str, str, str]  # (metric, day, channel)
# "the cycle has an end day", written so SQLite does not pick the end-day index over the
# ticket ids (what the unary `+c.end_day` did; PostgreSQL has no unary plus on text or dates)
_NOT_INDEXED = "COALESCE(c.end_day, NULL) IS NOT NULL"


def values_of(conn: Connection, source: str, ids: list[str]) -> dict[Key, list[int]]:
    """Every value the given tickets' current facts and reply cycles put in `kpi_values`."""
    found: dict[Key, list[int]] = defaultdict(list)
    if not ids:
        return found
    ids_in = marks(len(ids))
    for row in conn.execute(f"SELECT {_FACT_SELECT} FROM ticket_facts "
                            f"WHERE source = ? AND ticket_id IN ({ids_in})", (source, *ids)):
        fact = dict(zip(_COLUMNS, row, strict=True))
        for metric, (anchor, column) in FACT_METRICS.items():
            if fact[anchor] is not None and fact[column] is not None:
                found[(metric, fact[anchor], fact["channel"])].append(fact[column])
    for day, channel, seconds in conn.execute(
            "SELECT c.end_day, f.channel, c.secs_cal FROM reply_cycles c JOIN ticket_facts f "
            "ON f.source = c.source AND f.ticket_id = c.ticket_id WHERE c.source = ? AND "
            f"c.ticket_id IN ({ids_in}) AND c.end_kind = 'reply' AND {_NOT_INDEXED} "
            "AND c.secs_cal IS NOT NULL", (source, *ids)):
        found[(REPLY, day, channel)].append(seconds)
    return found


def gaps_of(conn: Connection, source: str, ids: list[str]) -> dict[Key, list[int]]:
    """Only the `next_contact` values of the given tickets (all a neighbour's gap moves)."""
    found: dict[Key, list[int]] = defaultdict(list)
    anchor, column = FACT_METRICS["next_contact"]
    for day, channel, gap in conn.execute(
            f"SELECT {anchor}, channel, {column} FROM ticket_facts WHERE source = ? AND "
            f"ticket_id IN ({marks(len(ids))})", (source, *ids)):
        if day is not None and gap is not None:
            found[("next_contact", day, channel)].append(gap)
    return found


def pack(values: list[int]) -> tuple[int, bytes]:
    """(wide, bytes): int32 when every value fits, else int64."""
    try:
        return 0, array("i", values).tobytes()
    except OverflowError:
        return 1, array("q", values).tobytes()


def unpack(wide: int, data: bytes) -> array:
    return array("q" if wide else "i", data)


class Values:
    """kpi_values of one source, moved by the old and new values of changed tickets."""

    MAX_EDITS = 100_000  # ~4 MB of queued values at most (bench/memory.py)

    def __init__(self, conn: Connection, source: str):
        self.conn, self.source = conn, source
        self.pending: dict[Key, tuple[list[int], list[int]]] = {}  # key -> (adds, drops)
        self.edits = 0
        self.flushed = False
        self.stale: set[tuple[str, str]] | None = None  # (anchor, day) once rewriting days

    def add(self, old: dict[Key, list[int]], new: dict[Key, list[int]]) -> None:
        """Queue new − old (multisets) for each key the changed tickets touch."""
        for key in old.keys() | new.keys():
            was, now = old.get(key, []), new.get(key, [])
            if was == now:
                continue
            if was and now:  # only the multiset difference moves
                before, after = Counter(was), Counter(now)
                if before == after:
                    continue
                more = list((after - before).elements())
                fewer = list((before - after).elements())
            else:  # a new ticket (a backfill) or one gone: no counting needed
                more, fewer = list(now), list(was)
            if self.stale is not None:
                self.stale.add(_anchor_day(key))
                continue
            adds, drops = self.pending.setdefault(key, ([], []))
            adds.extend(more)
            drops.extend(fewer)
            self.edits += len(more) + len(fewer)
        if self.stale is None and self.edits > self.MAX_EDITS:
            if not self.flushed:
                self._apply_edits()
                self.flushed = True
            else:  # a second overflow: rewriting the touched days is cheaper from here on
                self.stale = {_anchor_day(key) for key in self.pending}
                self.pending, self.edits = {}, 0

    def finish(self) -> None:
        """Write what is queued (in the refresh's transaction, after the last facts)."""
        self._apply_edits()
        if self.stale:
            for anchor, day in sorted(self.stale):
                self._rewrite(anchor, day)
        self.stale = None

    def _apply_edits(self) -> None:
        writes, deletes = [], []
        for (metric, day, channel), (queued_adds, queued_drops) in self.pending.items():
            adds, drops = _net(queued_adds, queued_drops)
            row = self.conn.execute(
                "SELECT wide, data FROM kpi_values WHERE metric = ? AND day = ? AND source = ? "
                "AND channel = ?", (metric, day, self.source, channel)).fetchone()
            values = unpack(*row).tolist() if row else []
            for value in drops:
                at = bisect_left(values, value)
                if at == len(values) or values[at] != value:
                    msg = f"kpi_values out of step with the facts: {metric} {day} {channel}"
                    raise RuntimeError(msg)
                del values[at]
            if len(adds) > 64:
                values = sorted(values + adds)
            else:
                for value in adds:
                    insort(values, value)
            if values:
                writes.append((metric, day, self.source, channel, len(values), *pack(values)))
            else:
                deletes.append((metric, day, self.source, channel))
        self.conn.executemany("INSERT INTO kpi_values VALUES (?, ?, ?, ?, ?, ?, ?) "
                              "ON CONFLICT (metric, day, source, channel) DO UPDATE SET "
                              "n = excluded.n, wide = excluded.wide, data = excluded.data",
                              writes)
        self.conn.executemany("DELETE FROM kpi_values WHERE metric = ? AND day = ? AND "
                              "source = ? AND channel = ?", deletes)
        self.pending, self.edits = {}, 0

    def _rewrite(self, anchor: str, day: str) -> None:
        """Every value of one anchor day (all its figures, all channels), from the facts."""
        found: dict[tuple[str, str], list[int]] = defaultdict(list)
        if anchor == REPLY:
            metrics = [REPLY]
            for channel, seconds in self.conn.execute(
                    "SELECT f.channel, c.secs_cal FROM reply_cycles c JOIN ticket_facts f ON "
                    "f.source = c.source AND f.ticket_id = c.ticket_id WHERE c.source = ? AND "
                    "c.end_day = ? AND c.end_kind = 'reply' AND c.secs_cal IS NOT NULL",
                    (self.source, day)):
                found[(REPLY, channel)].append(seconds)
        else:
            metrics = [m for m, (a, _c) in FACT_METRICS.items() if a == anchor]
            columns = [FACT_METRICS[m][1] for m in metrics]
            for channel, *row in self.conn.execute(
                    f"SELECT channel, {', '.join(columns)} FROM ticket_facts "
                    f"WHERE source = ? AND {anchor} = ?", (self.source, day)):
                for metric, value in zip(metrics, row, strict=True):
                    if value is not None:
                        found[(metric, channel)].append(value)
        self.conn.execute(f"DELETE FROM kpi_values WHERE metric IN ({marks(len(metrics))}) "
                          "AND day = ? AND source = ?", (*metrics, day, self.source))
        self.conn.executemany(
            "INSERT INTO kpi_values VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(metric, day, self.source, channel, len(values), *pack(sorted(values)))
             for (metric, channel), values in found.items()])


def _net(adds: list[int], drops: list[int]) -> tuple[list[int], list[int]]:
    """What a key's queued edits change, each value added and dropped cancelled out: one
    refresh can add a value (a neighbour's gap, moved by an earlier chunk) that a later chunk
    drops again, which, dropped first from the stored values, was never there."""
    if not adds or not drops:
        return adds, drops
    change = Counter(adds)
    change.subtract(drops)
    return (list((+change).elements()), list((-change).elements()))


class ValueLog:
    """`Values.add` calls held back: a refresh chunk's value changes reach `Values` only once
    the chunk's savepoint stands (kpi.set_aside), as `Values` keeps them in memory."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[Key, list[int]], dict[Key, list[int]]]] = []

    def add(self, old: dict[Key, list[int]], new: dict[Key, list[int]]) -> None:
        self.calls.append((old, new))

    def replay(self, values: Values) -> None:
        for old, new in self.calls:
            values.add(old, new)


def _anchor_day(key: Key) -> tuple[str, str]:
    metric, day, _channel = key
    return (REPLY if metric == REPLY else FACT_METRICS[metric][0]), day


def read(conn: Connection, metric: str, *, source: str | None, since: date | None,
         until: date | None, channel: str | None = None
         ) -> Iterator[tuple[str, str, int, bytes]]:
    """(day, channel, wide, data) of one figure over a day range."""
    clauses, args = ["metric = ?"], [metric]
    for clause, value in (("day >= ?", since and since.isoformat()),
                          ("day <= ?", until and until.isoformat()),
                          ("source = ?", source), ("channel = ?", channel)):
        if value is not None:
            clauses.append(clause)
            args.append(value)
    yield from conn.execute(
        f"SELECT day, channel, wide, data FROM kpi_values WHERE {' AND '.join(clauses)}", args)


def merged(parts: list[tuple[int, bytes]]) -> list[int]:
    """The sorted values of many BLOBs (each sorted): joined in C, merged by timsort."""
    narrow = b"".join(data for wide, data in parts if not wide)
    values = array("i", narrow).tolist()
    for wide, data in parts:
        if wide:
            values.extend(array("q", data))
    return sorted(values)
