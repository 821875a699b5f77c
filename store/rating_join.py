"""Ratings a vendor splits across two streams, joined in the store.

Zendesk's ticket export carries each ticket's answered rating (`satisfaction_rating`: id,
score, comment) but not when it was given; its ticket-event export carries `SatisfactionRating`
events (score, comment, and their audit's time) but not the rating's id. Reading both saves
the `/satisfaction_ratings` list (docs/benchmarks.md §7). The two halves arrive in either
order, on different pages and even in different runs (a resumed backfill may have read the
tickets long before the events), so both are kept (`rating_halves`, `rating_moments`) and a
`ratings` row is written only once they agree: the ticket's latest moment has the score the
ticket export gives. Until then the half waits with `rated_at` NULL and is counted
(`pending_ratings`, shown by `deskpulse status`) — never written with a guessed time.

Runs inside the page's transaction (store.pages); plain SQL with `?` placeholders and
ON CONFLICT upserts, so it reads the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from deskpulse.store import rows
from deskpulse.store.backends import Connection
from deskpulse.store.models import RatingHalf, RatingMoment, iso

RATING_HALVES = """
CREATE TABLE rating_halves (
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    rating_id TEXT NOT NULL,
    score TEXT NOT NULL,
    scale TEXT NOT NULL,
    positive INTEGER NOT NULL,
    comment TEXT,
    kind TEXT NOT NULL DEFAULT 'csat',
    rated_at TEXT,
    PRIMARY KEY (source, ticket_id),
    FOREIGN KEY (source, ticket_id) REFERENCES tickets (source, id)
);
CREATE TABLE rating_moments (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    at TEXT NOT NULL,
    score TEXT NOT NULL,
    comment TEXT,
    PRIMARY KEY (source, id),
    FOREIGN KEY (source, ticket_id) REFERENCES tickets (source, id)
);
CREATE INDEX rating_moments_ticket ON rating_moments (source, ticket_id, at);
"""

_HALF_COLUMNS = ("source", "ticket_id", "rating_id", "score", "scale", "positive", "comment",
                 "kind", "rated_at")
_MOMENT_COLUMNS = ("source", "id", "ticket_id", "at", "score", "comment")
_CHUNK = 500


def write_halves(conn: Connection, source: str, halves: list[RatingHalf],
                 moments: list[RatingMoment]) -> set[str]:
    """Keep a page's halves and moments; write every rating they complete. Returns the
    tickets whose `ratings` row changed (their KPI facts are stale)."""
    if moments:
        conn.executemany(rows.upsert_sql("rating_moments", _MOMENT_COLUMNS, ("source", "id")),
                         [(source, m.id, m.ticket_id, iso(m.at), m.score, m.comment)
                          for m in moments])
    if halves:
        # a half read again starts pending: its score may be new, its time is then unknown
        conn.executemany(rows.upsert_sql("rating_halves", _HALF_COLUMNS,
                                         ("source", "ticket_id")),
                         [(source, h.ticket_id, h.id, h.score, h.scale, int(h.positive),
                           h.comment, h.kind, None) for h in halves])
    touched = sorted({h.ticket_id for h in halves} | {m.ticket_id for m in moments})
    changed: set[str] = set()
    for start in range(0, len(touched), _CHUNK):
        changed |= _complete(conn, source, touched[start:start + _CHUNK])
    return changed


def _complete(conn: Connection, source: str, tickets: list[str]) -> set[str]:
    marks = ",".join("?" * len(tickets))
    halves = {row[0]: row for row in conn.execute(
        "SELECT ticket_id, rating_id, score, scale, positive, comment, kind, rated_at "
        f"FROM rating_halves WHERE source = ? AND ticket_id IN ({marks})", (source, *tickets))}
    if not halves:
        return set()
    latest: dict[str, tuple[str, str, str]] = {}
    for ticket, moment_id, at, score in conn.execute(
            "SELECT ticket_id, id, at, score FROM rating_moments "
            f"WHERE source = ? AND ticket_id IN ({','.join('?' * len(halves))})",
            (source, *halves)):
        # the latest moment decides; ties (one second) by id, as the vendor numbers them
        if ticket not in latest or (at, _order(moment_id)) > (latest[ticket][0],
                                                              _order(latest[ticket][1])):
            latest[ticket] = (at, moment_id, score)
    stored = {row[0]: row[1:] for row in conn.execute(
        "SELECT id, ticket_id, at, score, positive, comment FROM ratings "
        f"WHERE source = ? AND id IN ({','.join('?' * len(halves))})",
        (source, *(h[1] for h in halves.values())))}
    changed: set[str] = set()
    for ticket, (_t, rating_id, score, scale, positive, comment, kind, rated_at) in \
            halves.items():
        moment = latest.get(ticket)
        if moment is None or moment[2] != score:
            continue  # its time is not read yet: the half waits, counted as pending
        at = moment[0]
        if rated_at != at:
            conn.execute("UPDATE rating_halves SET rated_at = ? WHERE source = ? "
                         "AND ticket_id = ?", (at, source, ticket))
        row = (ticket, at, score, positive, comment)
        if stored.get(rating_id) != row:
            conn.execute(rows.upsert_sql("ratings", rows.RATING_COLUMNS, ("source", "id")),
                         (source, rating_id, ticket, at, score, scale, positive, comment, kind))
            changed.add(ticket)
    return changed


def _order(moment_id: str) -> tuple[int, str]:
    """Vendor ids are numbers kept as text: compare them as numbers when they are."""
    return (int(moment_id), "") if moment_id.isdigit() else (0, moment_id)


def pending_ratings(conn: Connection, source: str | None = None
                    ) -> list[dict[str, Any]]:
    """Per source: answered ratings whose time no synced rating event has given yet."""
    sql = ("SELECT source, COUNT(*), MIN(ticket_id) FROM rating_halves WHERE rated_at IS NULL"
           + ("" if source is None else " AND source = ?") + " GROUP BY source ORDER BY source")
    return [{"source": name, "ratings": count, "example_ticket": example}
            for name, count, example in conn.execute(sql, () if source is None else (source,))]
