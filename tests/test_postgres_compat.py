"""SQLite's functions on PostgreSQL (store/postgres_compat.sql) give what sqlite3 gives.

Each shim is evaluated on an in-memory SQLite and on PostgreSQL over the same inputs (fixed
tables of edge cases: UTC instants, month ends, leap days, negatives, halves for round, NULLs;
and hypothesis examples) and must return the same value of the same type, read back through
the PostgreSQL backend's connection (a store opened on a fresh schema: its loaders, its compat
install). On PostgreSQL the argument is given as text, and as timestamptz or date where a
column of that type can reach the function.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskpulse.store import Store, postgres_compat
from deskpulse.store.backends.postgres import PgConnection
from tests.backends import fresh_schema, typed

ISO = "%Y-%m-%dT%H:%M:%SZ"
INSTANTS = ["2024-02-29T23:59:59Z", "2024-03-01T00:00:00Z", "2023-02-28T12:30:05Z",
            "2023-12-31T23:59:59Z", "2000-02-29T00:00:00Z", "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z", "2038-01-19T03:14:08Z", "2100-02-28T23:00:00Z",
            "2024-01-31T10:00:00Z", "2024-10-27T01:30:00Z", "2026-03-29T02:30:00Z"]
DAYS = ["2024-02-29", "2024-01-31", "2023-02-28", "2024-12-31", "2000-02-29", "2100-02-28",
        "2023-03-31", "1999-12-31"]
MODIFIERS = [(), ("+1 day",), ("-1 day",), ("+90 days",), ("-90 days",), ("+7 days",),
             ("+3600 seconds",), ("-86399 seconds",), ("+2 hours", "+30 minutes"),
             ("weekday 0",), ("weekday 0", "-6 days"), ("weekday 3",), ("+1 month",),
             ("-1 month",), ("+13 months",), ("+1 year",), ("-4 years",), ("start of month",),
             ("start of day",), ("start of year", "+59 days"), ("+1.5 days",)]


@pytest.fixture(scope="module")
def pg() -> Iterator[PgConnection]:
    """The connection of a PostgreSQL store on a fresh schema (`?` placeholders, loaders)."""
    with fresh_schema() as url:
        store = Store.open(url)
        assert isinstance(store.conn, PgConnection)
        yield store.conn
        store.close()


@pytest.fixture(scope="module")
def lite() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    yield conn
    conn.close()


def on_sqlite(lite: sqlite3.Connection, expression: str, args: Sequence[Any]) -> Any:
    return lite.execute(f"SELECT {expression}", tuple(args)).fetchone()[0]


def on_postgres(pg: PgConnection, expression: str, args: Sequence[Any]) -> Any:
    return pg.execute(f"SELECT {expression}", tuple(args)).fetchone()[0]


def agree(lite: sqlite3.Connection, pg: PgConnection, expression: str,
          args: Sequence[Any], pg_expressions: Sequence[str] = ()) -> Any:
    """SQLite's value of `expression`; PostgreSQL's of it and of each variant must match."""
    expected = on_sqlite(lite, expression, args)
    for variant in (expression, *pg_expressions):
        got = on_postgres(pg, variant, args)
        assert typed(got) == typed(expected), (variant, args, got, expected)
    return expected


def call(name: str, count: int, first_cast: str | None = None) -> str:
    """`name(?, ?, ...)`; `first_cast` types the first argument that follows a format."""
    marks = ["?"] * count
    at = 1 if name == "strftime" else 0
    if first_cast and count > at:
        marks[at] = f"CAST(? AS {first_cast})"
    return f"{name}({', '.join(marks)})"


def time_variants(name: str, value: str | None, count: int) -> list[str]:
    if value is None:
        return [call(name, count, "timestamptz"), call(name, count, "date")]
    if len(value) == 10:
        return [call(name, count, "date")]
    return [call(name, count, "timestamptz")]


@pytest.mark.parametrize("value", [*INSTANTS, *DAYS, None])
@pytest.mark.parametrize("modifiers", MODIFIERS)
def test_date_and_strftime_match_sqlite_on_text_instants_and_days(lite, pg, value, modifiers):
    args = [value, *modifiers]
    agree(lite, pg, call("date", len(args)), args, time_variants("date", value, len(args)))
    args = [ISO, value, *modifiers]
    agree(lite, pg, call("strftime", len(args)), args,
          time_variants("strftime", value, len(args)))


@pytest.mark.parametrize("value", [*INSTANTS, *DAYS, None, "2024-02-29 23:59",
                                   "2024-02-29T23:59:59.250Z", "2024-03-01T01:30:00+02:00",
                                   "12:30:00", "2460310.5", "2024-13-01", "not a time"])
def test_julianday_matches_sqlite(lite, pg, value):
    variants = [] if value not in INSTANTS + DAYS else time_variants("julianday", value, 1)
    agree(lite, pg, "julianday(?)", [value], variants)


def test_whole_seconds_between_instants_match_sqlites_strftime_s(lite, pg):
    """kpi.upkeep.contacts counts a gap as ROUND((julianday(a) - julianday(b)) * 86400, 0):
    the same integers as SQLite's strftime('%s', a) - strftime('%s', b) did."""
    gap = "CAST(ROUND((julianday(?) - julianday(?)) * 86400, 0) AS BIGINT)"
    typed_gap = gap.replace("julianday(?)", "julianday(CAST(? AS timestamptz))")
    for a in INSTANTS:
        for b in INSTANTS:
            seconds = agree(lite, pg, gap, [a, b], [typed_gap])
            assert seconds == on_sqlite(
                lite, "CAST(strftime('%s', ?) AS INTEGER) - CAST(strftime('%s', ?) AS INTEGER)",
                [a, b])


