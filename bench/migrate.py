"""`python -m bench.migrate FILE [--rounds 2]`: how fast `deskpulse migrate` copies FILE (a
deskpulse SQLite file, e.g. from `deskpulse demo --tickets 5000`) into a new SQLite file and
into PostgreSQL, and how the PostgreSQL batch writers compare:
COPY row by row through psycopg's dumpers (what migrate does), COPY's text built in Python per
batch, and executemany.

The modes run alternately, `--rounds` times, in one run: compare the ratios, not the
absolute times (docs/migrate.md "Progress and speed"). PostgreSQL is
$DESKPULSE_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); each run
gets a schema `migrate_bench_<id>`, dropped after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from deskpulse.app.migrate import migrate
from deskpulse.store import copy as catalogue

BASE_URL = os.environ.get("DESKPULSE_BENCH_POSTGRES_URL",
                          "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 3, 11, tzinfo=UTC)


def _copy_text(store, table, columns, rows) -> None:  # noqa: ANN001 - as insert_rows
    """COPY's text format built in Python, one string per batch (tried; slower)."""
    names = ", ".join(catalogue.quoted(column) for column in columns)
    with store.conn.raw.cursor() as cursor, cursor.copy(
            f"COPY {catalogue.quoted(table)} ({names}) FROM STDIN") as copy:
        copy.write("".join("\t".join(map(_field, row)) + "\n" for row in rows))


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r",
                          "\x00": "\ufffd"})


def _field(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    return str(value)


def _executemany(store, table, columns, rows) -> None:  # noqa: ANN001 - as insert_rows
    names = ", ".join(catalogue.quoted(column) for column in columns)
    marks = ", ".join("?" for _ in columns)
    store.conn.executemany(f"INSERT INTO {catalogue.quoted(table)} ({names}) "
                           f"VALUES ({marks})", rows)


WRITERS: dict[str, Callable | None] = {"COPY row by row (migrate)": None,
                                       "COPY text built per batch": _copy_text,
                                       "executemany": _executemany}


def one(source: Path, target: str) -> tuple[int, float, float]:
    result = migrate(source, target, now=NOW)
    assert result.ok, [(check.what, check.differences) for check in result.failed]
    return result.rows, result.copy_seconds, result.check_seconds


def pg_round(source: Path, writer: Callable | None) -> tuple[int, float, float]:
    schema = f"migrate_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(BASE_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    real = catalogue.insert_rows
    try:
        if writer is not None:
            catalogue.insert_rows = writer
        joiner = "&" if "?" in BASE_URL else "?"
        return one(source, f"{BASE_URL}{joiner}options=-csearch_path%3D{schema}")
    finally:
        catalogue.insert_rows = real
        with psycopg.connect(BASE_URL, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.migrate")
    parser.add_argument("file", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    timings: dict[str, list[tuple[int, float, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for round_number in range(args.rounds):
            target = str(Path(folder) / f"copy{round_number}.db")
            timings.setdefault("SQLite file", []).append(one(args.file, target))
            for name, writer in WRITERS.items():
                timings.setdefault(f"PostgreSQL, {name}", []).append(pg_round(args.file, writer))
    rows = next(iter(timings.values()))[0][0]
    base = statistics.median(copy for _, copy, _ in timings["PostgreSQL, executemany"])
    print(f"{args.file}: {rows:,} rows, {args.rounds} rounds, medians")
    print(f"{'target':45} {'copy s':>8} {'rows/s':>9} {'check s':>8} {'vs executemany':>15}")
    for name, found in timings.items():
        copy = statistics.median(item[1] for item in found)
        check = statistics.median(item[2] for item in found)
        print(f"{name:45} {copy:8.2f} {rows / copy:9,.0f} {check:8.2f} {base / copy:14.2f}x")


if __name__ == "__main__":
    main()
