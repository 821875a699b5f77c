"""`deskpulse import` end to end on the simulated help desk: files written from the synced
data, imported through the CLI, business KPIs in `deskpulse kpi` json/csv/table output."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskpulse.app.cli.main import app
from deskpulse.app.report.business import split_missing
from deskpulse.app.report.export import clean_rows
from deskpulse.app.sync.lock import WriterLock
from deskpulse.kpi.figures.business import KEYS, business_kpis
from deskpulse.store import Store
from tests.simdesk import backfilled_store, cli, write_config

NOW = datetime(2026, 5, 4, 12, tzinfo=UTC)
runner = CliRunner()
TABLES = ("ext_costs", "ext_revenue", "ext_agent_hours", "ext_accounts", "ratings")


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    folder = tmp_path_factory.mktemp("import-cli")
    store = backfilled_store(folder / "desk.db", tickets=160, seed=11, now=NOW, days=30)
    first, last = (date.fromisoformat(d) for d in store.conn.execute(
        "SELECT MIN(created_day), MAX(created_day) FROM ticket_facts").fetchone())
    files = _write_inputs(store, folder, first, last)
    store.close()
    return folder, write_config(folder, "http://127.0.0.1:9"), files, first, last


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _write_inputs(store: Store, folder: Path, first: date, last: date) -> dict[str, Path]:
    """Inputs for exactly the synced days: 1000 EUR of cost and 4000 of revenue a day, 8
    scheduled / 7 logged-in / 6 productive hours per agent and day, NPS and CSAT answers from
    the desk's customers, and two accounts (the customers' domain, and one without tickets)."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    agents = [r[0] for r in store.conn.execute(
        "SELECT email FROM people WHERE role IN ('agent', 'admin') ORDER BY email")]
    customers = store.conn.execute(
        "SELECT p.email, MIN(t.id) FROM people p JOIN tickets t ON t.requester_id = p.id "
        "WHERE p.role = 'customer' GROUP BY p.email ORDER BY p.email LIMIT 10").fetchall()
    domain = customers[0][0].split("@")[1]
    n = len(days)
    return {
        "costs": _write(folder / "costs.csv", "period_start,period_end,amount,currency,category",
                        [f"{first},{last},{1000 * n},EUR,salaries"]),
        "revenue": _write(folder / "revenue.csv", "period_start,period_end,amount,currency",
                          [f"{first},{last},{4000 * n},EUR"]),
        "agent-hours": _write(folder / "hours.csv", "Agent Email,Date,Scheduled H,Logged In H,"
                              "Productive H", [f"{a},{d},8,7,6" for a in agents for d in days]),
        "surveys": _write(folder / "surveys.csv", "responded_at,kind,score,scale,"
                          "requester_email,ticket_id,comment",
                          [f"{last}T10:00:00Z,nps,{9 if i % 2 else 3},0-10,{email},,"
                           for i, (email, _t) in enumerate(customers)]
                          + [f"{last}T11:00:00Z,csat,5,1-5,{email},{ticket},"
                             for email, ticket in customers[:3]]),
        "accounts": _write(folder / "accounts.csv", "account_id,domain_or_org_id,plan,mrr,"
                           "start_date,churn_date",
                           [f"A1,{domain},pro,900,2020-01-01,",
                            f"A2,nobody.example,basic,100,2020-01-01,{last}"]),
    }


