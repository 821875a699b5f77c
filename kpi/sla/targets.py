"""Where the SLA targets in use come from: the config's `[[sla]]` entries, or the vendor's
synced SLA policies (`[kpi] sla_targets`):

- `auto` (the default): a source's synced policies, unless an `[[sla]]` entry applies to
  it (one naming it, or one naming no source): explicit config wins.
- `config`: only `[[sla]]` entries; synced policies are ignored.
- `vendor`: a source's synced policies whenever it has some; `[[sla]]` entries for the rest.

The chosen targets go into each source's definitions fingerprint
(`kpi.upkeep.definitions`), so a policy edited at the vendor rebuilds that source's facts by
itself at the next sync.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from deskpulse.kpi.sla.policy import METRICS, MODES, Conditions, Target, load_targets
from deskpulse.store import Store


def vendor_targets(store: Store, source: str) -> list[Target]:
    """The source's policies as targets, in position order (see
    `kpi.sla.policy.choose`)."""
    found: list[Target] = []
    for policy in policies(store, source):
        common = {"source": source, "policy": policy["id"], "title": policy["title"],
                  "position": policy["position"], "conditions": policy["conditions"]}
        usable = [t for t in policy["targets"] if t["metric"] in METRICS]
        found.extend(Target(t["metric"], t["seconds"], t["business"], (t["priority"],),
                            **common) for t in usable)
        if not usable:  # still first in line for the tickets it matches
            found.append(Target(METRICS[0], 0, priorities=(), **common))
    return found


def targets_in_use(store: Store, configured: Sequence[Target],
                   mode: str = "auto") -> tuple[Target, ...]:
    """The targets the facts are computed with (see the module docstring)."""
    if mode not in MODES:
        msg = f"sla_targets must be one of {', '.join(MODES)}, not {mode!r}"
        raise ValueError(msg)
    if mode == "config":
        return tuple(configured)
    chosen: list[Target] = []
    for source in synced_sources(store):
        if mode == "auto" and any(t.source in (None, source) for t in configured):
            continue
        chosen.extend(vendor_targets(store, source))
    return (*chosen, *configured)


def policy_notes(store: Store) -> list[str]:
    """What people must know about the vendor policies behind the stored SLA figures: a
    policy with a condition deskpulse cannot evaluate (unusable), and vendor metrics
    deskpulse does not measure."""
    row = store.conn.execute("SELECT value FROM kpi_meta WHERE key = 'sla_targets'").fetchone()
    in_use: dict[tuple[str, str], Target] = {}
    for target in load_targets(row[0] if row else None):
        if target.policy is not None and target.source is not None:
            in_use.setdefault((target.source, target.policy), target)
    notes = []
    for (source, policy_id), target in sorted(in_use.items(), key=lambda item: (
            item[0][0], item[1].position or 0)):
        name = describe({"id": policy_id, "title": target.title})
        problems = (target.conditions.problems() if target.conditions else [])
        if problems:
            notes.append(f"{source}: {name} is unusable: it has {'; '.join(problems)}; "
                         "tickets it might apply to get no vendor SLA")
        unsupported = sorted({metric for (metric,) in store.conn.execute(
            "SELECT DISTINCT metric FROM sla_policy_targets WHERE source = ? AND policy_id = ?",
            (source, policy_id)) if metric not in METRICS})
        if unsupported:
            notes.append(f"{source}: {name} has targets for {', '.join(unsupported)}, which "
                         "deskpulse does not measure: left out")
    return notes


def policies(store: Store, source: str) -> list[dict[str, Any]]:
    """The source's active synced policies in the order they apply, each with its targets
    (`metric`, `priority`, `seconds`, `business`)."""
    found = [{"id": pid, "title": title, "position": position,
              "conditions": Conditions.load(json.loads(conditions)), "targets": []}
             for pid, title, position, conditions in store.conn.execute(
                 "SELECT id, title, position, conditions FROM sla_policies WHERE source = ? "
                 "AND active = 1 ORDER BY position, id", (source,))]
    by_id = {p["id"]: p for p in found}
    for pid, metric, priority, seconds, business in store.conn.execute(
            "SELECT policy_id, metric, priority, target_s, business FROM sla_policy_targets "
            "WHERE source = ? ORDER BY policy_id, metric, priority", (source,)):
        if pid in by_id:
            by_id[pid]["targets"].append({"metric": metric, "priority": priority,
                                          "seconds": seconds, "business": bool(business)})
    return found


def synced_sources(store: Store) -> list[str]:
    return [row[0] for row in store.conn.execute(
        "SELECT DISTINCT source FROM sla_policies WHERE active = 1 ORDER BY source")]


def describe(policy: Mapping[str, Any]) -> str:
    return f"SLA policy {policy['title'] or policy['id']!r} (id {policy['id']})"
