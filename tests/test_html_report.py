"""The HTML report: self-contained, the same numbers as kpi.summary, missing inputs shown as
such, hostile names escaped — and rendered for real in headless Chromium when it is there."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

import kpi
from deskpulse.htmlreport import write_report
from store import Person, Store
from tests.simdesk import backfilled_store

NOW = datetime(2026, 5, 4, 12, tzinfo=UTC)
CHARTS = ("created-solved", "backlog", "frt", "resolution", "business-hours", "sla",
          "channels", "priorities", "csat")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    # SLA targets from the config, which has none: the report must say so
    s = backfilled_store(tmp_path_factory.mktemp("html") / "h.db", tickets=900, seed=31,
                         now=NOW, days=70, sla_targets="config")
    agent = s.conn.execute("SELECT assignee_id FROM tickets WHERE assignee_id IS NOT NULL "
                           "LIMIT 1").fetchone()[0]
    s.commit_page("demo", "users", [Person(id=agent, role="agent",
                                           name="<script>alert(1)</script>")], None)
    yield s
    s.close()


def report(store: Store, tmp_path: Path, **kwargs) -> str:
    path = write_report(store, tmp_path / "r.html", source="demo", today=NOW.date(), **kwargs)
    return path.read_text(encoding="utf-8")


def tile(page: str, key: str) -> str:
    match = re.search(rf'data-kpi="{key}"><div>[^<]*</div><div class="v">([^<]*)<', page)
    assert match, key
    return match.group(1)


def test_the_page_is_self_contained_and_has_every_chart(store, tmp_path):
    page = report(store, tmp_path)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script" not in page.replace("&lt;script", "")
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in page, chart


def test_tiles_show_exactly_what_kpi_summary_gives(store, tmp_path):
    page = report(store, tmp_path)
    since, until = NOW.date() - timedelta(days=55), NOW.date()
    [row] = kpi.summary(store, source="demo", since=since, until=until)
    assert tile(page, "created") == f"{row['created']:,}"
    assert tile(page, "solved") == f"{row['solved']:,}"
    assert tile(page, "frt_p50_s") == f"{row['frt_p50_s'] / 3600:.1f} h"
    assert tile(page, "full_resolution_p90_s") == f"{row['full_resolution_p90_s'] / 3600:.1f} h"
    assert tile(page, "fcr_pct") == f"{row['fcr_pct']:.0f}%"


def test_missing_inputs_are_named_not_drawn_as_zero(store, tmp_path):
    page = report(store, tmp_path)
    assert "no SLA targets configured" in page
    # the account's synced business hours fill the business-time chart…
    assert "FRT and full resolution per week (business hours)" in page
    empty = report(store, tmp_path, since=date(2030, 1, 1), until=date(2030, 2, 1))
    assert "no tickets in this period" in empty and "no CSAT ratings in period" in empty


def test_without_any_schedule_the_business_chart_says_so(tmp_path):
    bare = backfilled_store(tmp_path / "bare.db", tickets=120, seed=5, now=NOW, days=20)
    bare.conn.execute("DELETE FROM schedules")
    kpi.rebuild(bare, schedule=None)  # …and without them there is no business time at all
    assert "no schedule configured" in report(bare, tmp_path)
    bare.close()


def test_hostile_names_are_escaped(store, tmp_path):
    page = report(store, tmp_path)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (CI installs Debian's)")
def test_headless_chromium_renders_every_chart(store, tmp_path):
    page = write_report(store, tmp_path / "r.html", source="demo", today=NOW.date())
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in dom.stdout, chart
    assert dom.stdout.count("<circle") > 20 and dom.stdout.count("<rect") > 5
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1280,2600",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000


def test_backlog_age_bands_add_up_to_the_backlog_of_each_day(store):
    since, until = date(2026, 3, 20), date(2026, 4, 20)
    ages = kpi.backlog_by_age(store, source="demo", since=since, until=until)
    days = {r["period"]: r["backlog"] for r in
            kpi.summary(store, source="demo", by="day", since=date(2000, 1, 1), until=until)}
    checked = 0
    for row in ages:
        if row["day"] in days:
            assert sum(v for k, v in row.items() if k != "day") == days[row["day"]], row
            checked += 1
    assert checked > 20
    used = {band for row in ages for band, count in row.items() if band != "day" and count}
    assert {"0-1d", "1-3d"} <= used


def test_agent_rows_show_handled_tickets_and_replies_from_their_own_events(store, tmp_path):
    since, until = NOW.date() - timedelta(days=55), NOW.date()
    activity = kpi.agent_activity(store, source="demo", since=since, until=until)
    agent, figures = max(activity.items(), key=lambda item: item[1]["replies"])
    direct, replied_tickets = store.conn.execute(
        "SELECT COUNT(*), COUNT(DISTINCT e.ticket_id) FROM events e "
        "JOIN people p ON p.id = e.actor_id "
        "WHERE e.actor_id = ? AND p.role IN ('agent', 'admin') AND e.public = 1 "
        "AND e.kind IN ('message', 'note') AND e.at >= ? AND e.at < ? AND e.ticket_id IN "
        "(SELECT id FROM tickets WHERE deleted = 0)",
        (agent, since.isoformat(), (until + timedelta(days=1)).isoformat())).fetchone()
    assert figures["replies"] == direct > 0
    assert figures["handled"] >= replied_tickets > 0  # notes and field changes count too
    page = report(store, tmp_path)
    assert "<th>handled</th><th>replies</th>" in page
    assert f"<td>{figures['handled']:,}</td><td>{figures['replies']:,}</td>" in page


def test_business_hours_charts_appear_once_a_schedule_is_configured(tmp_path):
    from deskpulse.demo import DEMO_SCHEDULE, run_demo

    with open(tmp_path / "out.txt", "w") as out:
        from rich.console import Console

        run_demo(tmp_path, Console(file=out), tickets=200, show_progress=False, now=NOW)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert DEMO_SCHEDULE is not None
    assert "FRT and full resolution per week (business hours)" in page
    assert "no schedule configured" not in page