moments = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31))
shifts = st.one_of(st.sampled_from(MODIFIERS),
                   st.tuples(st.integers(-4000, 4000).map(lambda n: f"{n:+d} days")),
                   st.tuples(st.integers(-10**7, 10**7).map(lambda n: f"{n:+d} seconds"),
                             st.sampled_from(["weekday 0", "+0 days", "start of day"])))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(moment=moments, modifiers=shifts, as_day=st.booleans())
def test_date_functions_match_sqlite_on_any_moment(lite, pg, moment, modifiers, as_day):
    value = moment.strftime("%Y-%m-%d" if as_day else ISO)
    args = [value, *modifiers]
    agree(lite, pg, call("date", len(args)), args, time_variants("date", value, len(args)))
    agree(lite, pg, call("strftime", len(args) + 1), [ISO, *args],
          time_variants("strftime", value, len(args) + 1))
    agree(lite, pg, "julianday(?)", [value], time_variants("julianday", value, 1))


HALVES = [0.5, 1.5, 2.5, -0.5, -2.5, 0.125, -0.125, 0.375, 2.675, 1.005, 0.15, 0.05, 0.25,
          0.28125, -0.28125, 1234.5678, 0.49999999999999994, 1e-07, 123456.785, 99.995,
          4503599627370497.0, 1e20, -1e20, 0.0, -0.0, 1 / 3, 2 / 3, 12.345, 5e-324, None]
DIGITS = [0, 1, 2, 3, 4, 6, 10, 12, 15, -1, None]


@pytest.mark.parametrize("digits", DIGITS)
def test_round_matches_sqlite_on_halves_negatives_and_extremes(lite, pg, digits):
    for value in HALVES:
        agree(lite, pg, "ROUND(?, ?)", [value, digits],
              ["ROUND(CAST(? AS DOUBLE PRECISION), ?)"])


def test_round_reads_its_digits_back_as_sqlites_atof_does(lite, pg):
    """"0.01522088" read in long double, then as a double, is not the nearest double."""
    assert agree(lite, pg, "ROUND(?, 8)", [0.015220875]) != 0.01522088


