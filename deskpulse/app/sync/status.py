"""What `deskpulse status` reports: per source, where each stream stands and how runs went.

Two lags: `lag_seconds` since the last successful run finished, and `data_lag_seconds`
since the newest ticket change the file holds (how far behind the vendor the data is, as
far as deskpulse can tell without asking the vendor).

Health rule (also the exit code of `deskpulse status`): a source is `failing` when its latest
finished run failed, `interrupted` when its latest run was cut short (its process died or
it was interrupted by Ctrl-C), `never synced` when it has no
successful run, else `ok`. A run logged as running whose process is gone (deskpulse.app.sync.runs)
is shown as interrupted, with the command that resumes it. `leases` says which process
(daemon or command) holds the source now, until when, and when it is next due.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from deskpulse.app.sync.runs import Alive, owner_gone, pid_alive, resume_hint
from deskpulse.kpi.upkeep import set_aside
from deskpulse.store import Store
from deskpulse.store.rating_join import pending_ratings

CUT_SHORT = ("interrupted", "stopped")


def _parse(ts: str | None) -> datetime | None:
    return None if ts is None else datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def source_status(store: Store, name: str, now: datetime, kind: str | None = None, *,
                  host: str | None = None, alive: Alive = pid_alive) -> dict[str, Any]:
    """`kind`: the config's, for a source the file does not know yet."""
    conn = store.conn
    known = conn.execute("SELECT kind FROM sources WHERE name = ?", (name,)).fetchone()
    runs = [
        dict(zip(("id", "mode", "started_at", "finished_at", "status", "pages", "records",
                  "requests", "error", "pid", "host", "since", "until"), row, strict=True))
        for row in conn.execute(
            "SELECT id, mode, started_at, finished_at, status, pages, records, requests, error, "
            "pid, host, since, until FROM sync_runs WHERE source = ? ORDER BY id DESC LIMIT 50",
            (name,))
    ]
    for run in runs:
        if run["status"] == "running" and owner_gone(run, host=host, alive=alive):
            run["status"] = "interrupted"
            run["error"] = run["error"] or "its process ended before the run finished"
        if run["status"] in CUT_SHORT:
            run["resume"] = resume_hint(name, run)
    # the newest run to finish (a backfill may end after a sync that started later)
    finished = sorted((run for run in runs if run["status"] != "running"),
                      key=lambda run: (run["finished_at"] or run["started_at"], run["id"]),
                      reverse=True)
    last_ok = next((run for run in finished if run["status"] == "ok"), None)
    failures = 0
    for run in finished:
        if run["status"] == "ok":
            break
        failures += run["status"] == "failed"
    last_success = _parse(last_ok["finished_at"]) if last_ok else None
    newest = conn.execute("SELECT MAX(updated_at) FROM tickets WHERE source = ?",
                          (name,)).fetchone()[0]
    health = "ok"
    if finished and finished[0]["status"] == "failed":
        health = "failing"
    elif finished and finished[0]["status"] == "interrupted":
        health = "interrupted"
    elif last_ok is None:
        health = "never synced"
    return {
        "source": name,
        "kind": known[0] if known else kind,
        "health": health,
        "last_success": last_ok["finished_at"] if last_ok else None,
        "lag_seconds": int((now - last_success).total_seconds()) if last_success else None,
        "consecutive_failures": failures,
        "last_run": finished[0] if finished else (runs[0] if runs else None),
        "running": [run for run in runs if run["status"] == "running"],
        "requests_total": sum(run["requests"] for run in runs),
        "streams": [
            {"stream": row[0], "cursor_saved_at": row[1]}
            for row in conn.execute(
                "SELECT stream, updated_at FROM sync_state WHERE source = ? ORDER BY stream",
                (name,))
        ],
        "newest_ticket_update": newest,
        "data_lag_seconds": int((now - _parse(newest)).total_seconds()) if newest else None,
        "tickets": _count(store, "tickets", name),
        "events": _count(store, "events", name),
        "dead_letters": _count(store, "dead_letters", name),
        "kpi_pending": _count(store, "kpi_dirty", name),
        "ratings_without_time": ratings_without_time(store, name),
        "leases": lease_status(store, name, now),
    } | kpi_set_aside_status(store, name)


def lease_status(store: Store, name: str, now: datetime) -> list[dict[str, Any]]:
    """Who holds the source's leases (a daemon, `sync`, `backfill`) until when, and when
    it is next due: several daemons share the sources (store.leases)."""
    leases = store.leases(name)
    for lease in leases:
        expires = _parse(lease["expires_at"])
        lease["expired"] = lease["holder"] is not None and expires is not None \
            and expires <= now
    return leases


def ratings_without_time(store: Store, name: str) -> int:
    """Answered Zendesk ratings read from the ticket export whose time no synced
    SatisfactionRating event has given yet (store.rating_join): not in `ratings` until then."""
    return sum(row["ratings"] for row in pending_ratings(store.conn, name))


def kpi_set_aside_status(store: Store, name: str) -> dict[str, Any]:
    """Tickets whose KPI facts could not be computed (kpi.set_aside), each with its error:
    they are out of every figure until a refresh succeeds, so they are shown, not hidden."""
    return {"kpi_set_aside": set_aside.listed(store.conn, name)}


def _count(store: Store, table: str, source: str) -> int:
    return int(store.conn.execute(
        f"SELECT COUNT(*) FROM {table} WHERE source = ?", (source,)).fetchone()[0])


def all_status(store: Store, names: list[str] | dict[str, str], now: datetime, *,
               alive: Alive = pid_alive) -> list[dict[str, Any]]:
    """Every configured source (`names`, or name → kind) and every one the file holds."""
    kinds = names if isinstance(names, dict) else {}
    known = [row[0] for row in store.conn.execute("SELECT name FROM sources ORDER BY name")]
    return [source_status(store, name, now, kinds.get(name), alive=alive)
            for name in dict.fromkeys([*names, *known])]
