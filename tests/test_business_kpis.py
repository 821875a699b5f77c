"""Business KPIs from the example CSVs in fixtures/imports and a tiny desk whose figures are
worked out by hand below; each KPI says "missing input" until its file is imported."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from deskpulse import kpi
from deskpulse.app.imports.importer import parse, write
from deskpulse.kpi.figures.business import KEYS, business_kpis
from deskpulse.store import Event, Person, Rating, Store, Ticket, TimeEntry

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
MARCH = {"since": date(2026, 3, 1), "until": date(2026, 3, 31)}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ticket(tid: str, created: str, requester: str, org: str | None = None,
           status: str = "solved") -> Ticket:
    return Ticket(id=tid, status=status, created_at=at(created), updated_at=at(created),
                  requester_id=requester, organization_id=org)


def event(eid: str, tid: str, when: str, kind: str, actor: str, *, public: bool = False,
          old: str | None = None, new: str | None = None) -> Event:
    return Event(id=eid, ticket_id=tid, at=at(when), kind=kind, actor_id=actor,
                 public=public, old_value=old, new_value=new)


def desk(path: Path) -> Store:
    """Tickets created in March: t1..t4 (4); first solved in March: t1, t2, t3 (3).
    Alice solves t1 (2 Mar) and t2 (3 Mar) and leaves a note on t3 (2 Mar); Bob answers
    and solves t3 (2 Mar). t0 was created and solved in February."""
    store = Store.open(path)
    kpi.install_views(store)
    store.ensure_source("desk", "zendesk", None)
    people = [Person(id="a1", role="agent", email="alice@desk.example"),
              Person(id="a2", role="admin", email="BOB@desk.example"),
              Person(id="c1", role="customer", email="ann@acme.example"),
              Person(id="c2", role="customer", email="bob@acme.example"),
              Person(id="c3", role="customer", email="cy@beta.example"),
              Person(id="c4", role="customer", email="dee@gamma.example")]
    tickets = [ticket("t0", "2026-02-20T09:00:00", "c1", "org-acme"),
               ticket("t1", "2026-03-01T09:00:00", "c1", "org-acme"),
               ticket("t2", "2026-03-01T11:00:00", "c2", "org-acme"),
               ticket("t3", "2026-03-02T08:00:00", "c3"),
               ticket("t4", "2026-03-10T08:00:00", "c4", status="new")]
    events = [event(f"{t.id}-c", t.id, t.created_at.isoformat()[:19], "created",
                    t.requester_id or "", new="new") for t in tickets]
    events += [
        event("t0-s", "t0", "2026-02-25T10:00:00", "status", "a1", old="new", new="solved"),
        event("t1-r", "t1", "2026-03-02T10:00:00", "message", "a1", public=True),
        event("t1-s", "t1", "2026-03-02T10:05:00", "status", "a1", old="new", new="solved"),
        event("t2-r", "t2", "2026-03-03T09:00:00", "message", "a1", public=True),
        event("t2-s", "t2", "2026-03-03T09:01:00", "status", "a1", old="new", new="solved"),
        event("t3-n", "t3", "2026-03-02T12:00:00", "note", "a1"),
        event("t3-r", "t3", "2026-03-02T13:00:00", "message", "a2", public=True),
        event("t3-s", "t3", "2026-03-02T13:05:00", "status", "a2", old="new", new="solved"),
    ]
    # a vendor CSAT of t1, older than the imported one (2026-03-09)
    vendor_csat = Rating(id="r1", ticket_id="t1", at=at("2026-03-05T00:00:00"), score="bad",
                         scale="good_bad", positive=False)
    store.commit_page("desk", "all", [*people, *tickets, *events, vendor_csat], None)
    kpi.refresh(store)
    return store


@pytest.fixture
def store(tmp_path):
    s = desk(tmp_path / "b.db")
    yield s
    s.close()


def load(store: Store, kind: str) -> None:
    parsed = parse(kind, FIXTURES / f"{kind}.csv")
    assert not parsed.problems, parsed.problems
    write(store, parsed, file_name=f"{kind}.csv", source="desk")
    kpi.refresh(store)


def test_every_kpi_says_missing_input_until_its_file_is_imported(store):
    figures = business_kpis(store, **MARCH)
    assert set(KEYS) <= set(figures)
    for key in KEYS:
        if key != "currency":
            assert str(figures[key]).startswith("missing input: "), key
    assert figures["support_cost"] == "missing input: costs"
    assert figures["revenue"] == "missing input: revenue"
    assert figures["nps"] == "missing input: surveys (nps)"
    assert figures["ces_mean"] == "missing input: surveys (ces)"
    assert figures["solved_per_agent_hour"] == "missing input: agent_hours"
    assert figures["churn_pct_with_tickets"] == "missing input: accounts"


def test_cost_per_ticket_and_resolution_prorate_costs_by_day(store):
    load(store, "costs")
    figures = business_kpis(store, **MARCH)
    # salaries 3100 + tools 620 + outsourcing 600 over 15 Feb..16 Mar (30 days), 16 in March
    assert figures["support_cost"] == 4040.0
    assert figures["currency"] == "EUR"
    assert figures["cost_per_ticket"] == 1010.0  # / 4 created
    assert figures["cost_per_resolution"] == pytest.approx(1346.67)  # / 3 first solved
    assert figures["cost_to_revenue_pct"] == "missing input: revenue"
    load(store, "revenue")  # 90000 over Q1 (90 days): 31000 in March
    figures = business_kpis(store, **MARCH)
    assert figures["revenue"] == 31000.0
    assert figures["cost_to_revenue_pct"] == pytest.approx(13.03)


def test_costs_that_cover_only_part_of_the_period_are_a_missing_input(store):
    load(store, "costs")
    figures = business_kpis(store, since=date(2026, 3, 20), until=date(2026, 4, 9))
    assert figures["support_cost"] == "missing input: costs for 9 of the 21 days"
    assert figures["cost_per_ticket"] == figures["support_cost"]


def test_nps_and_ces_from_imported_surveys(store):
    load(store, "surveys")
    figures = business_kpis(store, **MARCH)
    # 10, 9 promoters; 7 passive; 3 detractor: (2 - 1) / 4
    assert (figures["nps"], figures["nps_n"]) == (25.0, 4)
    # 6 and 4 on 1-7; 5 on 1-5 is 7 on 1-7: mean 17/3, easy (>= 5) 2 of 3
    assert figures["ces_mean"] == pytest.approx(5.67)
    assert figures["ces_easy_pct"] == pytest.approx(66.67)
    assert figures["ces_n"] == 3
    assert business_kpis(store, since=date(2026, 4, 1), until=date(2026, 4, 30))["nps"] is None


def test_an_imported_csat_replaces_the_vendor_rating_of_its_ticket_never_adds_to_it(store):
    before = kpi.summary(store, **MARCH)[0]
    assert (before["csat_n"], before["csat_pct"]) == (1, 0.0)
    load(store, "surveys")
    after = kpi.summary(store, **MARCH)[0]
    assert (after["csat_n"], after["csat_pct"]) == (1, 100.0)  # the later answer: 5 of 1-5
    assert store.conn.execute("SELECT csat_score FROM ticket_facts WHERE ticket_id = 't1'"
                              ).fetchone() == ("5",)


def test_tickets_per_agent_hour_occupancy_and_utilization(store):
    load(store, "agent_hours")
    figures = business_kpis(store, **MARCH)
    # matched rows: alice 7.5 + 8, bob 4 (admin, email case differs); zed is no agent
    assert figures["agent_hours_logged"] == 19.5
    assert figures["solved_per_agent_hour"] == round(3 / 19.5, 3)  # t1, t2 alice; t3 bob
    # alice 2 Mar: t1, t3; alice 3 Mar: t2; bob 2 Mar: t3
    assert figures["handled_per_agent_hour"] == round(4 / 19.5, 3)
    assert figures["utilization_pct"] == round(23.5 * 100 / 32, 2)  # every row
    assert figures["occupancy_pct"] == "missing input: handle time (time entries)"
    store.commit_page("desk", "time_entries", [
        TimeEntry(id="e1", ticket_id="t1", agent_id="a1", seconds=3600,
                  at=at("2026-03-02T10:00:00")),
        TimeEntry(id="e2", ticket_id="t2", agent_id="a1", seconds=1800,
                  at=at("2026-03-03T09:00:00"))], None)
    # alice's handle time over alice's logged-in hours; bob logs no time: not in the ratio
    assert business_kpis(store, **MARCH)["occupancy_pct"] == round(5400 * 100 / 55800, 2)


def test_churn_and_retention_of_accounts_with_tickets(store):
    load(store, "accounts")
    figures = business_kpis(store, **MARCH)
    # active on 1 Mar: A1..A4; lost in March: A2, A4
    assert (figures["accounts_at_start"], figures["churn_pct"]) == (4, 50.0)
    # with tickets: A1 (organization org-acme), A2 (beta.example), A3 (gamma.example)
    assert figures["churn_pct_with_tickets"] == pytest.approx(33.33)
    assert figures["retention_pct_with_tickets"] == pytest.approx(66.67)
    assert figures["churn_pct_without_tickets"] == 100.0  # A4
    assert figures["mrr_at_end"] == 670.0  # A1 + A3 + A5


def test_reimporting_every_file_changes_no_row_and_no_figure(store):
    for kind in ("costs", "revenue", "surveys", "agent_hours", "accounts"):
        load(store, kind)
    tables = ("ext_costs", "ext_revenue", "ext_agent_hours", "ext_accounts", "ratings")
    counts = [store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables]
    figures = business_kpis(store, **MARCH)
    csat = kpi.summary(store, **MARCH)[0]["csat_pct"]
    for kind in ("costs", "revenue", "surveys", "agent_hours", "accounts"):
        load(store, kind)
    assert [store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in tables] == counts
    assert business_kpis(store, **MARCH) == figures
    assert kpi.summary(store, **MARCH)[0]["csat_pct"] == csat


def test_the_views_give_the_same_money_and_survey_figures(store):
    for kind in ("costs", "revenue", "surveys", "agent_hours"):
        load(store, kind)
    figures = business_kpis(store, **MARCH)
    cost, revenue = store.conn.execute(
        "SELECT SUM(CASE kind WHEN 'cost' THEN amount END), "
        "SUM(CASE kind WHEN 'revenue' THEN amount END) FROM kpi_ext_money_daily "
        "WHERE day BETWEEN '2026-03-01' AND '2026-03-31'").fetchone()
    assert (round(cost, 2), round(revenue, 2)) == (figures["support_cost"], figures["revenue"])
    n, promoters, detractors, ces_n, ces_sum = store.conn.execute(
        "SELECT SUM(nps_n), SUM(promoters), SUM(detractors), SUM(ces_n), SUM(ces_sum) "
        "FROM kpi_ext_surveys_daily WHERE day BETWEEN '2026-03-01' AND '2026-03-31'"
    ).fetchone()
    assert round((promoters - detractors) * 100 / n, 1) == figures["nps"]
    assert round(ces_sum / ces_n, 2) == figures["ces_mean"]
    scheduled, productive = store.conn.execute(
        "SELECT SUM(scheduled_h), SUM(productive_h) FROM kpi_ext_agent_days").fetchone()
    assert round(productive * 100 / scheduled, 2) == figures["utilization_pct"]


def test_the_html_report_shows_business_tiles_and_names_missing_inputs(store, tmp_path):
    import re

    from deskpulse.app.report.html import write_report

    load(store, "costs")
    page = write_report(store, tmp_path / "r.html", **MARCH).read_text(encoding="utf-8")

    def tile(key: str) -> str:
        match = re.search(rf'data-kpi="{key}"><div>[^<]*</div><div class="v">([^<]*)</div>',
                          page)
        assert match, key
        return match.group(1)

    assert tile("cost_per_ticket") == "1,010.00 EUR"
    assert 'data-kpi="revenue"' not in page and 'data-kpi="nps"' not in page
    note = re.search(r'class="note missing-note">(.*?)</p>', page).group(1)  # one note
    assert "revenue (2 KPIs)" in note and "surveys (nps) (2 KPIs)" in note


def test_facts_refreshed_after_a_survey_import_equal_a_full_rebuild(store):
    from tests.simdesk import rows

    load(store, "surveys")
    refreshed = [rows(store, table) for table in ("ticket_facts", "kpi_daily")]
    kpi.rebuild(store)
    assert [rows(store, table) for table in ("ticket_facts", "kpi_daily")] == refreshed


def test_business_figures_use_the_one_rate_helper_of_kpi_stats():
    from deskpulse.kpi.figures import agent_hours as external_agents
    from deskpulse.kpi.figures import business as external
    from deskpulse.kpi.figures import summary as report
    from deskpulse.kpi.figures import tags
    from deskpulse.kpi.figures.stats import ratio
    from deskpulse.kpi.sla import figures as sla_report

    assert external._ratio is ratio and external_agents.ratio is ratio
    assert sla_report.ratio is ratio and report.ratio is ratio and tags.ratio is ratio
    assert not hasattr(sla_report, "_pct")
    # the roundings the three helpers had: 2 digits (rates, SLA %), 3 (per hour), 1 (NPS)
    assert (ratio(1, 3, 100), ratio(2, 3, digits=3), ratio(-1, 3, 100, 1)) == (
        33.33, 0.667, -33.3)
    assert ratio(5, 0) is None and ratio(5, 0.0, 100) is None
