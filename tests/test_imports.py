"""CSV imports: every bad row named by line and column, all or nothing, re-imports that
update instead of doubling, and a log that never holds the file's content."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskpulse.app.imports.importer import kind_name, parse, write
from deskpulse.store import Store
from deskpulse.store.external import ImportConflict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


def csv_file(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def problems(kind: str, path: Path) -> list[str]:
    return [str(p) for p in parse(kind, path).problems]


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "i.db")
    yield s
    s.close()


@pytest.mark.parametrize("kind", ["costs", "revenue", "surveys", "agent_hours", "accounts"])
def test_every_example_file_parses_cleanly(kind):
    parsed = parse(kind, FIXTURES / f"{kind}.csv")
    assert parsed.problems == [] and parsed.rows


def test_each_bad_cost_row_is_reported_with_its_line_and_column(tmp_path):
    path = csv_file(tmp_path, """
period_start,period_end,amount,currency,category
2026-13-01,2026-01-31,100,EUR,tools
2026-02-01,2026-02-28,-5,EUR,tools
2026-03-31,2026-03-01,5,EUR,tools
2026-04-01,2026-04-30,1.234,50,tools
2026-05-01,2026-05-31,10,USD,tools
2026-06-01,2026-06-30,10,EUR,
2026-05-15,2026-06-14,10,USD,tools
""")
    assert problems("costs", path) == [
        "line 2, column period_start: '2026-13-01' is not a date like 2026-01-31",
        "line 3, column amount: -5 is negative",
        "line 4, column period_end: 2026-03-01 is before period_start 2026-03-31",
        "line 5, column currency: '50' is not a three-letter currency code like EUR or USD",
        "line 7, column category: empty: a value is required",
        "line 8, column period_start: 2026-05-15..2026-06-14 overlaps 2026-05-01..2026-05-31 "
        "on line 6 (category tools): a day's money can be counted once",
    ]


def test_mixed_currencies_in_one_file_are_refused_row_by_row(tmp_path):
    path = csv_file(tmp_path, """
period_start,period_end,amount,currency
2026-01-01,2026-01-31,100,eur
2026-02-01,2026-02-28,100,USD
""")
    assert problems("revenue", path) == [
        "line 3, column currency: USD differs from EUR on line 2: amounts in different "
        "currencies cannot be summed; convert them to one"]


def test_survey_rows_are_checked_against_their_kind_and_scale(tmp_path):
    path = csv_file(tmp_path, """
responded_at,kind,score,scale,requester_email,ticket_id,comment
2026-03-02T10:00:00,nps,10,0-10,a@b.example,,
2026-03-02,promoter,10,0-10,a@b.example,,
2026-03-02,nps,11,0-10,a@b.example,,
2026-03-02,nps,5,1-5,a@b.example,,
2026-03-02,ces,5,7-1,a@b.example,,
2026-03-02,csat,4.5,1-5,a@b.example,,
2026-03-02,csat,4,1-5,,,
2026-03-02,csat,4,1-5,not-an-email,,
2026-03-03,csat,4,1-5,a@b.example,,
2026-03-03,csat,2,1-5,A@b.example,,
""")
    assert problems("surveys", path) == [
        "line 2, column responded_at: '2026-03-02T10:00:00' has no time zone: add Z (UTC) or "
        "an offset like +01:00",
        "line 3, column kind: unknown kind 'promoter': use nps, ces or csat",
        "line 4, column score: 11 is outside its scale 0-10",
        "line 5, column scale: NPS is asked on 0-10, not 1-5",
        "line 6, column scale: '7-1' is not a scale like 0-10 or 1-7 (lowest-highest)",
        "line 7, column score: '4.5' is not a whole number",
        "line 8, column requester_email: empty, and so is ticket_id: one is needed to tell "
        "answers apart",
        "line 9, column requester_email: 'not-an-email' is not an email address",
        "line 11, column responded_at: repeats line 10 (same kind, responded_at, "
        "requester_email and ticket_id)",
    ]


def test_agent_hours_and_accounts_rows(tmp_path):
    hours = csv_file(tmp_path, """
agent_email,date,scheduled_h,logged_in_h,productive_h
a@desk.example,2026-03-02,8,25,6
a@desk.example,2026-03-02,8,8,6
a@desk.example,2026-03-02,8,8,6
""")
    assert problems("agent_hours", hours) == [
        "line 2, column logged_in_h: 25 hours is more than a day",
        "line 4, column date: repeats line 3 (same agent_email and date)"]
    accounts = csv_file(tmp_path, """
account_id,domain_or_org_id,plan,mrr,start_date,churn_date
A1,acme.example,pro,100,2026-02-01,2026-01-01
A2,,pro,100,2026-02-01,
""", "accounts.csv")
    assert problems("accounts", accounts) == [
        "line 2, column churn_date: 2026-01-01 is before start_date 2026-02-01",
        "line 3, column domain_or_org_id: empty: a value is required"]


def test_headers_are_matched_loosely_and_missing_or_extra_columns_are_named(tmp_path):
    loose = csv_file(tmp_path, """
 Period Start ,PERIOD-END,Amount,Currency,Category,Cost Center