def kpi_json(config: Path, first: date, last: date) -> dict:
    result = runner.invoke(app, ["kpi", "--config", str(config), "--since", str(first),
                                 "--until", str(last), "--format", "json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    return row


def counts(folder: Path) -> list[int]:
    store = Store.open(folder / "desk.db")
    try:
        return [store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES]
    finally:
        store.close()


def test_import_then_kpi_end_to_end(desk):
    folder, config, files, first, last = desk
    before = kpi_json(config, first, last)
    assert all(before[k] is None and before[f"{k}_missing"].startswith("missing input: ")
               for k in KEYS if k != "currency")

    process = cli("import", "costs", str(files["costs"]), "--config", str(config))
    out, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    assert "imported 1 costs rows from costs.csv" in out
    for kind in ("revenue", "agent-hours", "surveys", "accounts"):
        result = runner.invoke(app, ["import", kind, str(files[kind]), "--config", str(config)])
        assert result.exit_code == 0, result.output

    row = kpi_json(config, first, last)
    days = (last - first).days + 1
    assert row["support_cost"] == 1000 * days and row["currency"] == "EUR"
    assert row["cost_per_ticket"] == round(1000 * days / row["created"], 2)
    assert row["cost_per_resolution"] == round(1000 * days / row["solved"], 2)
    assert row["cost_to_revenue_pct"] == 25.0
    assert (row["nps"], row["nps_n"]) == (0.0, 10)  # 5 promoters, 5 detractors
    assert row["ces_mean"] is None and row["ces_mean_missing"] == "missing input: surveys (ces)"
    assert row["utilization_pct"] == 75.0
    assert row["solved_per_agent_hour"] > 0 and row["handled_per_agent_hour"] > 0
    assert row["churn_pct_with_tickets"] == 0.0 and row["churn_pct_without_tickets"] == 100.0
    store = Store.open(folder / "desk.db")
    try:
        assert {k: row[k] for k in KEYS} == {
            k: v for k, v in clean_rows([split_missing(business_kpis(
                store, since=first, until=last))])[0].items() if k in KEYS}
    finally:
        store.close()

    weekly = runner.invoke(app, ["kpi", "--config", str(config), "--since", str(first),
                                 "--until", str(last), "--format", "json", "--by", "week"])
    weeks = json.loads(weekly.output)
    # pro-rated by day: the weeks' costs add up to the range's, and each week is clipped to it
    assert sum(w["support_cost"] for w in weeks) == pytest.approx(row["support_cost"])
    assert weeks[0]["business_since"] == str(first) and weeks[-1]["business_until"] == str(last)

    rows_before = counts(folder)
    for kind in ("costs", "revenue", "agent-hours", "surveys", "accounts"):
        again = runner.invoke(app, ["import", kind, str(files[kind]), "--config", str(config)])
        assert again.exit_code == 0 and "updated or replaced" in again.output
    assert counts(folder) == rows_before
    assert kpi_json(config, first, last) == row


def test_a_bad_file_exits_1_naming_each_bad_line_and_imports_nothing(desk, tmp_path):
    folder, config, _files, _first, _last = desk
    bad = _write(tmp_path / "bad.csv", "period_start,period_end,amount,currency,category",
                 ["2026-01-01,2026-01-31,10,EUR,tools", "2026-02-01,2026-02-28,-3,EUR,tools",
                  "2026-03-01,2026-03-40,3,EUR,tools"])
    rows_before = counts(folder)
    process = cli("import", "costs", str(bad), "--config", str(config))
    _out, errors = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "2 problems; nothing was imported" in errors
    assert "line 3, column amount: -3 is negative" in errors
    assert "line 4, column period_end: '2026-03-40' is not a date" in errors
    assert counts(folder) == rows_before
    unknown = runner.invoke(app, ["import", "tickets", str(bad), "--config", str(config)])
    assert unknown.exit_code == 2 and "unknown kind 'tickets'" in unknown.output


def test_surveys_need_a_source_the_database_knows(desk):
    _folder, config, files, _first, _last = desk
    result = runner.invoke(app, ["import", "surveys", str(files["surveys"]), "--source",
                                 "nope", "--config", str(config)])
    assert result.exit_code == 2
    assert "name it with --source (sources in the database: demo)" in result.output


def test_import_holds_its_writer_lock(desk):
    folder, config, files, _first, _last = desk
    with WriterLock(folder / "desk.db", "import"):
        result = runner.invoke(app, ["import", "costs", str(files["costs"]),
                                     "--config", str(config)])
    assert result.exit_code == 2 and "another deskpulse process" in result.output


def test_csv_and_json_leave_missing_inputs_empty_with_the_reason_beside_them(tmp_path):
    store = backfilled_store(tmp_path / "desk.db", tickets=60, seed=3, now=NOW, days=10)
    store.close()
    db = str(tmp_path / "desk.db")
    result = runner.invoke(app, ["kpi", "--database", db, "--format", "csv"])
    [row] = list(csv.DictReader(io.StringIO(result.output)))
    assert row["cost_per_ticket"] == "" and row["cost_per_ticket_missing"] == \
        "missing input: costs"
    assert row["nps"] == "" and row["nps_missing"] == "missing input: surveys (nps)"
    weekly = runner.invoke(app, ["kpi", "--database", db, "--format", "json", "--by", "week"])
    assert all(r["utilization_pct"] is None
               and r["utilization_pct_missing"] == "missing input: agent_hours"
               for r in json.loads(weekly.output))
    table = runner.invoke(app, ["kpi", "--database", db])
    assert "Business KPIs" in table.output and "missing input: revenue" in table.output


def test_a_survey_import_refreshes_facts_under_the_configs_definitions(tmp_path):
    """The answers' tickets are recomputed with the config's report zone and SLA targets,
    as a sync would, never under defaults that would rebuild every fact without them."""
    store = backfilled_store(tmp_path / "desk.db", tickets=60, seed=5, now=NOW, days=20)
    ticket, email = store.conn.execute(
        "SELECT t.id, p.email FROM tickets t JOIN people p ON p.id = t.requester_id "
        "WHERE t.deleted = 0 LIMIT 1").fetchone()
    store.close()
    config = write_config(tmp_path, "http://127.0.0.1:9")
    config.write_text(config.read_text(encoding="utf-8") + '\n[kpi]\nreport_tz = '
                      '"Asia/Tokyo"\n\n[[sla]]\nmetric = "first_reply"\ntarget = "8h"\n',
                      encoding="utf-8")
    answers = _write(tmp_path / "s.csv", "responded_at,kind,score,scale,requester_email,"
                     "ticket_id", [f"2026-05-03T10:00:00Z,csat,5,1-5,{email},{ticket}"])
    result = runner.invoke(app, ["import", "surveys", str(answers), "--config", str(config)])
    assert result.exit_code == 0, result.output
    store = Store.open(tmp_path / "desk.db")
    meta = dict(store.conn.execute("SELECT key, value FROM kpi_meta"))
    assert meta["report_tz"] == "Asia/Tokyo" and "first_reply" in meta["sla_targets"]
    assert store.conn.execute("SELECT COUNT(*) FROM sla_instances").fetchone()[0] > 0
    assert store.conn.execute("SELECT COUNT(*) FROM kpi_dirty").fetchone()[0] == 0
    store.close()
