"""Each test that takes `backend`, `db_target` or `store` runs on SQLite (a file in tmp_path)
and on PostgreSQL (a fresh schema `pgcore_<id>` in database `test`, dropped afterwards).

PostgreSQL is $DESKPULSE_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test).
When it cannot be reached the PostgreSQL cases FAIL with the reason, so CI never passes by
skipping them; DESKPULSE_TEST_POSTGRES=skip makes them skip instead (a laptop without it).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import pytest

from deskpulse import kpi
from deskpulse.app.migrate import copying
from deskpulse.store import Store

BACKENDS = ("sqlite", "postgresql")
KPI_BACKENDS = BACKENDS  # the KPI SQL runs on both (store/postgres_compat.sql)
BASE_URL = os.environ.get("DESKPULSE_TEST_POSTGRES_URL",
                          "postgresql://postgres@127.0.0.1:5432/test")
SCHEMA_PREFIX = "pgcore_"


@cache
def unreachable() -> str | None:
    """Why PostgreSQL cannot be used (None: it can), asked once per test session."""
    try:
        psycopg.connect(BASE_URL, connect_timeout=5).close()
    except psycopg.Error as exc:
        return " ".join(str(exc).split())[:200]
    return None


def require_postgres() -> None:
    reason = unreachable()
    if reason is None:
        return
    message = (f"PostgreSQL at {BASE_URL} is unreachable ({reason}); start it, or set "
               "DESKPULSE_TEST_POSTGRES=skip to skip the PostgreSQL cases")
    if os.environ.get("DESKPULSE_TEST_POSTGRES") == "skip":
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


def schema_url(schema: str) -> str:
    """BASE_URL whose sessions find (and create) everything in `schema`; commits do not
    wait for the disk (tests make thousands of them, and nothing here must survive a crash
    of the server)."""
    joiner = "&" if "?" in BASE_URL else "?"
    return (f"{BASE_URL}{joiner}options=-csearch_path%3D{schema}"
            "%20-csynchronous_commit%3Doff")


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A URL on a new empty schema, dropped (with all in it) when the block ends."""
    require_postgres()
    schema = f"{SCHEMA_PREFIX}{uuid.uuid4().hex[:12]}"
    with psycopg.connect(BASE_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema_url(schema)
    finally:
        with psycopg.connect(BASE_URL, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def emptied(store: Store) -> Store:
    """`store` with no rows left in any table (the schema and its version stay)."""
    with store.transaction():
        for name in store.names("table"):
            if name != "deskpulse_schema":
                store.conn.execute(f"DELETE FROM {name}")
    return store


@contextmanager
def opened(backend: str, folder: Path) -> Iterator[Store]:
    """A new store on `backend` (a file in `folder`, or a fresh schema), closed and dropped
    when the block ends: for tests that make several stores, or one per Hypothesis example."""
    if backend == "sqlite":
        store = Store.open(folder / f"{uuid.uuid4().hex[:8]}.db")
        try:
            yield store
        finally:
            store.close()
        return
    with fresh_schema() as url:
        store = Store.open(url)
        try:
            yield store
        finally:
            store.close()


@contextmanager
def copied_to_postgres(source: Store) -> Iterator[Store]:
    """A new PostgreSQL store (a fresh schema; `Store.open`: the schema translated from the
    migrations, the compat functions) with the kpi_* views and every row of `source`, copied
    as `deskpulse migrate` copies: for tests that hold PostgreSQL's figures to SQLite's."""
    with fresh_schema() as url:
        target = Store.open(url)
        try:
            with target.transaction():
                kpi.install_views(target)
                copying.copy_tables(source, target, copying.plan(source))
            yield target
        finally:
            target.close()


def typed(value: Any) -> tuple[str, Any]:
    """A value with its Python type, so 1 and 1.0 (SQLite: INTEGER and REAL) differ."""
    return (type(value).__name__, value)


def row_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A sort key for rows mixing None, numbers and text."""
    return tuple((v is None, "" if v is None else str(v)) for v in row)


@pytest.fixture(params=KPI_BACKENDS)
def kpi_backend(request: pytest.FixtureRequest) -> str:
    """A backend for a test of KPI code."""
    return request.param


@pytest.fixture
def kpi_store(kpi_backend: str, tmp_path: Path) -> Iterator[Store]:
    """A new store on each backend, for a test of KPI code."""
    with opened(kpi_backend, tmp_path) as made:
        yield made


@pytest.fixture
def pg_target() -> Iterator[str]:
    """A postgresql:// URL on a fresh schema (PostgreSQL-only tests)."""
    with fresh_schema() as url:
        yield url


@pytest.fixture
def db_target(backend: str, tmp_path: Path) -> Iterator[str | Path]:
    """Where a new store goes: a file path, or a URL on a fresh schema."""
    if backend == "sqlite":
        yield tmp_path / "t.db"
        return
    with fresh_schema() as url:
        yield url


@pytest.fixture
def store(db_target: str | Path) -> Iterator[Store]:
    """A new, migrated store on each backend."""
    opened = Store.open(db_target)
    yield opened
    opened.close()
