"""SLAs end to end: `deskpulse simulate` → backfill with [[sla]] in the config → `deskpulse
kpi` and `deskpulse sla`, checked against the facts the SLA code does not compute."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.simdesk import start_simulator, stop, write_config
from tests.test_cli import deskpulse

SLA = """
[kpi]
sla_at_risk = "3h"

[[sla]]
metric = "first_reply"
target = "4h"

[[sla]]
metric = "next_reply"
priority = ["high", "urgent"]
target = "2h"

[[sla]]
metric = "requester_wait"
target = "1d"

[[sla]]
metric = "agent_work"
target = "6h"
business = true

[[sla]]
metric = "pausable_update"
target = "1d"
"""


@pytest.fixture(scope="module")
def simulator():
    url, server = start_simulator(tickets=300, seed=11)
    yield url
    stop(server)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def first_reply_oracle(db: sqlite3.Connection, now: datetime) -> tuple[int, int]:
    """(achieved, breached) of a 4 h first-reply target from ticket_facts alone: fulfilled
    by the first reply or the first solve, whichever came first; unfulfilled and older than
    4 h counts as breached (Zendesk rules: the clock starts at creation, and a ticket an
    agent opened has a first reply too: the agent's next public comment)."""
    achieved = breached = 0
    for created, replied, solved in db.execute(
            "SELECT created_at, first_reply_at, first_solved_at FROM ticket_facts"):
        start = datetime.fromisoformat(created)
        ends = [datetime.fromisoformat(m) for m in (replied, solved) if m]
        if ends:
            if min(ends) - start <= timedelta(hours=4):
                achieved += 1
            else:
                breached += 1
        elif start + timedelta(hours=4) <= now:
            breached += 1
    return achieved, breached


def test_sla_targets_flow_from_the_config_to_kpi_and_the_at_risk_list(tmp_path, simulator):
    config = write_config(tmp_path, simulator)
    config.write_text(config.read_text() + SLA)
    done = deskpulse("backfill", "sim", "--since", "2000-01-01", "--config", str(config))
    assert done.returncode == 0, done.stderr + done.stdout
    db = sqlite3.connect(tmp_path / "desk.db")
    kinds = dict(db.execute("SELECT metric, COUNT(*) FROM sla_instances GROUP BY metric"))
    assert set(kinds) == {"first_reply", "next_reply", "requester_wait", "agent_work",
                          "pausable_update"}
    # the simulated account's synced business hours serve the business target
    assert db.execute("SELECT COUNT(*) FROM sla_instances WHERE business = 1 AND "
                      "metric != 'agent_work'").fetchone()[0] == 0
    assert set(p for (p,) in db.execute("SELECT DISTINCT priority FROM sla_instances WHERE "
                                        "metric = 'next_reply'")) <= {"high", "urgent"}

    before = datetime.now(UTC).replace(microsecond=0)
    result = deskpulse("kpi", "--format", "json", "--config", str(config))
    after = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    low, high = first_reply_oracle(db, before), first_reply_oracle(db, after)
    achieved = row["sla_first_reply_n"] - row["sla_first_reply_breaches"]
    assert low[0] == achieved == high[0]
    assert low[1] <= row["sla_first_reply_breaches"] <= high[1]
    assert row["sla_first_reply_pct"] == round(achieved * 100 / row["sla_first_reply_n"], 2)
    assert row["sla_periodic_update_pct"] is None and row["sla_periodic_update_n"] is None
    assert row["sla_note"] is None and 0 < row["sla_all_met_pct"] < 100

    headline = deskpulse("kpi", "--config", str(config))
    assert "SLA first reply achieved" in headline.stdout
    assert "SLA pausable update achieved" in headline.stdout
    met = db.execute("SELECT COUNT(*) FROM sla_instances WHERE metric = 'pausable_update' "
                     "AND outcome = 'achieved'").fetchone()[0]
    assert row["sla_pausable_update_n"] - row["sla_pausable_update_breaches"] == met > 0
    assert row["sla_pausable_update_pct"] == round(met * 100 / row["sla_pausable_update_n"], 2)
    assert f"{row['sla_first_reply_pct']:.0f}%" in headline.stdout

    listed = deskpulse("sla", "--format", "json", "--within", "3h", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    horizon = iso(datetime.now(UTC) + timedelta(hours=3))
    expected = db.execute("SELECT COUNT(*) FROM sla_instances WHERE outcome = 'pending' "
                          "AND breach_at < ?", (horizon,)).fetchone()[0]
    assert len(rows) == expected > 0
    assert [r["breach_at"] for r in rows] == sorted(r["breach_at"] for r in rows)
    assert {r["state"] for r in rows} <= {"overdue", "at risk"}
    # overdue at the kpi run (between `before` and `after`), as the list sees them now
    assert sum(r["breach_at"] <= iso(before) for r in rows) <= row["sla_overdue"]
    assert row["sla_overdue"] <= sum(r["breach_at"] <= iso(after) for r in rows)
    assert all((r["state"] == "overdue") == (r["seconds_left"] < 0) for r in rows)
    table = deskpulse("sla", "--config", str(config))
    assert "SLAs overdue or due within 3h00m" in table.stdout

    # targets removed from the config, and the vendor's policies not wanted either: the next
    # run drops every instance by itself
    config.write_text(config.read_text().split("[kpi]")[0] + '[kpi]\nsla_targets = "config"\n')
    assert deskpulse("sync", "--config", str(config)).returncode == 0
    assert db.execute("SELECT COUNT(*) FROM sla_instances").fetchone()[0] == 0
    bare = deskpulse("kpi", "--config", str(config))
    assert "no SLA targets configured" in bare.stdout
    [row] = json.loads(deskpulse("kpi", "--format", "json", "--config", str(config)).stdout)
    assert row["sla_pct"] is None and row["sla_note"] == "no SLA targets configured"
    assert "no SLA targets configured" in deskpulse("sla", "--config", str(config)).stderr


def test_a_bad_target_is_refused_with_a_message_that_says_what_to_write(tmp_path):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    config.write_text(config.read_text() + '[[sla]]\nmetric = "first_reply"\ntarget = 240\n')
    result = deskpulse("sync", "--config", str(config))
    assert result.returncode == 2
    assert "target 240 has no unit" in result.stderr and "240m" in result.stderr


def test_without_sla_entries_the_vendors_own_policies_are_the_targets(tmp_path, simulator):
    """The simulated Zendesk serves three policies (VIP tag, incidents, everyone else; see
    deskpulse/simulator/sla.py): each ticket's first-reply and requester-wait targets are
    those of the first policy it matches, at the priority in force."""
    from deskpulse.simulator.sla import policies

    config = write_config(tmp_path, simulator)
    done = deskpulse("backfill", "sim", "--since", "2000-01-01", "--config", str(config))
    assert done.returncode == 0, done.stderr + done.stdout
    db = sqlite3.connect(tmp_path / "desk.db")
    assert db.execute("SELECT COUNT(*) FROM sla_policies").fetchone()[0] == 3
    checked = 0
    for tags, kind, metric, priority, target in db.execute(
            "SELECT t.tags, t.type, s.metric, s.priority, s.target_s FROM sla_instances s "
            "JOIN tickets t ON t.source = s.source AND t.id = s.ticket_id"):
        policy = next(p for p in policies("zendesk") if (p.tag is None or p.tag in
                      json.loads(tags)) and (p.type is None or p.type == kind))
        minutes = (policy.first_reply if metric == "first_reply" else policy.resolution)
        assert target == minutes[priority] * 60, (tags, kind, metric, priority)
        checked += 1
    assert checked > 100
    [row] = json.loads(deskpulse("kpi", "--format", "json", "--config", str(config)).stdout)
    assert row["sla_first_reply_n"] > 0 and row["sla_requester_wait_n"] > 0
    assert row["sla_next_reply_n"] is None and row["sla_note"] is None
    listed = deskpulse("sla", "--format", "json", "--within", "30d", "--config", str(config))
    assert listed.returncode == 0 and not listed.stderr, listed.stderr
    assert {r["metric"] for r in json.loads(listed.stdout)} <= {"first_reply", "requester_wait"}
    # an [[sla]] entry in the config wins over the vendor's policies
    config.write_text(config.read_text() + '[[sla]]\nmetric = "next_reply"\ntarget = "1h"\n')
    stale = deskpulse("kpi", "--config", str(config))
    assert "differ from those the stored SLA figures" in stale.stderr
    assert deskpulse("sync", "--config", str(config)).returncode == 0
    assert {m for (m,) in db.execute("SELECT DISTINCT metric FROM sla_instances")} == {
        "next_reply"}