def test_round_of_an_integer_is_a_double_as_in_sqlite(lite, pg):
    for value in (0, 5, -7, 2**40):
        agree(lite, pg, "ROUND(?, 1)", [value], ["ROUND(CAST(? AS BIGINT), 1)"])
    agree(lite, pg, "ROUND(CAST(? AS INTEGER) * 1, 0)", [3])


@settings(max_examples=400, deadline=None, derandomize=True)
@given(numerator=st.integers(-10**7, 10**7), denominator=st.integers(1, 10**4),
       scale=st.sampled_from([1, 100, 1000]), digits=st.integers(0, 6))
def test_round_matches_sqlite_on_rates(lite, pg, numerator, denominator, scale, digits):
    """What the views round: a count or sum over a count, as a double, often times 100."""
    agree(lite, pg, f"ROUND(CAST(? AS DOUBLE PRECISION) * {scale} / ?, ?)",
          [numerator, denominator, digits])


# |X| * 10^N below 1e13: past it SQLite's long-double printf decides exact ties by rounding
# steps the shim does not replay (docs: store/postgres_compat.sql); the views stay far below
doubles = st.integers(0, 12).flatmap(lambda digits: st.tuples(
    st.floats(min_value=-1e13 / 10**digits, max_value=1e13 / 10**digits, allow_nan=False),
    st.just(digits)))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(case=doubles)
def test_round_matches_sqlite_on_any_double(lite, pg, case):
    agree(lite, pg, "ROUND(?, ?)", list(case), ["ROUND(CAST(? AS DOUBLE PRECISION), ?)"])


@pytest.mark.parametrize(("haystack", "needle"), [("1-5", "-"), ("0-10", "-"), ("abc", "-"),
                                                  ("ann@acme.example", "@"), ("ü-ö", "-"),
                                                  ("", "-"), (None, "-"), ("a-b", None)])
def test_instr_matches_sqlite(lite, pg, haystack, needle):
    agree(lite, pg, "instr(?, ?)", [haystack, needle])


@pytest.mark.parametrize("array", ['[]', '["a","b"]', '["vip","x y","ü","a\\"b"]',
                                   '[null,"a",""]', '["b","a","b"]', None])
def test_json_each_over_an_array_matches_sqlite(lite, pg, array):
    query = "SELECT key, value FROM json_each(?) ORDER BY key"
    expected = lite.execute(query, (array,)).fetchall()
    for cast in ("%s", "CAST(%s AS jsonb)", "CAST(%s AS text)"):
        got = pg.execute(query.replace("?", cast.replace("%s", "?")), (array,)).fetchall()
        assert [tuple(map(typed, r)) for r in got] == [tuple(map(typed, r)) for r in expected]


def test_what_the_shims_do_not_cover_raises_instead_of_answering_otherwise(pg):
    for sql in ("SELECT strftime('%Y-%m', '2024-01-01')",
                "SELECT date('2024-01-01', 'localtime')",
                "SELECT date('2024-01-01', '+1.5 months')",
                "SELECT round(CAST(2.675 AS DOUBLE PRECISION), 16)",
                "SELECT * FROM json_each(CAST('{\"a\": 1}' AS jsonb))"):
        with pytest.raises(psycopg.errors.RaiseException, match="deskpulse compat"):
            pg.execute(sql)


def test_now_is_the_statements_time(lite, pg):
    """'now' is read from each engine's own clock: they agree within a few seconds."""
    ours = datetime.strptime(on_postgres(pg, "strftime(?, 'now')", [ISO]), ISO)
    theirs = datetime.strptime(on_sqlite(lite, "strftime(?, 'now')", [ISO]), ISO)
    assert abs(ours - theirs) < timedelta(seconds=5)
    days = on_postgres(pg, "julianday('now')", []) - on_sqlite(lite, "julianday('now')", [])
    assert abs(days) * 86400 < 5


def test_install_is_idempotent_and_creates_every_function_it_names(pg):
    postgres_compat.install(pg.raw)  # the script's `%` goes to the server untouched
    postgres_compat.install(pg.raw)
    names = {name for (name,) in pg.execute(
        "SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace")}
    assert set(postgres_compat.FUNCTIONS) <= names