2026-01-01,2026-01-31,10,EUR,tools,42
""")
    parsed = parse("costs", loose)
    assert parsed.problems == [] and parsed.ignored == ["Cost Center"]
    missing = csv_file(tmp_path, "period_start,amount,currency\n2026-01-01,1,EUR\n", "m.csv")
    assert problems("costs", missing) == [
        "line 1, column period_end: missing column (required: period_start, period_end, "
        "amount, currency, category)",
        "line 1, column category: missing column (required: period_start, period_end, "
        "amount, currency, category)"]
    assert problems("costs", csv_file(tmp_path, "", "empty.csv"))[0].startswith(
        "line 1: the file is empty")
    assert kind_name("Agent-Hours") == "agent_hours" and kind_name("tickets") is None


def test_a_file_with_any_bad_row_writes_nothing(tmp_path, store):
    path = csv_file(tmp_path, """
period_start,period_end,amount,currency,category
2026-01-01,2026-01-31,10,EUR,tools
2026-02-01,2026-02-28,-1,EUR,tools
""")
    parsed = parse("costs", path)
    assert len(parsed.rows) == 1 and len(parsed.problems) == 1
    with pytest.raises(ValueError, match="never written"):
        write(store, parsed, file_name=path.name)
    assert store.conn.execute("SELECT COUNT(*) FROM ext_costs").fetchone() == (0,)


def test_a_corrected_file_replaces_the_periods_it_overlaps(tmp_path, store):
    first = csv_file(tmp_path, """
period_start,period_end,amount,currency,category
2026-01-01,2026-01-31,3100,EUR,salaries
2026-01-01,2026-01-31,100,EUR,tools
2026-02-01,2026-02-28,2800,EUR,salaries
""")
    write(store, parse("costs", first), file_name="costs.csv")
    corrected = csv_file(tmp_path, """
period_start,period_end,amount,currency,category
2026-01-01,2026-01-15,1600,EUR,salaries
2026-01-16,2026-01-31,1700,EUR,salaries
""", "costs-fixed.csv")
    result = write(store, parse("costs", corrected), file_name="costs-fixed.csv")
    assert (result.rows, result.replaced) == (2, 1)
    assert store.conn.execute(
        "SELECT category, SUM(amount), COUNT(*) FROM ext_costs GROUP BY category ORDER BY 1"
    ).fetchall() == [("salaries", 6100.0, 3), ("tools", 100.0, 1)]
    another_feed = write(store, parse("costs", first), file_name="x.csv", feed="outsourcer")
    assert another_feed.replaced == 0  # feeds add up


def test_a_currency_other_than_the_stored_one_is_refused_and_writes_nothing(tmp_path, store):
    write(store, parse("costs", FIXTURES / "costs.csv"), file_name="costs.csv")
    dollars = csv_file(tmp_path, """
period_start,period_end,amount,currency,category
2026-04-01,2026-04-30,10,USD,tools
""")
    with pytest.raises(ImportConflict, match="EUR and USD"):
        write(store, parse("costs", dollars), file_name="usd.csv")
    assert store.conn.execute("SELECT COUNT(*), MIN(currency) FROM ext_costs").fetchone() == (
        3, "EUR")
    assert store.conn.execute("SELECT COUNT(*) FROM ext_imports").fetchone() == (1,)


def test_imports_are_logged_by_file_name_and_counts_only(tmp_path, store):
    write(store, parse("accounts", FIXTURES / "accounts.csv"),
          file_name="accounts.csv")
    write(store, parse("accounts", FIXTURES / "accounts.csv"),
          file_name="accounts.csv")
    log = store.conn.execute("SELECT kind, feed, file_name, rows, replaced FROM ext_imports "
                             "ORDER BY id").fetchall()
    assert log == [("accounts", "csv", "accounts.csv", 5, 0),
                   ("accounts", "csv", "accounts.csv", 5, 5)]
    assert store.conn.execute("SELECT COUNT(*) FROM ext_accounts").fetchone() == (5,)


def test_a_file_from_before_imports_upgrades_and_keeps_its_ratings(tmp_path):
    import sqlite3

    from deskpulse.store.ext_schema import EXTERNAL_INPUTS
    from deskpulse.store.schema import MIGRATIONS, _apply

    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:MIGRATIONS.index(EXTERNAL_INPUTS)]):
        _apply(conn, script, number + 1)
    conn.execute("INSERT INTO ratings (source, id, at, score, scale) "
                 "VALUES ('acme', '1', '2026-01-01T00:00:00Z', 'good', 'good_bad')")
    conn.close()
    upgraded = Store.open(tmp_path / "old.db")
    try:
        assert upgraded.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert upgraded.conn.execute("SELECT id, kind FROM ratings").fetchall() == [
            ("1", "csat")]
        write(upgraded, parse("revenue", FIXTURES / "revenue.csv"), file_name="revenue.csv")
        assert upgraded.conn.execute("SELECT COUNT(*) FROM ext_revenue").fetchone() == (1,)
    finally:
        upgraded.close()
