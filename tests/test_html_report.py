"""The HTML report: self-contained, the same numbers as kpi.summary, missing inputs shown as
such, hostile names escaped — and rendered for real in headless Chromium when it is there."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from deskpulse import kpi
from deskpulse.app.report.html import write_report
from deskpulse.store import Person, Store
from tests.simdesk import backfilled_store

NOW = datetime(2026, 5, 4, 12, tzinfo=UTC)
CHARTS = ("created-solved", "backlog", "frt", "resolution", "business-hours", "sla",
          "channels", "priorities", "csat")
DEFAULT_SINCE = NOW.date() - timedelta(days=NOW.weekday(), weeks=7)  # 8 calendar weeks
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
    since, until = DEFAULT_SINCE, NOW.date()
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
    assert re.search(r'<circle class="point partial"', dom.stdout)  # this week so far
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
    since, until = DEFAULT_SINCE, NOW.date()
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
    from deskpulse.app.demo.run import DEMO_SCHEDULE, run_demo

    with open(tmp_path / "out.txt", "w") as out:
        from rich.console import Console

        run_demo(tmp_path, Console(file=out), tickets=200, show_progress=False, now=NOW)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert DEMO_SCHEDULE is not None
    assert "FRT and full resolution per week (business hours)" in page
    assert "no schedule configured" not in page


# --- what a reader sees: checked on the markup and, for layout and colour, in Chromium ---

SINCE, UNTIL = date(2026, 4, 13), NOW.date()  # three Mondays, and the Monday of today


def svg(page: str, chart: str) -> str:
    match = re.search(rf'<svg class="chart" data-chart="{chart}".*?</svg>', page, re.S)
    assert match, chart
    return match.group(0)


def test_hour_axes_step_by_round_hours(store, tmp_path):
    from deskpulse.app.report.axes import HOUR_STEPS

    page = report(store, tmp_path, since=SINCE, until=UNTIL)
    for chart in ("frt", "resolution", "business-hours"):
        hours = [float(v) for v in re.findall(r'text-anchor="end">([\d.]+) h<', svg(page, chart))]
        assert len(hours) >= 3 and hours[0] == 0, chart
        steps = {round(b - a, 6) for a, b in zip(hours, hours[1:], strict=False)}
        assert len(steps) == 1 and steps.pop() in HOUR_STEPS, (chart, hours)


def test_every_legend_entry_has_a_line_and_partial_weeks_are_marked(store, tmp_path):
    page = report(store, tmp_path, since=SINCE, until=UNTIL)
    for chart in ("created-solved", "frt", "resolution", "business-hours", "csat"):
        markup = svg(page, chart)
        legend = re.findall(r'<g class="legend" data-series="([^"]*)"', markup)
        lines = set(re.findall(r'<polyline data-series="([^"]*)"', markup))
        assert legend and set(legend) <= lines, (chart, legend, lines)
    created = svg(page, "created-solved")  # weeks of Apr 13, 20, 27 and the day of May 4
    assert created.count('class="partial-band"') == 1
    assert created.count('<circle class="point partial"') == 2  # created and solved
    for points in re.findall(r'data-series="created"[^>]*points="([^"]*)"', created):
        assert len(points.split()) == 3  # the partial week is off the line
    week = kpi.summary(store, source="demo", by="week", since=SINCE, until=UNTIL)
    assert [r["period"] for r in week][-1] == "2026-05-04"


def test_missing_inputs_are_one_note_not_a_tile_each(store, tmp_path):
    page = report(store, tmp_path, since=SINCE, until=UNTIL)
    assert page.count('class="note missing-note"') == 1
    note = re.search(r'class="note missing-note">(.*?)</p>', page).group(1)
    assert "no SLA targets configured" in note and "costs (4 KPIs)" in note
    tiles = re.findall(r'<div class="tile".*?</div></div>', page)
    assert tiles and not any("missing input" in t for t in tiles)


def test_no_change_is_shown_against_a_period_the_file_does_not_hold(store, tmp_path):
    page = report(store, tmp_path)  # 8 weeks: the 8 before them are not in the file
    assert "vs previous" not in page and "no comparison with" in page
    assert "the file starts on" in page
    assert "vs previous" in report(store, tmp_path, since=SINCE, until=UNTIL)


def test_the_report_file_is_owner_only(store, tmp_path):
    import stat

    out = tmp_path / "shared.html"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o644)
    write_report(store, out, source="demo", today=NOW.date())
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


LAYOUT_PROBE = """<script>
addEventListener('load', () => {
  const facts = {scroll: document.documentElement.scrollWidth, inner: innerWidth,
                 good: [], bad: [], legendOnGrid: 0, clipped: 0, xLabels: 0};
  const colour = e => getComputedStyle(e).color;
  facts.good = [...document.querySelectorAll('.tile .d.good')].map(colour);
  facts.bad = [...document.querySelectorAll('.tile .d.bad')].map(colour);
  for (const chart of document.querySelectorAll('svg.chart')) {
    const width = chart.viewBox.baseVal.width;
    const grid = [...chart.querySelectorAll('line.grid')].map(l => l.y1.baseVal.value);
    for (const g of chart.querySelectorAll('g.legend')) {
      const b = g.getBBox();
      if (grid.some(y => y >= b.y - 1 && y <= b.y + b.height + 1)) facts.legendOnGrid++;
    }
    for (const t of chart.querySelectorAll('text.tick.x')) {
      const b = t.getBBox();
      facts.xLabels++;
      if (b.x < 0 || b.x + b.width > width) facts.clipped++;
    }
  }
  parent.postMessage(JSON.stringify(facts), '*');
});
</script>"""


def layout_facts(page: Path, tmp_path: Path, width: int) -> dict:
    """Open a copy of the page with a probe script in headless Chromium, inside a frame
    `width` px wide (headless windows are never narrower than 500), and read back what the
    probe measured there (the report itself holds no script)."""
    import html
    import json

    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", LAYOUT_PROBE
                                                              + "</body>"), encoding="utf-8")
    frame = tmp_path / f"frame-{width}.html"
    frame.write_text(
        "<!doctype html><html><body style=margin:0><script>addEventListener('message', "
        "e => document.body.setAttribute('data-facts', e.data));</script>"
        f'<iframe src="{probe.name}" style="border:0;width:{width}px;height:1800px">'
        "</iframe></body></html>", encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1300,2000",
             "--virtual-time-budget=10000"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", frame.as_uri()], capture_output=True,
                         text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'data-facts="([^"]*)"', dom.stdout)
    assert found, dom.stdout[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (CI installs Debian's)")
def test_in_chromium_colours_show_legends_clear_the_grid_and_nothing_scrolls(store, tmp_path):
    page = write_report(store, tmp_path / "r.html", source="demo", since=SINCE, until=UNTIL)
    wide = layout_facts(page, tmp_path, 1200)
    assert wide["good"] and set(wide["good"]) == {"rgb(21, 128, 61)"}  # not the grey note
    assert wide["bad"] and set(wide["bad"]) == {"rgb(185, 28, 28)"}
    assert wide["xLabels"] > 20 and wide["clipped"] == 0
    assert wide["legendOnGrid"] == 0
    narrow = layout_facts(page, tmp_path, 420)
    assert narrow["inner"] == 420 and narrow["scroll"] <= narrow["inner"], narrow
    assert narrow["clipped"] == 0 and narrow["legendOnGrid"] == 0
